#include <gtest/gtest.h>

#include "core/decimal.h"

using namespace shopflow;

struct MilliCase {
  const char* text;
  std::optional<int64_t> milli;
};

TEST(Decimal, ParsesExactThousandths) {
  const MilliCase cases[] = {
      {"2.55", 2550}, {"0", 0}, {"-0.5", -500}, {"+3", 3000}, {"2.550", 2550}, {"1e-3", 1},
      {"1.5E2", 150000}, {"0.0005", 1},  // half rounds away from zero
      {"0.0004", 0}, {"-0.0005", -1}, {"38970.0", 38970000}, {"999999999.999", 999999999999},
      {"1000000000", std::nullopt}, {"", std::nullopt}, {".", std::nullopt}, {"2..55", std::nullopt},
      {"2,55", std::nullopt}, {"abc", std::nullopt}, {"1e", std::nullopt}, {"NaN", std::nullopt},
      {"inf", std::nullopt}, {" 2.5", std::nullopt}, {".5", 500}, {"5.", 5000},
      // Found by fuzzing: many fractional digits once overflowed the rounding divisor.
      {"000000.000000000000000000512409557603043107777804", 0}, {"0.00000000000000000000000000000000000000000001", 0},
      {"1234567890123456789012345678901234567890e-40", 123}, {"1234567890123456789012345678901234567890e-35", 12345679},
  };
  for (auto& c : cases) EXPECT_EQ(parse_milli(c.text), c.milli) << c.text;
}

TEST(Decimal, SumsStayExactWhereBinaryFloatsDrift) {
  int64_t total = 0;
  for (int i = 0; i < 1000; ++i) total += *parse_milli("0.1");
  EXPECT_EQ(total, 100000);
  EXPECT_EQ(format_milli(total), "100.000");
}

TEST(Decimal, Quantity) {
  EXPECT_EQ(parse_quantity("6"), 6);
  EXPECT_EQ(parse_quantity("-12"), -12);
  EXPECT_EQ(parse_quantity("6.0"), 6); // a pandas float column
  EXPECT_EQ(parse_quantity("6.5"), std::nullopt);
  EXPECT_EQ(parse_quantity("six"), std::nullopt);
  EXPECT_EQ(parse_quantity(""), std::nullopt);
  EXPECT_EQ(parse_quantity("80995"), 80995);
}

TEST(Decimal, Formats) {
  EXPECT_EQ(format_milli(2550), "2.550");
  EXPECT_EQ(format_milli(-5), "-0.005");
  EXPECT_EQ(format_milli(0), "0.000");
}
