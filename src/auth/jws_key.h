// A JWS signing or verification key (OpenSSL EVP_PKEY, wrapped once here): RS256 with an RSA key
// of at least 2048 bits, or ES256 with a P-256 key. The algorithm follows from the key's type, so
// a token can never pick another one (no "none", no HS256 keyed with a public key).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "util/json_writer.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace shopflow {

enum class JwsAlg { RS256, ES256 };
std::string_view jws_alg_name(JwsAlg alg);

class JwsKey {
public:
  static JwsKey generate(JwsAlg alg);
  // A private key in PEM (PKCS#8 or traditional). Throws naming what is wrong.
  static JwsKey from_private_pem(std::string_view pem);
  // Public keys from a JWK's fields, already base64url-decoded (big-endian integers).
  static JwsKey rsa_public(std::string_view n, std::string_view e);
  static JwsKey ec_p256_public(std::string_view x, std::string_view y);

  JwsAlg alg() const { return alg_; }
  bool has_private() const { return private_; }
  std::string private_pem() const;
  // The public JWK as a JSON object with "kid", "use":"sig" and "alg".
  void write_public_jwk(JsonWriter& w, std::string_view kid) const;
  std::string public_jwk(std::string_view kid) const;
  // RFC 7638 thumbprint (base64url SHA-256 of the canonical public JWK): a stable key id.
  std::string thumbprint() const;

  // The JWS signature of `input` (ES256: the raw 64-byte r||s form, not DER).
  std::string sign(std::string_view input) const;
  bool verify(std::string_view input, std::string_view signature) const;

private:
  JwsKey(std::shared_ptr<EVP_PKEY> key, JwsAlg alg, bool has_private);
  void write_public_members(JsonWriter& w) const;
  std::string canonical_public_jwk() const; // members in RFC 7638 order, without kid/use/alg
  std::shared_ptr<EVP_PKEY> key_;
  JwsAlg alg_;
  bool private_;
};

} // namespace shopflow
