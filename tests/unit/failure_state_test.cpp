#include <gtest/gtest.h>

#include "util/failure_state.h"

namespace shopflow {

TEST(FailureState, HealthyUntilAFailureAndAgainAfterASuccess) {
  FailureState f;
  EXPECT_FALSE(f.failing());
  EXPECT_EQ(f.succeeded(), -1); // nothing to recover from
  int64_t before = wall_clock_ms();
  EXPECT_TRUE(f.failed("disk full"));
  auto s = f.snapshot();
  EXPECT_TRUE(f.failing());
  EXPECT_GE(s.failing_since_ms, before);
  EXPECT_EQ(s.failures, 1u);
  EXPECT_EQ(s.error, "disk full");
  EXPECT_GE(f.succeeded(), 0);
  EXPECT_FALSE(f.failing());
  EXPECT_EQ(f.snapshot().error, "disk full"); // kept after recovery
  EXPECT_EQ(f.snapshot().failures, 1u);
}

TEST(FailureState, ReportsAnErrorOnceUntilItChangesOrTimePasses) {
  FailureState f;
  EXPECT_TRUE(f.failed("disk full"));
  EXPECT_FALSE(f.failed("disk full"));
  EXPECT_TRUE(f.failed("permission denied"));
  EXPECT_TRUE(f.failed("permission denied", 0)); // the period passed
  EXPECT_EQ(f.snapshot().failures, 4u);
}

TEST(FailureState, OneRecoveryLinePerReportedFailure) {
  FailureState f;
  EXPECT_TRUE(f.failed("disk full"));
  EXPECT_GE(f.succeeded(), 0);   // reported: its recovery is too
  EXPECT_FALSE(f.failed("disk full")); // the same error soon after: not reported...
  EXPECT_TRUE(f.failing());
  EXPECT_EQ(f.succeeded(), -1);  // ...nor is its recovery
  EXPECT_FALSE(f.failing());
}

} // namespace shopflow
