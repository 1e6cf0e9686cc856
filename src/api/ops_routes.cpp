// Operations: /healthz and the Prometheus text of /metrics.
#include "api/api_service.h"

#include <map>

#include <fmt/format.h>

#include "util/json_writer.h"
#include "util/clock.h"

namespace http = boost::beast::http;

namespace shopflow {

// 200 {"status":"ok",...} while the log's writes and every sink work; 503 {"status":"degraded"}
// while one fails (each retries by itself: a disk that was full, say), naming it and its error
// (the data dir's path shown as DIR), with every sink's lag and the next offset it will store per
// shard (send --wait waits for its rows' offsets there).
void ApiService::health(HttpResponse& res) {
  int64_t now = wall_clock_ms();
  FailureState::Snapshot log_failures = log_.write_failures();
  auto sinks = pipeline_.status();
  bool degraded = log_failures.failing_since_ms != 0;
  for (auto& st : sinks) degraded |= st.failures.failing_since_ms != 0;
  auto state = [&](JsonWriter& w, const FailureState::Snapshot& f) {
    if (!f.failing_since_ms) {
      w.field("state", "ok");
      return;
    }
    w.field("state", "failing").field("failing_for_s", JsonNumber{fmt::format("{:.1f}", (now - f.failing_since_ms) / 1000.0)});
    w.field("error", without_data_dir(f.error));
  };
  JsonWriter w;
  w.begin_object().field("status", degraded ? "degraded" : "ok").key("log").begin_object();
  state(w, log_failures);
  w.end_object().key("sinks").begin_array();
  for (auto& st : sinks) {
    w.begin_object().field("sink", st.name);
    state(w, st.failures);
    w.field("lag_records", st.total_lag()).key("stored_offsets").begin_array();
    for (uint64_t offset : st.stored) w.value(offset);
    w.end_array().end_object();
  }
  w.end_array();
  if (!access_) w.field("warning", "authentication is off (--insecure-no-auth): anyone can read and write");
  json_response(res, degraded ? 503 : 200, w.end_object().take());
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
  const std::map<std::string, int64_t> rejected = dir_.warehouse().rejected_by_reason(); // every reason, 0 when none
  for (auto& [reason, n] : rejected) out += fmt::format("shopflow_rejected_rows{{reason=\"{}\"}} {}\n", reason, n);
  batch_jobs_.render_metrics(out);
  out += fmt::format("# HELP shopflow_build_info The running build.\n# TYPE shopflow_build_info gauge\n"
                     "shopflow_build_info{{version=\"{}\",duckdb=\"{}\"}} 1\n", SHOPFLOW_VERSION, duckdb_library_version());
  sql_.render_metrics(out);
  render_process_metrics(out);
  if (more_metrics_) more_metrics_(out);
  metrics_.render_routes(out);
  res.result(200);
  res.set(http::field::content_type, "text/plain; version=0.0.4");
  res.body() = std::move(out);
}

} // namespace shopflow
