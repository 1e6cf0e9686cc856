// Which sinks a process runs (--sinks warehouse,tables,lake). By default every one; on a Kafka log
// shared by many nodes, serve nodes keep the tables (lookups) and a worker the warehouse and lake.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "notify/outbox.h"
#include "pipeline/notify_consumer.h"
#include "pipeline/sink_consumer.h"
#include "storage/data_dir.h"

namespace shopflow {

struct SinkSet {
  bool warehouse = true, tables = true, lake = true;
  bool notify = false; // the order events' outbox (notify/outbox.h), on request
  bool any() const { return warehouse || tables || lake || notify; }
  std::string text() const; // "warehouse,tables,lake"
};

// "warehouse,lake" -> {warehouse, lake}; throws std::invalid_argument naming an unknown sink.
SinkSet parse_sink_set(const std::string& list);

// One consumer per sink of `set`, over the data dir's sinks (the notify sink's: `outbox`, its
// timing: `notify`).
std::vector<std::unique_ptr<SinkConsumer>> make_sinks(DataDir& dir, const SinkSet& set, LakeBuffering lake, Outbox* outbox = nullptr,
                                                      NotifyTiming notify = {});

} // namespace shopflow
