// Cryptographically random bytes (OpenSSL's RAND_bytes), raw or as base64url text, for secrets,
// ids, salts and nonces.
#pragma once

#include <string>

namespace shopflow {

std::string random_bytes(size_t n); // throws std::runtime_error if the generator fails
std::string random_text(size_t n);  // n random bytes, base64url-encoded

} // namespace shopflow
