// Decodes and cleans a run of log records of one shard with core's contract into the batch every
// sink consumer starts from (sinks/cleaned_batch.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sinks/cleaned_batch.h"
#include "stream/log.h"

namespace shopflow {

CleanedBatch clean_records(uint32_t shard, const std::vector<LogRecord>& records);

std::string stream_source_prefix(uint32_t shard); // "stream:<shard>:"

} // namespace shopflow
