// Operations: /healthz and the Prometheus text of /metrics.
#include "api/api_service.h"
#include "pipeline/pipeline_status.h"

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
  JsonWriter w;
  w.begin_object();
  bool degraded = write_pipeline_health(w, log_, pipeline_, [this](std::string error) { return without_data_dir(std::move(error)); });
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
  render_pipeline_metrics(out, log_, pipeline_);
  if (options_.has_warehouse && !dir_.backends().warehouse.postgres()) { // else another process's (a worker's) or PostgreSQL's
    out += "# HELP shopflow_rejected_rows Rows in the warehouse's rejected table, by reason.\n# TYPE shopflow_rejected_rows gauge\n";
    const std::map<std::string, int64_t> rejected = dir_.warehouse().rejected_by_reason(); // every reason, 0 when none
    for (auto& [reason, n] : rejected) out += fmt::format("shopflow_rejected_rows{{reason=\"{}\"}} {}\n", reason, n);
  }
  batch_jobs_.render_metrics(out);
  out += fmt::format("# HELP shopflow_build_info The running build.\n# TYPE shopflow_build_info gauge\n"
                     "shopflow_build_info{{version=\"{}\",duckdb=\"{}\"}} 1\n", SHOPFLOW_VERSION, duckdb_library_version());
  sql_.render_metrics(out);
  render_process_metrics(out);
  for (const auto& render : more_metrics_) render(out);
  metrics_.render_routes(out);
  res.result(200);
  res.set(http::field::content_type, "text/plain; version=0.0.4");
  res.body() = std::move(out);
}

} // namespace shopflow
