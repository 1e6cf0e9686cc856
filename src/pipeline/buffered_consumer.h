// Gathers passes for a sink whose cost per write falls steeply with its size, and hands them on
// as one apply() once `max_lines` lines wait or the oldest waited `max_age_ms` (or on a forced
// flush: drain, shutdown). The inner sink then gets several batches of a shard, in offset order
// (see shard_ranges()). Nothing buffered counts as stored: committed_offset() is the inner sink's,
// so a crash loses only what is read again from the log.
#pragma once

#include <cstdint>
#include <memory>

#include "pipeline/sink_consumer.h"

namespace shopflow {

struct SinkBuffering {
  uint64_t max_lines = 0;
  int64_t max_age_ms = 0;
};

std::unique_ptr<SinkConsumer> make_buffered_consumer(std::unique_ptr<SinkConsumer> inner, SinkBuffering buffering);

} // namespace shopflow
