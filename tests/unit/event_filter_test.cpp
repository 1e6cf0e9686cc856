// Subscription filters, from the table of cases in cases/event_filter.tsv.
#include <gtest/gtest.h>

#include "case_table.h"
#include "notify/event_filter.h"

using namespace shopflow;
using namespace shopflow::test;

TEST(EventFilter, CasesFromTheTable) {
  int cases = 0;
  for (const CaseRow& row : read_case_table("event_filter.tsv")) {
    ASSERT_GE(row.fields.size(), 3u) << "line " << row.line << " has not three columns";
    const std::string &filter = row.fields[0], &body = row.fields[1], &expected = row.fields[2];
    SCOPED_TRACE("line " + std::to_string(row.line) + ": " + filter + " | " + body);
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
