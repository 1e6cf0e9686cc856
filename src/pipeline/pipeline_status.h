// The log's and the sinks' state as /healthz and /metrics show it, for every process that runs a
// pipeline (serve, worker).
#pragma once

#include <functional>
#include <string>

#include "pipeline/pipeline.h"
#include "stream/log.h"
#include "util/json_writer.h"

namespace shopflow {

// Writes "status": "ok" or "degraded", "log": {state...} and "sinks": [{sink, state,
// lag_records, stored_offsets}] into the open object `w`; returns whether anything is failing. `shown` rewrites an error for clients
// (the data dir's path written DIR).
bool write_pipeline_health(JsonWriter& w, Log& log, const Pipeline& pipeline, const std::function<std::string(std::string)>& shown);

// Prometheus text: the log's syncs, end offsets and write failures; per sink its lag by shard,
// whether it is failing and its failed passes.
void render_pipeline_metrics(std::string& out, Log& log, const Pipeline& pipeline);

} // namespace shopflow
