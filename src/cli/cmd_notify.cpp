// `shopflow notify add|list|show|remove|retry|test|report`: the notifications' subscriptions of the
// `shopflow serve` that holds the data dir (it runs the notify sink), through its
// /v1/subscriptions routes with a token minted from the data dir (scope admin).
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "cli/local_server.h"
#include "util/json_writer.h"

namespace shopflow {

namespace {
struct NotifyArgs {
  std::string data = kDefaultDataDir, id, events = "order.*", filter, webhook, secret, email, day;
  int max_attempts = 10, digest_minutes = 0;
};

LocalServer server_of(const std::string& data) {
  std::optional<LocalServer> server = local_server(data, kScopeAdmin, "shopflow-notify");
  if (!server)
    throw std::runtime_error("no `shopflow serve` holds " + data + ": subscriptions are kept by the server that runs the notify sink "
                             "(serve --data " + data + " --sinks warehouse,tables,lake,notify)");
  return *server;
}

// Prints the server's answer; a refusal is an error naming what the server said.
int print(const HttpResult& r) {
  if (r.status >= 300) throw std::runtime_error("the server refused: HTTP " + std::to_string(r.status) + " " + r.body);
  std::printf("%s\n", r.body.c_str());
  return 0;
}
} // namespace

void add_notify_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<NotifyArgs>();
  auto* cmd = app.add_subcommand("notify", "Manage the notifications' subscriptions of the running `shopflow serve` (webhooks, e-mail)");
  cmd->require_subcommand(1);
  cmd->fallthrough(); // --data after the subcommand too
  cmd->add_option("--data", args->data, "Data directory of the running serve")->capture_default_str();

  auto* add = cmd->add_subcommand("add", "Add (or replace) a subscription");
  add->add_option("--id", args->id, "Its name: a-z, 0-9, -")->required();
  add->add_option("--events", args->events, "Event types: order.completed, order.* or *")->capture_default_str();
  add->add_option("--filter", args->filter, "e.g. \"country in [France, Germany] and amount >= 500\"");
  auto* webhook = add->add_option("--webhook", args->webhook, "https:// URL (http:// to this machine only)");
  auto* email = add->add_option("--email", args->email, "An address: the events by e-mail through the server's SMTP relay (serve --smtp)");
  webhook->excludes(email);
  add->add_option("--secret", args->secret, "With --webhook: signs every delivery (16 characters at least)")->needs(webhook);
  add->add_option("--digest-minutes", args->digest_minutes, "With --email: one message of what came in N minutes (0: one per event)")
      ->needs(email)->check(CLI::Range(0, 10080))->capture_default_str();
  add->add_option("--max-attempts", args->max_attempts, "Attempts before a delivery is dead-lettered")->capture_default_str();
  add->callback([args, &exit_code] {
    if (args->webhook.empty() == args->email.empty()) throw CLI::ValidationError("notify add", "give --webhook URL --secret S, or --email ADDRESS");
    JsonWriter w;
    w.begin_object().field("id", args->id).field("events", args->events).field("filter", args->filter);
    if (!args->webhook.empty()) w.field("webhook_url", args->webhook).field("secret", args->secret);
    else w.field("email", args->email).field("digest_minutes", args->digest_minutes);
    w.field("max_attempts", args->max_attempts).end_object();
    exit_code = print(server_of(args->data).request("POST", "/v1/subscriptions", w.take()));
  });
  cmd->add_subcommand("list", "List the subscriptions, their queued and dead deliveries")->callback([args, &exit_code] {
    exit_code = print(server_of(args->data).request("GET", "/v1/subscriptions"));
  });
  for (auto [name, help, method, suffix] :
       {std::tuple{"show", "A subscription and its dead letters", "GET", ""}, std::tuple{"remove", "Remove a subscription and its queue", "DELETE", ""},
        std::tuple{"retry", "Queue a subscription's dead letters again", "POST", "/retry"},
        std::tuple{"test", "Deliver a notify.test event to a subscription now and say what happened", "POST", "/test"}}) {
    auto* sub = cmd->add_subcommand(name, help);
    sub->add_option("id", args->id, "The subscription")->required();
    sub->callback([args, &exit_code, method = std::string(method), suffix = std::string(suffix)] {
      exit_code = print(server_of(args->data).request(method, "/v1/subscriptions/" + args->id + suffix));
    });
  }
  auto* report = cmd->add_subcommand("report", "Record a report.daily event for a day now (its subscribers get it)");
  report->add_option("--day", args->day, "YYYY-MM-DD")->required()->check(CLI::Validator(
      [](std::string& v) {
        bool ok = v.size() == 10 && v[4] == '-' && v[7] == '-';
        for (size_t i = 0; i < v.size(); ++i) ok &= i == 4 || i == 7 || (v[i] >= '0' && v[i] <= '9');
        return ok ? "" : "a day is YYYY-MM-DD";
      },
      "YYYY-MM-DD"));
  report->callback([args, &exit_code] {
    exit_code = print(server_of(args->data).request("POST", "/v1/events/report.daily?day=" + args->day));
  });
}

} // namespace shopflow
