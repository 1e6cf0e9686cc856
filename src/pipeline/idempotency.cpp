#include "pipeline/idempotency.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>
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
  std::vector<uint64_t> ends;
  for (uint32_t s = 0; s < log.shard_count(); ++s) ends.push_back(log.end_offset(s));
  return KeyReader(log, *this).read_to(ends);
}

KeyReader::KeyReader(Log& log, IdempotencyIndex& index) : log_(log), index_(index) {
  for (uint32_t s = 0; s < log.shard_count(); ++s) next_.push_back(log.start_offset(s));
}

size_t KeyReader::read_to(const std::vector<uint64_t>& ends) {
  size_t found = 0;
  std::string key, hash;
  // A shared log's reader may come back empty before the end (its first fetch after a seek is
  // still on its way, a broker is changing leaders): it tries again, for a while. The index must
  // not be taken as complete before the end is reached.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (uint32_t s = 0; s < next_.size(); ++s) {
    // A key record is always the first record of its batch: the batch is the request's part.
    while (next_[s] < ends[s]) {
      LogRead got = log_.read(s, next_[s], 50'000);
      if (got.next == next_[s]) {
        if (!log_.shared()) break; // the embedded log has nothing more to give
        if (std::chrono::steady_clock::now() > deadline)
          throw std::runtime_error("shard " + std::to_string(s) + " of the log could not be read up to offset " +
                                   std::to_string(ends[s]) + " (stopped at " + std::to_string(next_[s]) + ")");
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      for (auto& r : got.records) {
        uint32_t touched;
        if (decode_key_record(r.data, key, hash, touched)) {
          // In a log where other processes append too, the part's last offset is not known
          // here: the end of the shard as now known is past it (its transaction is committed).
          uint64_t last = log_.shared() ? std::max(r.batch_last, log_.end_offset(s) - 1) : r.batch_last;
          index_.learn(key, hash, touched, {s, r.offset, last});
          ++found;
        }
      }
      next_[s] = got.next;
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

void IdempotencyIndex::learn(const std::string& key, std::string_view body_hash, uint32_t shards_touched, const AppendResult& part) {
  std::lock_guard lock(mutex_);
  Entry& e = entries_[key];
  if (e.parts.count(part.shard)) return;
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
