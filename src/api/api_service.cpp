#include "api/api_service.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <simdjson.h>

#include <boost/asio/post.hpp>

#include "formats/record_body.h"
#include "auth/base64url.h"
#include "batch/file_identity.h"
#include "batch/importer.h"
#include "core/clean.h"
#include "core/decimal.h"
#include "core/timestamp.h"
#include "core/utf8.h"
#include "formats/json_record.h"
#include "pipeline/ingest.h"
#include "query/report.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/read_file.h"
#include "util/sha256.h"

namespace http = boost::beast::http;

namespace shopflow {

namespace {

// A request header's value, "" when it is absent.
std::string_view header_value(const HttpRequest& req, http::field name) {
  auto it = req.find(name);
  return it == req.end() ? std::string_view() : std::string_view(it->value().data(), it->value().size());
}

// Decimal text without trailing zeros: 2550 -> "2.55", 6000 -> "6".

std::string line_json(const InvoiceLine& l) {
  return fmt::format("{{\"stock_code\":{},\"description\":{},\"quantity\":{},\"invoice_date\":\"{}\",\"unit_price\":{},"
                     "\"amount\":{},\"customer_id\":{},\"country\":{},\"line_type\":\"{}\",\"source\":{}}}",
                     json_string(l.stock_code), l.description ? json_string(*l.description) : "null", l.quantity,
                     format_timestamp(l.invoice_date_us), plain_milli(l.unit_price_milli), plain_milli(l.amount_milli),
                     json_string(l.customer_id), json_string(l.country), line_type_name(l.line_type), json_string(l.source));
}

// The seed's DynamoDB-typed item for an (InvoiceNo, StockCode): the first line's fields, the
// total quantity over every line, and every line under "Lines".
std::string dynamodb_item(const std::vector<InvoiceLine>& lines) {
  const InvoiceLine& f = lines.front();
  int64_t quantity = 0;
  for (auto& l : lines) quantity += l.quantity;
  auto item = [](const InvoiceLine& l, int64_t qty) {
    return fmt::format("\"InvoiceNo\":{{\"S\":{}}},\"StockCode\":{{\"S\":{}}},\"Description\":{},\"Quantity\":{{\"N\":\"{}\"}},"
                       "\"InvoiceDate\":{{\"S\":\"{}\"}},\"UnitPrice\":{{\"N\":\"{}\"}},\"CustomerID\":{{\"S\":{}}},"
                       "\"Country\":{{\"S\":{}}}",
                       json_string(l.invoice_no), json_string(l.stock_code),
                       l.description ? "{\"S\":" + json_string(*l.description) + "}" : std::string("{\"NULL\":true}"), qty,
                       format_timestamp(l.invoice_date_us), plain_milli(l.unit_price_milli), json_string(l.customer_id),
                       json_string(l.country));
  };
  std::string out = "{" + item(f, quantity) + ",\"Lines\":{\"L\":[";
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i) out += ',';
    out += "{\"M\":{" + item(lines[i], lines[i].quantity) + "}}";
  }
  return out + "]}}";
}

} // namespace

std::string percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else if (plus_is_space && s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string query_param(std::string_view query, std::string_view key) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view pair = query.substr(pos, amp - pos);
    size_t eq = pair.find('=');
    if (percent_decode(pair.substr(0, eq), true) == key)
      return eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1), true);
    pos = amp + 1;
  }
  return {};
}

ApiService::ApiService(DataDir& dir, Log& log, Pipeline& pipeline, ApiOptions options, AccessControl* access)
    : dir_(dir), log_(log), pipeline_(pipeline), options_(options), access_(access),
      saved_queries_(std::filesystem::path(dir.path()) / "saved-queries.json") {
  keys_.recover(log_);
  // The hashing pool's one thread yields to ingest and SQL: its first task lowers its priority.
  boost::asio::post(hashing_, [] { setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10); });
  sql_ = std::make_unique<SqlEndpoint>(dir_.warehouse().database(), std::filesystem::path(dir_.path()) / "lake", dir_.sql_answers_dir());
}

void ApiService::handle(HttpRequest&& request, HttpServer::Reply reply) {
  auto started = std::chrono::steady_clock::now();
  auto req = std::make_shared<const HttpRequest>(std::move(request)); // shared with async answers
  std::string_view target(req->target().data(), req->target().size());
  size_t q = target.find('?');
  std::string path = std::string(target.substr(0, q));
  std::string query = q == std::string_view::npos ? std::string() : std::string(target.substr(q + 1));
  auto method = req->method();
  std::string route = "other";
  // Every answer goes through here: the route's latency is measured up to the answer, and the
  // request gets its log line (never its token: the client id the token named, if any).
  auto client = std::make_shared<std::string>();
  auto respond_as = [this, started, reply, client, method_name = std::string(req->method_string())](std::string name) {
    return [this, started, reply, client, method_name, name = std::move(name)](HttpResponse res) {
      double seconds = seconds_since(started);
      metrics_.route(name, res.result_int()).observe(seconds);
      log::info("request", {{"method", method_name}, {"route", name}, {"status", std::to_string(res.result_int())},
                            {"ms", fmt::format("{:.2f}", seconds * 1000)}, {"client", client->empty() ? "-" : *client}});
      reply(std::move(res));
    };
  };
  HttpResponse res;
  auto not_allowed = [&](const char* allow) {
    res.set(http::field::allow, allow);
    json_response(res, 405, error_json(std::string("method not allowed; use ") + allow));
  };
  auto on_pool = [&](std::function<void(HttpResponse&)> work) {
    boost::asio::post(blocking_, [req, work = std::move(work), respond = respond_as(route)] {
      HttpResponse out;
      try {
        work(out);
      } catch (const std::exception& e) {
        out = HttpResponse{};
        json_response(out, 500, error_json(e.what()));
      }
      respond(std::move(out));
    });
  };
  ScopeSet granted = kAllScopes & ~kScopeAdmin; // without access control nobody may write through SQL
  if (access_) {
    ScopeSet needed = required_scope(*req, path);
    if (needed && !authorize(*req, needed, res, granted, *client)) return respond_as("unauthorized")(std::move(res));
  }
  if (path == "/oauth2/token") {
    route = "token";
    if (method == http::verb::post && access_) return token_request(req, reply.peer_address(), respond_as(route));
    if (!access_) json_response(res, 404, error_json("no token endpoint: the server runs with --insecure-no-auth"));
    else not_allowed("POST");
  } else if (path == "/.well-known/jwks.json" && access_) {
    route = "jwks";
    json_response(res, 200, access_->issuer().jwks_json());
  } else if (path == "/.well-known/openid-configuration" && access_) {
    route = "openid";
    openid_configuration(res);
  } else if (path == "/v1/records") {
    route = "records";
    if (method == http::verb::post) return post_records(*req, respond_as(route));
    not_allowed("POST");
  } else if (path == "/v1/compat/transactions") {
    route = "compat";
    if (method == http::verb::post) return compat_post(*req, respond_as(route));
    if (method == http::verb::get) compat_get(query, res);
    else {
      res.set(http::field::allow, "GET, POST");
      json_response(res, 405, R"({"statusCode":405,"body":"use GET or POST"})");
    }
  } else if (path.rfind("/v1/invoices/", 0) == 0) {
    route = "invoices";
    std::string rest = path.substr(13);
    size_t items = rest.find("/items/");
    if (method != http::verb::get) not_allowed("GET");
    else if (items == std::string::npos) get_invoice(percent_decode(rest), nullptr, res);
    else {
      std::string code = percent_decode(rest.substr(items + 7));
      route = "items";
      get_invoice(percent_decode(rest.substr(0, items)), &code, res);
    }
  } else if (path.rfind("/v1/customers/", 0) == 0) {
    route = "customers";
    if (method != http::verb::get) not_allowed("GET");
    else get_customer(percent_decode(path.substr(14)), query, res);
  } else if (path == "/" || path.rfind("/web/", 0) == 0) {
    route = "web";
    if (method == http::verb::get) static_file(path == "/" ? "/web/index.html" : path, res);
    else not_allowed("GET");
  } else if (path == "/v1/me") {
    route = "me";
    if (method != http::verb::get) not_allowed("GET");
    else if (!access_) json_response(res, 404, error_json("no clients: the server runs with --insecure-no-auth"));
    else {
      auto me = access_->clients().find(*client);
      json_response(res, 200, "{\"client_id\":" + json_string(*client) + ",\"name\":" + json_string(me ? me->name : "") +
                                  ",\"scopes\":" + json_string(scope_names(granted)) + "}");
    }
  } else if (path == "/v1/dashboard") {
    route = "dashboard";
    if (method == http::verb::get) return on_pool([this, query](HttpResponse& out) { dashboard_data(query, out); });
    not_allowed("GET");
  } else if (path == "/v1/saved-queries" || path.rfind("/v1/saved-queries/", 0) == 0) {
    route = "saved_queries";
    std::string name = path.size() > 18 ? percent_decode(path.substr(18)) : std::string();
    bool listing = path.size() <= 18;
    if (listing ? method == http::verb::get
                : method == http::verb::get || method == http::verb::put || method == http::verb::delete_)
      return on_pool([this, req, name, client = *client](HttpResponse& out) { saved_query(*req, name, client, out); });
    not_allowed(listing ? "GET" : "GET, PUT, DELETE");
  } else if (path == "/v1/sql") {
    route = "sql";
    bool may_write = (granted & kScopeAdmin) != 0;
    if (method == http::verb::post)
      return on_pool([this, req, query, may_write](HttpResponse& out) { post_sql(*req, query, may_write, out); });
    not_allowed("POST");
  } else if (path == "/v1/files" || (path.rfind("/v1/files/", 0) == 0 && path.ends_with("/complete"))) {
    route = "files";
    if (method == http::verb::post)
      return on_pool([this, req, path, client = *client](HttpResponse& out) { post_file(*req, path, client, out); });
    not_allowed("POST");
  } else if (path == "/v1/admin/batch") {
    route = "admin_batch";
    if (method == http::verb::post) return on_pool([this, req](HttpResponse& out) { admin_batch(*req, out); });
    not_allowed("POST");
  } else if (path == "/healthz") {
    route = "healthz";
    health(res);
  } else if (path == "/metrics") {
    route = "metrics";
    return on_pool([this](HttpResponse& out) { metrics_text(out); });
  } else {
    json_response(res, 404, error_json("no route " + path));
  }
  respond_as(route)(std::move(res));
}

void ApiService::ingest(const RecordBody& body, std::string_view raw_body, const std::string& key, Respond respond,
                        std::function<void(const IngestOutcome&)> done) {
  const size_t body_bytes = raw_body.size();
  ingest_rows_async(log_, body.rows(), wall_clock_us(), &keys_, key, key.empty() ? std::string() : sha256_bytes(raw_body),
                    [this, body_bytes, keyed = !key.empty(), respond = std::move(respond), done = std::move(done)](IngestOutcome outcome,
                                                                                                               std::exception_ptr error) {
                      if (error) {
                        HttpResponse res;
                        try {
                          std::rethrow_exception(error);
                        } catch (const KeyInUse& e) {
                          res.set(http::field::retry_after, "1");
                          json_response(res, 409, error_json(e.what()));
                        } catch (const KeyReused& e) {
                          json_response(res, 422, error_json(e.what()));
                        } catch (const std::exception& e) {
                          // "Not stored" only when nothing was: some shards may have taken their part.
                          std::string what = outcome.ranges.empty() ? "not stored: "
                                             : keyed ? "stored only in part (retry with the same Idempotency-Key: it stores the rest once): "
                                                     : "stored only in part (a retry without an Idempotency-Key may store some rows twice): ";
                          res.set(http::field::retry_after, "1");
                          json_response(res, 503, error_json(what + e.what()));
                        }
                        respond(std::move(res));
                        return;
                      }
                      metrics_.ingested_records += outcome.appended;
                      metrics_.ingested_bytes += outcome.appended ? body_bytes : 0;
                      done(outcome);
                    });
}

void ApiService::post_records(const HttpRequest& req, Respond respond) {
  HttpResponse res;
  std::unique_ptr<RecordBody> body;
  try {
    body = std::make_unique<RecordBody>(req.body(), header_value(req, http::field::content_type), options_.max_records_per_request);
  } catch (const BodyError& e) {
    bool too_many = std::string_view(e.what()).rfind("too many records", 0) == 0;
    json_response(res, too_many ? 413 : 400, error_json(e.what()));
    return respond(std::move(res));
  }
  std::string key;
  if (auto it = req.find("Idempotency-Key"); it != req.end()) {
    key = std::string(it->value().data(), it->value().size());
    if (!valid_idempotency_key(key)) {
      json_response(res, 400, error_json("Idempotency-Key must be 1 to 200 printable ASCII characters"));
      return respond(std::move(res));
    }
  }
  std::string format(body->format());
  ingest(*body, req.body(), key, respond, [this, respond, count = body->rows().size(), format](const IngestOutcome& outcome) {
           metrics_.malformed_at_ingest += outcome.malformed_count;
           std::string malformed;
           for (const MalformedRow& m : outcome.malformed)
             malformed += fmt::format("{}{{\"index\":{},\"reason\":\"malformed\",\"detail\":{}}}", malformed.empty() ? "" : ",",
                                      m.index, json_string(m.detail));
           std::string shards;
           for (auto& r : outcome.ranges)
             shards += fmt::format("{}{{\"shard\":{},\"first_offset\":{},\"last_offset\":{}}}", shards.empty() ? "" : ",",
                                   r.shard, r.first_offset, r.last_offset);
           std::string rejected;
           for (size_t r = 1; r < kRejectReasonCount; ++r)
             rejected += fmt::format("{}\"{}\":{}", rejected.empty() ? "" : ",", reason_name(static_cast<RejectReason>(r)), outcome.rejected[r]);
           HttpResponse res;
           if (outcome.replayed) res.set("Idempotent-Replayed", "true");
           json_response(res, 200,
                         fmt::format("{{\"accepted\":{},\"format\":\"{}\",\"transactions\":{},\"cancellations\":{},\"rejected\":{{{}}},"
                                     "\"malformed_count\":{},\"malformed\":[{}],\"shards\":[{}]}}",
                                     count, format, outcome.transactions, outcome.cancellations, rejected, outcome.malformed_count, malformed, shards));
           respond(std::move(res));
         });
}

void ApiService::get_invoice(const std::string& invoice, const std::string* stock_code, HttpResponse& res) {
  auto lines = dir_.tables().invoice_lines(invoice, stock_code);
  if (lines.empty()) {
    json_response(res, 404, error_json(stock_code ? "no item " + *stock_code + " in invoice " + invoice : "no invoice " + invoice));
    return;
  }
  int64_t quantity = 0;
  MoneySum amount = 0;
  std::string items;
  for (auto& l : lines) {
    quantity += l.quantity;
    amount += l.amount_milli;
    if (!items.empty()) items += ',';
    items += line_json(l);
  }
  if (stock_code) {
    const InvoiceLine& f = lines.front();
    json_response(res, 200,
                  fmt::format("{{\"invoice_no\":{},\"stock_code\":{},\"description\":{},\"quantity\":{},\"amount\":{},"
                              "\"line_count\":{},\"lines\":[{}]}}",
                              json_string(invoice), json_string(*stock_code), f.description ? json_string(*f.description) : "null",
                              quantity, plain_milli(amount), lines.size(), items));
  } else {
    const InvoiceLine& f = lines.front();
    json_response(res, 200,
                  fmt::format("{{\"invoice_no\":{},\"customer_id\":{},\"country\":{},\"invoice_date\":\"{}\",\"cancelled\":{},"
                              "\"line_count\":{},\"quantity\":{},\"amount\":{},\"lines\":[{}]}}",
                              json_string(invoice), json_string(f.customer_id), json_string(f.country), format_timestamp(f.invoice_date_us),
                              (invoice[0] == 'C' || invoice[0] == 'c') ? "true" : "false", lines.size(), quantity,
                              plain_milli(amount), items));
  }
}

void ApiService::get_customer(const std::string& customer, const std::string& query, HttpResponse& res) {
  auto invoices = dir_.tables().customer_invoices(customer);
  if (invoices.empty()) {
    json_response(res, 404, error_json("no customer " + customer));
    return;
  }
  auto number = [&](const char* key, int64_t fallback, int64_t max) -> int64_t {
    std::string v = query_param(query, key);
    if (v.empty()) return fallback;
    try {
      int64_t n = std::stoll(v);
      if (n < 1 || n > max) throw std::out_of_range(key);
      return n;
    } catch (...) {
      throw std::invalid_argument(std::string(key) + " must be a number from 1 to " + std::to_string(max));
    }
  };
  int64_t page = 1, size = 100;
  try {
    page = number("page", 1, 1'000'000);
    size = number("page_size", 100, 1000);
  } catch (const std::invalid_argument& e) {
    json_response(res, 400, error_json(e.what()));
    return;
  }
  std::string items;
  MoneySum total_amount = 0;
  for (auto& s : invoices) total_amount += s.amount_milli;
  size_t begin = static_cast<size_t>((page - 1) * size);
  for (size_t i = begin; i < invoices.size() && i < begin + static_cast<size_t>(size); ++i) {
    auto& s = invoices[i];
    items += fmt::format("{}{{\"invoice_no\":{},\"invoice_date\":\"{}\",\"country\":{},\"lines\":{},\"quantity\":{},\"amount\":{}}}",
                         items.empty() ? "" : ",", json_string(s.invoice_no), format_timestamp(s.invoice_date_us),
                         json_string(s.country), s.lines, s.quantity, plain_milli(s.amount_milli));
  }
  json_response(res, 200,
                fmt::format("{{\"customer_id\":{},\"invoice_count\":{},\"amount\":{},\"page\":{},\"page_size\":{},\"invoices\":[{}]}}",
                            json_string(customer), invoices.size(), plain_milli(total_amount), page, size, items));
}

void ApiService::compat_post(const HttpRequest& req, Respond respond) {
  // The seed's client posts one record without a Content-Type.
  std::unique_ptr<RecordBody> body;
  try {
    body = std::make_unique<RecordBody>(req.body(), "application/json", 1);
  } catch (const BodyError& e) {
    HttpResponse res;
    json_response(res, 400, fmt::format("{{\"statusCode\":400,\"body\":{}}}", json_string(e.what())));
    return respond(std::move(res));
  }
  ingest(*body, req.body(), "", respond, [respond, echo = json_string(req.body())](const IngestOutcome&) {
    HttpResponse res;
    json_response(res, 200, fmt::format("{{\"statusCode\":200,\"body\":{}}}", echo));
    respond(std::move(res));
  });
}

void ApiService::compat_get(const std::string& query, HttpResponse& res) {
  std::string invoice = query_param(query, "InvoiceNo"), code = query_param(query, "StockCode");
  if (invoice.empty() || code.empty()) {
    json_response(res, 400, R"({"statusCode":400,"body":"give InvoiceNo and StockCode in the query string"})");
    return;
  }
  auto lines = dir_.tables().invoice_lines(invoice, &code);
  if (lines.empty()) {
    json_response(res, 404, fmt::format("{{\"statusCode\":404,\"body\":{}}}", json_string("no item " + code + " in invoice " + invoice)));
    return;
  }
  json_response(res, 200, fmt::format("{{\"statusCode\":200,\"body\":{}}}", json_string(dynamodb_item(lines))));
}

// `shopflow batch` handing its job to this server: {"files": ["/abs/path", ...], "force": false}.
// Answers {"results": [{"file", "ok", "text", "json" | "error"}]}; one job runs at a time.
void ApiService::admin_batch(const HttpRequest& req, HttpResponse& res) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array files;
  if (parser.parse(req.body()).get(doc) || doc["files"].get_array().get(files)) {
    json_response(res, 400, error_json("expected {\"files\": [paths], \"force\": bool}"));
    return;
  }
  bool force = false;
  if (auto f = doc["force"]; !f.error()) force = f.get_bool().value_unsafe();
  std::lock_guard lock(batch_mutex_);
  BatchImporter importer(dir_);
  ImportOptions options;
  options.force = force;
  options.progress = false;
  std::string results;
  for (auto f : files) {
    std::string_view file;
    if (f.get_string().get(file)) continue;
    std::string entry = "{\"file\":" + json_string(file);
    try {
      FileSummary s = importer.import_file(std::string(file), options);
      (s.skipped ? metrics_.batch_files_skipped : metrics_.batch_files_imported) += 1;
      log::info("batch_job", {{"file", std::string(file)}, {"job", std::to_string(s.job)}, {"skipped", s.skipped ? "true" : "false"},
                              {"rows", std::to_string(s.rows_read)}, {"seconds", fmt::format("{:.3f}", s.seconds)}});
      metrics_.batch_rows += s.rows_read;
      entry += ",\"ok\":true,\"text\":" + json_string(s.to_text()) + ",\"json\":" + s.to_json() + "}";
    } catch (const std::exception& e) {
      metrics_.batch_files_failed += 1;
      log::error("batch_job_failed", {{"file", std::string(file)}, {"error", e.what()}});
      entry += ",\"ok\":false,\"error\":" + json_string(e.what()) + "}";
    }
    results += (results.empty() ? "" : ",") + entry;
  }
  json_response(res, 200, "{\"results\":[" + results + "]}");
}

// `shopflow send` declaring the file it is about to send (batch/file_identity.h):
//   POST /v1/files {"sha256", "file", "bytes", "batch_rows", "force"} ->
//     200 {"status": "registered"|"resumed", "batch_rows"}: send, with that batch size;
//     200 {"status": "complete", "message"}: already sent, nothing to do;
//     409 {"error"}: imported by shopflow batch (names the job)
//   POST /v1/files/<sha256>/complete {"rows_acked"} -> 200 {"status": "complete"}, or 403 from
//     another client than the one that registered it
void ApiService::post_file(const HttpRequest& req, const std::string& path, const std::string& client, HttpResponse& res) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  DuckConnection con(dir_.warehouse().database());
  auto valid_sha = [](std::string_view h) {
    return h.size() == 64 && h.find_first_not_of("0123456789abcdef") == std::string_view::npos;
  };
  if (path != "/v1/files") {
    std::string sha = path.substr(10, path.size() - 10 - 9);
    uint64_t rows = 0;
    if (!valid_sha(sha) || parser.parse(req.body()).get(doc) || doc["rows_acked"].get_uint64().get(rows)) {
      json_response(res, 400, error_json("expected POST /v1/files/<sha256, 64 hex>/complete with {\"rows_acked\": N}"));
      return;
    }
    if (!find_sent_file(con, sha)) {
      json_response(res, 404, error_json("no send of " + sha + " was registered"));
      return;
    }
    if (!complete_send(con, sha, rows, client)) {
      json_response(res, 403, error_json("the send of " + sha + " was registered by another client; only it may complete it"));
      return;
    }
    json_response(res, 200, R"({"status":"complete"})");
    return;
  }
  SentFile file;
  std::string_view sha, name;
  uint64_t bytes = 0, batch_rows = 0;
  bool force = false;
  if (parser.parse(req.body()).get(doc) || doc["sha256"].get_string().get(sha) || !valid_sha(sha) ||
      doc["file"].get_string().get(name) || doc["bytes"].get_uint64().get(bytes) || doc["batch_rows"].get_uint64().get(batch_rows) ||
      batch_rows == 0 || batch_rows > UINT32_MAX || (!doc["force"].error() && doc["force"].get_bool().get(force))) {
    json_response(res, 400, error_json("expected {\"sha256\": 64 hex, \"file\": name, \"bytes\": N, \"batch_rows\": N >= 1, "
                                       "\"force\": bool}"));
    return;
  }
  file.sha256 = sha;
  file.file = name;
  file.bytes = bytes;
  file.batch_rows = static_cast<uint32_t>(batch_rows);
  file.client = client;
  SendRegistration r = register_send(con, file, force);
  switch (r.outcome) {
  case SendRegistration::Refused: json_response(res, 409, error_json(r.message)); break;
  case SendRegistration::Complete: json_response(res, 200, R"({"status":"complete","message":)" + json_string(r.message) + "}"); break;
  default:
    json_response(res, 200, fmt::format(R"({{"status":"{}","batch_rows":{}}})",
                                        r.outcome == SendRegistration::Resumed ? "resumed" : "registered", r.batch_rows));
  }
}

ScopeSet ApiService::required_scope(const HttpRequest& req, const std::string& path) const {
  if (path == "/healthz" || path == "/oauth2/token" || path.rfind("/.well-known/", 0) == 0 || path == "/" || path.rfind("/web/", 0) == 0)
    return 0;
  if (path == "/metrics") return access_->options().protect_metrics ? kScopeRead : 0;
  if (path == "/v1/records" || path.rfind("/v1/files", 0) == 0) return kScopeIngest;
  if (path == "/v1/compat/transactions") return req.method() == http::verb::post ? kScopeIngest : kScopeRead;
  if (path == "/v1/admin/batch") return kScopeAdmin;
  if (path == "/v1/sql" || path.rfind("/v1/saved-queries", 0) == 0) return kScopeSql;
  return kScopeRead; // lookups, the dashboard's data, and unknown paths (no route discovery without a token)
}

bool ApiService::authorize(const HttpRequest& req, ScopeSet needed, HttpResponse& res, ScopeSet& granted, std::string& client_id) {
  std::string_view header = header_value(req, http::field::authorization);
  Principal who;
  try {
    who = access_->authenticate(header, wall_clock_us() / 1'000'000);
  } catch (const AuthError& e) {
    std::string description(e.what());
    for (char& c : description)
      if (c == '"' || c == '\\') c = '\'';
    res.set(http::field::www_authenticate,
            header.empty() ? std::string("Bearer realm=\"shopflow\"")
                           : "Bearer realm=\"shopflow\", error=\"invalid_token\", error_description=\"" + description + "\"");
    json_response(res, 401, error_json(e.what()));
    metrics_.unauthorized += 1;
    log::warn("refused", {{"status", "401"}, {"target", std::string(req.target())}, {"reason", e.what()}});
    return false;
  }
  client_id = who.client_id;
  if ((who.scopes & needed) != needed) {
    res.set(http::field::www_authenticate, "Bearer realm=\"shopflow\", error=\"insufficient_scope\", scope=\"" + scope_names(needed) + "\"");
    json_response(res, 403, error_json("the token's scopes (" + scope_names(who.scopes) + ") do not include " + scope_names(needed)));
    metrics_.forbidden += 1;
    log::warn("refused", {{"status", "403"}, {"target", std::string(req.target())}, {"client", who.client_id},
                          {"reason", "missing scope " + scope_names(needed)}});
    return false;
  }
  double wait = 0;
  if (!access_->within_rate(who.client_id, wait)) {
    res.set(http::field::retry_after, std::to_string(static_cast<int64_t>(wait) + 1));
    json_response(res, 429, error_json("client " + who.client_id + " is over its rate limit"));
    metrics_.rate_limited += 1;
    log::warn("refused", {{"status", "429"}, {"target", std::string(req.target())}, {"client", who.client_id}, {"reason", "over the rate limit"}});
    return false;
  }
  granted = who.scopes;
  return true;
}

// GET /v1/dashboard?from=YYYY-MM-DD&to=YYYY-MM-DD&country=NAME&only=NAME,NAME: {"currency": its
// money's, "<query name>": {"columns", "rows", "row_count"}, ...} for every analytics query
// (report.h), or those named in `only`; the filtered ones over the lines of [from, to] (both days
// included) and the country. An unknown parameter or a bad value is a 400 naming it.
void ApiService::dashboard_data(const std::string& query, HttpResponse& res) {
  static const std::set<std::string, std::less<>> known = {"from", "to", "country", "only"};
  for (std::string_view rest = query; !rest.empty();) {
    std::string_view pair = rest.substr(0, rest.find('&'));
    rest.remove_prefix(std::min(rest.size(), pair.size() + 1));
    if (std::string name = percent_decode(pair.substr(0, pair.find('=')), true); !name.empty() && !known.contains(name))
      return json_response(res, 400, error_json("unknown parameter " + name + "; use from, to, country, only"));
  }
  AnalyticsFilter filter;
  for (auto [name, field] : {std::pair{"from", &filter.from}, std::pair{"to", &filter.to}}) {
    std::string day = query_param(query, name);
    if (day.empty()) continue;
    if (day.size() != 10 || !parse_timestamp_us(day + " 00:00:00"))
      return json_response(res, 400, error_json(std::string(name) + " must be a day as YYYY-MM-DD, not \"" + day + "\""));
    *field = day;
  }
  if (filter.from && filter.to && *filter.from > *filter.to)
    return json_response(res, 400, error_json("from (" + *filter.from + ") is after to (" + *filter.to + ")"));
  if (std::string country = query_param(query, "country"); !country.empty()) {
    if (country.size() > 200 || escape_invalid_utf8(country) != country) return json_response(res, 400, error_json("country must be UTF-8 text of at most 200 bytes"));
    filter.country = country;
  }
  std::set<std::string, std::less<>> only;
  const std::string only_list = query_param(query, "only");
  for (std::string_view list = only_list; !list.empty();) {
    std::string_view name = list.substr(0, list.find(','));
    list.remove_prefix(std::min(list.size(), name.size() + 1));
    if (std::none_of(analytics_queries().begin(), analytics_queries().end(), [&](auto& q) { return name == q.name; }))
      return json_response(res, 400, error_json("only: no dashboard query " + std::string(name)));
    only.emplace(name);
  }
  std::string out = "{\"currency\":" + json_string(options_.currency);
  for (const AnalyticsQuery& q : analytics_queries()) {
    if (!only.empty() && !only.contains(q.name)) continue;
    SqlRequest request;
    request.sql = q.sql;
    request.params = filter.params(q);
    SqlAnswer answer = sql_->run(request);
    if (answer.status != 200) return json_response(res, 500, error_json(std::string(q.name) + ": " + answer.body));
    out += "," + json_string(q.name) + ":" + answer.body;
  }
  res.set(http::field::cache_control, "no-store");
  json_response(res, 200, out + "}");
}

// GET /v1/saved-queries: {"queries": [{"name", "sql", "saved_by", "saved_at"}, ...]} by name;
// GET /v1/saved-queries/NAME: one; PUT with the SQL as the body saves it (201 new, 200 replaced);
// DELETE removes it (204). `name` is empty for the list.
void ApiService::saved_query(const HttpRequest& req, const std::string& name, const std::string& client, HttpResponse& res) {
  auto as_json = [](const SavedQuery& q) {
    return "{\"name\":" + json_string(q.name) + ",\"sql\":" + json_string(q.sql) + ",\"saved_by\":" + json_string(q.saved_by) +
           ",\"saved_at\":" + std::to_string(q.saved_at) + "}";
  };
  try {
    if (req.method() == http::verb::put) {
      SavedQuery q{name, req.body(), client.empty() ? "-" : client, wall_clock_us() / 1'000'000};
      bool added = saved_queries_.save(q);
      return json_response(res, added ? 201 : 200, as_json(q));
    }
    if (req.method() == http::verb::delete_) {
      if (!saved_queries_.remove(name)) return json_response(res, 404, error_json("no saved query named " + name));
      res.result(204);
      return;
    }
    std::string out;
    for (const SavedQuery& q : saved_queries_.list()) {
      if (name.empty()) out += (out.empty() ? "" : ",") + as_json(q);
      else if (q.name == name) return json_response(res, 200, as_json(q));
    }
    if (!name.empty()) return json_response(res, 404, error_json("no saved query named " + name));
    json_response(res, 200, "{\"queries\":[" + out + "]}");
  } catch (const std::invalid_argument& e) {
    json_response(res, 400, error_json(e.what()));
  }
}

// The dashboard's files: regular files (no symlinks) named [A-Za-z0-9._-] directly under web_root.
void ApiService::static_file(const std::string& path, HttpResponse& res) {
  std::string name = path.substr(5);
  bool plain = !name.empty() && name[0] != '.' &&
               std::all_of(name.begin(), name.end(), [](char c) { return isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'; });
  std::optional<std::string> bytes;
  if (!options_.web_root.empty() && plain) {
    // A regular file of the web root itself: a symlink (to a file outside it, say) is not served.
    std::filesystem::path file = std::filesystem::path(options_.web_root) / name;
    std::error_code ec;
    if (std::filesystem::symlink_status(file, ec).type() == std::filesystem::file_type::regular) bytes = read_file(file);
  }
  if (!bytes) return json_response(res, 404, error_json("no file " + path));
  res.result(200);
  res.set(http::field::content_type, name.ends_with(".html") ? "text/html; charset=utf-8"
                                     : name.ends_with(".js") ? "text/javascript; charset=utf-8"
                                     : name.ends_with(".css") ? "text/css; charset=utf-8"
                                                              : "application/octet-stream");
  res.set(http::field::cache_control, "no-cache");
  res.body() = std::move(*bytes);
}

// The SQL is the body (any Content-Type but JSON), or {"sql", "max_rows", "max_bytes", "timeout_ms"}
// as JSON; ?max_rows=, ?max_bytes= and ?timeout_ms= work too, each up to the server's ceiling.
// Accept: text/csv, application/vnd.apache.parquet, or JSON.
void ApiService::post_sql(const HttpRequest& req, const std::string& query, bool may_write, HttpResponse& res) {
  SqlRequest sql;
  sql.may_write = may_write;
  sql.limits = options_.sql.defaults;
  auto number = [&](const std::string& name, std::string text, int64_t max, auto& into) {
    if (text.empty()) return true;
    try {
      size_t used = 0;
      int64_t n = std::stoll(text, &used);
      if (used != text.size() || n < 1 || n > max) throw std::out_of_range(name);
      into = static_cast<std::remove_reference_t<decltype(into)>>(n);
      return true;
    } catch (...) {
      json_response(res, 400, error_json(name + " must be a whole number from 1 to " + std::to_string(max)));
      return false;
    }
  };
  std::string max_rows, max_bytes, timeout_ms;
  if (header_value(req, http::field::content_type).starts_with("application/json")) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    std::string_view text;
    if (parser.parse(req.body()).get(doc) || doc["sql"].get_string().get(text))
      return json_response(res, 400, error_json("expected {\"sql\": \"...\", \"max_rows\": N, \"max_bytes\": N, \"timeout_ms\": N}"));
    sql.sql = std::string(text);
    int64_t n = 0;
    if (!doc["max_rows"].get_int64().get(n)) max_rows = std::to_string(n);
    if (!doc["max_bytes"].get_int64().get(n)) max_bytes = std::to_string(n);
    if (!doc["timeout_ms"].get_int64().get(n)) timeout_ms = std::to_string(n);
  } else {
    sql.sql = req.body();
  }
  if (std::string q = query_param(query, "max_rows"); !q.empty()) max_rows = q;
  if (std::string q = query_param(query, "max_bytes"); !q.empty()) max_bytes = q;
  if (std::string q = query_param(query, "timeout_ms"); !q.empty()) timeout_ms = q;
  const SqlLimits& ceiling = options_.sql.ceiling;
  if (!number("max_rows", max_rows, static_cast<int64_t>(ceiling.max_rows), sql.limits.max_rows) ||
      !number("max_bytes", max_bytes, static_cast<int64_t>(ceiling.max_bytes), sql.limits.max_bytes) ||
      !number("timeout_ms", timeout_ms, ceiling.timeout_ms, sql.limits.timeout_ms))
    return;
  std::string_view accept = header_value(req, http::field::accept);
  if (accept.find("text/csv") != std::string::npos) sql.format = SqlFormat::Csv;
  else if (accept.find("parquet") != std::string::npos) sql.format = SqlFormat::Parquet;
  SqlAnswer answer = sql_->run(sql);
  res.result(answer.status);
  res.set(http::field::content_type, answer.content_type);
  res.body() = std::move(answer.body);
}

void ApiService::set_public_url(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  std::lock_guard lock(public_url_mutex_);
  public_url_ = std::move(url);
}

std::string ApiService::public_url() const {
  std::lock_guard lock(public_url_mutex_);
  return public_url_;
}

// The client id and secret a token request presents: HTTP Basic, else the form's fields; nullopt
// for malformed Basic credentials.
std::optional<std::pair<std::string, std::string>> ApiService::client_credentials(const HttpRequest& req) {
  const std::string& form = req.body();
  std::string id = query_param(form, "client_id"), secret = query_param(form, "client_secret");
  if (std::string_view v = header_value(req, http::field::authorization); v.size() > 6 && (v.starts_with("Basic ") || v.starts_with("basic "))) {
    auto decoded = base64_decode(v.substr(6));
    size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) return std::nullopt;
    id = percent_decode(decoded->substr(0, colon), true);
    secret = percent_decode(decoded->substr(colon + 1), true);
  }
  return std::pair{id, secret};
}

// POST /oauth2/token: rate-limited per source address and per client id before any hashing, then
// hashed on a pool of its own with a bounded queue, so a flood of logins cannot take the threads
// or the cores that SQL and ingest use.
void ApiService::token_request(std::shared_ptr<const HttpRequest> req, const std::string& address, Respond respond) {
  HttpResponse res;
  double wait = 0;
  auto credentials = client_credentials(*req);
  if (!token_by_address_.allow(address, wait) || (credentials && !token_by_client_.allow(credentials->first, wait))) {
    res.set(http::field::retry_after, std::to_string(static_cast<int64_t>(wait) + 1));
    json_response(res, 429, "{\"error\":\"slow_down\",\"error_description\":\"too many token requests from this address or for this client\"}");
    metrics_.rate_limited += 1;
    return respond(std::move(res));
  }
  if (hashing_queued_.fetch_add(1) >= options_.token_queue) {
    hashing_queued_ -= 1;
    res.set(http::field::retry_after, "1");
    json_response(res, 503, "{\"error\":\"temporarily_unavailable\",\"error_description\":\"too many token requests at once\"}");
    return respond(std::move(res));
  }
  boost::asio::post(hashing_, [this, req, respond = std::move(respond)] {
    HttpResponse out;
    try {
      issue_token(*req, out);
    } catch (const std::exception& e) {
      out = HttpResponse{};
      json_response(out, 500, error_json(e.what()));
    }
    hashing_queued_ -= 1;
    respond(std::move(out));
  });
}

// RFC 6749 section 4.4: grant_type=client_credentials, the client authenticated by HTTP Basic or
// by client_id/client_secret form fields; an optional "scope" narrows the client's scopes. A
// failed authentication is challenged (WWW-Authenticate: Basic) only when the client sent Basic
// (or other) credentials (section 5.2): a form's failure must not make a browser pop up its own dialog.
void ApiService::issue_token(const HttpRequest& req, HttpResponse& res) {
  const bool tried_http_auth = !header_value(req, http::field::authorization).empty();
  auto oauth_error = [&](unsigned status, const char* code, const std::string& description) {
    if (status == 401 && tried_http_auth) res.set(http::field::www_authenticate, "Basic realm=\"shopflow\"");
    json_response(res, status, "{\"error\":\"" + std::string(code) + "\",\"error_description\":" + json_string(description) + "}");
  };
  const std::string& form = req.body();
  if (query_param(form, "grant_type") != "client_credentials")
    return oauth_error(400, "unsupported_grant_type", "only grant_type=client_credentials is supported");
  auto credentials = client_credentials(req);
  if (!credentials) return oauth_error(401, "invalid_client", "malformed Basic credentials");
  auto& [id, secret] = *credentials;
  if (id.empty() || secret.empty()) return oauth_error(401, "invalid_client", "give client_id and client_secret (HTTP Basic or form)");
  auto client = access_->clients().authenticate(id, secret);
  if (!client) return oauth_error(401, "invalid_client", "unknown client or wrong secret");
  ScopeSet scopes = client->scopes;
  if (std::string asked = query_param(form, "scope"); !asked.empty()) {
    try {
      scopes = parse_scopes(asked);
    } catch (const std::invalid_argument& e) {
      return oauth_error(400, "invalid_scope", e.what());
    }
    if ((scopes & client->scopes) != scopes)
      return oauth_error(400, "invalid_scope", "client " + client->name + " has only: " + scope_names(client->scopes));
  }
  auto token = access_->issuer().mint(client->client_id, scopes, wall_clock_us() / 1'000'000, access_->options().token_ttl_s);
  res.set(http::field::cache_control, "no-store");
  json_response(res, 200,
                fmt::format("{{\"access_token\":\"{}\",\"token_type\":\"Bearer\",\"expires_in\":{},\"scope\":\"{}\"}}",
                            token.access_token, token.expires_in, scope_names(scopes)));
}

void ApiService::openid_configuration(HttpResponse& res) {
  // The configured public URL (or the listener's own), never the request's Host header: a
  // client must not be able to point others' token requests elsewhere.
  std::string base = public_url();
  json_response(res, 200,
                "{\"issuer\":" + json_string(access_->issuer().issuer()) + ",\"jwks_uri\":" + json_string(base + "/.well-known/jwks.json") +
                    ",\"token_endpoint\":" + json_string(base + "/oauth2/token") +
                    ",\"grant_types_supported\":[\"client_credentials\"],\"token_endpoint_auth_methods_supported\":"
                    "[\"client_secret_basic\",\"client_secret_post\"],\"scopes_supported\":[\"ingest\",\"read\",\"sql\",\"admin\"],"
                    "\"id_token_signing_alg_values_supported\":[\"" + std::string(jws_alg_name(access_->issuer().key().alg())) + "\"]}");
}

// 200 {"status":"ok",...} while the log's writes and every sink work; 503 {"status":"degraded"}
// while one fails (each retries by itself: a disk that was full, say), naming it and its error
// (the data dir's path shown as DIR), with every sink's lag and the next offset it will store per
// shard (send --wait waits for its rows' offsets there).
void ApiService::health(HttpResponse& res) {
  bool degraded = false;
  int64_t now = wall_clock_ms();
  auto state = [&](const FailureState::Snapshot& f) {
    if (!f.failing_since_ms) return std::string(R"("state":"ok")");
    degraded = true;
    std::string error = f.error;
    for (size_t at; (at = error.find(dir_.path())) != std::string::npos;) error.replace(at, dir_.path().size(), "DIR");
    return fmt::format(R"("state":"failing","failing_for_s":{:.1f},"error":{})", (now - f.failing_since_ms) / 1000.0, json_string(error));
  };
  std::string body = "{\"log\":{" + state(log_.write_failures()) + "},\"sinks\":[";
  for (auto& st : pipeline_.status())
    body += fmt::format(R"({}{{"sink":"{}",{},"lag_records":{},"stored_offsets":[{}]}})", body.back() == '[' ? "" : ",", st.name,
                        state(st.failures), st.total_lag(), fmt::join(st.stored, ","));
  body += "]";
  if (!access_) body += R"(,"warning":"authentication is off (--insecure-no-auth): anyone can read and write")";
  json_response(res, degraded ? 503 : 200, (degraded ? R"({"status":"degraded",)" : R"({"status":"ok",)") + body.substr(1) + "}");
}

void ApiService::metrics_text(HttpResponse& res) {
  std::string out;
  out += fmt::format("# HELP shopflow_ingested_records_total Records accepted by POST.\n# TYPE shopflow_ingested_records_total counter\n"
                     "shopflow_ingested_records_total {}\n", metrics_.ingested_records.load());
  out += fmt::format("# HELP shopflow_ingested_bytes_total Request body bytes accepted by POST.\n# TYPE shopflow_ingested_bytes_total counter\n"
                     "shopflow_ingested_bytes_total {}\n", metrics_.ingested_bytes.load());
  out += fmt::format("# HELP shopflow_malformed_at_ingest_total Records stored although malformed (they land in rejected).\n"
                     "# TYPE shopflow_malformed_at_ingest_total counter\nshopflow_malformed_at_ingest_total {}\n",
                     metrics_.malformed_at_ingest.load());
  out += fmt::format("# HELP shopflow_refused_requests_total Requests refused by access control.\n"
                     "# TYPE shopflow_refused_requests_total counter\n"
                     "shopflow_refused_requests_total{{reason=\"unauthorized\"}} {}\nshopflow_refused_requests_total{{reason=\"forbidden\"}} {}\n"
                     "shopflow_refused_requests_total{{reason=\"rate_limited\"}} {}\n",
                     metrics_.unauthorized.load(), metrics_.forbidden.load(), metrics_.rate_limited.load());
  out += fmt::format("# HELP shopflow_log_syncs_total Flushes of the log to disk (one covers every append waiting).\n"
                     "# TYPE shopflow_log_syncs_total counter\nshopflow_log_syncs_total {}\n", log_.syncs());
  out += "# HELP shopflow_log_end_offset Next offset of each log shard.\n# TYPE shopflow_log_end_offset gauge\n";
  for (uint32_t s = 0; s < log_.shard_count(); ++s) out += fmt::format("shopflow_log_end_offset{{shard=\"{}\"}} {}\n", s, log_.end_offset(s));
  auto sinks = pipeline_.status();
  out += "# HELP shopflow_sink_lag_records Records appended but not yet stored, per sink and shard.\n# TYPE shopflow_sink_lag_records gauge\n";
  for (auto& st : sinks)
    for (uint32_t s = 0; s < st.lag.size(); ++s)
      out += fmt::format("shopflow_sink_lag_records{{sink=\"{}\",shard=\"{}\"}} {}\n", st.name, s, st.lag[s]);
  out += "# HELP shopflow_sink_failing 1 while a sink's writes fail (it retries by itself), else 0.\n# TYPE shopflow_sink_failing gauge\n";
  for (auto& st : sinks) out += fmt::format("shopflow_sink_failing{{sink=\"{}\"}} {}\n", st.name, st.failures.failing_since_ms ? 1 : 0);
  out += "# HELP shopflow_sink_failures_total Failed passes of a sink (each is retried).\n# TYPE shopflow_sink_failures_total counter\n";
  for (auto& st : sinks) out += fmt::format("shopflow_sink_failures_total{{sink=\"{}\"}} {}\n", st.name, st.failures.failures);
  auto log_failures = log_.write_failures();
  out += fmt::format("# HELP shopflow_log_write_failures_total Failed writes or syncs of the log.\n"
                     "# TYPE shopflow_log_write_failures_total counter\nshopflow_log_write_failures_total {}\n", log_failures.failures);
  out += "# HELP shopflow_rejected_rows Rows in the warehouse's rejected table, by reason.\n# TYPE shopflow_rejected_rows gauge\n";
  DuckConnection con(dir_.warehouse().database());
  DuckResult r = con.query("SELECT reason, count(*) FROM rejected GROUP BY reason");
  std::map<std::string, int64_t> rejected; // every reason, 0 when none
  for (size_t i = 1; i < kRejectReasonCount; ++i) rejected[std::string(reason_name(static_cast<RejectReason>(i)))] = 0;
  for (size_t i = 0; i < r.row_count(); ++i) rejected[r.text(0, i)] = r.int64(1, i);
  for (auto& [reason, n] : rejected) out += fmt::format("shopflow_rejected_rows{{reason=\"{}\"}} {}\n", reason, n);
  out += fmt::format("# HELP shopflow_batch_files_total Files handed to this server by shopflow batch, by outcome.\n"
                     "# TYPE shopflow_batch_files_total counter\nshopflow_batch_files_total{{outcome=\"imported\"}} {}\n"
                     "shopflow_batch_files_total{{outcome=\"skipped\"}} {}\nshopflow_batch_files_total{{outcome=\"failed\"}} {}\n"
                     "# HELP shopflow_batch_rows_total Rows read from files imported by this server.\n"
                     "# TYPE shopflow_batch_rows_total counter\nshopflow_batch_rows_total {}\n",
                     metrics_.batch_files_imported.load(), metrics_.batch_files_skipped.load(), metrics_.batch_files_failed.load(),
                     metrics_.batch_rows.load());
  out += fmt::format("# HELP shopflow_build_info The running build.\n# TYPE shopflow_build_info gauge\n"
                     "shopflow_build_info{{version=\"{}\",duckdb=\"{}\"}} 1\n", SHOPFLOW_VERSION, duckdb_library_version());
  sql_->render_metrics(out);
  render_process_metrics(out);
  if (more_metrics_) more_metrics_(out);
  metrics_.render_routes(out);
  res.result(200);
  res.set(http::field::content_type, "text/plain; version=0.0.4");
  res.body() = std::move(out);
}

} // namespace shopflow
