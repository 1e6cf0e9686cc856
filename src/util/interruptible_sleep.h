// Sleeping in a thread that must stop promptly: up to `ms`, in steps of 50 ms, until `stop` is set.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

namespace shopflow {

inline void sleep_unless(const std::atomic<bool>& stop, int64_t ms) {
  for (int64_t slept = 0; slept < ms && !stop; slept += 50)
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(50, ms - slept)));
}

} // namespace shopflow
