// The order events' tracker (notify/order_tracker.h): when orders are due, what they report, and
// that stored state carries on exactly.
#include <gtest/gtest.h>

#include "notify/order_tracker.h"

using namespace shopflow;

namespace {
OrderLine line(std::string_view invoice, int32_t quantity, int64_t amount_milli, std::string_view country = "France",
               std::string_view customer = "12583") {
  return {invoice, customer, country, 1'291'191'960'000'000, quantity, amount_milli, invoice.starts_with("C")};
}

std::string ids(const std::vector<OrderEvent>& events) {
  std::string out;
  for (const OrderEvent& e : events) out += e.id + " ";
  return out;
}
} // namespace

TEST(OrderTracker, AnOrderIsReportedOnceQuietThenUpdatedByLateLines) {
  OrderTracker t(1000);
  t.add(line("536365", 6, 15'300), 0);
  t.add(line("536365", 8, 22'000, "France", "12345"), 100);
  t.add(line("C536379", -1, -27'500), 150);
  t.add(line("536366", 6, 11'100), 200);
  EXPECT_EQ(t.open_orders(), 3u);
  EXPECT_EQ(ids(t.take_due(1099)), "");
  EXPECT_EQ(ids(t.take_due(1150)), "order.completed/536365/1 order.cancelled/C536379/1 ");
  std::vector<OrderEvent> next = t.take_due(1200);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].body, R"({"invoice_no":"536366","customer_id":"12583","country":"France","invoice_date":"2010-12-01 08:26:00",)"
                          R"("lines":1,"quantity":6,"amount":"11.100","cancelled":false,"version":1})");
  EXPECT_EQ(ids(t.take_due(50'000)), "");
  // A late line: the order is reported again, as an update with all its lines.
  t.add(line("536365", 2, 1'000), 60'000);
  std::vector<OrderEvent> late = t.take_due(61'000);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].id, "order.updated/536365/2");
  EXPECT_EQ(late[0].type, "order.updated");
  EXPECT_EQ(late[0].body, R"({"invoice_no":"536365","customer_id":"12345","country":"France","invoice_date":"2010-12-01 08:26:00",)"
                          R"("lines":3,"quantity":16,"amount":"38.300","cancelled":false,"version":2})");
}

TEST(OrderTracker, StoredStateGoesOnWhereItWas) {
  OrderTracker first(1000);
  first.add(line("536365", 6, 15'300), 0);
  first.add(line("536366", 1, 2'550), 10);
  EXPECT_EQ(ids(first.take_due(1005)), "order.completed/536365/1 ");
  first.add(line("536366", 1, 2'550), 20);
  first.add(line("536365", 1, 1'000), 30); // reported, now open again
  // What a restart reads back: every changed state since the start.
  auto stored = first.take_changed();
  EXPECT_EQ(stored.size(), 2u);
  OrderTracker second(1000);
  for (auto& [invoice, state] : stored) second.load(invoice, *state);
  EXPECT_EQ(second.open_orders(), 2u);
  std::vector<OrderEvent> a = first.take_due(2000), b = second.take_due(2000);
  EXPECT_EQ(ids(b), "order.completed/536366/1 order.updated/536365/2 ");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].body, b[i].body);
  EXPECT_TRUE(second.take_changed().size() == 2u);
}

TEST(OrderTracker, ReportedOrdersAreForgottenAfterTheirMemory) {
  OrderTracker t(1000, 10'000);
  t.add(line("536365", 6, 15'300), 0);
  EXPECT_EQ(ids(t.take_due(1000)), "order.completed/536365/1 ");
  t.take_changed();
  EXPECT_EQ(ids(t.take_due(10'000)), "");
  auto forgotten = t.take_changed();
  ASSERT_EQ(forgotten.size(), 1u);
  EXPECT_FALSE(forgotten[0].second.has_value());
  EXPECT_THROW(OrderTracker(1000).load("536365", "damaged"), std::runtime_error);
}
