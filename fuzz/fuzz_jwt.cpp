// JWT parsing and verification on arbitrary tokens: parse_jwt, then the verifier with a trusted
// RS256 and ES256 issuer (keys made once per process).
#include <cstdint>
#include <string_view>

#include "auth/jwt.h"
#include "auth/token_verifier.h"

namespace {
shopflow::TokenVerifier& verifier() {
  static shopflow::TokenVerifier* v = [] {
    auto* t = new shopflow::TokenVerifier("shopflow");
    t->trust({"urn:shopflow:fuzz", {{"rs", shopflow::JwsKey::generate(shopflow::JwsAlg::RS256)}}, true});
    t->trust({"https://idp.fuzz", {{"es", shopflow::JwsKey::generate(shopflow::JwsAlg::ES256)}}, false});
    return t;
  }();
  return *v;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view token(reinterpret_cast<const char*>(data), size);
  try {
    shopflow::parse_jwt(token);
  } catch (const shopflow::JwtError&) {
  }
  try {
    verifier().verify(token, 1'800'000'000);
  } catch (const shopflow::AuthError&) {
  }
  return 0;
}
