// The routes of `shopflow serve`, in the order they are matched: method ("*": any), path pattern,
// name (metrics and logs), the scope a caller needs (0: public), and the handler. Handlers that
// may take long (DuckDB, batch jobs, file I/O) run on the blocking pool; ingest answers once the
// log has synced.
#include "api/api_service.h"

#include "util/json_writer.h"

namespace http = boost::beast::http;

namespace shopflow {

void ApiService::add_routes() {
  using RunsOn = Handler::RunsOn;
  auto here = [](std::function<void(const Call&, HttpResponse&)> f) { return Handler{RunsOn::IoThread, std::move(f), {}}; };
  auto pool = [](std::function<void(const Call&, HttpResponse&)> f) { return Handler{RunsOn::Pool, std::move(f), {}}; };
  auto later = [](std::function<void(const Call&, Respond)> f) { return Handler{RunsOn::IoThread, {}, std::move(f)}; };
  auto add = [this](std::string method, std::string pattern, std::string name, ScopeSet scope, Handler handler) {
    routes_.add({std::move(method), std::move(pattern), std::move(name), scope, std::move(handler)});
  };
  const std::string any(Router<Handler>::kAnyMethod);
  // A route whose data this process does not keep answers why (after access control, as usual).
  auto elsewhere = [](std::string why) {
    return Handler{RunsOn::IoThread, [why = std::move(why)](const Call&, HttpResponse& res) { json_response(res, 503, error_json(why)); }, {}};
  };
  auto with_tables = [&](Handler h) {
    return options_.has_tables ? std::move(h)
                               : elsewhere("this node keeps no lookup tables (it runs without the tables sink): "
                                           "ask a serve node that runs it (serve --sinks tables,...)");
  };
  auto with_warehouse = [&](Handler h) {
    return options_.has_warehouse ? std::move(h)
                                  : elsewhere("this node keeps no warehouse (it runs without the warehouse sink; on a Kafka "
                                              "log a worker usually does): query the process that runs it, e.g. "
                                              "`shopflow sql --data WORKER_DIR` on its machine");
  };

  // Ingest (scope ingest): rows, the seed's POST, send's registration of a file.
  add("POST", "/v1/records", "records", kScopeIngest, later([this](const Call& c, Respond r) { post_records(*c.req, std::move(r)); }));
  add("POST", "/v1/compat/transactions", "compat", kScopeIngest, later([this](const Call& c, Respond r) { compat_post(*c.req, std::move(r)); }));
  add("GET", "/v1/compat/transactions", "compat", kScopeRead,
      with_tables(here([this](const Call& c, HttpResponse& res) { compat_get(c.query, res); })));
  add(any, "/v1/compat/transactions", "compat", kScopeRead, here([](const Call&, HttpResponse& res) {
        res.set(http::field::allow, "GET, POST");
        json_response(res, 405, seed_answer(405, "use GET or POST"));
      }));
  add("POST", "/v1/files", "files", kScopeIngest, pool([this](const Call& c, HttpResponse& res) { register_file(*c.req, c.client, res); }));
  add("POST", "/v1/files/{sha256}/complete", "files", kScopeIngest,
      pool([this](const Call& c, HttpResponse& res) { complete_file(*c.req, c.params.at("sha256"), c.client, res); }));

  // Lookups (scope read).
  add("GET", "/v1/invoices/{invoice}", "invoices", kScopeRead,
      with_tables(here([this](const Call& c, HttpResponse& res) { get_invoice(c.params.at("invoice"), nullptr, res); })));
  add("GET", "/v1/invoices/{invoice}/items/{code}", "items", kScopeRead,
      with_tables(here([this](const Call& c, HttpResponse& res) { get_invoice(c.params.at("invoice"), &c.params.at("code"), res); })));
  add("GET", "/v1/customers/{customer}", "customers", kScopeRead,
      with_tables(here([this](const Call& c, HttpResponse& res) { get_customer(c.params.at("customer"), c.query, res); })));

  // SQL, the dashboard's data, saved queries.
  add("POST", "/v1/sql", "sql", kScopeSql,
      with_warehouse(pool([this](const Call& c, HttpResponse& res) { post_sql(*c.req, c.query, (c.granted & kScopeAdmin) != 0, c.client, res); })));
  add("GET", "/v1/dashboard", "dashboard", kScopeRead,
      with_warehouse(pool([this](const Call& c, HttpResponse& res) { dashboard_data(c.query, res); })));
  add("GET", "/v1/saved-queries", "saved_queries", kScopeSql,
      pool([this](const Call& c, HttpResponse& res) { saved_query(*c.req, "", c.client, res); }));
  for (const char* method : {"GET", "PUT", "DELETE"})
    add(method, "/v1/saved-queries/{name}", "saved_queries", kScopeSql,
        pool([this](const Call& c, HttpResponse& res) { saved_query(*c.req, c.params.at("name"), c.client, res); }));

  // Administration (scope admin).
  // A batch job writes this process's sinks directly: on a log shared with other nodes, theirs
  // would never see its rows.
  add("POST", "/v1/admin/batch", "admin_batch", kScopeAdmin,
      log_.shared() ? elsewhere("this node's log is shared with other nodes (Kafka), whose sinks a batch import into this "
                                "node's would never reach: send the file into the log instead (shopflow send FILE --to URL)")
                    : pool([this](const Call& c, HttpResponse& res) { admin_batch(*c.req, res); }));

  // Notifications' subscriptions (scope admin).
  auto subscriptions = [&](const char* action) {
    return notify_.outbox ? pool([this, action](const Call& c, HttpResponse& res) {
      auto id = c.params.find("id");
      this->subscriptions(*c.req, id == c.params.end() ? "" : id->second, action, res);
    })
                   : elsewhere("notifications are off on this node: serve with --sinks ...,notify");
  };
  for (const char* method : {"GET", "POST"}) add(method, "/v1/subscriptions", "subscriptions", kScopeAdmin, subscriptions(""));
  for (const char* method : {"GET", "DELETE"}) add(method, "/v1/subscriptions/{id}", "subscriptions", kScopeAdmin, subscriptions(""));
  add("POST", "/v1/subscriptions/{id}/retry", "subscriptions", kScopeAdmin, subscriptions("retry"));
  add("POST", "/v1/subscriptions/{id}/test", "subscriptions", kScopeAdmin, subscriptions("test"));
  add("POST", "/v1/events/report.daily", "report_daily", kScopeAdmin,
      notify_.report_daily ? pool([this](const Call& c, HttpResponse& res) { report_daily(c.query, res); })
                           : elsewhere("daily reports need the notify sink and a warehouse on this node"));

  // OAuth2 and OpenID (public), and who a token names.
  add("POST", "/oauth2/token", "token", 0, later([this](const Call& c, Respond r) {
        if (access_) return token_request(c.req, c.peer_address, std::move(r));
        HttpResponse res;
        json_response(res, 404, error_json("no token endpoint: the server runs with --insecure-no-auth"));
        r(std::move(res));
      }));
  if (access_) {
    add("GET", "/.well-known/jwks.json", "jwks", 0, here([this](const Call&, HttpResponse& res) { json_response(res, 200, access_->issuer().jwks_json()); }));
    add("GET", "/.well-known/openid-configuration", "openid", 0, here([this](const Call&, HttpResponse& res) { openid_configuration(res); }));
  }
  add("GET", "/v1/me", "me", kScopeRead, here([this](const Call& c, HttpResponse& res) { me(c, res); }));

  // The dashboard's files (public: its data needs a token).
  add("GET", "/", "web", 0, here([this](const Call&, HttpResponse& res) { static_file("index.html", res); }));
  add("GET", "/web/{file...}", "web", 0, here([this](const Call& c, HttpResponse& res) { static_file(c.params.at("file"), res); }));

  // Operations.
  add(any, "/healthz", "healthz", 0, here([this](const Call&, HttpResponse& res) { health(res); }));
  add(any, "/metrics", "metrics", access_ && access_->options().protect_metrics ? ScopeSet{kScopeRead} : ScopeSet{0},
      pool([this](const Call&, HttpResponse& res) { metrics_text(res); }));
}

} // namespace shopflow
