#include "auth/random.h"

#include <stdexcept>

#include <openssl/rand.h>

#include "auth/base64url.h"

namespace shopflow {

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("the random number generator failed");
  return out;
}

std::string random_text(size_t n) { return base64url_encode(random_bytes(n)); }

} // namespace shopflow
