#include "pipeline/ingest.h"

#include <algorithm>
#include <mutex>
#include <optional>

#include "pipeline/log_record.h"

namespace shopflow {

IngestOutcome ingest_rows(Log& log, const std::vector<InputRow>& rows, int64_t received_at_us, IdempotencyIndex* keys,
                          const std::string& key) {
  IngestOutcome out;
  if (rows.empty()) return out;
  const bool keyed = keys && !key.empty();
  std::unique_lock<std::mutex> key_lock;
  std::optional<IdempotencyIndex::Entry> earlier;
  if (keyed) {
    key_lock = std::unique_lock(keys->lock_for(key));
    earlier = keys->find(key);
  }
  uint32_t shards = log.shard_count();
  std::vector<std::string> encoded(rows.size());
  std::vector<std::vector<size_t>> by_shard(shards);
  for (size_t i = 0; i < rows.size(); ++i) {
    encode_log_row(encoded[i], rows[i], received_at_us);
    by_shard[shard_for(rows[i], shards)].push_back(i);
  }
  uint32_t touched = 0;
  for (auto& rows_of_shard : by_shard) touched += !rows_of_shard.empty();
  std::string key_record;
  if (keyed) encode_key_record(key_record, key, touched);
  std::vector<Log::ShardBatch> batches;
  for (uint32_t s = 0; s < shards; ++s) {
    if (by_shard[s].empty()) continue;
    if (earlier && earlier->parts.count(s)) { // stored by an earlier attempt
      AppendResult r = earlier->parts.at(s);
      out.ranges.push_back({s, r.first_offset + 1, r.last_offset});
      continue;
    }
    Log::ShardBatch b{s, {}};
    if (keyed) b.records.push_back(key_record);
    for (size_t i : by_shard[s]) {
      b.records.push_back(encoded[i]);
      ++out.appended;
    }
    batches.push_back(std::move(b));
  }
  out.replayed = keyed && batches.empty();
  if (!batches.empty()) {
    for (AppendResult& r : log.append_all(batches)) {
      if (keyed) {
        keys->record(key, touched, r);
        ++r.first_offset; // past the key record
      }
      out.ranges.push_back(r);
    }
  }
  std::sort(out.ranges.begin(), out.ranges.end(), [](auto& a, auto& b) { return a.shard < b.shard; });
  return out;
}

} // namespace shopflow
