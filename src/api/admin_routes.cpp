// POST /v1/admin/batch: a `shopflow batch` job handed to this server.
#include "api/api_service.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "batch/importer.h"
#include "formats/json_record.h"
#include "util/log.h"

namespace http = boost::beast::http;

namespace shopflow {

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

} // namespace shopflow
