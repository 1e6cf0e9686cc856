#include "pipeline/cleaned_reader.h"

#include <algorithm>

#include "pipeline/clean_records.h"

namespace shopflow {

CleanedReader::CleanedReader(Log& log, size_t sinks, size_t batch_records, size_t kept_records)
    : log_(log), sinks_(sinks), batch_records_(batch_records), kept_records_(kept_records) {
  for (uint32_t s = 0; s < log.shard_count(); ++s) shards_.push_back(std::make_unique<Shard>());
}

std::shared_ptr<const CleanedBatch> CleanedReader::read(uint32_t shard, uint64_t from) {
  Shard& sh = *shards_.at(shard);
  std::lock_guard lock(sh.mutex);
  auto at = std::find_if(sh.kept.begin(), sh.kept.end(), [&](const Kept& k) { return k.batch->first_offset == from; });
  if (at != sh.kept.end()) {
    std::shared_ptr<const CleanedBatch> batch = at->batch;
    if (++at->taken >= sinks_) {
      sh.records -= at->records;
      sh.kept.erase(at);
    }
    return batch;
  }
  ++reads_from_log_;
  LogRead got = log_.read(shard, from, batch_records_);
  if (got.next == from) return nullptr;
  auto batch = std::make_shared<CleanedBatch>(clean_records(shard, got.records));
  batch->first_offset = from;
  batch->next_offset = got.next;
  if (sinks_ > 1) {
    Kept k{batch, std::max<size_t>(got.records.size(), 1), 1};
    sh.records += k.records;
    sh.kept.insert(std::upper_bound(sh.kept.begin(), sh.kept.end(), from,
                                    [](uint64_t offset, const Kept& e) { return offset < e.batch->first_offset; }),
                   std::move(k));
    while (sh.records > kept_records_ && !sh.kept.empty()) {
      sh.records -= sh.kept.front().records;
      sh.kept.erase(sh.kept.begin());
    }
  }
  return batch;
}

} // namespace shopflow
