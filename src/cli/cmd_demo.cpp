// The main job (README command 1): generate the seed's dataset size, stream half of it through
// the HTTP API of an in-process server and batch-import the other half, wait until every sink
// holds everything, print the summaries and an analytics report (equal to a pure batch import of
// the same rows), then keep serving until Ctrl-C (or exit at once with --once).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <simdjson.h>

#include "client/sender.h"
#include "serve/server.h"
#include "auth/client_store.h"
#include "batch/importer.h"
#include "cli/commands.h"
#include "cli/serving.h"
#include "gen/generator.h"
#include "query/report.h"
#include "util/json_writer.h"
#include "util/durable_file.h"
#include "util/log.h"
#include "util/read_file.h"

namespace fs = std::filesystem;

namespace shopflow {

namespace {
// Writes the generated rows once, and its two halves (each with the header), under DIR/generated.
std::pair<fs::path, fs::path> generated_halves(const fs::path& dir, uint64_t rows, uint64_t seed) {
  fs::create_directories(dir / "generated");
  std::string stem = fmt::format("online_retail_{}rows_seed{}", rows, seed);
  fs::path stream = dir / "generated" / (stem + "_stream_half.csv"), batch = dir / "generated" / (stem + "_batch_half.csv");
  if (fs::exists(stream) && fs::exists(batch)) return {stream, batch};
  std::printf("Generating %llu realistic rows into %s ...\n", static_cast<unsigned long long>(rows), (dir / "generated").c_str());
  std::string all;
  GeneratorOptions g;
  g.rows = rows;
  g.seed = seed;
  generate(g, [&](std::string_view block) { all.append(block); });
  size_t header_end = all.find('\n') + 1;
  // The generator writes one row per line; split at the middle line.
  size_t middle = all.find('\n', header_end + (all.size() - header_end) / 2) + 1;
  for (auto [path, text] : {std::pair{stream, all.substr(0, middle)},
                            std::pair{batch, all.substr(0, header_end) + all.substr(middle)}}) {
    fs::path tmp = path.string() + ".tmp";
    std::ofstream(tmp, std::ios::binary) << text;
    fs::rename(tmp, path);
  }
  return {stream, batch};
}
} // namespace

void add_main_job(CLI::App& app, int& exit_code) {
  struct Args {
    std::string data = kDefaultDataDir, listen = "127.0.0.1:8080";
    uint64_t rows = 541'909, seed = 1;
    bool once = false;
  };
  auto args = std::make_shared<Args>();
  app.add_option("--data", args->data, "Data directory (main job)")->capture_default_str();
  app.add_option("--rows", args->rows, "Rows to generate (main job)")->check(CLI::Range(uint64_t(2), uint64_t(1) << 40))->capture_default_str();
  app.add_option("--seed", args->seed, "Generator seed (main job)")->capture_default_str();
  app.add_option("--listen", args->listen, "HOST:PORT of the main job's server")->capture_default_str();
  app.add_flag("--once", args->once, "Exit after the report instead of serving until Ctrl-C");
  app.callback([args, &app, &exit_code] {
    if (!app.get_subcommands().empty()) return;
    auto [host, port] = parse_listen(args->listen);
    log::init(log::Level::Warn, log::Format::Text); // the report is the output: no line per request
    StopSignals stop; // before any thread starts
    QueryArgs{}.limit_memory();

    auto [stream_half, batch_half] = generated_halves(args->data, args->rows, args->seed);
    DataDir data(args->data, "shopflow main job (serving " + args->listen + ")");
    ServeOptions options;
    options.host = host;
    options.port = port;
    Server server(data, options);
    // A demo client and a token for it: the sender and the curl lines use it. Its id and secret
    // are kept in DIR/demo-client.json (0600), so that every run can say how to sign in to the
    // dashboard; without that file (or if its secret no longer works) the demo client gets a new one.
    ClientStore clients(data.path());
    const fs::path demo_file = fs::absolute(data.path()) / "demo-client.json";
    std::string demo_secret;
    {
      simdjson::dom::parser parser;
      std::string_view id, secret;
      std::optional<std::string> kept = read_file(demo_file);
      simdjson::dom::element doc;
      std::optional<Client> demo = clients.find("demo");
      if (kept && demo && !parser.parse(*kept).get(doc) && !doc["client_id"].get_string().get(id) &&
          !doc["client_secret"].get_string().get(secret) && demo->client_id == id && clients.authenticate(demo->client_id, std::string(secret)))
        demo_secret = std::string(secret);
    }
    if (demo_secret.empty()) {
      NewClient made = clients.find("demo") ? clients.rotate("demo") : clients.add("demo", kScopeIngest | kScopeRead | kScopeSql);
      demo_secret = made.secret;
      replace_file_durably(demo_file,
                           JsonWriter().begin_object().field("client_id", made.client.client_id).field("client_secret", made.secret)
                                   .end_object().take() + "\n",
                           0600);
    }
    const Client demo = *clients.find("demo");
    int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const std::string token = server.access()->issuer().mint(demo.client_id, demo.scopes, now_s, 3600).access_token;
    std::printf("Serving on %s. Streaming %s through HTTP while batch-importing %s ...\n", server.url().c_str(),
                stream_half.filename().c_str(), batch_half.filename().c_str());
    std::fflush(stdout);

    SendSummary sent;
    std::exception_ptr send_error;
    std::thread sender([&] {
      try {
        SendOptions o;
        o.url = server.url();
        o.token = token;
        o.progress = false;
        sent = send_file(stream_half.string(), o);
      } catch (...) {
        send_error = std::current_exception();
      }
    });
    FileSummary imported;
    try {
      BatchImporter importer(data);
      ImportOptions o;
      o.progress = false;
      imported = importer.import_file(batch_half.string(), o);
    } catch (...) {
      sender.join();
      throw;
    }
    sender.join();
    if (send_error) std::rethrow_exception(send_error);
    if (!server.pipeline().drain(300'000)) throw std::runtime_error("the sinks did not catch up within 5 minutes");

    std::printf("\n== Streamed through HTTP ==\n%s", sent.to_text().c_str());
    std::printf("\n== Batch import ==\n%s", imported.to_text().c_str());
    DuckConnection con(data.warehouse().database());
    std::printf("%s", analytics_report(con).c_str());
    exit_code = sent.failed ? 1 : 0;
    if (args->once) {
      std::printf("\nThe dashboard's demo client (for shopflow serve --data %s): client id %s, secret %s (kept in %s)\n",
                  fs::absolute(args->data).c_str(), demo.client_id.c_str(), demo_secret.c_str(), demo_file.c_str());
      server.stop();
      return;
    }
    std::string url = server.url();
    // Examples that exist in this data: the first line stored.
    DuckResult first = con.query("SELECT invoice_no, stock_code, customer_id FROM transactions WHERE customer_id <> 'Unknown' "
                                 "ORDER BY invoice_date, source LIMIT 1");
    std::string invoice = first.row_count() ? first.text(0, 0) : "536365";
    std::string code = first.row_count() ? first.text(1, 0) : "85123A";
    std::string customer = first.row_count() ? first.text(2, 0) : "17850";
    // Hints are commands that work from anywhere: the binary and the data dir by absolute path.
    std::error_code ec;
    std::string exe = fs::read_symlink("/proc/self/exe", ec).string();
    if (ec) exe = "shopflow";
    const std::string dir = fs::absolute(args->data).string();
    std::printf("\nshopflow is serving %s (Ctrl-C to stop). Every route needs a token.\n"
                "Dashboard: %s/ -- sign in with the demo client:\n"
                "  client id %s\n  secret    %s\n  (kept in %s; a new secret: %s clients rotate demo --data %s)\n"
                "A token valid for an hour (or: %s token demo --data %s):\n  TOKEN=%s\n"
                "  curl -H \"Authorization: Bearer $TOKEN\" %s/v1/invoices/%s\n",
                url.c_str(), url.c_str(), demo.client_id.c_str(), demo_secret.c_str(), demo_file.c_str(), exe.c_str(), dir.c_str(),
                exe.c_str(), dir.c_str(), token.c_str(), url.c_str(), invoice.c_str());
    std::printf("  curl -H \"Authorization: Bearer $TOKEN\" %s/v1/customers/%s\n"
                "  curl -H \"Authorization: $TOKEN\" '%s/v1/compat/transactions?InvoiceNo=%s&StockCode=%s'\n"
                "  curl %s/metrics\n"
                "  %s send FILE.csv --url %s --token $TOKEN\n"
                "  curl -H \"Authorization: Bearer $TOKEN\" -H 'Accept: text/csv' --data 'SELECT * FROM daily_sales ORDER BY day DESC LIMIT 5' "
                "%s/v1/sql\n",
                url.c_str(), customer.c_str(), url.c_str(), invoice.c_str(), code.c_str(), url.c_str(), exe.c_str(), url.c_str(), url.c_str());
    std::fflush(stdout);
    stop.wait();
    std::fprintf(stderr, "stopping: draining every sink\n");
    exit_code = server.stop() ? exit_code : 1;
  });
}

} // namespace shopflow
