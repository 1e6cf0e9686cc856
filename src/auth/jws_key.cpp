#include "auth/jws_key.h"

#include <stdexcept>
#include <vector>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "auth/base64url.h"

namespace shopflow {

namespace {

[[noreturn]] void fail(const std::string& what) {
  char detail[256] = "";
  if (unsigned long e = ERR_get_error()) ERR_error_string_n(e, detail, sizeof detail);
  ERR_clear_error();
  throw std::runtime_error(what + (detail[0] ? std::string(": ") + detail : std::string()));
}

template <class T, void (*Free)(T*)> struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using Bn = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using ParamBld = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using Params = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using EcdsaSig = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* k) { return std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free); }

Bn bn_param(EVP_PKEY* k, const char* name) {
  BIGNUM* bn = nullptr;
  if (!EVP_PKEY_get_bn_param(k, name, &bn)) fail(std::string("key has no ") + name);
  return Bn(bn);
}

std::string bn_bytes(const BIGNUM* bn, int width = 0) {
  std::string out(static_cast<size_t>(width ? width : BN_num_bytes(bn)), '\0');
  if (width) BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), width);
  else BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

Bn bn_from(std::string_view bytes) {
  return Bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()), nullptr));
}

// Builds a public key from OpenSSL parameters.
std::shared_ptr<EVP_PKEY> public_from_params(const char* type, OSSL_PARAM_BLD* bld) {
  Params params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0)
    fail(std::string("invalid ") + type + " public key");
  return own(key);
}

JwsAlg alg_of(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA")) {
    if (EVP_PKEY_get_bits(key) < 2048) throw std::runtime_error("RSA keys must have at least 2048 bits");
    return JwsAlg::RS256;
  }
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = "";
    size_t len = 0;
    if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) ||
        std::string_view(group) != "prime256v1")
      throw std::runtime_error("EC keys must be on curve P-256");
    return JwsAlg::ES256;
  }
  throw std::runtime_error("keys must be RSA or EC P-256");
}

} // namespace

std::string_view jws_alg_name(JwsAlg alg) { return alg == JwsAlg::RS256 ? "RS256" : "ES256"; }

JwsKey::JwsKey(std::shared_ptr<EVP_PKEY> key, JwsAlg alg, bool has_private) : key_(std::move(key)), alg_(alg), private_(has_private) {}

JwsKey JwsKey::generate(JwsAlg alg) {
  EVP_PKEY* key = alg == JwsAlg::RS256 ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
  if (!key) fail("cannot generate a key pair");
  return JwsKey(own(key), alg, true);
}

JwsKey JwsKey::from_private_pem(std::string_view pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (!key) fail("not a PEM private key");
  auto owned = own(key);
  return JwsKey(owned, alg_of(key), true);
}

JwsKey JwsKey::rsa_public(std::string_view n, std::string_view e) {
  ParamBld bld(OSSL_PARAM_BLD_new());
  Bn bn_n = bn_from(n), bn_e = bn_from(e);
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get());
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get());
  auto key = public_from_params("RSA", bld.get());
  return JwsKey(key, alg_of(key.get()), false);
}

JwsKey JwsKey::ec_p256_public(std::string_view x, std::string_view y) {
  if (x.size() != 32 || y.size() != 32) throw std::runtime_error("P-256 coordinates must be 32 bytes");
  std::string point = "\x04" + std::string(x);
  point += y;
  ParamBld bld(OSSL_PARAM_BLD_new());
  OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  auto key = public_from_params("EC", bld.get());
  return JwsKey(key, alg_of(key.get()), false);
}

std::string JwsKey::private_pem() const {
  if (!private_) throw std::logic_error("a public key has no private PEM");
  Bio bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr)) fail("cannot write the key");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

// The public key's members in RFC 7638 order (the thumbprint hashes exactly this text).
void JwsKey::write_public_members(JsonWriter& w) const {
  if (alg_ == JwsAlg::RS256) {
    w.field("e", base64url_encode(bn_bytes(bn_param(key_.get(), OSSL_PKEY_PARAM_RSA_E).get()))).field("kty", "RSA");
    w.field("n", base64url_encode(bn_bytes(bn_param(key_.get(), OSSL_PKEY_PARAM_RSA_N).get())));
    return;
  }
  w.field("crv", "P-256").field("kty", "EC");
  w.field("x", base64url_encode(bn_bytes(bn_param(key_.get(), OSSL_PKEY_PARAM_EC_PUB_X).get(), 32)));
  w.field("y", base64url_encode(bn_bytes(bn_param(key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y).get(), 32)));
}

std::string JwsKey::canonical_public_jwk() const {
  JsonWriter w;
  w.begin_object();
  write_public_members(w);
  return w.end_object().take();
}

void JwsKey::write_public_jwk(JsonWriter& w, std::string_view kid) const {
  w.begin_object();
  write_public_members(w);
  w.field("kid", kid).field("use", "sig").field("alg", jws_alg_name(alg_)).end_object();
}

std::string JwsKey::public_jwk(std::string_view kid) const {
  JsonWriter w;
  write_public_jwk(w, kid);
  return w.take();
}

std::string JwsKey::thumbprint() const {
  std::string canonical = canonical_public_jwk();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!EVP_Digest(canonical.data(), canonical.size(), digest, &len, EVP_sha256(), nullptr)) fail("cannot hash the key");
  return base64url_encode(std::string_view(reinterpret_cast<char*>(digest), len));
}

std::string JwsKey::sign(std::string_view input) const {
  if (!private_) throw std::logic_error("cannot sign with a public key");
  MdCtx ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) <= 0 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size()) <= 0)
    fail("cannot sign");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) <= 0)
    fail("cannot sign");
  sig.resize(len);
  if (alg_ == JwsAlg::RS256) return sig;
  // ES256 in JWS is r||s, each 32 bytes big-endian; OpenSSL produces DER.
  const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
  EcdsaSig parsed(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
  if (!parsed) fail("cannot read the ECDSA signature");
  const BIGNUM *r = nullptr, *s = nullptr;
  ECDSA_SIG_get0(parsed.get(), &r, &s);
  return bn_bytes(r, 32) + bn_bytes(s, 32);
}

bool JwsKey::verify(std::string_view input, std::string_view signature) const {
  std::string der;
  if (alg_ == JwsAlg::ES256) {
    if (signature.size() != 64) return false;
    EcdsaSig sig(ECDSA_SIG_new());
    Bn r = bn_from(signature.substr(0, 32)), s = bn_from(signature.substr(32));
    if (!sig || !ECDSA_SIG_set0(sig.get(), r.get(), s.get())) return false;
    r.release(); // owned by sig now
    s.release();
    unsigned char* out = nullptr;
    int n = i2d_ECDSA_SIG(sig.get(), &out);
    if (n <= 0) return false;
    der.assign(reinterpret_cast<char*>(out), static_cast<size_t>(n));
    OPENSSL_free(out);
    signature = der;
  }
  MdCtx ctx(EVP_MD_CTX_new());
  bool ok = EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) > 0 &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                             reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  ERR_clear_error();
  return ok;
}

} // namespace shopflow
