// Clocks used across shopflow: wall-clock times that are stored (received_at, append times) and
// steady-clock durations that are measured.
#pragma once

#include <chrono>
#include <cstdint>

namespace shopflow {

inline int64_t wall_clock_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
inline int64_t wall_clock_ms() { return wall_clock_us() / 1000; }

inline int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Seconds elapsed since `since`.
inline double seconds_since(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

} // namespace shopflow
