// The `shopflow serve` that holds a data dir, for commands that hand their work to it (batch,
// sql, catalog): its URL (DIR/SERVE) and a short token minted from the data dir's signing key,
// which whoever can read the data dir holds: that proves local access.
#pragma once

#include <optional>
#include <string>

#include "client/http_client.h"
#include "auth/scopes.h"

namespace shopflow {

struct LocalServer {
  ParsedUrl url;
  std::string token;
  HttpResult post(const std::string& path, const std::string& body, const std::string& content_type, int timeout_s = 3600) const {
    return request("POST", path, body, content_type, timeout_s);
  }
  HttpResult request(const std::string& method, const std::string& path, const std::string& body = "",
                     const std::string& content_type = "application/json", int timeout_s = 60) const;
};

// Nullopt unless a `shopflow serve` holds `data_dir` now. Throws if it does but left no URL.
std::optional<LocalServer> local_server(const std::string& data_dir, ScopeSet scopes, const std::string& who);

} // namespace shopflow
