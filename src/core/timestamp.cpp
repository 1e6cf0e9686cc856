#include "core/timestamp.h"

#include <cstdio>

namespace shopflow {

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

CivilDate civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

namespace {

constexpr int64_t kUsPerSecond = 1'000'000;

// Reads 1..max_digits digits at s[i]; advances i.
bool read_number(std::string_view s, size_t& i, int min_digits, int max_digits, int& out) {
  int n = 0, v = 0;
  while (i < s.size() && n < max_digits && s[i] >= '0' && s[i] <= '9') {
    v = v * 10 + (s[i] - '0');
    ++i;
    ++n;
  }
  out = v;
  return n >= min_digits;
}

bool expect(std::string_view s, size_t& i, char c) {
  if (i < s.size() && s[i] == c) { ++i; return true; }
  return false;
}

bool valid_date(int y, int m, int d) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap);
}

// Parses "HH:MM[:SS[.ffffff]]" at i (hour may have one digit).
bool read_time(std::string_view s, size_t& i, int64_t& us_of_day) {
  int h, mi, sec = 0;
  if (!read_number(s, i, 1, 2, h) || !expect(s, i, ':') || !read_number(s, i, 2, 2, mi)) return false;
  int64_t frac_us = 0;
  if (expect(s, i, ':')) {
    if (!read_number(s, i, 2, 2, sec)) return false;
    if (expect(s, i, '.')) {
      int digits = 0;
      int64_t scale = 100000;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (digits < 6) frac_us += (s[i] - '0') * scale;
        scale /= 10;
        ++digits;
        ++i;
      }
      if (digits == 0) return false;
    }
  }
  if (h > 23 || mi > 59 || sec > 59) return false;
  us_of_day = ((h * 60 + mi) * 60 + sec) * kUsPerSecond + frac_us;
  return true;
}

std::optional<int64_t> combine(int y, int m, int d, int64_t us_of_day) {
  if (!valid_date(y, m, d)) return std::nullopt;
  return days_from_civil(y, m, d) * 86400 * kUsPerSecond + us_of_day;
}

} // namespace

std::optional<int64_t> parse_timestamp_us(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool all_digits = true;
  for (char c : s) all_digits &= (c >= '0' && c <= '9') || c == '.';
  if (all_digits || (s[0] == '-' && s.size() > 1)) {
    // epoch milliseconds (what pandas writes for a datetime column); a JSON float "…000.0" too.
    size_t i = s[0] == '-' ? 1 : 0;
    int64_t v = 0;
    size_t digits = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
      if (digits >= 15) return std::nullopt; // 15 digits x 1000 still fits int64
      v = v * 10 + (s[i] - '0');
    }
    if (i + 2 <= s.size() && s[i] == '.' && s.find_first_not_of('0', i + 1) == std::string_view::npos) i = s.size();
    if (i != s.size() || digits < 5) return std::nullopt;
    return (s[0] == '-' ? -v : v) * 1000;
  }
  size_t i = 0;
  int a, b, c;
  if (!read_number(s, i, 1, 4, a)) return std::nullopt;
  int64_t tod = 0;
  if (i == 4 && expect(s, i, '-')) { // ISO: YYYY-MM-DD[ T]HH:MM[:SS[.f]]
    if (!read_number(s, i, 2, 2, b) || !expect(s, i, '-') || !read_number(s, i, 2, 2, c)) return std::nullopt;
    if (i < s.size()) {
      if (!(expect(s, i, ' ') || expect(s, i, 'T')) || !read_time(s, i, tod)) return std::nullopt;
    }
    if (i != s.size()) return std::nullopt;
    return combine(a, b, c, tod);
  }
  if (i <= 2 && expect(s, i, '/')) { // seed: M/D/YYYY H:MM[:SS]
    if (!read_number(s, i, 1, 2, b) || !expect(s, i, '/') || !read_number(s, i, 4, 4, c)) return std::nullopt;
    if (i < s.size()) {
      if (!expect(s, i, ' ') || !read_time(s, i, tod)) return std::nullopt;
    }
    if (i != s.size()) return std::nullopt;
    return combine(c, a, b, tod);
  }
  return std::nullopt;
}

std::string format_timestamp(int64_t us) {
  int64_t secs = us >= 0 ? us / kUsPerSecond : -((-us + kUsPerSecond - 1) / kUsPerSecond);
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t sod = secs - days * 86400;
  CivilDate d = civil_from_days(days);
  if (d.year >= 0 && d.year <= 9999) { // every date a shop has: digits put in place (snprintf shows in lookups' profiles)
    char buf[19] = {'0', '0', '0', '0', '-', '0', '0', '-', '0', '0', ' ', '0', '0', ':', '0', '0', ':', '0', '0'};
    auto two = [&](size_t at, int64_t v) {
      buf[at] = static_cast<char>('0' + v / 10);
      buf[at + 1] = static_cast<char>('0' + v % 10);
    };
    two(0, d.year / 100), two(2, d.year % 100), two(5, d.month), two(8, d.day);
    two(11, sod / 3600), two(14, sod / 60 % 60), two(17, sod % 60);
    return std::string(buf, sizeof buf);
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u %02lld:%02lld:%02lld", static_cast<long long>(d.year), d.month,
                d.day, static_cast<long long>(sod / 3600), static_cast<long long>(sod / 60 % 60),
                static_cast<long long>(sod % 60));
  return buf;
}

} // namespace shopflow
