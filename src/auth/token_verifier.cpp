#include "auth/token_verifier.h"

#include <algorithm>

#include <simdjson.h>

#include "auth/base64url.h"
#include "auth/jwt.h"

namespace shopflow {

namespace {
constexpr size_t kCacheLimit = 100'000;

std::string member(simdjson::dom::element e, const char* key) {
  std::string_view s;
  if (e[key].get_string().get(s)) return {};
  return std::string(s);
}

std::string decoded(simdjson::dom::element e, const char* key, const std::string& kid) {
  auto v = base64url_decode(member(e, key));
  if (!v || v->empty()) throw std::runtime_error("JWKS key \"" + kid + "\": \"" + key + "\" is missing or not base64url");
  return *v;
}
} // namespace

TrustedIssuer trusted_issuer_from_jwks(std::string issuer, std::string_view jwks_json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array keys;
  if (parser.parse(jwks_json.data(), jwks_json.size()).get(doc) || doc["keys"].get_array().get(keys))
    throw std::runtime_error("not a JWKS document ({\"keys\": [...]})");
  TrustedIssuer out;
  out.issuer = std::move(issuer);
  for (auto k : keys) {
    std::string kid = member(k, "kid"), kty = member(k, "kty"), use = member(k, "use"), alg = member(k, "alg");
    if (!use.empty() && use != "sig") continue;
    try {
      JwsKey key = kty == "RSA" ? JwsKey::rsa_public(decoded(k, "n", kid), decoded(k, "e", kid))
                   : kty == "EC" && member(k, "crv") == "P-256" ? JwsKey::ec_p256_public(decoded(k, "x", kid), decoded(k, "y", kid))
                   : throw std::runtime_error("unsupported kty \"" + kty + "\" (RSA or EC P-256)");
      if (!alg.empty() && alg != jws_alg_name(key.alg()))
        throw std::runtime_error("\"alg\" " + alg + " does not match the key type");
      out.keys.emplace_back(kid, std::move(key));
    } catch (const std::exception& e) {
      throw std::runtime_error("JWKS key \"" + kid + "\": " + e.what());
    }
  }
  if (out.keys.empty()) throw std::runtime_error("the JWKS document has no signing keys");
  return out;
}

void TokenVerifier::trust(TrustedIssuer issuer) { issuers_.push_back(std::move(issuer)); }

void TokenVerifier::check_times(const Principal& p, int64_t now_s) const {
  if (now_s > p.exp + skew_s_) throw AuthError("the token expired");
  if (p.nbf && now_s + skew_s_ < p.nbf) throw AuthError("the token is not valid yet");
}

Principal TokenVerifier::verify(std::string_view token, int64_t now_s) const {
  {
    std::lock_guard lock(cache_mutex_);
    auto it = cache_.find(std::string(token));
    if (it != cache_.end()) {
      check_times(it->second, now_s);
      return it->second;
    }
  }
  Jwt jwt;
  try {
    jwt = parse_jwt(token);
  } catch (const JwtError& e) {
    throw AuthError(std::string("malformed token: ") + e.what());
  }
  if (jwt.alg != "RS256" && jwt.alg != "ES256") throw AuthError("algorithm \"" + jwt.alg + "\" is not allowed (RS256, ES256)");
  auto issuer = std::find_if(issuers_.begin(), issuers_.end(), [&](const TrustedIssuer& i) { return i.issuer == jwt.iss; });
  if (issuer == issuers_.end()) throw AuthError("issuer \"" + jwt.iss + "\" is not trusted");
  const JwsKey* key = nullptr;
  for (auto& [kid, k] : issuer->keys)
    if (kid == jwt.kid || (jwt.kid.empty() && issuer->keys.size() == 1)) key = &k;
  if (!key) throw AuthError("no key \"" + jwt.kid + "\" for issuer \"" + jwt.iss + "\"");
  if (jwt.alg != jws_alg_name(key->alg())) throw AuthError("algorithm \"" + jwt.alg + "\" does not match the issuer's key");
  if (!key->verify(jwt.signing_input, jwt.signature)) throw AuthError("bad signature");
  if (!jwt.exp) throw AuthError("the token has no \"exp\"");
  bool audience_ok = std::find(jwt.aud.begin(), jwt.aud.end(), audience_) != jwt.aud.end();
  if (!audience_ok && (issuer->require_audience || !jwt.aud.empty())) throw AuthError("the token is not for audience \"" + audience_ + "\"");
  Principal p;
  p.client_id = !jwt.client_id.empty() ? jwt.client_id : jwt.sub;
  for (auto& s : jwt.scopes) p.scopes |= scope_named(s);
  p.exp = *jwt.exp;
  p.nbf = jwt.nbf.value_or(0);
  check_times(p, now_s);
  std::lock_guard lock(cache_mutex_);
  if (cache_.size() >= kCacheLimit) cache_.clear();
  cache_.emplace(std::string(token), p);
  return p;
}

} // namespace shopflow
