// Idempotency keys of ingest requests, kept in the log itself so that they survive a crash.
//
// A request with a key appends, per shard it touches, one batch that starts with a key record:
//   u8 version (2), u16 key length, key bytes, u32 number of shards the request touches
// followed by the request's rows for that shard. Consumers skip key records. At start the index
// is rebuilt by reading the key records back; a retry finds which shards already hold its rows
// and appends only the missing ones, so a crash after the append and before the answer never
// duplicates or loses a row.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "stream/log.h"

namespace shopflow {

void encode_key_record(std::string& out, std::string_view key, uint32_t shards_touched);
// True if `data` is a key record; fills key and shards_touched.
bool decode_key_record(std::string_view data, std::string& key, uint32_t& shards_touched);

class IdempotencyIndex {
public:
  struct Entry {
    uint32_t shards_touched = 0;
    std::map<uint32_t, AppendResult> parts; // per shard: the offsets of the batch, key record included
  };
  // Reads every shard of `log` for key records. Returns how many keys were found.
  size_t recover(Log& log);
  std::optional<Entry> find(const std::string& key) const;
  void record(const std::string& key, uint32_t shards_touched, const AppendResult& part);
  // A request holds its key from before find() until its append is recorded, so that two
  // requests with one key never both append. claim() is false while another request holds it.
  bool claim(const std::string& key);
  void release(const std::string& key);

private:
  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;
  std::set<std::string> claimed_;
};

// Keys: 1..200 printable ASCII characters.
bool valid_idempotency_key(std::string_view key);

} // namespace shopflow
