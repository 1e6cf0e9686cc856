// The limits every client query runs under (POST /v1/sql, pgwire, the dashboard): rows and bytes
// of its answer, counted while the answer is produced, and the time until the whole answer is
// encoded. A server sets the ceilings (serve --sql-max-rows, --sql-max-bytes, --sql-timeout-ms); a
// request may ask for less, or for more up to the ceiling.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace shopflow {

struct SqlLimits {
  size_t max_rows = 100'000;
  size_t max_bytes = 64ull << 20;
  int64_t timeout_ms = 30'000;
};

// The server's ceilings and the defaults a request gets without asking.
struct SqlCeilings {
  SqlLimits defaults;
  SqlLimits ceiling{1'000'000, 1ull << 30, 300'000};
};

// An answer over max_rows or max_bytes.
struct SqlLimitExceeded : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline std::string rows_over_limit(size_t max_rows) {
  return "the result has more than max_rows " + std::to_string(max_rows) + " rows (add a LIMIT or raise max_rows)";
}
inline std::string bytes_over_limit(size_t max_bytes) {
  return "the result is larger than max_bytes " + std::to_string(max_bytes) + " bytes (select fewer or shorter values, or raise max_bytes)";
}
inline std::string time_over_limit(int64_t timeout_ms) {
  return "the query ran longer than " + std::to_string(timeout_ms) + " ms (raise timeout_ms)";
}

} // namespace shopflow
