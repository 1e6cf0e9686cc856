// `shopflow worker`: sinks fed from a log shared with serve nodes (a Kafka log), without the API:
// by default the warehouse and the lake, while serve nodes keep the tables for lookups. Each sink
// stores its offsets with its data, as in serve, so a worker stopped at any moment goes on where
// its sinks stopped. With a status address it answers GET /healthz and GET /metrics (the log's
// and the sinks' state, as serve's do) and nothing else.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include <atomic>

#include "api/http_server.h"
#include "pipeline/pipeline.h"
#include "serve/sinks.h"
#include "stream/kafka/kafka_log.h"
#include "storage/data_dir.h"

namespace shopflow {

struct WorkerOptions {
  LocalLogOptions log; // its shards: of a topic the worker creates
  LakeBuffering lake;
  SinkSet sinks{true, false, true};
  std::string status_host;             // with status_port: the /healthz and /metrics listener
  std::optional<uint16_t> status_port; // 0: any free port
};

class Worker {
public:
  // Throws std::invalid_argument when the data dir's log is not a shared one.
  Worker(DataDir& dir, WorkerOptions options); // starts the sinks
  ~Worker();
  Pipeline& pipeline() { return *pipeline_; }
  // The status listener's URL ("" without one).
  std::string status_url() const;
  // Drains every sink to the end of the log and stops. False if the drain timed out.
  bool stop(int64_t drain_timeout_ms);

private:
  HttpResponse answer(const HttpRequest& req);
  std::unique_ptr<Log> log_;
  // The shards of sinks kept in shared storage (a PostgreSQL warehouse, an S3 lake), shared with
  // the other workers of the log by Kafka's group assignment; polled by share_thread_.
  std::vector<std::unique_ptr<kafka::PartitionShare>> shares_;
  std::thread share_thread_;
  std::atomic<bool> share_stopping_{false};
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<HttpServer> status_;
  std::string data_dir_;
  bool stopped_ = false;
};

} // namespace shopflow
