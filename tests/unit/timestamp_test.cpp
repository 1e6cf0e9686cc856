#include <gtest/gtest.h>

#include "core/timestamp.h"

using namespace shopflow;

TEST(Timestamp, AcceptsEveryContractShape) {
  const int64_t expected = *parse_timestamp_us("2010-12-01 08:26:00");
  EXPECT_EQ(format_timestamp(expected), "2010-12-01 08:26:00");
  EXPECT_EQ(parse_timestamp_us("2010-12-01T08:26:00"), expected);
  EXPECT_EQ(parse_timestamp_us("12/1/2010 8:26"), expected);     // the seed's format
  EXPECT_EQ(parse_timestamp_us("12/01/2010 08:26:00"), expected);
  EXPECT_EQ(parse_timestamp_us("1291191960000"), expected);      // pandas epoch milliseconds
  EXPECT_EQ(parse_timestamp_us("2010-12-01 08:26"), expected);
  EXPECT_EQ(parse_timestamp_us("2010-12-01 08:26:00.000"), expected);
  EXPECT_EQ(*parse_timestamp_us("2010-12-01 08:26:00.5") - expected, 500000);
  EXPECT_EQ(*parse_timestamp_us("2010-12-01") + 8 * 3600e6 + 26 * 60e6, expected);
}

TEST(Timestamp, FormatsEveryDateItCanHold) {
  const struct {
    int64_t seconds;
    const char* text;
  } cases[] = {
      {0, "1970-01-01 00:00:00"},          {-1, "1969-12-31 23:59:59"},         {951782400, "2000-02-29 00:00:00"},
      {1291191960, "2010-12-01 08:26:00"}, {253402300799, "9999-12-31 23:59:59"}, {253402300800, "10000-01-01 00:00:00"},
      {-62135596800, "0001-01-01 00:00:00"}, {-62135596801, "0000-12-31 23:59:59"},
  };
  for (const auto& c : cases) EXPECT_EQ(format_timestamp(c.seconds * 1'000'000), c.text) << c.seconds;
  EXPECT_EQ(format_timestamp(1291191960'999999), "2010-12-01 08:26:00"); // whole seconds
  EXPECT_EQ(format_timestamp(-1), "1969-12-31 23:59:59");
}

TEST(Timestamp, RefusesImpossibleOrForeignShapes) {
  for (const char* bad : {"", "2011-13-45 25:61:00", "2010-02-30 10:00:00", "2011-02-29 00:00:00", "12/32/2010 8:26",
                          "yesterday", "2010-12-01 24:00:00", "2010-12-01X08:26:00", "12/1/10 8:26", "2010-12-01 8",
                          "1291191960000x", "12.5",
                          "9591211909557601", "-9591211909557601"}) // found by fuzzing: x 1000 overflowed int64
    EXPECT_FALSE(parse_timestamp_us(bad).has_value()) << bad;
  EXPECT_TRUE(parse_timestamp_us("2012-02-29 00:00:00").has_value()); // leap year
  EXPECT_EQ(parse_timestamp_us("999999999999999"), int64_t{999999999999999} * 1000); // the largest accepted
}

TEST(Timestamp, CivilRoundTrip) {
  for (int64_t d = -1000; d < 30000; d += 37) {
    CivilDate c = civil_from_days(d);
    EXPECT_EQ(days_from_civil(c.year, c.month, c.day), d);
  }
}
