#include "core/decimal.h"

#include <limits>

namespace shopflow {

namespace {
// Parses [sign] digits [. digits] [e|E [sign] digits] exactly; result = value x 10^3, rounded half
// away from zero; nullopt (and why, in `problem`) for what is no number or beyond +-max_milli.
std::optional<int64_t> parse_scaled(std::string_view s, int64_t max_milli, NumberProblem* problem) {
  auto fail = [&](NumberProblem p) -> std::optional<int64_t> {
    if (problem) *problem = p;
    return std::nullopt;
  };
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
  if (digits == 0) return fail(NumberProblem::NotANumber);
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool eneg = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
    int e = 0;
    size_t edigits = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++edigits)
      if (e < 10000) e = e * 10 + (s[i] - '0');
    if (edigits == 0) return fail(NumberProblem::NotANumber);
    exponent += eneg ? -e : e;
  }
  if (i != s.size()) return fail(NumberProblem::NotANumber);
  int shift = exponent + 3; // to thousandths
  if (shift >= 0) {
    for (int k = 0; k < shift; ++k) {
      if (mantissa > (__int128)max_milli) return fail(NumberProblem::OutOfRange);
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
  if (mantissa > (__int128)max_milli) return fail(NumberProblem::OutOfRange);
  int64_t v = static_cast<int64_t>(mantissa);
  return negative ? -v : v;
}
} // namespace

std::optional<int64_t> parse_milli(std::string_view text, NumberProblem* problem) { return parse_scaled(text, kMaxUnitPriceMilli, problem); }

std::optional<int32_t> parse_quantity(std::string_view text, NumberProblem* problem) {
  // A quantity in thousandths: int32's range times 1000 fits int64.
  auto milli = parse_scaled(text, (int64_t{std::numeric_limits<int32_t>::max()} + 1) * 1000, problem);
  auto fail = [&](NumberProblem p) -> std::optional<int32_t> {
    if (problem) *problem = p;
    return std::nullopt;
  };
  if (!milli) return std::nullopt;
  if (*milli % 1000 != 0) return fail(NumberProblem::NotWhole);
  int64_t q = *milli / 1000;
  if (q < std::numeric_limits<int32_t>::min() || q > std::numeric_limits<int32_t>::max()) return fail(NumberProblem::OutOfRange);
  return static_cast<int32_t>(q);
}

std::string format_milli(MoneySum milli) {
  unsigned __int128 mag = milli < 0 ? (unsigned __int128)0 - (unsigned __int128)milli : (unsigned __int128)milli;
  std::string whole;
  unsigned __int128 units = mag / 1000;
  do {
    whole.push_back(char('0' + int(units % 10)));
    units /= 10;
  } while (units);
  std::string out = milli < 0 ? "-" : "";
  out.append(whole.rbegin(), whole.rend());
  int frac = int(mag % 1000);
  char digits[5] = {'.', char('0' + frac / 100), char('0' + frac / 10 % 10), char('0' + frac % 10), 0};
  out += digits;
  return out;
}

std::string plain_milli(MoneySum milli) {
  std::string s = format_milli(milli);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

} // namespace shopflow
