#include "pipeline/ingest.h"

#include "pipeline/log_record.h"

namespace shopflow {

IngestOutcome ingest_rows(Log& log, const std::vector<InputRow>& rows, int64_t received_at_us) {
  IngestOutcome out;
  if (rows.empty()) return out;
  uint32_t shards = log.shard_count();
  std::vector<std::string> encoded(rows.size());
  std::vector<std::vector<size_t>> by_shard(shards);
  for (size_t i = 0; i < rows.size(); ++i) {
    encode_log_row(encoded[i], rows[i], received_at_us);
    by_shard[shard_for(rows[i], shards)].push_back(i);
  }
  std::vector<Log::ShardBatch> batches;
  for (uint32_t s = 0; s < shards; ++s) {
    if (by_shard[s].empty()) continue;
    Log::ShardBatch b{s, {}};
    for (size_t i : by_shard[s]) b.records.push_back(encoded[i]);
    batches.push_back(std::move(b));
  }
  out.ranges = log.append_all(batches);
  out.appended = rows.size();
  return out;
}

} // namespace shopflow
