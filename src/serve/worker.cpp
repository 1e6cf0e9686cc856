#include "serve/worker.h"

#include <stdexcept>

#include "api/metrics.h"
#include "pipeline/pipeline_status.h"
#include "util/json_writer.h"

namespace shopflow {

Worker::Worker(DataDir& dir, WorkerOptions options) {
  if (!dir.backends().log.kafka())
    throw std::invalid_argument("a worker reads a log shared with serve nodes: give --log kafka://HOST:PORT/PREFIX "
                                "(the embedded log is read by the serve that holds the data dir)");
  if (!options.sinks.any()) throw std::invalid_argument("--sinks: a worker runs at least one sink");
  if (options.sinks.notify) throw std::invalid_argument("--sinks: notify runs in serve (its subscriptions are managed there)");
  log_ = dir.open_log(options.log);
  pipeline_ = std::make_unique<Pipeline>(*log_, make_sinks(dir, options.sinks, options.lake));
  // A PostgreSQL warehouse and an S3 lake are every worker's: each shard of such a sink is stored
  // by one of them at a time, chosen by Kafka's group assignment (one group per sink). A sink in
  // this worker's own folders keeps every shard.
  auto& kafka_log = dynamic_cast<KafkaLog&>(*log_);
  for (auto [sink, shared] : {std::pair{"warehouse", options.sinks.warehouse && dir.backends().warehouse.postgres()},
                              std::pair{"lake", options.sinks.lake && dir.backends().lake.s3_lake()}}) {
    if (!shared) continue;
    auto& share = *shares_.emplace_back(std::make_unique<kafka::PartitionShare>(
        kafka::Settings{{"bootstrap.servers", kafka_log.servers()}}, "shopflow-sinks." + kafka_log.prefix() + "." + sink, dir.node_id(),
        kafka_log.topic()));
    pipeline_->share(sink, {[&share] { return share.generation(); },
                            [&share] {
                              std::vector<uint32_t> shards;
                              for (int32_t p : share.owned()) shards.push_back(static_cast<uint32_t>(p));
                              return shards;
                            },
                            [&share](uint64_t generation) { share.released(generation); }});
  }
  data_dir_ = dir.path();
  if (options.status_port) {
    HttpServerOptions http;
    http.host = options.status_host;
    http.port = *options.status_port;
    http.max_body_bytes = 0;
    status_ = std::make_unique<HttpServer>(http, [this](HttpRequest&& req, HttpServer::Reply reply) { reply(answer(req)); });
    status_->start();
  }
  // Threads last: a listener that cannot bind throws before any is running.
  if (!shares_.empty())
    share_thread_ = std::thread([this] {
      while (!share_stopping_)
        for (auto& share : shares_) share->poll(100 / static_cast<int>(shares_.size()));
    });
  pipeline_->start();
}

std::string Worker::status_url() const { return status_ ? "http://" + status_->options().host + ":" + std::to_string(status_->port()) : ""; }

HttpResponse Worker::answer(const HttpRequest& req) {
  HttpResponse res;
  res.version(req.version());
  if (req.method() != boost::beast::http::verb::get) {
    json_response(res, 405, error_json("a worker answers GET /healthz and GET /metrics only"));
  } else if (req.target() == "/healthz") {
    JsonWriter w;
    w.begin_object();
    bool degraded = write_pipeline_health(w, *log_, *pipeline_, [this](std::string error) {
      for (size_t at; (at = error.find(data_dir_)) != std::string::npos;) error.replace(at, data_dir_.size(), "DIR");
      return error;
    });
    json_response(res, degraded ? 503 : 200, w.end_object().take());
  } else if (req.target() == "/metrics") {
    std::string out;
    render_pipeline_metrics(out, *log_, *pipeline_);
    render_process_metrics(out);
    res.result(200);
    res.set(boost::beast::http::field::content_type, "text/plain; version=0.0.4");
    res.body() = std::move(out);
  } else {
    json_response(res, 404, error_json("a worker answers GET /healthz and GET /metrics only"));
  }
  res.prepare_payload();
  return res;
}

Worker::~Worker() { stop(0); }

bool Worker::stop(int64_t drain_timeout_ms) {
  if (stopped_) return true;
  stopped_ = true;
  if (status_) status_->stop();
  bool drained = drain_timeout_ms > 0 && pipeline_->drain(drain_timeout_ms);
  pipeline_->stop();
  if (share_thread_.joinable()) { // leaving the groups hands this worker's shards to the others at once
    share_stopping_ = true;
    share_thread_.join();
    shares_.clear();
  }
  return drained;
}

} // namespace shopflow
