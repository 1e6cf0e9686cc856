// `shopflow worker`: sinks fed from a log shared with serve nodes (a Kafka log), with no HTTP
// face: by default the warehouse and the lake, while serve nodes keep the tables for lookups.
// Each sink stores its offsets with its data, as in serve, so a worker stopped at any moment
// goes on where its sinks stopped.
#pragma once

#include <memory>

#include "pipeline/pipeline.h"
#include "serve/sinks.h"
#include "storage/data_dir.h"

namespace shopflow {

struct WorkerOptions {
  LocalLogOptions log; // its shards: of a topic the worker creates
  LakeBuffering lake;
  SinkSet sinks{true, false, true};
};

class Worker {
public:
  // Throws std::invalid_argument when the data dir's log is not a shared one.
  Worker(DataDir& dir, WorkerOptions options); // starts the sinks
  ~Worker();
  Pipeline& pipeline() { return *pipeline_; }
  // Drains every sink to the end of the log and stops. False if the drain timed out.
  bool stop(int64_t drain_timeout_ms);

private:
  std::unique_ptr<Log> log_;
  std::unique_ptr<Pipeline> pipeline_;
  bool stopped_ = false;
};

} // namespace shopflow
