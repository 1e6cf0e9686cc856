#include <atomic>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include <filesystem>

#include <simdjson.h>

#include "batch/inbox_watcher.h"
#include "cli/backend_options.h"
#include "cli/commands.h"
#include "cli/created_dir.h"
#include "cli/local_server.h"
#include "util/json_writer.h"

namespace shopflow {

namespace {
std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }
} // namespace

namespace {
// Sends the files (as absolute paths) to the server's /v1/admin/batch and prints its summaries.
int hand_over_to_server(const LocalServer& server, const std::vector<std::string>& files, bool force, bool json) {
  JsonWriter w;
  w.begin_object().field("force", force).key("files").begin_array();
  for (const std::string& file : files) w.value(std::filesystem::absolute(file).string());
  std::string body = w.end_array().end_object().take();
  std::fprintf(stderr, "the data dir is served by %s://%s:%u: handing the job to it\n", server.url.tls ? "https" : "http",
               server.url.host.c_str(), server.url.port);
  HttpResult r = server.post("/v1/admin/batch", body, "application/json");
  if (r.status != 200) throw std::runtime_error("the server refused the job: HTTP " + std::to_string(r.status) + " " + r.body);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(r.body);
  int failures = 0;
  for (auto result : doc["results"].get_array()) {
    std::string_view file = result["file"].get_string().value_unsafe();
    if (result["ok"].get_bool().value_unsafe()) {
      std::string out = json ? simdjson::minify(result["json"]) + "\n" : std::string(result["text"].get_string().value_unsafe());
      std::fwrite(out.data(), 1, out.size(), stdout);
    } else {
      ++failures;
      std::fprintf(stderr, "shopflow: %.*s: import failed, nothing of it was kept: %.*s\n", int(file.size()), file.data(),
                   int(result["error"].get_string().value_unsafe().size()), result["error"].get_string().value_unsafe().data());
    }
  }
  return failures ? 1 : 0;
}
} // namespace

void add_batch_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("batch", "Import CSV/NDJSON files into the warehouse, the lake and the tables");
  struct Args {
    std::vector<std::string> files;
    std::string data = kDefaultDataDir, watch;
    bool json = false, force = false;
    double interval = 1.0;
    BackendUrls backends;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("files", args->files, "Files to import (.csv, .ndjson; others are sniffed)");
  cmd->add_option("--data", args->data, "Data directory")->capture_default_str();
  add_backend_options(cmd, args->backends);
  cmd->add_flag("--json", args->json, "Print each file's summary as one JSON line");
  cmd->add_flag("--force", args->force, "Re-import content imported before, replacing its rows (content sent by `shopflow send`: stored again)");
  cmd->add_option("--watch", args->watch, "Watch an inbox folder; import each new complete file once");
  cmd->add_option("--interval", args->interval, "Inbox polling interval in seconds")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->callback([args, &exit_code] {
    if (args->files.empty() && args->watch.empty()) throw CLI::ValidationError("batch", "give FILE... or --watch DIR");
    std::string purpose = "shopflow batch " + (args->watch.empty() ? args->files.front() : "--watch " + args->watch);
    // A `shopflow serve` holding the data dir takes the job over HTTP instead.
    if (args->watch.empty())
      if (auto server = local_server(args->data, kScopeAdmin, "shopflow-batch")) {
        settle_backends(args->data, args->backends, false); // the server's are the recorded ones
        exit_code = hand_over_to_server(*server, args->files, args->force, args->json);
        return;
      }
    CreatedDirGuard created(args->data); // kept once something is imported (or watched for)
    DataDir dir(args->data, purpose, args->backends);
    if (const BackendLocation& log = dir.backends().log; log.kafka()) // its serve nodes' sinks would never see the rows
      throw std::invalid_argument("data dir " + args->data + " streams through a Kafka log shared with other nodes (kafka://" + log.kafka_servers +
                                  "/" + log.kafka_prefix + "), whose sinks a batch import into this data dir's would never reach: "
                                  "send the file into the log instead (shopflow send FILE --to URL)");
    ImportOptions options;
    options.force = args->force;
    auto print = [&](const FileSummary& s) {
      std::string text = args->json ? s.to_json() + "\n" : s.to_text();
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
    };
    if (!args->watch.empty()) {
      std::signal(SIGINT, on_signal);
      std::signal(SIGTERM, on_signal);
      WatchOptions w{args->watch, args->interval, options};
      InboxWatcher watcher(dir, w, [&](const std::string& file, const FileSummary* s, const std::string& error) {
        if (s) print(*s);
        else std::fprintf(stderr, "shopflow: %s failed: %s (moved to failed/)\n", file.c_str(), error.c_str());
      });
      std::fprintf(stderr, "watching %s (Ctrl-C to stop)\n", args->watch.c_str());
      created.keep();
      watcher.run(g_stop);
      exit_code = 0;
      return;
    }
    BatchImporter importer(dir);
    int failures = 0;
    for (auto& file : args->files) {
      try {
        print(importer.import_file(file, options));
        created.keep();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "shopflow: %s: import failed, nothing of it was kept: %s\n", file.c_str(), e.what());
        ++failures;
      }
    }
    exit_code = failures ? 1 : 0;
  });
}

} // namespace shopflow
