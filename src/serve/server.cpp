#include "serve/server.h"

#include <filesystem>
#include <fstream>

#include "util/log.h"

namespace fs = std::filesystem;

namespace shopflow {

Server::Server(DataDir& dir, ServeOptions options) : dir_(dir), options_(std::move(options)) {
  if (options_.pg_port && !options_.auth)
    throw std::invalid_argument("--pg-listen needs access control (its users are clients); drop --insecure-no-auth");
  if (options_.pg_port && !options_.sinks.warehouse)
    throw std::invalid_argument("--pg-listen answers from the warehouse, which this node does not keep (--sinks " + options_.sinks.text() +
                                "): listen where the warehouse sink runs");
  const BackendLocation& warehouse = dir.backends().warehouse;
  if (options_.pg_port && warehouse.postgres())
    throw std::invalid_argument("--pg-listen speaks for the embedded warehouse; this one is PostgreSQL: let clients connect to it");
  options_.api.has_tables = options_.sinks.tables;
  // A PostgreSQL warehouse answers every node's SQL, wherever its sink runs.
  options_.api.has_warehouse = options_.sinks.warehouse || warehouse.postgres();
  if (options_.auth) access_ = std::make_unique<AccessControl>(dir.path(), options_.access); // first: it may refuse a bad JWKS
  log_ = dir.open_log(options_.log);
  if (!options_.source.empty()) {
    auto* kafka_log = dynamic_cast<KafkaLog*>(log_.get());
    if (!kafka_log)
      throw std::invalid_argument("--source needs the log on the source topic's Kafka cluster: give --log kafka://HOST:PORT/PREFIX too");
    BackendLocation from = parse_kafka_url("--source", "kafka://HOST:PORT[,HOST:PORT...]/TOPIC", options_.source);
    source_ = std::make_unique<KafkaSource>(
        *kafka_log, KafkaSourceOptions{.servers = from.kafka_servers, .topic = from.kafka_prefix,
                                       .transactional_id = "shopflow-source-" + kafka_log->prefix() + "-" + dir.node_id()});
  }
  if (options_.sinks.notify) outbox_ = std::make_unique<Outbox>((std::filesystem::path(dir.path()) / "notify").string());
  pipeline_ = std::make_unique<Pipeline>(*log_, make_sinks(dir, options_.sinks, options_.lake, outbox_.get(), options_.notify));
  pipeline_->start();
  HttpServerOptions http = options_.http;
  http.host = options_.host;
  http.port = options_.port;
  options_.api.tls = !http.tls_cert_file.empty();
  if (options_.api.web_root.empty()) { // the dashboard installed beside the binary (build/share/shopflow/web)
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    for (const fs::path& candidate : {exe.parent_path() / "share/shopflow/web", exe.parent_path().parent_path() / "share/shopflow/web"})
      if (!ec && fs::exists(candidate / "index.html")) {
        options_.api.web_root = candidate.string();
        break;
      }
  }
  ingest_ = std::make_unique<Ingest>(*log_);
  if (warehouse.postgres()) {
    if (options_.warehouse_reader.empty())
      log::warn("warehouse_sql_as_owner", {{"detail", "clients' SQL runs as the warehouse's own role, which may cancel or end "
                                                      "its other sessions (the sink's): give --warehouse-reader a SELECT-only role"}});
    sql_ = std::make_unique<PgSqlService>(options_.warehouse_reader.empty() ? warehouse.postgres_conninfo : options_.warehouse_reader,
                                          !options_.warehouse_reader.empty());
  } else {
    auto embedded = std::make_unique<SqlService>(dir.warehouse().database(), dir.lake(), dir.sql_answers_dir());
    lake_views_ = embedded.get();
    sql_ = std::move(embedded);
  }
  batch_jobs_ = std::make_unique<HandedJobs>(dir);
  NotifyAccess notify;
  if (outbox_) {
    Dispatcher::Options delivery;
    delivery.smtp = options_.smtp;
    dispatcher_ = std::make_unique<Dispatcher>(*outbox_, delivery);
    notify_sources_ = std::make_unique<NotifySources>(*outbox_, dir.path(), *pipeline_, options_.api.has_warehouse ? sql_.get() : nullptr,
                                                      options_.notify_sources);
    notify = {outbox_.get(), dispatcher_.get(), nullptr};
    if (options_.api.has_warehouse) notify.report_daily = [s = notify_sources_.get()](const std::string& day) { return s->report_daily(day); };
  }
  api_ = std::make_unique<ApiService>(dir, *log_, *pipeline_, *ingest_, *sql_, *batch_jobs_, options_.api, access_.get(), std::move(notify));
  if (dispatcher_) api_->add_metrics([d = dispatcher_.get()](std::string& out) { d->render_metrics(out); });
  if (options_.pg_port) { // before the HTTP API answers: its /metrics include pgwire's
    pg_ = std::make_unique<PgServer>(options_.pg_host, *options_.pg_port, dir.warehouse().database(), *lake_views_, access_->clients(),
                                     options_.api.sql, options_.pg, http.tls_cert_file, http.tls_key_file);
    pg_->start();
    api_->add_metrics([pg = pg_.get()](std::string& out) { pg->render_metrics(out); });
  }
  http_ = std::make_unique<HttpServer>(http, [this](HttpRequest&& req, HttpServer::Reply reply) { api_->handle(std::move(req), std::move(reply)); });
  http_->start();
  api_->set_public_url(options_.public_url.empty() ? url() : options_.public_url); // the port is known once bound
  std::ofstream(fs::path(dir.path()) / "SERVE") << url() << "\n";
}

Server::~Server() { stop(); }

std::string Server::url() const {
  return (options_.api.tls ? "https://" : "http://") + options_.host + ":" + std::to_string(http_->port());
}

bool Server::stop(int64_t drain_timeout_ms) {
  if (stopped_) return true;
  stopped_ = true;
  http_->stop();
  if (pg_) pg_->stop();
  source_.reset(); // what it read but did not commit is read again on the next start
  bool drained = pipeline_->drain(drain_timeout_ms);
  pipeline_->stop();
  notify_sources_.reset();
  dispatcher_.reset(); // queued deliveries go on at the next start
  std::error_code ec;
  fs::remove(fs::path(dir_.path()) / "SERVE", ec);
  return drained;
}

} // namespace shopflow
