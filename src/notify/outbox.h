// The notifications' durable outbox (DIR/notify, a RocksDB database of its own). An event is
// recorded exactly once: the consumer that derives events from the log stores them, its orders'
// state and its offsets in one atomic write, and goes on from those offsets after a crash. Each
// event is queued then for every subscription that wants it, and delivered at least once: a
// delivery stays queued until it succeeds, or is dead-lettered after its subscription's
// max_attempts (and may be retried from there).
//
// Durability: subscriptions are synced to disk when made or removed. Events, orders, offsets and
// delivery states go to RocksDB's WAL without an fsync each (they would share the disk's syncs
// with the log's): a process killed loses none of them; a machine that loses power may lose the
// last ones, and then, since each write holds offsets with what they cover, the consumer derives
// them again from the log (same ids) and deliveries are repeated, never lost.
//
// Keys (big-endian numbers, so that they sort):
//   n                          next event sequence number (u64)
//   o<shard u32>               the consumer's next offset of the shard (u64)
//   v<invoice>                 an order's state (OrderTracker's encoding)
//   c<name>                    a source's position besides the log's (the last import reported, ...)
//   e<seq u64>                 an event: id, type, created_ms, body
//   s<subscription id>         a subscription (its JSON, with its secret)
//   q<subscription id>\0<seq>  a queued delivery: attempts (u32), not before (ms, i64), dead (u8), last error
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "db/rocks/rocks_store.h"
#include "notify/order_tracker.h"
#include "notify/subscription.h"

namespace shopflow {

struct StoredEvent {
  uint64_t seq = 0;
  std::string id, type;
  int64_t created_ms = 0;
  std::string body;
};

struct QueuedDelivery {
  std::string subscription;
  StoredEvent event;
  uint32_t attempts = 0;
  int64_t not_before_ms = 0;
  bool dead = false;
  std::string last_error;
};

class Outbox {
public:
  explicit Outbox(const std::string& dir);

  uint64_t offset(uint32_t shard) const; // 0 when none stored
  void load_orders(OrderTracker& tracker) const;

  struct NewEvent {
    std::string id, type, body;
  };
  using States = std::vector<std::pair<std::string, std::optional<std::string>>>; // name -> value (nullopt: removed)
  // One atomic write: the orders' changes, the new events (each queued for the subscriptions that
  // want it), the shards' next offsets and the other sources' cursors.
  void store(const States& orders, const std::vector<NewEvent>& events, const std::map<uint32_t, uint64_t>& offsets, int64_t now_ms,
             const States& cursors = {});
  std::optional<std::string> cursor(const std::string& name) const;

  void put_subscription(const Subscription& s);  // added or replaced
  bool remove_subscription(const std::string& id); // its queued deliveries go too
  std::vector<Subscription> subscriptions() const; // from memory: read once at open, kept with every change
  std::optional<Subscription> subscription(const std::string& id) const;

  // The subscription's oldest queued delivery that is not dead (per-subscription order: the
  // next one waits for it), or nullopt.
  std::optional<QueuedDelivery> next_delivery(const std::string& subscription) const;
  // The subscription's oldest `max` queued deliveries that are not dead, in order (a digest's).
  std::vector<QueuedDelivery> next_deliveries(const std::string& subscription, size_t max) const;
  void delivered(const std::vector<QueuedDelivery>& done);
  // A failed attempt: retried from `retry_at_ms`, or dead-lettered once attempts reach the
  // subscription's max_attempts.
  void failed(const std::vector<QueuedDelivery>& tried, const std::string& error, int64_t retry_at_ms, int max_attempts);
  std::vector<QueuedDelivery> dead_letters(const std::string& subscription) const;
  size_t retry_dead(const std::string& subscription); // queued again with fresh attempts; returns how many
  struct QueueCounts {
    size_t queued = 0, dead = 0; // waiting (not dead); dead-lettered
  };
  QueueCounts counts(const std::string& subscription) const; // one scan, no event read
  size_t queued(const std::string& subscription) const { return counts(subscription).queued; }
  uint64_t events_recorded() const; // since the outbox was made

private:
  std::vector<QueuedDelivery> deliveries(const std::string& subscription, bool dead, size_t max) const;
  StoredEvent event(uint64_t seq) const;
  std::unique_ptr<RocksStore> db_;
  mutable std::mutex write_mutex_; // the sequence number and queue changes, one writer at a time; subscriptions_, next_seq_
  uint64_t next_seq_ = 1;          // key "n" as stored: the next event's number
  std::map<std::string, Subscription> subscriptions_; // as stored, by id
  // Per subscription: every queued delivery below this sequence number is delivered (deleted) or
  // dead, so the next one is looked for from here, never across the tombstones of delivered ones
  // (a scan from the queue's start would slow down with every delivery). Lowered again by retry_dead.
  mutable std::mutex cursor_mutex_;
  mutable std::map<std::string, uint64_t> live_from_;
  uint64_t cursor_resets_ = 0; // under cursor_mutex_: a scan begun before a reset does not move the cursor
};

} // namespace shopflow
