// `shopflow worker --log kafka://... --data DIR`: the warehouse and lake sinks (by default) fed
// from a Kafka log that serve nodes append to, with no HTTP face. SIGTERM drains and stops.
#include <cstdio>

#include "cli/backend_options.h"
#include "cli/commands.h"
#include "cli/created_dir.h"
#include "cli/serving.h"
#include "serve/worker.h"
#include "util/log.h"

namespace shopflow {

void add_worker_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("worker", "Store a shared (Kafka) log into this data dir's sinks, without serving HTTP");
  struct Args {
    std::string data = kDefaultDataDir, sinks = "warehouse,lake", listen;
    BackendUrls backends;
    uint32_t shards = 4;
    LakeBuffering lake;
    double drain_timeout = 60;
    std::string log_level = "info", log_format = "text";
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--data", args->data, "Data directory")->capture_default_str();
  add_backend_options(cmd, args->backends);
  add_sinks_option(cmd, args->sinks);
  cmd->add_option("--listen", args->listen, "HOST:PORT for GET /healthz and GET /metrics (port 0: any free port)");
  cmd->add_option("--shards", args->shards, "Partitions of the log's topic if this creates it")->check(CLI::Range(1, 256))->capture_default_str();
  add_lake_options(cmd, args->lake);
  cmd->add_option("--drain-timeout", args->drain_timeout, "Seconds SIGTERM waits for the sinks to store the whole log")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  cmd->add_option("--log-level", args->log_level, "debug, info, warn, error or off")
      ->check(CLI::IsMember({"debug", "info", "warn", "error", "off"}))->capture_default_str();
  cmd->add_option("--log-format", args->log_format, "Log lines on stderr as text or json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  cmd->callback([args, &exit_code] {
    log::init(log::parse_level(args->log_level), args->log_format == "json" ? log::Format::Json : log::Format::Text);
    StopSignals stop; // before any thread starts
    CreatedDirGuard created(args->data);
    DataDir dir(args->data, "shopflow worker", args->backends);
    WorkerOptions options;
    options.log.shards = args->shards;
    options.lake = args->lake;
    options.sinks = parse_sink_set(args->sinks);
    if (!args->listen.empty()) {
      auto [host, port] = parse_listen(args->listen);
      options.status_host = host;
      options.status_port = port;
    }
    Worker worker(dir, options);
    created.keep();
    std::printf("shopflow worker: storing kafka://%s/%s into %s (data %s)%s%s\n", dir.backends().log.kafka_servers.c_str(),
                dir.backends().log.kafka_prefix.c_str(), options.sinks.text().c_str(), args->data.c_str(),
                args->listen.empty() ? "" : "; status on ", worker.status_url().c_str());
    std::fflush(stdout);
    int sig = stop.wait();
    std::fprintf(stderr, "shopflow worker: %s received; draining every sink to the end of the log\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    if (worker.stop(static_cast<int64_t>(args->drain_timeout * 1000))) {
      std::fprintf(stderr, "shopflow worker: drained, bye\n");
      return;
    }
    std::fprintf(stderr, "shopflow worker: the drain timed out after %g s; the sinks go on from their offsets on the next start\n",
                 args->drain_timeout);
    exit_code = 1;
  });
}

} // namespace shopflow
