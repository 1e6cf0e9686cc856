#include "pipeline/notify_consumer.h"

#include <array>
#include <map>

#include <simdjson.h>

#include "core/timestamp.h"
#include "util/clock.h"
#include "util/json_writer.h"

namespace shopflow {

namespace {

// The rows rejected in one window of the consumer's clock (by default a minute: when it stored
// them), reported as one rows.rejected event once the window is over. Stored as the outbox's
// cursor "rejects" (its JSON below) with each pass's offsets, so that every rejected row is
// counted once.
//   {"emitted": W, "window": W2, "counts": {"bad_debt": 3, ...}, "examples": [[source, reason, detail], ...]}
struct RejectWindow {
  explicit RejectWindow(int64_t length) : length_ms(length) {}
  int64_t length_ms;
  int64_t emitted = -1; // the last window reported (its start / length_ms)
  int64_t window = -1;  // the window being counted; -1: none
  std::map<std::string, uint64_t> counts;
  std::vector<std::array<std::string, 3>> examples; // source, reason, detail: the first few
  static constexpr size_t kExamples = 3;

  void add(const std::string& source, const std::string& reason, const std::string& detail, int64_t now_ms) {
    if (window < 0) window = std::max(now_ms / length_ms, emitted + 1);
    ++counts[reason];
    if (examples.size() < kExamples) examples.push_back({source, reason, detail});
  }
  bool due(int64_t now_ms) const { return window >= 0 && now_ms >= (window + 1) * length_ms; }
  std::string encode() const {
    JsonWriter w;
    w.begin_object().field("emitted", emitted).field("window", window).key("counts").begin_object();
    for (const auto& [reason, n] : counts) w.field(reason, n);
    w.end_object().key("examples").begin_array();
    for (const auto& e : examples) w.begin_array().value(e[0]).value(e[1]).value(e[2]).end_array();
    return w.end_array().end_object().take();
  }
  static RejectWindow decode(const std::string& json, int64_t length_ms) try {
    RejectWindow r(length_ms);
    simdjson::dom::parser parser;
    simdjson::dom::object o = parser.parse(json);
    r.emitted = o["emitted"].get_int64();
    r.window = o["window"].get_int64();
    for (auto [reason, n] : simdjson::dom::object(o["counts"])) r.counts[std::string(reason)] = n.get_uint64();
    for (simdjson::dom::array e : simdjson::dom::array(o["examples"]))
      r.examples.push_back({std::string(std::string_view(e.at(0))), std::string(std::string_view(e.at(1))), std::string(std::string_view(e.at(2)))});
    return r;
  } catch (const simdjson::simdjson_error& e) {
    throw std::runtime_error(std::string("notify: the stored count of rejected rows is damaged: ") + e.what());
  }
  // The event for the window counted; the counting starts again.
  Outbox::NewEvent take_event() {
    std::string at = format_timestamp(window * length_ms * 1000).substr(0, 19) + "Z"; // YYYY-MM-DDTHH:MM:SSZ
    at[10] = 'T';
    uint64_t total = 0;
    for (const auto& [reason, n] : counts) total += n;
    JsonWriter w;
    w.begin_object().field("source", "stream").field("window_start", at).field("window_s", length_ms / 1000.0).field("rejected", total);
    w.key("by_reason").begin_object();
    for (const auto& [reason, n] : counts) w.field(reason, n);
    w.end_object().key("examples").begin_array();
    for (const auto& e : examples) w.begin_object().field("source", e[0]).field("reason", e[1]).field("detail", e[2]).end_object();
    w.end_array().end_object();
    Outbox::NewEvent event{"rows.rejected/stream/" + at, "rows.rejected", w.take()};
    emitted = window;
    window = -1;
    counts.clear();
    examples.clear();
    return event;
  }
};

// The order events' consumer: each pass's lines go into the order tracker and its changed orders
// are stored with the pass's offsets (one atomic write); flush() records the orders that fell
// quiet as events, with their state. So each event is recorded once, whenever the process dies.
class NotifyConsumer final : public SinkConsumer {
public:
  NotifyConsumer(Outbox& outbox, NotifyTiming timing) : outbox_(outbox), timing_(timing), tracker_(timing.quiet_ms) { load(); }
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
      for (const RejectedRow& row : b.rejected) rejects_.add(row.source, row.reason, row.detail, now);
      for (uint64_t i = 0; i < b.undecodable; ++i) rejects_.add("stream:" + std::to_string(b.shard), "malformed", "not a log row", now);
      rejects_changed_ |= !b.rejected.empty() || b.undecodable;
      offsets[b.shard] = b.next_offset;
    }
    outbox_.store(tracker_.take_changed(), {}, offsets, now, take_rejects_state());
    for (auto& [shard, next] : offsets) committed_[shard] = next;
  }
  void flush(bool /*force*/) override {
    const int64_t now = wall_clock_ms();
    std::vector<Outbox::NewEvent> events;
    for (OrderEvent& e : tracker_.take_due(now)) events.push_back({std::move(e.id), std::move(e.type), std::move(e.body)});
    if (rejects_.due(now)) {
      events.push_back(rejects_.take_event());
      rejects_changed_ = true;
    }
    auto changed = tracker_.take_changed();
    if (!events.empty() || !changed.empty()) outbox_.store(changed, events, {}, now, take_rejects_state());
  }
  void discard_uncommitted() override {
    // A failed store: the state goes back to the stored one.
    tracker_ = OrderTracker(timing_.quiet_ms);
    load();
    committed_.clear();
  }

private:
  void load() {
    outbox_.load_orders(tracker_);
    std::optional<std::string> stored = outbox_.cursor("rejects");
    rejects_ = stored ? RejectWindow::decode(*stored, timing_.reject_window_ms) : RejectWindow(timing_.reject_window_ms);
    rejects_changed_ = false;
  }
  Outbox::States take_rejects_state() {
    if (!rejects_changed_) return {};
    rejects_changed_ = false;
    return {{"rejects", rejects_.encode()}};
  }

  Outbox& outbox_;
  NotifyTiming timing_;
  OrderTracker tracker_;
  std::map<uint32_t, uint64_t> committed_;
  RejectWindow rejects_{60'000};
  bool rejects_changed_ = false;
};

} // namespace

std::unique_ptr<SinkConsumer> make_notify_consumer(Outbox& outbox, NotifyTiming timing) {
  return std::make_unique<NotifyConsumer>(outbox, timing);
}

} // namespace shopflow
