#include "auth/token_issuer.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include <sodium.h>

#include "auth/base64url.h"
#include "auth/jwt.h"
#include "formats/json_record.h"

namespace fs = std::filesystem;

namespace shopflow {

namespace {

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_private(const fs::path& p, const std::string& text) {
  fs::path tmp = p;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot write " + tmp.string());
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot write " + tmp.string());
  fs::rename(tmp, p);
}

std::string random_id(size_t bytes) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  return base64url_encode(raw);
}

JwsKey load_or_create(const fs::path& dir, JwsAlg alg, std::string& issuer) {
  fs::create_directories(dir);
  // Two processes starting at once must agree on one key: the first creates it under a lock.
  int fd = ::open((dir / "issuer.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || ::flock(fd, LOCK_EX) != 0) throw std::runtime_error("cannot lock " + (dir / "issuer.lock").string());
  try {
    fs::path key_file = dir / "signing-key.pem", issuer_file = dir / "issuer";
    if (!fs::exists(key_file)) write_private(key_file, JwsKey::generate(alg).private_pem());
    if (!fs::exists(issuer_file)) write_private(issuer_file, "urn:shopflow:" + random_id(9) + "\n");
    issuer = read_all(issuer_file);
    while (!issuer.empty() && (issuer.back() == '\n' || issuer.back() == '\r')) issuer.pop_back();
    if (issuer.empty()) throw std::runtime_error(issuer_file.string() + " is empty");
    JwsKey key = [&] {
      try {
        return JwsKey::from_private_pem(read_all(key_file));
      } catch (const std::exception& e) {
        throw std::runtime_error(key_file.string() + ": " + e.what());
      }
    }();
    ::close(fd);
    return key;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

} // namespace

TokenIssuer::TokenIssuer(const fs::path& data_dir, JwsAlg alg_if_new)
    : key_(load_or_create(data_dir / "auth", alg_if_new, issuer_)), kid_(key_.thumbprint().substr(0, 16)) {}

TokenIssuer::Token TokenIssuer::mint(const std::string& client_id, ScopeSet scopes, int64_t now_s, int64_t ttl_s) const {
  std::string claims = "{\"iss\":";
  append_json_string(claims, issuer_);
  claims += ",\"sub\":";
  append_json_string(claims, client_id);
  claims += ",\"client_id\":";
  append_json_string(claims, client_id);
  claims += ",\"aud\":\"";
  claims += kAudience;
  claims += "\",\"scope\":\"" + scope_names(scopes) + "\"";
  claims += ",\"iat\":" + std::to_string(now_s) + ",\"nbf\":" + std::to_string(now_s) + ",\"exp\":" + std::to_string(now_s + ttl_s);
  claims += ",\"jti\":\"" + random_id(12) + "\"}";
  return {sign_jwt(key_, kid_, claims), ttl_s, scopes};
}

std::string TokenIssuer::jwks_json() const { return "{\"keys\":[" + key_.public_jwk(kid_) + "]}"; }

} // namespace shopflow
