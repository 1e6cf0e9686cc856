// Orders as the stream shows them, for the order events. The lines of one invoice gather until
// none came for `quiet_ms` (on the clock of whoever reads the log: a consumer far behind reports
// orders late, never early); the order is then due and reported: order.completed, or for a
// cancellation invoice ("C536379") order.cancelled, with its totals. Lines of an invoice already
// reported make it due again, reported as order.updated with the new totals and the next version.
// An event's id is "<type>/<invoice>/<version>": replaying the same lines gives the same ids, so
// receivers' idempotency holds across restarts. A reported order is remembered for `remember_ms`
// after its last line (for updates), then forgotten.
//
// State is kept per invoice; changed() lists what to store beside the consumer's offsets (encode
// / load round-trip it), so that a restart goes on from exactly the stored offsets.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/decimal.h"

namespace shopflow {

struct OrderLine {
  std::string_view invoice_no, customer_id, country;
  int64_t invoice_date_us = 0;
  int32_t quantity = 0;
  int64_t amount_milli = 0;
  bool cancellation = false;
};

struct OrderEvent {
  std::string id, type, invoice_no;
  std::string body; // JSON: invoice_no, customer_id, country, invoice_date, lines, quantity, amount, version
};

class OrderTracker {
public:
  OrderTracker(int64_t quiet_ms, int64_t remember_ms = 7 * 86'400'000ll) : quiet_ms_(quiet_ms), remember_ms_(remember_ms) {}

  void add(const OrderLine& line, int64_t now_ms);
  // The orders quiet since `quiet_ms` before `now_ms`, oldest first, each reported once; forgets
  // reported orders past `remember_ms`.
  std::vector<OrderEvent> take_due(int64_t now_ms);
  size_t open_orders() const { return open_.size(); }

  // Invoices whose state changed since the last call: their encode() (nullopt: forgotten).
  std::vector<std::pair<std::string, std::optional<std::string>>> take_changed();
  // A stored state back (at start, before any add()).
  void load(std::string_view invoice_no, std::string_view encoded);

private:
  struct Order {
    std::string customer_id, country;
    int64_t invoice_date_us = 0, last_line_ms = 0;
    uint64_t lines = 0;
    int64_t quantity = 0;
    MoneySum amount_milli = 0;
    uint32_t reported = 0; // versions reported so far
    bool cancellation = false, open = false;
  };
  static std::string encode(const Order& o);
  OrderEvent event_of(const std::string& invoice, const Order& o) const;

  int64_t quiet_ms_, remember_ms_;
  std::map<std::string, Order, std::less<>> orders_;
  std::set<std::pair<int64_t, std::string>> open_; // (last line ms, invoice) of orders not yet reported
  std::set<std::string> changed_;
};

} // namespace shopflow
