// SQL: POST /v1/sql, the dashboard's analytics queries with their filters, and saved queries.
#include "api/api_service.h"

#include <algorithm>
#include <set>

#include <simdjson.h>

#include "api/query_string.h"
#include "core/timestamp.h"
#include "util/utf8.h"
#include "util/json_writer.h"
#include "query/report.h"
#include "util/clock.h"
#include "util/log.h"

namespace http = boost::beast::http;

namespace shopflow {

// GET /v1/dashboard?from=YYYY-MM-DD&to=YYYY-MM-DD&country=NAME&only=NAME,NAME: {"currency": its
// money's, "<query name>": {"columns", "rows", "row_count"}, ...} for every analytics query
// (report.h), or those named in `only`; the filtered ones over the lines of [from, to] (both days
// included) and the country. An unknown parameter or a bad value is a 400 naming it.
void ApiService::dashboard_data(const std::string& query, HttpResponse& res) {
  static const std::set<std::string, std::less<>> known = {"from", "to", "country", "only"};
  const FormFields params(query);
  for (const std::string& name : params.names())
    if (!known.contains(name)) return json_response(res, 400, error_json("unknown parameter " + name + "; use from, to, country, only"));
  AnalyticsFilter filter;
  for (auto [name, field] : {std::pair{"from", &filter.from}, std::pair{"to", &filter.to}}) {
    std::string day = params.get(name);
    if (day.empty()) continue;
    if (day.size() != 10 || !parse_timestamp_us(day + " 00:00:00"))
      return json_response(res, 400, error_json(std::string(name) + " must be a day as YYYY-MM-DD, not \"" + day + "\""));
    *field = day;
  }
  if (filter.from && filter.to && *filter.from > *filter.to)
    return json_response(res, 400, error_json("from (" + *filter.from + ") is after to (" + *filter.to + ")"));
  if (std::string country = params.get("country"); !country.empty()) {
    if (country.size() > 200 || !valid_utf8(country)) return json_response(res, 400, error_json("country must be UTF-8 text of at most 200 bytes"));
    filter.country = country;
  }
  std::set<std::string, std::less<>> only;
  const std::string only_list = params.get("only");
  for (std::string_view list = only_list; !list.empty();) {
    std::string_view name = list.substr(0, list.find(','));
    list.remove_prefix(std::min(list.size(), name.size() + 1));
    if (std::none_of(analytics_queries().begin(), analytics_queries().end(), [&](auto& q) { return name == q.name; }))
      return json_response(res, 400, error_json("only: no dashboard query " + std::string(name)));
    only.emplace(name);
  }
  JsonWriter w;
  w.begin_object().field("currency", options_.currency);
  for (const AnalyticsQuery& q : analytics_queries()) {
    if (!only.empty() && !only.contains(q.name)) continue;
    SqlRequest request;
    request.sql = q.sql;
    request.params = filter.params(q);
    SqlAnswer answer = sql_.run(request);
    if (answer.status != 200) return json_response(res, 500, error_json(std::string(q.name) + ": " + answer.body));
    w.key(q.name).value(JsonRaw{answer.body});
  }
  res.set(http::field::cache_control, "no-store");
  json_response(res, 200, w.end_object().take());
}

// GET /v1/saved-queries: {"queries": [{"name", "sql", "saved_by", "saved_at"}, ...]} by name;
// GET /v1/saved-queries/NAME: one; PUT with the SQL as the body saves it (201 new, 200 replaced);
// DELETE removes it (204). `name` is empty for the list.
void ApiService::saved_query(const HttpRequest& req, const std::string& name, const std::string& client, HttpResponse& res) {
  auto as_json = [&](const SavedQuery& q) {
    JsonWriter w;
    write_json(w, q);
    return w.take();
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
    std::vector<SavedQuery> queries = saved_queries_.list();
    if (!name.empty()) {
      for (const SavedQuery& q : queries)
        if (q.name == name) return json_response(res, 200, as_json(q));
      return json_response(res, 404, error_json("no saved query named " + name));
    }
    JsonWriter w;
    w.begin_object().key("queries").begin_array();
    for (const SavedQuery& q : queries) write_json(w, q);
    json_response(res, 200, w.end_array().end_object().take());
  } catch (const std::invalid_argument& e) {
    json_response(res, 400, error_json(e.what()));
  } catch (const std::runtime_error& e) { // the file cannot be read or written (a damaged file, a full disk)
    json_response(res, 500, error_json("saved queries unchanged: " + without_data_dir(e.what())));
  }
}

// The SQL is the body (any Content-Type but JSON), or {"sql", "max_rows", "max_bytes", "timeout_ms"}
// as JSON; ?max_rows=, ?max_bytes= and ?timeout_ms= work too, each up to the server's ceiling.
// Accept: text/csv, application/vnd.apache.parquet, or JSON.
void ApiService::post_sql(const HttpRequest& req, const std::string& query, bool may_write, const std::string& client, HttpResponse& res) {
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
  const FormFields params(query);
  if (std::string q = params.get("max_rows"); !q.empty()) max_rows = q;
  if (std::string q = params.get("max_bytes"); !q.empty()) max_bytes = q;
  if (std::string q = params.get("timeout_ms"); !q.empty()) timeout_ms = q;
  const SqlLimits& ceiling = options_.sql.ceiling;
  if (!number("max_rows", max_rows, static_cast<int64_t>(ceiling.max_rows), sql.limits.max_rows) ||
      !number("max_bytes", max_bytes, static_cast<int64_t>(ceiling.max_bytes), sql.limits.max_bytes) ||
      !number("timeout_ms", timeout_ms, ceiling.timeout_ms, sql.limits.timeout_ms))
    return;
  std::string_view accept = header_value(req, http::field::accept);
  if (accept.find("text/csv") != std::string::npos) sql.format = SqlFormat::Csv;
  else if (accept.find("parquet") != std::string::npos) sql.format = SqlFormat::Parquet;
  SqlAnswer answer = sql_.run(sql);
  if (answer.status == 403) { // the SQL policy refused a statement: at warn like authorize()'s refusals
    simdjson::dom::parser parser;
    std::string_view reason;
    if (parser.parse(answer.body).at_key("error").get_string().get(reason)) reason = answer.body;
    log::warn("refused", {{"status", "403"}, {"target", std::string(req.target())}, {"client", client.empty() ? "-" : client},
                          {"reason", std::string(reason)}});
  }
  res.result(answer.status);
  res.set(http::field::content_type, answer.content_type);
  res.body() = std::move(answer.body);
}

} // namespace shopflow
