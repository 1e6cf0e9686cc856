#include "pipeline/idempotency.h"

#include <cstring>
#include <functional>
#include <stdexcept>

namespace shopflow {

namespace {
constexpr size_t kHashBytes = 32;
}

void encode_key_record(std::string& out, std::string_view key, std::string_view body_hash, uint32_t shards_touched) {
  if (!body_hash.empty() && body_hash.size() != kHashBytes) throw std::invalid_argument("a body hash has 32 bytes");
  out.push_back(body_hash.empty() ? 2 : 3); // without a hash: bound to no body, as version 2
  uint16_t len = static_cast<uint16_t>(key.size());
  out.append(reinterpret_cast<const char*>(&len), 2);
  out.append(key);
  out.append(body_hash);
  out.append(reinterpret_cast<const char*>(&shards_touched), 4);
}

bool decode_key_record(std::string_view data, std::string& key, std::string& body_hash, uint32_t& shards_touched) {
  if (data.size() < 7 || (data[0] != 2 && data[0] != 3)) return false;
  size_t hash_bytes = data[0] == 3 ? kHashBytes : 0;
  uint16_t len;
  std::memcpy(&len, data.data() + 1, 2);
  if (data.size() != size_t(7) + len + hash_bytes) return false;
  key.assign(data.substr(3, len));
  body_hash.assign(data.substr(3 + len, hash_bytes));
  std::memcpy(&shards_touched, data.data() + 3 + len + hash_bytes, 4);
  return true;
}

bool valid_idempotency_key(std::string_view key) {
  if (key.empty() || key.size() > 200) return false;
  for (char c : key)
    if (c < 0x21 || c > 0x7E) return false;
  return true;
}

size_t IdempotencyIndex::recover(Log& log) {
  size_t found = 0;
  std::string key, hash;
  for (uint32_t s = 0; s < log.shard_count(); ++s) {
    uint64_t from = log.start_offset(s), end = log.end_offset(s);
    // A key record is always the first record of its batch: the batch is the request's part.
    while (from < end) {
      LogRead got = log.read(s, from, 50'000);
      if (got.records.empty()) break;
      for (auto& r : got.records) {
        uint32_t touched;
        if (decode_key_record(r.data, key, hash, touched)) {
          record(key, hash, touched, {s, r.offset, r.batch_last});
          ++found;
        }
      }
      from = got.next;
    }
  }
  return found;
}

std::optional<IdempotencyIndex::Entry> IdempotencyIndex::find(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

void IdempotencyIndex::record(const std::string& key, std::string_view body_hash, uint32_t shards_touched, const AppendResult& part) {
  std::lock_guard lock(mutex_);
  Entry& e = entries_[key];
  e.body_hash = body_hash;
  e.shards_touched = shards_touched;
  e.parts[part.shard] = part;
}

bool IdempotencyIndex::claim(const std::string& key) {
  std::lock_guard lock(mutex_);
  return claimed_.insert(key).second;
}

void IdempotencyIndex::release(const std::string& key) {
  std::lock_guard lock(mutex_);
  claimed_.erase(key);
}

} // namespace shopflow
