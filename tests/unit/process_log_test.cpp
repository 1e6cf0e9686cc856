// The process log's lines (util/log.h): a value a client sent (a target, a client id, an error
// message quoting input) can neither forge a line nor put bytes that are not UTF-8 in it; lines
// from many threads reach stderr whole.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "util/log.h"

using namespace shopflow;

TEST(ProcessLog, TextValuesAreQuotedWhenTheyCouldForgeALine) {
  struct Case {
    std::string value, written;
  };
  const Case cases[] = {
      {"GET", "GET"},
      {"/v1/invoices/536365", "/v1/invoices/536365"},
      {"", "\"\""},
      {"two words", "\"two words\""},
      {"a=b", "\"a=b\""},
      {"say \"hi\"", "\"say \\\"hi\\\"\""},
      {"x\n2026-12-03T00:00:00.000Z info request status=200", "\"x\\n2026-12-03T00:00:00.000Z info request status=200\""},
      {"carriage\rreturn", "\"carriage\\rreturn\""},
      {"\x1b[31mred", "\"\\u001B[31mred\""},
      {"del\x7f", "\"del\x7f\""},
      {"bad\xff", "\"bad\\\\xFF\""},
      {"café", "café"},
  };
  for (const Case& c : cases) {
    std::string line = log::format_line(log::Format::Text, "request", {{"target", c.value}});
    EXPECT_EQ(line, "request target=" + c.written) << c.value;
    EXPECT_EQ(line.find('\n'), std::string::npos);
  }
}

TEST(ProcessLog, JsonLinesParseAndKeepTheValue) {
  simdjson::dom::parser parser;
  for (std::string value : {"plain", "x\ny", "\"quoted\"", "\x1b[0m", "bad\xff", "café"}) {
    std::string line(1, '{');
    line += log::format_line(log::Format::Json, "refused", {{"reason", value}, {"status", "401"}});
    line += '}';
    simdjson::dom::element doc;
    ASSERT_FALSE(parser.parse(line).get(doc)) << line;
    EXPECT_EQ(std::string_view(doc["event"].get_string().value()), "refused");
    EXPECT_EQ(std::string_view(doc["status"].get_string().value()), "401");
    std::string_view back = doc["reason"].get_string().value();
    EXPECT_EQ(back, value == "bad\xff" ? "bad\\xFF" : value) << line;
  }
}

// Lines are written to stderr in blocks: from many threads each line arrives whole and once, and
// a warning is written at once, with every line logged before it.
TEST(ProcessLog, LinesFromManyThreadsArriveWholeAndAWarningAtOnce) {
  char path[] = "/tmp/shopflow-log-XXXXXX";
  int file = ::mkstemp(path);
  ASSERT_GE(file, 0);
  int saved = ::dup(STDERR_FILENO);
  ::dup2(file, STDERR_FILENO);
  log::init(log::Level::Info, log::Format::Text);
  constexpr int kThreads = 4, kLines = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([t] {
      for (int i = 0; i < kLines; ++i) log::info("line", {{"thread", std::to_string(t)}, {"n", std::to_string(i)}});
    });
  for (auto& th : threads) th.join();
  log::warn("done");
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::ifstream in(path);
  std::map<std::string, int> seen; // "thread n" -> times
  std::string line, last;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string time, level, event, thread, n;
    fields >> time >> level >> event >> thread >> n;
    if (event == "line") {
      EXPECT_EQ(level, "info") << line;
      ASSERT_TRUE(thread.starts_with("thread=") && n.starts_with("n=")) << line;
      ++seen[thread + " " + n];
    }
    last = event;
  }
  ::close(file);
  ::unlink(path);
  EXPECT_EQ(seen.size(), size_t{kThreads} * kLines);
  for (auto& [key, times] : seen) EXPECT_EQ(times, 1) << key;
  EXPECT_EQ(last, "done"); // written before warn() returned
}
