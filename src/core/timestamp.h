// Shop-local timestamps (no zone) as microseconds since 1970-01-01 00:00:00.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shopflow {

// Accepts every InvoiceDate shape of CONTRACT.md:
//   "2010-12-01 08:26:00", "2010-12-01T08:26:00" (seconds and a ".ffffff" fraction optional),
//   "12/1/2010 8:26" (month/day/year, optional ":SS"), and epoch milliseconds ("1291191960000").
// Returns nullopt for anything else, including impossible dates (2010-02-30, 25:00).
std::optional<int64_t> parse_timestamp_us(std::string_view text);

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);
struct CivilDate { int64_t year; unsigned month; unsigned day; };
CivilDate civil_from_days(int64_t days);

// "2010-12-01 08:26:00"
std::string format_timestamp(int64_t us);

} // namespace shopflow
