#include "cli/local_server.h"

#include <filesystem>
#include <fstream>

#include "auth/token_issuer.h"
#include "storage/data_dir_lock.h"
#include "util/clock.h"

namespace shopflow {

std::optional<LocalServer> local_server(const std::string& data_dir, ScopeSet scopes, const std::string& who) {
  auto holder = DataDirLock::holder(data_dir);
  if (!holder || holder->find("shopflow serve") == std::string::npos) return std::nullopt;
  std::string url;
  std::ifstream(std::filesystem::path(data_dir) / "SERVE") >> url;
  if (url.empty()) throw std::runtime_error("data dir " + data_dir + " is held by a shopflow serve whose URL is unknown");
  return LocalServer{parse_url(url), TokenIssuer(data_dir).mint("local:" + who, scopes, wall_clock_us() / 1'000'000, 300).access_token};
}

HttpResult LocalServer::request(const std::string& method, const std::string& path, const std::string& body, const std::string& content_type,
                                int timeout_s) const {
  // Over TLS the certificate is checked with the system's CAs (a self-signed one: run it elsewhere).
  HttpClient client(url.host, url.port, timeout_s, {url.tls, ""});
  return client.request(method, path, body, {{"Content-Type", content_type}, {"Authorization", "Bearer " + token}});
}

} // namespace shopflow
