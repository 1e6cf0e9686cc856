// Reads and cleans each run of a shard's log records once for every sink: the sinks' workers ask
// for the batch starting at their own next offset, and the first to ask reads and cleans it while
// the others take the same batch (shared, never changed) when they get there. A sink that is
// elsewhere (behind, or after a restart) reads for itself, and what it read is kept for the others.
//
// Invariants: a batch is kept until every sink has taken it or more than `kept_records` records
// of its shard are kept (the lowest offsets go first); a log's records never change once
// appended, so a kept batch is right for as long as it is kept. Thread-safe; a shard's reads run
// one at a time (another sink wanting the same batch waits for it rather than read it again).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "sinks/cleaned_batch.h"
#include "stream/log.h"

namespace shopflow {

class CleanedReader {
public:
  CleanedReader(Log& log, size_t sinks, size_t batch_records, size_t kept_records);

  // The batch of `shard` that starts at `from`: at most batch_records records, its lines cleaned.
  // No records but next_offset past `from`: the log's own records were passed (Kafka's
  // transaction markers). nullptr when nothing new is there. Throws what the log's read throws.
  std::shared_ptr<const CleanedBatch> read(uint32_t shard, uint64_t from);
  size_t batch_records() const { return batch_records_; }
  uint64_t reads_from_log() const { return reads_from_log_; } // how many reads went to the log

private:
  struct Kept {
    std::shared_ptr<const CleanedBatch> batch;
    size_t records = 0;
    size_t taken = 0; // by how many sinks
  };
  struct Shard {
    std::mutex mutex;
    std::vector<Kept> kept; // by first_offset
    size_t records = 0;
  };

  Log& log_;
  size_t sinks_, batch_records_, kept_records_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<uint64_t> reads_from_log_{0};
};

} // namespace shopflow
