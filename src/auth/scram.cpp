#include "auth/scram.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <stdexcept>

#include "auth/base64url.h"
#include "auth/random.h"
#include "util/sha256.h"

namespace shopflow {

namespace {


std::string salted_password(std::string_view secret, std::string_view salt, int iterations) {
  std::string out(32, '\0');
  if (!PKCS5_PBKDF2_HMAC(secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(salt.data()),
                         static_cast<int>(salt.size()), iterations, EVP_sha256(), 32, reinterpret_cast<unsigned char*>(out.data())))
    throw std::runtime_error("PBKDF2 failed");
  return out;
}

// The value of attribute `name` ("r", "p", ...) in a comma-separated SCRAM message.
std::optional<std::string_view> attribute(std::string_view message, char name) {
  size_t pos = 0;
  while (pos < message.size()) {
    size_t comma = message.find(',', pos);
    if (comma == std::string_view::npos) comma = message.size();
    std::string_view part = message.substr(pos, comma - pos);
    if (part.size() >= 2 && part[0] == name && part[1] == '=') return part.substr(2);
    pos = comma + 1;
  }
  return std::nullopt;
}

} // namespace

std::string scram_verifier(std::string_view secret) {
  const int iterations = 4096;
  std::string salt = random_bytes(16);
  std::string salted = salted_password(secret, salt, iterations);
  return "SCRAM-SHA-256$" + std::to_string(iterations) + ":" + base64_encode(salt) + "$" +
         base64_encode(sha256_bytes(hmac_sha256(salted, "Client Key"))) + ":" + base64_encode(hmac_sha256(salted, "Server Key"));
}

std::string scram_unknown_user_salt(std::string_view server_key, std::string_view user) { return hmac_sha256(server_key, user).substr(0, 16); }

ScramServer::ScramServer(std::string_view v, std::string_view unknown_user_salt) {
  // SCRAM-SHA-256$<i>:<salt>$<stored>:<server>
  auto parse = [&]() -> bool {
    if (v.rfind("SCRAM-SHA-256$", 0) != 0) return false;
    std::string_view rest = v.substr(14);
    size_t colon = rest.find(':'), dollar = rest.find('$');
    if (colon == std::string_view::npos || dollar == std::string_view::npos || dollar < colon) return false;
    size_t colon2 = rest.find(':', dollar);
    if (colon2 == std::string_view::npos) return false;
    try {
      iterations_ = std::stoi(std::string(rest.substr(0, colon)));
    } catch (...) {
      return false;
    }
    auto salt = base64_decode(rest.substr(colon + 1, dollar - colon - 1));
    auto stored = base64_decode(rest.substr(dollar + 1, colon2 - dollar - 1));
    auto server = base64_decode(rest.substr(colon2 + 1));
    if (!salt || !stored || !server || iterations_ < 1) return false;
    salt_ = *salt;
    stored_key_ = *stored;
    server_key_ = *server;
    return true;
  };
  known_ = parse();
  if (!known_) { // a made-up verifier: the exchange looks the same and fails
    iterations_ = 4096;
    salt_ = unknown_user_salt.size() >= 16 ? std::string(unknown_user_salt.substr(0, 16)) : random_bytes(16);
    stored_key_ = random_bytes(32);
    server_key_ = random_bytes(32);
  }
}

std::optional<std::string> ScramServer::first(std::string_view client_first) {
  // gs2 header: "n,," or "y,," (no channel binding), then the bare message.
  if (client_first.size() < 3 || (client_first[0] != 'n' && client_first[0] != 'y')) return std::nullopt;
  size_t second_comma = client_first.find(',', client_first.find(',') + 1);
  if (second_comma == std::string_view::npos) return std::nullopt;
  client_first_bare_ = std::string(client_first.substr(second_comma + 1));
  auto client_nonce = attribute(client_first_bare_, 'r');
  if (!client_nonce || client_nonce->empty()) return std::nullopt;
  nonce_ = std::string(*client_nonce) + base64_encode(random_bytes(18));
  server_first_ = "r=" + nonce_ + ",s=" + base64_encode(salt_) + ",i=" + std::to_string(iterations_);
  return server_first_;
}

std::optional<std::string> ScramServer::final(std::string_view client_final) {
  auto nonce = attribute(client_final, 'r');
  auto proof_b64 = attribute(client_final, 'p');
  size_t p_at = client_final.rfind(",p=");
  if (!nonce || !proof_b64 || *nonce != nonce_ || p_at == std::string_view::npos) return std::nullopt;
  auto proof = base64_decode(*proof_b64);
  if (!proof || proof->size() != 32) return std::nullopt;
  std::string auth_message = client_first_bare_ + "," + server_first_ + "," + std::string(client_final.substr(0, p_at));
  std::string signature = hmac_sha256(stored_key_, auth_message);
  std::string client_key(32, '\0');
  for (size_t i = 0; i < 32; ++i) client_key[i] = static_cast<char>((*proof)[i] ^ signature[i]);
  std::string check = sha256_bytes(client_key);
  bool ok = CRYPTO_memcmp(check.data(), stored_key_.data(), 32) == 0;
  if (!ok || !known_) return std::nullopt;
  return "v=" + base64_encode(hmac_sha256(server_key_, auth_message));
}

} // namespace shopflow
