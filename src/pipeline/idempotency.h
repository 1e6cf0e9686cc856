// Idempotency keys of ingest requests, kept in the log itself so that they survive a crash.
//
// A request with a key appends, per shard it touches, one batch that starts with a key record:
//   u8 version (3), u16 key length, key bytes, 32 bytes SHA-256 of the request's body,
//   u32 number of shards the request touches
// followed by the request's rows for that shard (version 2, written before, has no hash).
// Consumers skip key records. At start the index is rebuilt by reading the key records back; a
// retry finds which shards already hold its rows and appends only the missing ones, so a crash
// after the append and before the answer never duplicates or loses a row. A key is bound to its
// body: the same key with another body is refused (KeyReused), never answered as stored.
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

// `body_hash`: 32 raw bytes (sha256_bytes of the body), or empty for a key bound to no body.
void encode_key_record(std::string& out, std::string_view key, std::string_view body_hash, uint32_t shards_touched);
// True if `data` is a key record; fills key, body_hash (empty for a version 2 record) and shards_touched.
bool decode_key_record(std::string_view data, std::string& key, std::string& body_hash, uint32_t& shards_touched);

class IdempotencyIndex {
public:
  struct Entry {
    std::string body_hash; // empty: recorded before keys were bound to bodies (accepts any)
    uint32_t shards_touched = 0;
    std::map<uint32_t, AppendResult> parts; // per shard: the offsets of the batch, key record included
  };
  // Reads every shard of `log` for key records. Returns how many keys were found.
  size_t recover(Log& log);
  std::optional<Entry> find(const std::string& key) const;
  void record(const std::string& key, std::string_view body_hash, uint32_t shards_touched, const AppendResult& part);
  // The same for a part read back from the log, which does not replace a part already known
  // (this process's own appends know their exact offsets).
  void learn(const std::string& key, std::string_view body_hash, uint32_t shards_touched, const AppendResult& part);
  // A request holds its key from before find() until its append is recorded, so that two
  // requests with one key never both append. claim() is false while another request holds it.
  bool claim(const std::string& key);
  void release(const std::string& key);

private:
  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;
  std::set<std::string> claimed_;
};

// Reads a log's key records into an index, each shard from where the previous read stopped.
class KeyReader {
public:
  KeyReader(Log& log, IdempotencyIndex& index); // from each shard's start offset
  // Reads every shard up to `ends` (one offset per shard). Returns how many key records it found.
  size_t read_to(const std::vector<uint64_t>& ends);

private:
  Log& log_;
  IdempotencyIndex& index_;
  std::vector<uint64_t> next_;
};

// Keys: 1..200 printable ASCII characters.
bool valid_idempotency_key(std::string_view key);

} // namespace shopflow
