// POST /v1/admin/batch: a `shopflow batch` job handed to this server.
#include "api/api_service.h"

#include <simdjson.h>

#include "util/json_writer.h"

namespace http = boost::beast::http;

namespace shopflow {

// `shopflow batch` handing its job to this server: {"files": ["/abs/path", ...], "force": false}.
// Answers {"results": [{"file", "ok", "text", "json" | "error"}]} (batch/handed_jobs.h runs them).
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
  std::vector<std::string> paths;
  for (auto f : files) {
    std::string_view file;
    if (!f.get_string().get(file)) paths.emplace_back(file);
  }
  JsonWriter w;
  w.begin_object().key("results").begin_array();
  for (const HandedJobs::Result& r : batch_jobs_.run(paths, force)) {
    w.begin_object().field("file", r.file);
    if (r.summary) w.field("ok", true).field("text", r.summary->to_text()).key("json").value(JsonRaw{r.summary->to_json()});
    else w.field("ok", false).field("error", r.error);
    w.end_object();
  }
  json_response(res, 200, w.end_array().end_object().take());
}

} // namespace shopflow
