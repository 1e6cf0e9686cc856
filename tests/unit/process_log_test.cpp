// The process log's lines (util/log.h): a value a client sent (a target, a client id, an error
// message quoting input) can neither forge a line nor put bytes that are not UTF-8 in it.
#include <gtest/gtest.h>
#include <simdjson.h>

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
