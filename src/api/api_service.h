// The HTTP face of `shopflow serve`. Its routes are one table, api_routes.cpp (method, path
// pattern, scope, handler), that routing and authorisation both read; the handlers live in files
// by concern: ingest_routes.cpp (POST /v1/records, the seed's contract, send's registration),
// lookup_routes.cpp (invoices, items, customers), sql_routes.cpp (SQL, the dashboard's queries,
// saved queries), oauth_routes.cpp (tokens, OpenID), admin_routes.cpp (batch hand-over),
// static_routes.cpp (the dashboard's files), ops_routes.cpp (/healthz, /metrics).
// With access control (the default), every route but /healthz, /metrics (unless protected), the
// token endpoint, the well-known documents and the dashboard's files needs a token with the
// route's scope: 401 with WWW-Authenticate when it is missing or bad, 403 when its scope does not
// cover the route, 429 with Retry-After when the client is over its rate. A path without a route
// needs scope read before it is answered 404 (no route discovery without a token).
#pragma once

#include <functional>
#include <map>
#include <string>

#include <boost/asio/thread_pool.hpp>

#include "api/http_server.h"
#include "api/metrics.h"
#include "api/router.h"
#include "formats/record_body.h"
#include "auth/access_control.h"
#include "auth/rate_limiter.h"
#include "batch/handed_jobs.h"
#include "storage/data_dir.h"
#include "notify/dispatcher.h"
#include "notify/outbox.h"
#include "pipeline/ingest.h"
#include "pipeline/pipeline.h"
#include "query/saved_queries.h"
#include "query/sql_runner.h"
#include "stream/log.h"

namespace shopflow {

struct ApiOptions {
  size_t max_records_per_request = 10'000;
  bool tls = false; // the listener speaks HTTPS (for the URLs in the OpenID configuration)
  std::string web_root; // the dashboard's files (index.html, app.js, ...); empty: no dashboard
  std::string currency = "GBP"; // ISO 4217: the dashboard's money
  SqlCeilings sql;      // POST /v1/sql's limits (pgwire's too)
  // POST /oauth2/token: requests a second (and bursts) per source address and per client id, and
  // how many may wait for the hashing thread.
  double token_rate_per_address = 5, token_burst_per_address = 20;
  double token_rate_per_client = 2, token_burst_per_client = 10;
  int token_queue = 16;
  // Which sinks this process stores (serve --sinks). A route needing one that is elsewhere (on a
  // Kafka log, serve nodes keep the lookup tables and a worker the warehouse) answers 503 naming
  // where it is, instead of answering from an empty local copy.
  bool has_tables = true, has_warehouse = true;
};

// {"statusCode": status, "body": body}: the answer of the seed's Lambda (CONTRACT.md), its body a
// string (the seed's GET puts the DynamoDB item's JSON text there).
std::string seed_answer(int status, std::string_view body);

// The notifications as the API reaches them (all null/empty: notifications are off on the node).
struct NotifyAccess {
  Outbox* outbox = nullptr;
  Dispatcher* dispatcher = nullptr;
  // Records a report.daily event for a day (YYYY-MM-DD); returns its id (serve/notify_sources.h).
  std::function<std::string(const std::string& day)> report_daily;
};

class ApiService {
public:
  // `access` null: no access control (--insecure-no-auth). The parts are the serving process's
  // (serve/server.h builds them).
  ApiService(DataDir& dir, Log& log, Pipeline& pipeline, Ingest& ingest, SqlRunner& sql, HandedJobs& batch_jobs, ApiOptions options,
             AccessControl* access, NotifyAccess notify = {});
  // Answers on an I/O thread; ingest answers once the log has synced, slow routes run on a pool.
  void handle(HttpRequest&& req, HttpServer::Reply reply);
  Metrics& metrics() { return metrics_; }
  // The URL clients reach this server at (serve --public-url, else the listener's): the base of
  // the OpenID configuration's endpoints.
  void set_public_url(std::string url);
  // More /metrics lines, from a part of the process the API does not own (pgwire).
  void add_metrics(std::function<void(std::string&)> render) { more_metrics_.push_back(std::move(render)); }
  std::string public_url() const;

private:
  using Respond = std::function<void(HttpResponse)>;
  // A request as its handler gets it.
  struct Call {
    std::shared_ptr<const HttpRequest> req;
    std::string path, query;                   // the target's path and query, still percent-encoded
    std::map<std::string, std::string> params; // the route pattern's parameters
    std::string client;                        // the token's client id ("" without access control)
    ScopeSet granted = 0;                      // the token's scopes
    std::string peer_address;
  };
  // A route's handler: fills the answer on the I/O thread or on the blocking pool (routes that
  // may take long: DuckDB, batch jobs, file I/O), or answers later through Respond (ingest).
  struct Handler {
    enum class RunsOn { IoThread, Pool } runs_on = RunsOn::IoThread;
    std::function<void(const Call&, HttpResponse&)> answer;
    std::function<void(const Call&, Respond)> answer_later;
  };
  using Route = Router<Handler>::Route;
  void add_routes(); // api_routes.cpp: the table of routes
  void post_records(const HttpRequest& req, Respond respond);
  // Appends a parsed body's rows (under an Idempotency-Key when `key` is set, bound to the raw
  // body's hash), counts them and calls `done` with the outcome; an error is answered by
  // `respond`: 409 (the key is in use), 422 (the key came with another body), 503 (the log's).
  void ingest(const RecordBody& body, std::string_view raw_body, const std::string& key, Respond respond,
              std::function<void(const IngestOutcome&)> done);
  void get_invoice(const std::string& invoice, const std::string* stock_code, HttpResponse& res);
  void get_customer(const std::string& customer, const std::string& query, HttpResponse& res);
  void compat_post(const HttpRequest& req, Respond respond);
  void compat_get(const std::string& query, HttpResponse& res);
  void metrics_text(HttpResponse& res);
  void health(HttpResponse& res);
  // `credentials`: client_credentials(req), taken once when the request arrived.
  void issue_token(const HttpRequest& req, const std::optional<std::pair<std::string, std::string>>& credentials, HttpResponse& res);
  void token_request(std::shared_ptr<const HttpRequest> req, const std::string& address, Respond respond);
  static std::optional<std::pair<std::string, std::string>> client_credentials(const HttpRequest& req);
  void openid_configuration(HttpResponse& res);
  // An error message as clients see it: the data dir's path written DIR.
  std::string without_data_dir(std::string message) const;
  // Whether the caller has the scope `needed`; false: `res` holds the 401/403/429 answer.
  bool authorize(const HttpRequest& req, ScopeSet needed, HttpResponse& res, ScopeSet& granted, std::string& client_id);
  void dashboard_data(const std::string& query, HttpResponse& res);
  void static_file(const std::string& name, HttpResponse& res); // a file of the web root
  void me(const Call& call, HttpResponse& res);
  void saved_query(const HttpRequest& req, const std::string& name, const std::string& client, HttpResponse& res);
  void post_sql(const HttpRequest& req, const std::string& query, bool may_write, const std::string& client, HttpResponse& res);
  void admin_batch(const HttpRequest& req, HttpResponse& res);
  // GET|POST /v1/subscriptions, GET|DELETE /v1/subscriptions/{id}, POST /v1/subscriptions/{id}/retry|test.
  void subscriptions(const HttpRequest& req, const std::string& id, const std::string& action, HttpResponse& res);
  // POST /v1/events/report.daily?day=YYYY-MM-DD
  void report_daily(const std::string& query, HttpResponse& res);
  void register_file(const HttpRequest& req, const std::string& client, HttpResponse& res);
  void complete_file(const HttpRequest& req, const std::string& sha256, const std::string& client, HttpResponse& res);

  DataDir& dir_;
  const LookupTables& tables_;
  Log& log_;
  Pipeline& pipeline_;
  ApiOptions options_;
  AccessControl* access_;
  Metrics metrics_;
  Ingest& ingest_;
  SqlRunner& sql_;
  HandedJobs& batch_jobs_;
  NotifyAccess notify_;
  SavedQueries saved_queries_;
  mutable std::mutex public_url_mutex_;
  std::string public_url_;
  boost::asio::thread_pool blocking_{4}; // routes that may take long: batch jobs, DuckDB queries
  RateLimiter token_by_address_{options_.token_rate_per_address, options_.token_burst_per_address};
  RateLimiter token_by_client_{options_.token_rate_per_client, options_.token_burst_per_client};
  std::atomic<int> hashing_queued_{0};
  boost::asio::thread_pool hashing_{1}; // client-secret hashes (Argon2id) of token requests
  std::vector<std::function<void(std::string&)>> more_metrics_;
  Router<Handler> routes_;
};

} // namespace shopflow
