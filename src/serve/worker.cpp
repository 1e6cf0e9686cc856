#include "serve/worker.h"

#include <stdexcept>

namespace shopflow {

Worker::Worker(DataDir& dir, WorkerOptions options) {
  if (!dir.backends().log.kafka())
    throw std::invalid_argument("a worker reads a log shared with serve nodes: give --log kafka://HOST:PORT/PREFIX "
                                "(the embedded log is read by the serve that holds the data dir)");
  if (!options.sinks.any()) throw std::invalid_argument("--sinks: a worker runs at least one sink");
  log_ = dir.open_log(options.log);
  pipeline_ = std::make_unique<Pipeline>(*log_, make_sinks(dir, options.sinks, log_->shard_count(), options.lake));
  pipeline_->start();
}

Worker::~Worker() { stop(0); }

bool Worker::stop(int64_t drain_timeout_ms) {
  if (stopped_) return true;
  stopped_ = true;
  bool drained = drain_timeout_ms > 0 && pipeline_->drain(drain_timeout_ms);
  pipeline_->stop();
  return drained;
}

} // namespace shopflow
