// Everything `shopflow serve` runs, as one object that the serve command and the main job share:
// the log, one consumer per sink, the HTTP API. DIR/SERVE holds the URL while it runs, so that a
// `shopflow batch` on the same data dir can hand its job to this process.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "api/api_service.h"
#include "api/http_server.h"
#include "pgwire/pg_server.h"
#include "query/postgres/pg_sql_service.h"
#include "storage/data_dir.h"
#include "pipeline/kafka_source.h"
#include "notify/dispatcher.h"
#include "notify/outbox.h"
#include "serve/notify_sources.h"
#include "pipeline/pipeline.h"
#include "serve/sinks.h"
#include "stream/local_log.h"

namespace shopflow {

struct ServeOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  LocalLogOptions log;
  LakeBuffering lake;
  ApiOptions api;
  HttpServerOptions http;    // host and port are taken from above
  bool auth = true;          // false: --insecure-no-auth
  AccessOptions access;
  std::string pg_host;       // with pg_port: the PostgreSQL protocol listener (needs auth)
  std::optional<uint16_t> pg_port;
  PgLimits pg;
  std::string public_url;    // --public-url; empty: the listener's own URL
  SinkSet sinks;             // --sinks
  std::string source;        // --source kafka://HOST:PORT/TOPIC: consumed into the (Kafka) log
  // A PostgreSQL warehouse: the role clients' SQL runs as (libpq conninfo); empty: the warehouse's own.
  std::string warehouse_reader;
  NotifyTiming notify; // with the notify sink
  std::optional<SmtpRelay> smtp; // --smtp: e-mail subscriptions' relay
  NotifySourceOptions notify_sources;
};

class Server {
public:
  Server(DataDir& dir, ServeOptions options); // starts everything
  ~Server();
  std::string url() const;
  uint16_t pg_port() const { return pg_ ? pg_->port() : 0; }
  // Access control (null with --insecure-no-auth): its issuer mints tokens for the main job.
  AccessControl* access() { return access_.get(); }
  Pipeline& pipeline() { return *pipeline_; }
  const KafkaSource* source() const { return source_.get(); }
  // Bytes of torn or corrupt log tail that recovery cut at start (0 after a clean stop).
  uint64_t log_truncated_bytes() const { return log_->truncated_bytes(); }
  // Stops accepting, drains every sink to the end of the log, stops the consumers. Returns false
  // if the drain timed out (what is left is stored on the next start).
  bool stop(int64_t drain_timeout_ms = 120'000);

private:
  DataDir& dir_;
  ServeOptions options_;
  std::unique_ptr<Log> log_;
  std::unique_ptr<Outbox> outbox_;         // with the notify sink: DIR/notify
  std::unique_ptr<Dispatcher> dispatcher_; // its deliveries
  std::unique_ptr<NotifySources> notify_sources_; // its events besides the log's rows
  std::unique_ptr<KafkaSource> source_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<AccessControl> access_;
  std::unique_ptr<Ingest> ingest_;
  std::unique_ptr<SqlRunner> sql_;   // the embedded warehouse's or PostgreSQL's
  SqlService* lake_views_ = nullptr; // the embedded one (pgwire's lake views)
  std::unique_ptr<HandedJobs> batch_jobs_;
  std::unique_ptr<ApiService> api_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<PgServer> pg_;
  bool stopped_ = false;
};

} // namespace shopflow
