#include <cstdio>

#include "client/sender.h"
#include "cli/commands.h"

namespace shopflow {

void add_send_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("send", "Send a CSV or NDJSON file to a running `shopflow serve`, batched, with retries");
  struct Args {
    std::string file;
    SendOptions send;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("file", args->file, "CSV or NDJSON file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--url", args->send.url, "Server URL")->capture_default_str();
  cmd->add_option("--token", args->send.token, "Access token (sent as a Bearer token)");
  cmd->add_option("--client-id", args->send.client_id, "Get tokens from the server's /oauth2/token with this client...");
  cmd->add_option("--client-secret", args->send.client_secret, "...and this secret (tokens are renewed before they expire)");
  cmd->add_option("--cacert", args->send.ca_file, "https:// URLs: check the server against these CA certificates (PEM)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--batch", args->send.batch, "Rows per request")->check(CLI::Range(1, 1'000'000))->capture_default_str();
  cmd->add_option("--concurrency", args->send.concurrency, "Parallel connections")->check(CLI::Range(1, 1024))->capture_default_str();
  cmd->add_option("--rate", args->send.rate, "Rows per second (0: unlimited)")->check(CLI::NonNegativeNumber)->capture_default_str();
  cmd->add_option("--retry-for", args->send.retry_for_seconds, "Seconds to keep retrying a failing batch")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  cmd->add_flag("--json", args->json, "Print the summary as JSON");
  cmd->add_flag("--wait", args->send.wait,
                "After the last acknowledgement, wait (up to --retry-for) until every sink of the server stored the rows");
  cmd->add_flag("--force", args->send.force,
                "Send the file even if the server has its content already (imported by batch, or sent in full): stored twice");
  cmd->callback([args, &exit_code] {
    SendSummary s = send_file(args->file, args->send);
    std::string out = args->json ? s.to_json() + "\n" : s.to_text();
    std::fwrite(out.data(), 1, out.size(), stdout);
    exit_code = s.failed || !s.first_error.empty() ? 1 : 0;
  });
}

} // namespace shopflow
