// `shopflow serve`: the streaming path. HTTP ingest appends to the durable log; one consumer per
// sink moves the log into the warehouse, the lake and the tables; GETs answer from the tables.
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "serve/server.h"
#include "cli/backend_options.h"
#include "cli/commands.h"
#include "cli/created_dir.h"
#include "util/log.h"
#include "cli/serving.h"

namespace shopflow {

void add_serve_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("serve", "Serve the HTTP API: ingest into the log, consumers into every sink, lookups");
  struct Args {
    std::string data = kDefaultDataDir, listen = "127.0.0.1:8080", durability = "fsync";
    int64_t commit_delay_us = LocalLogOptions{}.commit_delay_us;
    uint32_t shards = 4;
    uint64_t segment_mb = 64;
    size_t max_body = 8u << 20, max_records = 10'000;
    LakeBuffering lake;
    double notify_quiet_s = 300, notify_lag_s = 60, notify_reject_window_s = 60;
    uint64_t notify_lag_records = NotifySourceOptions{}.lag_records;
    std::string smtp, notify_report_at = "00:15";
    double retention_hours = 168, retention_gb = 16;
    AccessArgs access;
    QueryArgs query;
    std::string pg_listen, public_url, web_root, currency = "GBP";
    PgLimits pg;
    std::string tls_cert, tls_key;
    int idle_timeout = 60, request_timeout = 30;
    size_t max_connections = 1024;
    double drain_timeout = 60;
    std::string log_level = "info", log_format = "text";
    BackendUrls backends;
    std::string sinks = SinkSet{}.text();
    std::string source, warehouse_reader;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--data", args->data, "Data directory")->capture_default_str();
  add_backend_options(cmd, args->backends);
  add_sinks_option(cmd, args->sinks);
  cmd->add_option("--source", args->source,
                  "kafka://HOST:PORT/TOPIC: also consume this topic of JSON order records into the log, exactly once (needs --log kafka://)");
  cmd->add_option("--listen", args->listen, "HOST:PORT to listen on (port 0: any free port)")->capture_default_str();
  cmd->add_option("--shards", args->shards, "Log shards (fixed when the log is created)")->check(CLI::Range(1, 256))->capture_default_str();
  cmd->add_option("--segment-mb", args->segment_mb, "Size of a log segment file in MiB (retention deletes whole segments)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{4096}))->capture_default_str();
  cmd->add_option("--durability", args->durability, "fsync: answer after the data is on disk; async: before")
      ->check(CLI::IsMember({"fsync", "async"}))->capture_default_str();
  cmd->add_option("--commit-delay-us", args->commit_delay_us,
                  "Under concurrent load, how long a log sync waits for more appends to join it (0: never)")
      ->check(CLI::Range(int64_t{0}, int64_t{100'000}))->capture_default_str();
  cmd->add_option("--max-body", args->max_body, "Largest request body in bytes (413 above)")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--max-records", args->max_records, "Most records per request (413 above)")->check(CLI::PositiveNumber)->capture_default_str();
  add_lake_options(cmd, args->lake);
  cmd->add_option("--retention-hours", args->retention_hours, "Log retention by age (records no sink has stored are kept)")
      ->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--retention-gb", args->retention_gb, "Log retention by size, per shard")->check(CLI::PositiveNumber)->capture_default_str();
  args->access.add_to(cmd);
  args->query.add_to(cmd);
  cmd->add_option("--public-url", args->public_url, "The URL clients reach this server at (behind a proxy): the OpenID configuration's base")
      ->check([](const std::string& u) { return u.starts_with("http://") || u.starts_with("https://") ? "" : "expected http://... or https://..."; });
  cmd->add_option("--notify-quiet-s", args->notify_quiet_s,
                  "With the notify sink: an order is reported once no line of it came for this many seconds")
      ->check(CLI::Range(0.05, 86400.0))->capture_default_str();
  cmd->add_option("--notify-reject-window-s", args->notify_reject_window_s,
                  "With the notify sink: rows.rejected reports the stream's rejected rows of each window this long")
      ->check(CLI::Range(1.0, 86400.0))->capture_default_str();
  cmd->add_option("--smtp", args->smtp,
                  "With the notify sink: the relay for e-mail subscriptions, smtp://[USER@]HOST[:PORT]?from=ADDRESS[&cafile=PEM] "
                  "(STARTTLS required; smtps:// for TLS from the start; the password in SHOPFLOW_SMTP_PASSWORD)");
  cmd->add_option("--notify-lag-records", args->notify_lag_records,
                  "With the notify sink: sink.lagging once a sink is this many records behind (or failing) for --notify-lag-s")
      ->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--notify-lag-s", args->notify_lag_s, "With the notify sink: how long a sink may be behind before sink.lagging")
      ->check(CLI::Range(0.0, 86400.0))->capture_default_str();
  cmd->add_option("--notify-report-at", args->notify_report_at, "With the notify sink: when (HH:MM, UTC) report.daily reports yesterday")
      ->check(CLI::Validator([](std::string& v) {
        unsigned h = 0, m = 0;
        char tail = 0;
        return v.size() == 5 && std::sscanf(v.c_str(), "%2u:%2u%c", &h, &m, &tail) == 2 && h < 24 && m < 60 ? "" : "a time of day is HH:MM (00:00 to 23:59)";
      }, "HH:MM"))
      ->capture_default_str();
  cmd->add_option("--warehouse-reader", args->warehouse_reader,
                  "postgresql://READER@HOST:PORT/DB: the role clients' SQL runs as on a PostgreSQL warehouse (SELECT only; "
                  "default: the warehouse's own role)");
  cmd->add_option("--pg-listen", args->pg_listen, "HOST:PORT for PostgreSQL clients (psql, BI tools); database shopflow");
  cmd->add_option("--pg-max-connections", args->pg.max_connections, "PostgreSQL sessions at once (53300 above)")
      ->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--pg-login-timeout", args->pg.startup_timeout_s, "Seconds a PostgreSQL client may take for each login message")
      ->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--currency", args->currency, "The ISO 4217 code the dashboard shows money in")
      ->check(CLI::Validator([](std::string& v) { return v.size() == 3 && std::all_of(v.begin(), v.end(), ::isupper) ? "" : "a currency is three capital letters (ISO 4217), such as GBP or EUR"; }, "CODE"));
  cmd->add_option("--web-root", args->web_root, "Serve the dashboard from this folder instead of the installed one")->check(CLI::ExistingDirectory);
  cmd->add_option("--pg-idle-timeout", args->pg.idle_timeout_s, "Seconds a PostgreSQL session may wait between messages")
      ->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--tls-cert", args->tls_cert, "PEM certificate chain: serve HTTPS only (with --tls-key)")->check(CLI::ExistingFile);
  cmd->add_option("--tls-key", args->tls_key, "PEM private key of --tls-cert")->check(CLI::ExistingFile);
  cmd->add_option("--idle-timeout", args->idle_timeout, "Seconds a kept-alive connection may wait for its next request")
      ->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--request-timeout", args->request_timeout, "Seconds a request may take to arrive once begun (408 after)")
      ->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--max-connections", args->max_connections, "Open connections at most (503 above)")
      ->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--drain-timeout", args->drain_timeout,
                  "Seconds SIGTERM waits for the sinks to store the whole log (what is left is stored on the next start)")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  cmd->add_option("--log-level", args->log_level, "debug, info (one line per request), warn, error or off")
      ->check(CLI::IsMember({"debug", "info", "warn", "error", "off"}))->capture_default_str();
  cmd->add_option("--log-format", args->log_format, "Log lines on stderr as text or json")->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->callback([args, &exit_code] {
    log::init(log::parse_level(args->log_level), args->log_format == "json" ? log::Format::Json : log::Format::Text);
    auto [host, port] = parse_listen(args->listen);
    StopSignals stop; // before any thread starts
    args->query.limit_memory();

    CreatedDirGuard created(args->data); // removed again if serve cannot start (a busy port, say)
    DataDir dir(args->data, "shopflow serve --listen " + args->listen, args->backends);
    ServeOptions options;
    options.host = host;
    options.port = port;
    options.log.shards = args->shards;
    options.log.segment_bytes = args->segment_mb << 20;
    options.log.durability = args->durability == "fsync" ? Durability::Fsync : Durability::Async;
    options.log.commit_delay_us = args->commit_delay_us;
    options.log.retention_ms = static_cast<int64_t>(args->retention_hours * 3600 * 1000);
    options.log.retention_bytes = static_cast<uint64_t>(args->retention_gb * (1ull << 30));
    options.lake = args->lake;
    options.api.max_records_per_request = args->max_records;
    options.api.sql = args->query.ceilings();
    options.http.max_body_bytes = args->max_body;
    options.http.tls_cert_file = args->tls_cert;
    options.http.tls_key_file = args->tls_key;
    options.http.idle_timeout_seconds = args->idle_timeout;
    options.http.request_timeout_seconds = args->request_timeout;
    options.http.max_connections = args->max_connections;
    options.auth = !args->access.no_auth;
    options.public_url = args->public_url;
    options.sinks = parse_sink_set(args->sinks);
    options.notify.quiet_ms = static_cast<int64_t>(args->notify_quiet_s * 1000);
    options.notify.reject_window_ms = static_cast<int64_t>(args->notify_reject_window_s * 1000);
    options.notify_sources.lag_records = args->notify_lag_records;
    options.notify_sources.lag_ms = static_cast<int64_t>(args->notify_lag_s * 1000);
    options.notify_sources.report_at_minute = std::stoi(args->notify_report_at.substr(0, 2)) * 60 + std::stoi(args->notify_report_at.substr(3));
    if (!args->smtp.empty()) {
      if (!options.sinks.notify) throw std::invalid_argument("--smtp delivers the notify sink's e-mail: give --sinks ...,notify too");
      const char* password = std::getenv("SHOPFLOW_SMTP_PASSWORD");
      options.smtp = parse_smtp_relay(args->smtp, password ? password : "");
    }
    options.source = args->source;
    if (!args->warehouse_reader.empty()) {
      if (!dir.backends().warehouse.postgres())
        throw std::invalid_argument("--warehouse-reader is for a PostgreSQL warehouse (--warehouse postgresql://...); this one is DuckDB's");
      BackendLocation reader = parse_backend_url(BackendRole::Warehouse, args->warehouse_reader, args->data);
      if (!reader.postgres()) throw std::invalid_argument("--warehouse-reader '" + args->warehouse_reader + "': not a postgresql:// URL");
      options.warehouse_reader = reader.postgres_conninfo;
    }
    options.pg = args->pg;
    options.api.web_root = args->web_root;
    options.api.currency = args->currency;
    if (!args->pg_listen.empty()) {
      try {
        std::tie(options.pg_host, options.pg_port) = parse_listen(args->pg_listen);
      } catch (const CLI::ValidationError&) {
        throw CLI::ValidationError("--pg-listen", "expected HOST:PORT, got \"" + args->pg_listen + "\"");
      }
    }
    options.access = args->access.options();
    if (args->access.no_auth)
      std::fprintf(stderr, "shopflow serve: WARNING: --insecure-no-auth: anyone who can reach %s can read and write\n", args->listen.c_str());
    Server server(dir, options);
    created.keep();
    std::printf("shopflow serve: listening on %s (data %s, %u shards, durability %s, %s)\n", server.url().c_str(),
                args->data.c_str(), args->shards, args->durability.c_str(),
                args->access.no_auth ? "NO authentication" : "tokens required: shopflow clients add NAME --scopes ...");
    if (server.pg_port()) std::printf("shopflow serve: PostgreSQL protocol on %s:%u (database shopflow)\n", options.pg_host.c_str(), server.pg_port());
    if (options.sinks.notify)
      std::printf("shopflow serve: notifications on (shopflow notify add ...); e-mail %s\n",
                  options.smtp ? ("through " + options.smtp->text()).c_str() : "off (--smtp)");
    if (uint64_t cut = server.log_truncated_bytes())
      std::fprintf(stderr, "shopflow serve: recovery cut a torn log tail of %llu bytes (a write that was never acknowledged with fsync durability)\n",
                   static_cast<unsigned long long>(cut));
    std::fflush(stdout);

    int sig = stop.wait();
    std::fprintf(stderr, "shopflow serve: %s received; draining every sink to the end of the log\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    if (server.stop(static_cast<int64_t>(args->drain_timeout * 1000))) {
      std::fprintf(stderr, "shopflow serve: drained, bye\n");
      return;
    }
    // Nothing acknowledged is lost: the log keeps it and the sinks store it on the next start.
    std::fprintf(stderr, "shopflow serve: the drain timed out after %g s; left in the log for the next start:\n", args->drain_timeout);
    for (auto& sink : server.pipeline().status()) {
      std::fprintf(stderr, "  %-9s %llu records not yet stored", sink.name.c_str(), static_cast<unsigned long long>(sink.total_lag()));
      if (sink.failures.failing_since_ms) std::fprintf(stderr, " (failing: %s)", sink.failures.error.c_str());
      std::fprintf(stderr, "\n");
    }
    exit_code = 1;
  });
}

} // namespace shopflow
