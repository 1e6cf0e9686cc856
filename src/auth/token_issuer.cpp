#include "auth/token_issuer.h"

#include <stdexcept>


#include "auth/random.h"
#include "auth/jwt.h"
#include "util/json_writer.h"
#include "util/durable_file.h"
#include "util/file_lock.h"
#include "util/read_file.h"

namespace fs = std::filesystem;

namespace shopflow {

namespace {

JwsKey load_or_create(const fs::path& dir, JwsAlg alg, std::string& issuer) {
  fs::create_directories(dir);
  // Two processes starting at once must agree on one key: the first creates it under a lock.
  ExclusiveFileLock lock(dir / "issuer.lock");
  fs::path key_file = dir / "signing-key.pem", issuer_file = dir / "issuer";
  if (!fs::exists(key_file)) replace_file_durably(key_file, JwsKey::generate(alg).private_pem(), 0600);
  if (!fs::exists(issuer_file)) replace_file_durably(issuer_file, "urn:shopflow:" + random_text(9) + "\n", 0600);
  issuer = read_file(issuer_file).value_or("");
  while (!issuer.empty() && (issuer.back() == '\n' || issuer.back() == '\r')) issuer.pop_back();
  if (issuer.empty()) throw std::runtime_error(issuer_file.string() + " is empty");
  try {
    return JwsKey::from_private_pem(read_file(key_file).value_or(""));
  } catch (const std::exception& e) {
    throw std::runtime_error(key_file.string() + ": " + e.what());
  }
}

} // namespace

TokenIssuer::TokenIssuer(const fs::path& data_dir, JwsAlg alg_if_new)
    : key_(load_or_create(data_dir / "auth", alg_if_new, issuer_)), kid_(key_.thumbprint().substr(0, 16)) {}

TokenIssuer::Token TokenIssuer::mint(const std::string& client_id, ScopeSet scopes, int64_t now_s, int64_t ttl_s) const {
  JsonWriter claims;
  claims.begin_object().field("iss", issuer_).field("sub", client_id).field("client_id", client_id).field("aud", kAudience);
  claims.field("scope", scope_names(scopes)).field("iat", now_s).field("nbf", now_s).field("exp", now_s + ttl_s);
  claims.field("jti", random_text(12)).end_object();
  return {sign_jwt(key_, kid_, claims.view()), ttl_s, scopes};
}

std::string TokenIssuer::jwks_json() const {
  JsonWriter w;
  w.begin_object().key("keys").begin_array();
  key_.write_public_jwk(w, kid_);
  return w.end_array().end_object().take();
}

} // namespace shopflow
