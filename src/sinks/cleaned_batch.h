// What a sink stores from the stream: a run of log records of one shard, decoded and cleaned (by
// pipeline/clean_records.h): the lines bound for transactions and cancellations as columns
// (source "stream:<shard>:<offset>"), and the rejected rows, with the offsets they cover.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sinks/line_columns.h"

namespace shopflow {

struct RejectedRow {
  std::string source, raw, reason, detail;
  int64_t received_at_us = 0;
};

struct CleanedBatch {
  uint32_t shard = 0;
  uint64_t first_offset = 0, next_offset = 0; // the records covered: [first_offset, next_offset)
  std::shared_ptr<LineColumns> transactions, cancellations;
  std::vector<RejectedRow> rejected;
  uint64_t undecodable = 0; // records that were not log rows (counted as rejected malformed)
};

// The records a list of batches covers per shard, in the order the shards first appear: a shard's
// batches must follow each other (each first_offset the previous next_offset; std::logic_error
// otherwise), and its range is [first of the first, next of the last).
struct ShardRange {
  uint32_t shard = 0;
  uint64_t first_offset = 0, next_offset = 0;
};
std::vector<ShardRange> shard_ranges(const std::vector<CleanedBatch>& batches);

} // namespace shopflow
