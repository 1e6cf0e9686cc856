// A run of log records of one shard, decoded and cleaned with core: the lines bound for
// transactions and cancellations as columns (source "stream:<shard>:<offset>"), and the rejected
// rows. Every sink consumer starts from one of these.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sinks/line_columns.h"
#include "stream/log.h"

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

CleanedBatch clean_records(uint32_t shard, const std::vector<LogRecord>& records);

std::string stream_source_prefix(uint32_t shard); // "stream:<shard>:"

} // namespace shopflow
