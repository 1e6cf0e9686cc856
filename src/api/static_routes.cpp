// The dashboard's files.
#include "api/api_service.h"

#include <algorithm>
#include <filesystem>

#include "util/json_writer.h"
#include "util/read_file.h"

namespace http = boost::beast::http;

namespace shopflow {

// The dashboard's files: regular files (no symlinks) named [A-Za-z0-9._-] directly under web_root.
void ApiService::static_file(const std::string& name, HttpResponse& res) {
  bool plain = !name.empty() && name[0] != '.' &&
               std::all_of(name.begin(), name.end(), [](char c) { return isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'; });
  std::optional<std::string> bytes;
  if (!options_.web_root.empty() && plain) {
    // A regular file of the web root itself: a symlink (to a file outside it, say) is not served.
    std::filesystem::path file = std::filesystem::path(options_.web_root) / name;
    std::error_code ec;
    if (std::filesystem::symlink_status(file, ec).type() == std::filesystem::file_type::regular) bytes = read_file(file);
  }
  if (!bytes) return json_response(res, 404, error_json("no file /web/" + name));
  res.result(200);
  res.set(http::field::content_type, name.ends_with(".html") ? "text/html; charset=utf-8"
                                     : name.ends_with(".js") ? "text/javascript; charset=utf-8"
                                     : name.ends_with(".css") ? "text/css; charset=utf-8"
                                                              : "application/octet-stream");
  res.set(http::field::cache_control, "no-cache");
  res.body() = std::move(*bytes);
}

} // namespace shopflow
