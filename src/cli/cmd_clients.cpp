// `shopflow clients add|list|remove` and `shopflow token NAME`: the OAuth2 clients of a data dir
// (auth/client_store.h) and tokens minted from the data dir's own key, for scripts. Both work while
// `serve` runs on the same data dir: the server rereads the clients file when it changes.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include <fmt/format.h>

#include "auth/client_store.h"
#include "auth/token_issuer.h"
#include "cli/commands.h"
#include "util/json_writer.h"

namespace shopflow {

namespace {
// Commands about existing clients must not create a data dir (ClientStore would).
void require_clients(const std::string& data) {
  if (!std::filesystem::exists(std::filesystem::path(data) / "auth" / "clients.json"))
    throw std::runtime_error("no clients in " + data + " (add one: shopflow clients add NAME --scopes ... --data " + data + ")");
}
} // namespace

void add_clients_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("clients", "Manage the OAuth2 clients that may call `serve`");
  cmd->require_subcommand(1);
  struct Args {
    std::string data = kDefaultDataDir, name, scopes;
    bool json = false;
  };
  auto args = std::make_shared<Args>();

  auto* add = cmd->add_subcommand("add", "Add a client; prints its id and secret once");
  add->add_option("NAME", args->name, "Client name (A-Z a-z 0-9 . _ -)")->required();
  add->add_option("--scopes", args->scopes, "Comma-separated: ingest, read, sql, admin")->required();
  add->add_option("--data", args->data, "Data directory")->capture_default_str();
  add->add_flag("--json", args->json, "Print {\"client_id\", \"client_secret\"}");
  add->callback([args, &exit_code] {
    ScopeSet scopes = 0;
    try {
      scopes = parse_scopes(args->scopes);
    } catch (const std::invalid_argument& e) {
      throw CLI::ValidationError("--scopes", e.what());
    }
    NewClient made = ClientStore(args->data).add(args->name, scopes);
    if (args->json)
      std::puts(JsonWriter().begin_object().field("client_id", made.client.client_id).field("client_secret", made.secret)
                    .field("scopes", scope_names(scopes)).end_object().take().c_str());
    else
      std::printf("client %s added with scopes: %s\n  client_id:     %s\n  client_secret: %s\n"
                  "The secret is shown only now; shopflow keeps only its Argon2id hash.\n",
                  made.client.name.c_str(), scope_names(scopes).c_str(), made.client.client_id.c_str(), made.secret.c_str());
    exit_code = 0;
  });

  auto* rotate = cmd->add_subcommand("rotate", "Give a client a new secret (printed once; the old one stops working)");
  rotate->add_option("NAME", args->name, "Client name or client id")->required();
  rotate->add_option("--data", args->data, "Data directory")->capture_default_str();
  rotate->add_flag("--json", args->json, "Print {\"client_id\", \"client_secret\"}");
  rotate->callback([args, &exit_code] {
    require_clients(args->data);
    NewClient made;
    try {
      made = ClientStore(args->data).rotate(args->name);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(e.what());
    }
    if (args->json)
      std::puts(JsonWriter().begin_object().field("client_id", made.client.client_id).field("client_secret", made.secret).end_object().take().c_str());
    else
      std::printf("client %s has a new secret (the old one no longer works; tokens already issued stay valid until they expire)\n"
                  "  client_id:     %s\n  client_secret: %s\n",
                  made.client.name.c_str(), made.client.client_id.c_str(), made.secret.c_str());
    exit_code = 0;
  });

  auto* list = cmd->add_subcommand("list", "List the clients (never their secrets)");
  list->add_option("--data", args->data, "Data directory")->capture_default_str();
  list->add_flag("--json", args->json, "Print a JSON array");
  list->callback([args, &exit_code] {
    auto clients = ClientStore(args->data).list();
    if (args->json) {
      JsonWriter w;
      w.begin_array();
      for (const Client& c : clients)
        w.begin_object().field("name", c.name).field("client_id", c.client_id).field("scopes", scope_names(c.scopes))
            .field("created_at", c.created_at).end_object();
      std::puts(w.end_array().take().c_str());
      exit_code = 0;
      return;
    }
    std::string out = fmt::format("{:<24} {:<20} {:<26} {}\n", "NAME", "CLIENT_ID", "SCOPES", "CREATED");
    for (const Client& c : clients) {
      char created[32];
      std::time_t t = c.created_at;
      std::strftime(created, sizeof created, "%Y-%m-%d %H:%M:%S", std::gmtime(&t));
      out += fmt::format("{:<24} {:<20} {:<26} {}\n", c.name, c.client_id, scope_names(c.scopes), created);
    }
    std::fputs(out.c_str(), stdout);
    exit_code = 0;
  });

  auto* remove = cmd->add_subcommand("remove", "Remove a client (its tokens stay valid until they expire)");
  remove->add_option("NAME", args->name, "Client name or client id")->required();
  remove->add_option("--data", args->data, "Data directory")->capture_default_str();
  remove->callback([args, &exit_code] {
    if (!ClientStore(args->data).remove(args->name)) {
      std::fprintf(stderr, "shopflow clients remove: no client \"%s\"\n", args->name.c_str());
      exit_code = 1;
      return;
    }
    std::printf("client %s removed\n", args->name.c_str());
    exit_code = 0;
  });
}

void add_token_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("token", "Print an access token for a client, minted from the data dir's key");
  struct Args {
    std::string data = kDefaultDataDir, name, scopes;
    int64_t ttl = 3600;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("NAME", args->name, "Client name or client id")->required();
  cmd->add_option("--data", args->data, "Data directory")->capture_default_str();
  cmd->add_option("--scopes", args->scopes, "Only these of the client's scopes (comma-separated)");
  cmd->add_option("--ttl", args->ttl, "Lifetime in seconds")->check(CLI::Range(60, 86400))->capture_default_str();
  cmd->callback([args, &exit_code] {
    require_clients(args->data);
    auto client = ClientStore(args->data).find(args->name);
    if (!client) throw std::runtime_error("no client \"" + args->name + "\" in " + args->data + " (shopflow clients list)");
    ScopeSet scopes = client->scopes;
    if (!args->scopes.empty()) {
      try {
        scopes = parse_scopes(args->scopes);
      } catch (const std::invalid_argument& e) {
        throw CLI::ValidationError("--scopes", e.what());
      }
      if ((scopes & client->scopes) != scopes)
        throw CLI::ValidationError("--scopes", "client " + client->name + " has only: " + scope_names(client->scopes));
    }
    int64_t now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::printf("%s\n", TokenIssuer(args->data).mint(client->client_id, scopes, now, args->ttl).access_token.c_str());
    exit_code = 0;
  });
}

} // namespace shopflow
