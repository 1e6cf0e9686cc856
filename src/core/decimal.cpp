#include "core/decimal.h"

#include <limits>

namespace shopflow {

namespace {
constexpr int64_t kMaxMilli = 999'999'999'999; // DECIMAL(12,3): 9 integer digits, 3 fractional

// Parses [sign] digits [. digits] [e|E [sign] digits] exactly; result = value x 10^3, rounded half
// away from zero. Digits beyond what int64 can hold are refused (the range check catches them).
std::optional<int64_t> parse_scaled(std::string_view s) {
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  __int128 mantissa = 0;
  int exponent = 0; // value = mantissa x 10^exponent
  size_t digits = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
    if (mantissa < (__int128)1e30) mantissa = mantissa * 10 + (s[i] - '0');
    else ++exponent;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
      if (mantissa < (__int128)1e30) {
        mantissa = mantissa * 10 + (s[i] - '0');
        --exponent;
      }
    }
  }
  if (digits == 0) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool eneg = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
    int e = 0;
    size_t edigits = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++edigits)
      if (e < 10000) e = e * 10 + (s[i] - '0');
    if (edigits == 0) return std::nullopt;
    exponent += eneg ? -e : e;
  }
  if (i != s.size()) return std::nullopt;
  int shift = exponent + 3; // to thousandths
  if (shift >= 0) {
    for (int k = 0; k < shift; ++k) {
      if (mantissa > (__int128)kMaxMilli) return std::nullopt;
      mantissa *= 10;
    }
  } else {
    if (shift < -38) mantissa = 0; // mantissa < 10^31: rounds to 0, and 10^39 would overflow
    else {
      __int128 divisor = 1;
      for (int k = 0; k < -shift; ++k) divisor *= 10;
      __int128 q = mantissa / divisor, r = mantissa % divisor;
      if (r * 2 >= divisor) ++q;
      mantissa = q;
    }
  }
  if (mantissa > (__int128)kMaxMilli) return std::nullopt;
  int64_t v = static_cast<int64_t>(mantissa);
  return negative ? -v : v;
}
} // namespace

std::optional<int64_t> parse_milli(std::string_view text) { return parse_scaled(text); }

std::optional<int32_t> parse_quantity(std::string_view text) {
  auto milli = parse_scaled(text);
  if (!milli || *milli % 1000 != 0) return std::nullopt;
  int64_t q = *milli / 1000;
  if (q < std::numeric_limits<int32_t>::min() || q > std::numeric_limits<int32_t>::max()) return std::nullopt;
  return static_cast<int32_t>(q);
}

std::string format_milli(int64_t milli) {
  std::string out;
  uint64_t mag = milli < 0 ? uint64_t(0) - uint64_t(milli) : uint64_t(milli);
  if (milli < 0) out.push_back('-');
  out += std::to_string(mag / 1000);
  char frac[4] = {char('0' + mag % 1000 / 100), char('0' + mag % 100 / 10), char('0' + mag % 10), 0};
  out.push_back('.');
  out += frac;
  return out;
}

} // namespace shopflow
