#include "auth/jwt.h"

#include <simdjson.h>

#include "auth/base64url.h"

namespace shopflow {

namespace {

std::string decode_part(std::string_view part, const char* name) {
  auto bytes = base64url_decode(part);
  if (!bytes) throw JwtError(std::string("token ") + name + " is not base64url");
  return *bytes;
}

simdjson::dom::object json_object(simdjson::dom::parser& parser, const std::string& text, const char* name) {
  simdjson::dom::object obj;
  if (parser.parse(text).get(obj)) throw JwtError(std::string("token ") + name + " is not a JSON object");
  return obj;
}

std::string string_member(simdjson::dom::object obj, const char* key, const char* part) {
  simdjson::dom::element e;
  if (obj[key].get(e)) return {};
  std::string_view s;
  if (e.get_string().get(s)) throw JwtError(std::string("token ") + part + " \"" + key + "\" is not a string");
  return std::string(s);
}

std::optional<int64_t> time_member(simdjson::dom::object obj, const char* key) {
  simdjson::dom::element e;
  if (obj[key].get(e)) return std::nullopt;
  int64_t i;
  if (!e.get_int64().get(i)) return i;
  double d;
  if (!e.get_double().get(d) && d > -9e15 && d < 9e15) return static_cast<int64_t>(d);
  throw JwtError(std::string("token claim \"") + key + "\" is not a number of seconds");
}

std::vector<std::string> string_or_array(simdjson::dom::object obj, const char* key) {
  std::vector<std::string> out;
  simdjson::dom::element e;
  if (obj[key].get(e)) return out;
  std::string_view s;
  if (!e.get_string().get(s)) {
    out.emplace_back(s);
    return out;
  }
  simdjson::dom::array a;
  if (e.get_array().get(a)) throw JwtError(std::string("token claim \"") + key + "\" is neither a string nor an array");
  for (auto item : a) {
    if (item.get_string().get(s)) throw JwtError(std::string("token claim \"") + key + "\" holds a non-string");
    out.emplace_back(s);
  }
  return out;
}

} // namespace

Jwt parse_jwt(std::string_view token) {
  if (token.empty()) throw JwtError("empty token");
  if (token.size() > 8192) throw JwtError("token longer than 8192 bytes");
  size_t a = token.find('.');
  size_t b = a == std::string_view::npos ? a : token.find('.', a + 1);
  if (b == std::string_view::npos || token.find('.', b + 1) != std::string_view::npos)
    throw JwtError("token is not three dot-separated parts");
  Jwt jwt;
  std::string header = decode_part(token.substr(0, a), "header");
  std::string claims = decode_part(token.substr(a + 1, b - a - 1), "claims");
  jwt.signature = decode_part(token.substr(b + 1), "signature");
  jwt.signing_input = std::string(token.substr(0, b));
  simdjson::dom::parser parser;
  simdjson::dom::object h = json_object(parser, header, "header");
  jwt.alg = string_member(h, "alg", "header");
  jwt.kid = string_member(h, "kid", "header");
  jwt.typ = string_member(h, "typ", "header");
  if (jwt.alg.empty()) throw JwtError("token header has no \"alg\"");
  simdjson::dom::parser claims_parser;
  simdjson::dom::object c = json_object(claims_parser, claims, "claims");
  jwt.iss = string_member(c, "iss", "claim");
  jwt.sub = string_member(c, "sub", "claim");
  jwt.client_id = string_member(c, "client_id", "claim");
  jwt.jti = string_member(c, "jti", "claim");
  jwt.aud = string_or_array(c, "aud");
  for (const std::string& scope_claim : string_or_array(c, "scope")) {
    size_t pos = 0;
    while (pos < scope_claim.size()) {
      size_t sp = scope_claim.find(' ', pos);
      if (sp == std::string::npos) sp = scope_claim.size();
      if (sp > pos) jwt.scopes.push_back(scope_claim.substr(pos, sp - pos));
      pos = sp + 1;
    }
  }
  for (auto& s : string_or_array(c, "scp")) jwt.scopes.push_back(std::move(s));
  jwt.exp = time_member(c, "exp");
  jwt.nbf = time_member(c, "nbf");
  jwt.iat = time_member(c, "iat");
  return jwt;
}

std::string sign_jwt(const JwsKey& key, std::string_view kid, std::string_view claims_json) {
  JsonWriter header;
  header.begin_object().field("alg", jws_alg_name(key.alg())).field("typ", "JWT").field("kid", kid).end_object();
  std::string input = base64url_encode(header.view());
  input += '.';
  input += base64url_encode(claims_json);
  std::string sig = key.sign(input);
  input += '.';
  input += base64url_encode(sig);
  return input;
}

} // namespace shopflow
