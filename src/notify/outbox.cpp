#include "notify/outbox.h"

#include <cstdint>
#include <stdexcept>

#include <rocksdb/utilities/table_properties_collectors.h>
#include <rocksdb/write_batch.h>

#include "util/byte_codec.h"

namespace shopflow {

namespace {
void put_be64(std::string& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t get_be64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[static_cast<size_t>(i)]);
  return v;
}
std::string event_key(uint64_t seq) {
  std::string k = "e";
  put_be64(k, seq);
  return k;
}
std::string queue_prefix(const std::string& subscription) { return "q" + subscription + '\0'; }
std::string queue_key(const std::string& subscription, uint64_t seq) {
  std::string k = queue_prefix(subscription);
  put_be64(k, seq);
  return k;
}
std::string shard_key(uint32_t shard) {
  std::string k = "o";
  for (int i = 3; i >= 0; --i) k.push_back(static_cast<char>(shard >> (8 * i)));
  return k;
}
std::string encode_delivery(uint32_t attempts, int64_t not_before_ms, bool dead, std::string_view error) {
  std::string v;
  put_num<uint32_t>(v, attempts);
  put_num<int64_t>(v, not_before_ms);
  put_num<uint8_t>(v, dead);
  put_str(v, error);
  return v;
}
// A queued delivery's value (encode_delivery's), without its event.
QueuedDelivery decode_delivery(std::string_view value, const std::string& subscription) {
  ByteReader in{value};
  QueuedDelivery d;
  d.subscription = subscription;
  d.attempts = in.num<uint32_t>();
  d.not_before_ms = in.num<int64_t>();
  d.dead = in.num<uint8_t>() != 0;
  d.last_error = std::string(in.str());
  if (!in.ok) throw std::runtime_error("notify: a queued delivery of " + subscription + " is damaged");
  return d;
}
const rocksdb::WriteOptions& synced() {
  static const rocksdb::WriteOptions o = [] {
    rocksdb::WriteOptions w;
    w.sync = true;
    return w;
  }();
  return o;
}
// Written to the WAL, not synced: see "Durability" in outbox.h.
const rocksdb::WriteOptions& logged() {
  static const rocksdb::WriteOptions o;
  return o;
}
} // namespace

Outbox::Outbox(const std::string& dir) {
  rocksdb::Options options;
  options.create_if_missing = true;
  // A queue's delivered entries are deleted as fast as they are added: files dense with tombstones
  // are compacted soon, so that scans (dead letters, counts) do not wade through them.
  options.table_properties_collector_factories.emplace_back(rocksdb::NewCompactOnDeletionCollectorFactory(16 * 1024, 8 * 1024));
  db_ = std::make_unique<RocksStore>("notify", dir, options);
  if (std::string next; db_->get("n", next)) {
    if (next.size() != 8) throw std::runtime_error("notify: the stored next event number is damaged");
    next_seq_ = get_be64(next);
  }
  RocksStore::Scan it = db_->scan();
  for (it->Seek("s"); it->Valid() && it->key().starts_with("s"); it->Next()) {
    Subscription s = Subscription::from_json(it->value().ToStringView());
    subscriptions_.emplace(s.id, std::move(s));
  }
  it.check();
}

uint64_t Outbox::offset(uint32_t shard) const {
  std::string v;
  if (!db_->get(shard_key(shard), v)) return 0;
  if (v.size() != 8) throw std::runtime_error("notify: the stored offset of shard " + std::to_string(shard) + " is damaged");
  return get_be64(v);
}

void Outbox::load_orders(OrderTracker& tracker) const {
  RocksStore::Scan it = db_->scan();
  for (it->Seek("v"); it->Valid() && it->key().starts_with("v"); it->Next())
    tracker.load(it->key().ToStringView().substr(1), it->value().ToStringView());
  it.check();
}

std::optional<std::string> Outbox::cursor(const std::string& name) const {
  std::string v;
  if (!db_->get("c" + name, v)) return std::nullopt;
  return v;
}

void Outbox::store(const States& orders, const std::vector<NewEvent>& events, const std::map<uint32_t, uint64_t>& offsets, int64_t now_ms,
                   const States& cursors) {
  std::lock_guard lock(write_mutex_);
  rocksdb::WriteBatch batch;
  for (auto [prefix, states] : {std::pair{"v", &orders}, std::pair{"c", &cursors}})
    for (const auto& [name, state] : *states) {
      if (state) batch.Put(prefix + name, *state);
      else batch.Delete(prefix + name);
    }
  uint64_t seq = next_seq_;
  if (!events.empty()) {
    for (const NewEvent& e : events) {
      std::string value;
      put_str(value, e.id);
      put_str(value, e.type);
      put_num<int64_t>(value, now_ms);
      put_str(value, e.body);
      batch.Put(event_key(seq), value);
      for (const auto& [id, s] : subscriptions_) // under write_mutex_
        if (s.wants(e.type, e.body)) batch.Put(queue_key(id, seq), encode_delivery(0, 0, false, ""));
      ++seq;
    }
    std::string next;
    put_be64(next, seq);
    batch.Put("n", next);
  }
  for (const auto& [shard, offset] : offsets) {
    std::string v;
    put_be64(v, offset);
    batch.Put(shard_key(shard), v);
  }
  db_->write(logged(), batch, "store events");
  next_seq_ = seq; // once written: a failed write numbers its events again
}

void Outbox::put_subscription(const Subscription& s) {
  std::lock_guard lock(write_mutex_);
  rocksdb::WriteBatch batch;
  batch.Put("s" + s.id, s.to_json(true));
  db_->write(synced(), batch, "store a subscription");
  subscriptions_.insert_or_assign(s.id, s);
}

bool Outbox::remove_subscription(const std::string& id) {
  std::lock_guard lock(write_mutex_);
  if (!subscriptions_.count(id)) return false;
  rocksdb::WriteBatch batch;
  batch.Delete("s" + id);
  batch.DeleteRange(queue_prefix(id), "q" + id + '\x01'); // every "q<id>\0<seq>", no other id's (ids hold no byte below '-')
  db_->write(synced(), batch, "remove a subscription");
  subscriptions_.erase(id);
  std::lock_guard cursor(cursor_mutex_);
  live_from_.erase(id);
  ++cursor_resets_;
  return true;
}

std::vector<Subscription> Outbox::subscriptions() const {
  std::lock_guard lock(write_mutex_);
  std::vector<Subscription> out;
  for (const auto& [id, s] : subscriptions_) out.push_back(s);
  return out;
}

std::optional<Subscription> Outbox::subscription(const std::string& id) const {
  std::lock_guard lock(write_mutex_);
  auto it = subscriptions_.find(id);
  if (it == subscriptions_.end()) return std::nullopt;
  return it->second;
}

StoredEvent Outbox::event(uint64_t seq) const {
  std::string v;
  if (!db_->get(event_key(seq), v)) throw std::runtime_error("notify: event " + std::to_string(seq) + " is missing from the outbox");
  ByteReader in{v};
  StoredEvent e;
  e.seq = seq;
  e.id = std::string(in.str());
  e.type = std::string(in.str());
  e.created_ms = in.num<int64_t>();
  e.body = std::string(in.str());
  if (!in.ok) throw std::runtime_error("notify: event " + std::to_string(seq) + " is damaged");
  return e;
}

std::vector<QueuedDelivery> Outbox::deliveries(const std::string& subscription, bool dead, size_t max) const {
  std::vector<QueuedDelivery> out;
  const std::string prefix = queue_prefix(subscription);
  uint64_t from = 0, resets = 0;
  if (!dead) {
    std::lock_guard lock(cursor_mutex_);
    from = live_from_[subscription];
    resets = cursor_resets_;
  }
  {
    RocksStore::Scan it = db_->scan();
    bool all_dead_so_far = true;
    for (it->Seek(queue_key(subscription, from)); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      QueuedDelivery d = decode_delivery(it->value().ToStringView(), subscription);
      d.event.seq = get_be64(it->key().ToStringView().substr(prefix.size()));
      if (!dead && all_dead_so_far && !d.dead) {
        all_dead_so_far = false;
        std::lock_guard lock(cursor_mutex_);
        if (resets == cursor_resets_) live_from_[subscription] = std::max(live_from_[subscription], d.event.seq);
      }
      if (d.dead != dead) continue;
      out.push_back(std::move(d));
      if (out.size() >= max) break;
    }
    it.check();
  }
  for (QueuedDelivery& d : out) d.event = event(d.event.seq); // after the scan: one read lock at a time
  return out;
}

std::optional<QueuedDelivery> Outbox::next_delivery(const std::string& subscription) const {
  std::vector<QueuedDelivery> d = deliveries(subscription, false, 1);
  if (d.empty()) return std::nullopt;
  return std::move(d.front());
}

std::vector<QueuedDelivery> Outbox::next_deliveries(const std::string& subscription, size_t max) const {
  return deliveries(subscription, false, max);
}

void Outbox::delivered(const std::vector<QueuedDelivery>& done) {
  std::lock_guard lock(write_mutex_);
  rocksdb::WriteBatch batch;
  for (const QueuedDelivery& d : done) batch.Delete(queue_key(d.subscription, d.event.seq));
  db_->write(logged(), batch, "mark deliveries done");
}

void Outbox::failed(const std::vector<QueuedDelivery>& tried, const std::string& error, int64_t retry_at_ms, int max_attempts) {
  std::lock_guard lock(write_mutex_);
  rocksdb::WriteBatch batch;
  for (const QueuedDelivery& d : tried) {
    const uint32_t attempts = d.attempts + 1;
    batch.Put(queue_key(d.subscription, d.event.seq), encode_delivery(attempts, retry_at_ms, attempts >= static_cast<uint32_t>(max_attempts), error));
  }
  db_->write(logged(), batch, "record a failed delivery");
}

std::vector<QueuedDelivery> Outbox::dead_letters(const std::string& subscription) const {
  return deliveries(subscription, true, SIZE_MAX);
}

size_t Outbox::retry_dead(const std::string& subscription) {
  std::vector<QueuedDelivery> dead = dead_letters(subscription);
  std::lock_guard lock(write_mutex_);
  rocksdb::WriteBatch batch;
  for (const QueuedDelivery& d : dead) batch.Put(queue_key(subscription, d.event.seq), encode_delivery(0, 0, false, d.last_error));
  db_->write(synced(), batch, "retry dead deliveries");
  std::lock_guard cursor(cursor_mutex_);
  live_from_[subscription] = 0; // the dead ones are live again
  ++cursor_resets_;
  return dead.size();
}

uint64_t Outbox::events_recorded() const {
  std::lock_guard lock(write_mutex_);
  return next_seq_ - 1;
}

Outbox::QueueCounts Outbox::counts(const std::string& subscription) const {
  QueueCounts n;
  const std::string prefix = queue_prefix(subscription);
  RocksStore::Scan it = db_->scan();
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next())
    ++(decode_delivery(it->value().ToStringView(), subscription).dead ? n.dead : n.queued);
  it.check();
  return n;
}

} // namespace shopflow
