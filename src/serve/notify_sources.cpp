#include "serve/notify_sources.h"

#include <stdexcept>

#include <simdjson.h>

#include "batch/import_failures.h"
#include "batch/importer.h"
#include "core/timestamp.h"
#include "query/report.h"
#include "util/clock.h"
#include "util/failure_state.h"
#include "util/json_writer.h"
#include "util/log.h"
#include "util/interruptible_sleep.h"
#include "util/thread_name.h"

namespace shopflow {

namespace {

// A SQL answer's rows ({"columns": [...], "rows": [[...]]}) as a JSON array of objects.
std::string rows_as_objects(const std::string& answer) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(answer);
  std::vector<std::string> names;
  for (simdjson::dom::element c : doc["columns"].get_array()) names.emplace_back(std::string_view(c["name"]));
  JsonWriter w;
  w.begin_array();
  for (simdjson::dom::element row : doc["rows"].get_array()) {
    w.begin_object();
    size_t i = 0;
    for (simdjson::dom::element v : row.get_array()) {
      const std::string json = simdjson::minify(v);
      w.key(names.at(i++)).value(JsonRaw{json});
    }
    w.end_object();
  }
  return w.end_array().take();
}

std::string utc_day(int64_t ms) { return format_timestamp(ms * 1000).substr(0, 10); }

bool valid_day(const std::string& day) { return day.size() == 10 && parse_timestamp_us(day + " 00:00:00").has_value(); }

const AnalyticsQuery& analytics_query(std::string_view name) {
  for (const AnalyticsQuery& q : analytics_queries())
    if (q.name == name) return q;
  throw std::logic_error("no analytics query " + std::string(name));
}

} // namespace

NotifySources::NotifySources(Outbox& outbox, const std::string& data_dir, const Pipeline& pipeline, SqlRunner* sql, NotifySourceOptions options)
    : outbox_(outbox), data_dir_(data_dir), pipeline_(pipeline), sql_(sql), options_(options) {
  thread_ = std::thread([this] { run(); });
}

NotifySources::~NotifySources() {
  stop_ = true;
  thread_.join();
}

void NotifySources::run() {
  name_this_thread("sf-notify-src");
  std::map<std::string, FailureState> failures;
  // Imports are looked at when this process ended one since the last look (and once at start):
  // no query of the warehouse, nor read of the failures journal, every second for nothing.
  uint64_t imports_seen = 0;
  bool imports_looked = false;
  auto attempt = [&](const char* name, auto&& poll) {
    try {
      poll();
      failures[name].succeeded();
      return true;
    } catch (const std::exception& e) {
      if (failures[name].failed(e.what())) log::warn("notify_source_failed", {{"source", name}, {"error", e.what()}});
      return false;
    }
  };
  while (!stop_) {
    const int64_t now = wall_clock_ms();
    if (const uint64_t ended = imports_ended(); !imports_looked || ended != imports_seen) {
      const bool finished_ok = attempt("imports", [&] { poll_imports(now); });
      const bool failed_ok = attempt("import_failures", [&] { poll_failures(now); });
      if (finished_ok && failed_ok) {
        imports_seen = ended;
        imports_looked = true;
      }
    }
    attempt("lag", [&] { poll_lag(now); });
    attempt("report", [&] { poll_report(now); });
    sleep_unless(stop_, options_.poll_ms);
  }
}

std::string NotifySources::query_json(const std::string& sql, const std::vector<std::optional<std::string>>& params) {
  SqlRequest r;
  r.sql = sql;
  r.params = params;
  SqlAnswer a = sql_->run(r);
  if (a.status != 200) throw std::runtime_error("the warehouse answered " + std::to_string(a.status) + ": " + a.body);
  return rows_as_objects(a.body);
}

void NotifySources::poll_imports(int64_t now_ms) {
  if (!sql_) return;
  std::optional<std::string> cursor = outbox_.cursor("imports");
  if (!cursor) { // from now on
    simdjson::dom::parser parser;
    int64_t last = parser.parse(query_json("SELECT coalesce(max(job), 0) AS job FROM imports", {})).at(0)["job"].get_int64();
    outbox_.store({}, {}, {}, now_ms, {{"imports", std::to_string(last)}});
    return;
  }
  const std::string rows = query_json(
      "SELECT job, file, sha256, format, bytes, rows_read, transactions, cancellations, rejected, rejected_malformed, rejected_bad_debt, "
      "rejected_non_positive_quantity, rejected_non_positive_price, CAST(started_at AS VARCHAR) AS started_at, "
      "CAST(finished_at AS VARCHAR) AS finished_at FROM imports WHERE job > CAST($1 AS INTEGER) ORDER BY job LIMIT 100",
      {*cursor});
  simdjson::dom::parser parser;
  std::vector<Outbox::NewEvent> events;
  int64_t last = 0;
  for (simdjson::dom::object row : parser.parse(rows).get_array()) {
    last = row["job"].get_int64();
    const std::string job = std::to_string(last);
    events.push_back({"import.finished/" + job, "import.finished", simdjson::minify(row)});
    if (int64_t rejected = row["rejected"].get_int64(); rejected > 0) {
      JsonWriter w;
      w.begin_object().field("source", "import").field("job", last).field("file", std::string_view(row["file"])).field("rejected", rejected);
      w.key("by_reason").begin_object();
      for (const char* reason : {"malformed", "bad_debt", "non_positive_quantity", "non_positive_price"})
        w.field(reason, int64_t(row[std::string("rejected_") + reason].get_int64()));
      w.end_object().end_object();
      events.push_back({"rows.rejected/import/" + job, "rows.rejected", w.take()});
    }
  }
  if (!events.empty()) outbox_.store({}, events, {}, now_ms, {{"imports", std::to_string(last)}});
}

void NotifySources::poll_failures(int64_t now_ms) {
  std::optional<std::string> cursor = outbox_.cursor("import-failures");
  if (!cursor) {
    outbox_.store({}, {}, {}, now_ms, {{"import-failures", std::to_string(import_failures_end(data_dir_))}});
    return;
  }
  std::vector<ImportFailure> failed = read_import_failures(data_dir_, std::stoull(*cursor));
  if (failed.empty()) return;
  std::vector<Outbox::NewEvent> events;
  for (const ImportFailure& f : failed) {
    JsonWriter w;
    w.begin_object().field("file", f.file).field("error", f.error).field("failed_at_ms", f.at_ms).end_object();
    events.push_back({"import.failed/" + std::to_string(f.end), "import.failed", w.take()});
  }
  outbox_.store({}, events, {}, now_ms, {{"import-failures", std::to_string(failed.back().end)}});
}

void NotifySources::poll_lag(int64_t now_ms) {
  std::vector<Outbox::NewEvent> events;
  for (const Pipeline::SinkStatus& s : pipeline_.status()) {
    Lagging& l = lagging_[s.name];
    const uint64_t lag = s.total_lag();
    const bool failing = s.failures.failing_since_ms != 0;
    if (lag > options_.lag_records || failing) {
      if (!l.over_since_ms) l = {now_ms, false, 0};
      l.peak = std::max(l.peak, lag);
      if (!l.reported && now_ms - l.over_since_ms >= options_.lag_ms) {
        JsonWriter w;
        w.begin_object().field("sink", s.name).field("lag_records", lag).field("threshold_records", options_.lag_records);
        w.field("behind_since_ms", l.over_since_ms).field("failing", failing);
        if (failing) w.field("error", s.failures.error);
        events.push_back({"sink.lagging/" + s.name + "/" + std::to_string(l.over_since_ms), "sink.lagging", w.end_object().take()});
        l.reported = true;
      }
    } else if (l.over_since_ms) {
      if (l.reported) {
        JsonWriter w;
        w.begin_object().field("sink", s.name).field("lag_records", lag).field("peak_lag_records", l.peak);
        w.field("behind_since_ms", l.over_since_ms).field("behind_for_s", (now_ms - l.over_since_ms) / 1000).end_object();
        events.push_back({"sink.recovered/" + s.name + "/" + std::to_string(l.over_since_ms), "sink.recovered", w.take()});
      }
      l = {};
    }
  }
  if (!events.empty()) outbox_.store({}, events, {}, now_ms);
}

void NotifySources::poll_report(int64_t now_ms) {
  if (!sql_) return;
  const std::string yesterday = utc_day(now_ms - 86'400'000);
  std::optional<std::string> last = outbox_.cursor("report.daily");
  if (!last) { // the first report is tomorrow's
    outbox_.store({}, {}, {}, now_ms, {{"report.daily", yesterday}});
    return;
  }
  const int64_t minute_of_day = (now_ms / 60'000) % 1440;
  if (*last >= yesterday || minute_of_day < options_.report_at_minute) return;
  report_daily(yesterday, true);
}

std::string NotifySources::report_daily(const std::string& day, bool scheduled) {
  if (!valid_day(day)) throw std::invalid_argument("day '" + day + "' is not a date (YYYY-MM-DD)");
  if (!sql_) throw std::runtime_error("this node reads no warehouse");
  const std::vector<std::optional<std::string>> params = {day, day, std::nullopt};
  JsonWriter w;
  w.begin_object().field("day", day);
  // The first row's columns `names` (all when empty) written as `as` (the same names when empty).
  simdjson::dom::parser parser;
  auto copy_first_row = [&](const char* query, std::vector<const char*> names, std::vector<const char*> as) {
    simdjson::dom::object row = parser.parse(query_json(analytics_query(query).sql, params)).at(0);
    if (names.empty())
      for (auto [key, value] : row) w.key(key).value(JsonRaw{simdjson::minify(value)});
    for (size_t i = 0; i < names.size(); ++i) w.key(as.empty() ? names[i] : as[i]).value(JsonRaw{simdjson::minify(row[names[i]])});
  };
  copy_first_row("kpis", {}, {});
  copy_first_row("cancellation_rate", {"line_rate_pct", "cancelled_lines", "cancelled_amount"},
                 {"cancellation_rate_pct", "cancelled_lines", "cancelled_amount"});
  const std::string products = query_json(analytics_query("top_products").sql, params);
  const std::string countries = query_json(analytics_query("revenue_by_country").sql, params);
  w.key("top_products").value(JsonRaw{products}).key("top_countries").value(JsonRaw{countries}).end_object();
  const int64_t now = wall_clock_ms();
  std::string id = "report.daily/" + day;
  if (!scheduled) { // one on request is a new event each time
    id += '/';
    id += std::to_string(now);
  }
  outbox_.store({}, {{id, "report.daily", w.take()}}, {}, now, scheduled ? Outbox::States{{"report.daily", day}} : Outbox::States{});
  return id;
}

} // namespace shopflow
