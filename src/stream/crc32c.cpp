#include "stream/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace shopflow {

namespace {
constexpr uint32_t kPoly = 0x82F63B78; // reflected Castagnoli polynomial

constexpr std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (c & 1 ? kPoly : 0);
    t[i] = c;
  }
  return t;
}
constexpr auto kTable = make_table();

// Both take and return the inverted CRC.
uint32_t crc32c_table(uint32_t crc, const unsigned char* p, size_t n) {
  while (n--) crc = kTable[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
// The CPU's CRC32 instruction (SSE4.2), chosen at run time: the binary runs on any x86-64.
__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(uint32_t crc, const unsigned char* p, size_t n) {
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    crc = static_cast<uint32_t>(_mm_crc32_u64(crc, v));
    p += 8;
    n -= 8;
  }
  while (n--) crc = _mm_crc32_u8(crc, *p++);
  return crc;
}
const bool kHasSse42 = __builtin_cpu_supports("sse4.2");
#endif
} // namespace

uint32_t crc32c(uint32_t crc, const void* data, size_t n) {
  auto* p = static_cast<const unsigned char*>(data);
#if defined(__x86_64__)
  if (kHasSse42) return ~crc32c_sse42(~crc, p, n);
#endif
  return ~crc32c_table(~crc, p, n);
}

uint32_t crc32c_portable(uint32_t crc, const void* data, size_t n) {
  return ~crc32c_table(~crc, static_cast<const unsigned char*>(data), n);
}

} // namespace shopflow
