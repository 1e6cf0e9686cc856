// Compact JWS tokens (RFC 7515/7519): header.claims.signature, each base64url.
// parse_jwt only splits and decodes; TokenVerifier (token_verifier.h) decides whether to trust it.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jws_key.h"

namespace shopflow {

struct JwtError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Jwt {
  // Header.
  std::string alg, kid, typ;
  // Claims (absent strings are empty).
  std::string iss, sub, client_id, jti;
  std::vector<std::string> aud;    // "aud" as a string or an array
  std::vector<std::string> scopes; // "scope" (space-separated) or "scp" (array)
  std::optional<int64_t> exp, nbf, iat;
  // What the signature covers, and the decoded signature.
  std::string signing_input, signature;
};

// Throws JwtError naming the part that is malformed. Tokens over 8 KiB are refused.
Jwt parse_jwt(std::string_view token);

// header.claims.signature for a JSON claims object, with {"alg", "typ": "JWT", "kid"}.
std::string sign_jwt(const JwsKey& key, std::string_view kid, std::string_view claims_json);

} // namespace shopflow
