// Decides whether a bearer token is trusted, and for what. A token passes when:
//   - it parses (jwt.h) and its "alg" is RS256 or ES256 and equals its key's algorithm (so never
//     "none", never HS256 keyed with a public key);
//   - its "iss" is a trusted issuer and its "kid" names one of that issuer's keys (an issuer with
//     one key also accepts a token without kid), and the signature verifies;
//   - "exp" is present and not past, "nbf" (if any) is reached, both with `skew_s` of slack;
//   - "aud" includes the audience (required for shopflow's own tokens; other issuers' tokens are
//     checked when they carry "aud" - Cognito access tokens carry "client_id" instead).
// Verified tokens are cached until they expire, so a repeated token costs one hash lookup.
#pragma once

#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "auth/jws_key.h"
#include "auth/scopes.h"

namespace shopflow {

struct AuthError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct TrustedIssuer {
  std::string issuer;
  std::vector<std::pair<std::string, JwsKey>> keys; // kid -> key
  bool require_audience = false;
};

// An issuer's keys from a JWKS document ({"keys": [...]}); throws std::runtime_error naming the
// problem. Keys whose "use" is not "sig" are skipped.
TrustedIssuer trusted_issuer_from_jwks(std::string issuer, std::string_view jwks_json);

struct Principal {
  std::string client_id;
  ScopeSet scopes = 0;
  int64_t exp = 0, nbf = 0;
};

class TokenVerifier {
public:
  explicit TokenVerifier(std::string audience, int64_t skew_s = 60) : audience_(std::move(audience)), skew_s_(skew_s) {}
  void trust(TrustedIssuer issuer);
  // Throws AuthError with the reason (for the 401's error_description).
  Principal verify(std::string_view token, int64_t now_s) const;

private:
  void check_times(const Principal& p, int64_t now_s) const;

  std::string audience_;
  int64_t skew_s_;
  std::vector<TrustedIssuer> issuers_;
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, Principal> cache_; // token -> verified principal
};

} // namespace shopflow
