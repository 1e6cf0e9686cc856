#include "pipeline/notify_consumer.h"

#include <map>

#include "util/clock.h"

namespace shopflow {

namespace {

// The order events' consumer: each pass's lines go into the order tracker and its changed orders
// are stored with the pass's offsets (one atomic write); flush() records the orders that fell
// quiet as events, with their state. So each event is recorded once, whenever the process dies.
class NotifyConsumer final : public SinkConsumer {
public:
  NotifyConsumer(Outbox& outbox, int64_t quiet_ms) : outbox_(outbox), quiet_ms_(quiet_ms), tracker_(quiet_ms) { outbox_.load_orders(tracker_); }
  const char* name() const override { return "notify"; }
  int linger_ms() const override { return 100; }
  uint64_t committed_offset(uint32_t shard) override {
    auto it = committed_.find(shard);
    return it != committed_.end() ? it->second : committed_[shard] = outbox_.offset(shard);
  }
  void apply(const std::vector<CleanedBatch>& batches) override {
    const int64_t now = wall_clock_ms();
    std::map<uint32_t, uint64_t> offsets;
    for (const CleanedBatch& b : batches) {
      for (auto [lines, cancellation] : {std::pair{b.transactions.get(), false}, std::pair{b.cancellations.get(), true}}) {
        if (!lines) continue;
        for (size_t r = 0; r < lines->size(); ++r)
          tracker_.add({lines->invoice_no[r], lines->customer_id[r], lines->country[r], lines->invoice_date_us[r], lines->quantity[r],
                        lines->amount_milli[r], cancellation},
                       now);
      }
      offsets[b.shard] = b.next_offset;
    }
    outbox_.store(tracker_.take_changed(), {}, offsets, now);
    for (auto& [shard, next] : offsets) committed_[shard] = next;
  }
  void flush(bool /*force*/) override {
    const int64_t now = wall_clock_ms();
    std::vector<Outbox::NewEvent> events;
    for (OrderEvent& e : tracker_.take_due(now)) events.push_back({std::move(e.id), std::move(e.type), std::move(e.body)});
    auto changed = tracker_.take_changed();
    if (!events.empty() || !changed.empty()) outbox_.store(changed, events, {}, now);
  }
  void discard_uncommitted() override {
    // A failed store: the tracker goes back to the stored state.
    tracker_ = OrderTracker(quiet_ms_);
    outbox_.load_orders(tracker_);
    committed_.clear();
  }

private:
  Outbox& outbox_;
  int64_t quiet_ms_;
  OrderTracker tracker_;
  std::map<uint32_t, uint64_t> committed_;
};

} // namespace

std::unique_ptr<SinkConsumer> make_notify_consumer(Outbox& outbox, int64_t quiet_ms) {
  return std::make_unique<NotifyConsumer>(outbox, quiet_ms);
}

} // namespace shopflow
