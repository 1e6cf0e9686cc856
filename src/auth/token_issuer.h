// shopflow's own OAuth2 issuer: a key pair made at first start and kept in DIR/auth/signing-key.pem
// (mode 0600), and an issuer id kept in DIR/auth/issuer. Tokens are JWTs signed RS256 (or ES256
// when the key was made so), with kid = the key's RFC 7638 thumbprint, aud "shopflow", and the
// client's scopes in "scope".
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "auth/jws_key.h"
#include "auth/scopes.h"

namespace shopflow {

inline constexpr const char* kAudience = "shopflow";

class TokenIssuer {
public:
  // Opens the data dir's issuer, creating the key (of `alg_if_new`) and issuer id on first use.
  explicit TokenIssuer(const std::filesystem::path& data_dir, JwsAlg alg_if_new = JwsAlg::RS256);

  struct Token {
    std::string access_token;
    int64_t expires_in = 0;
    ScopeSet scopes = 0;
  };
  Token mint(const std::string& client_id, ScopeSet scopes, int64_t now_s, int64_t ttl_s = 3600) const;

  const std::string& issuer() const { return issuer_; }
  const std::string& kid() const { return kid_; }
  const JwsKey& key() const { return key_; }
  std::string jwks_json() const; // {"keys": [the public JWK]}

private:
  std::string issuer_; // first: the key's loader fills it
  JwsKey key_;
  std::string kid_;
};

} // namespace shopflow
