// Subscription filters, from the table of cases in cases/event_filter.tsv.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "notify/event_filter.h"

using namespace shopflow;

TEST(EventFilter, CasesFromTheTable) {
  std::ifstream in(std::string(SHOPFLOW_TEST_CASES) + "/event_filter.tsv");
  ASSERT_TRUE(in) << "cannot read event_filter.tsv";
  std::string line;
  int cases = 0, line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string filter, body, expected;
    ASSERT_TRUE(std::getline(fields, filter, '\t') && std::getline(fields, body, '\t') && std::getline(fields, expected, '\t'))
        << "line " << line_no << " has not three columns";
    SCOPED_TRACE("line " + std::to_string(line_no) + ": " + filter + " | " + body);
    ++cases;
    if (expected.starts_with("error:")) {
      try {
        EventFilter::parse(filter);
        ADD_FAILURE() << "accepted";
      } catch (const EventFilterError& e) {
        EXPECT_NE(std::string(e.what()).find(expected.substr(6)), std::string::npos) << e.what();
        EXPECT_LE(e.offset, filter.size());
      }
      continue;
    }
    EventFilter f = EventFilter::parse(filter);
    EXPECT_EQ(f.matches(body) ? "match" : "no", expected);
    EXPECT_EQ(f.text(), filter);
  }
  EXPECT_GT(cases, 50);
}
