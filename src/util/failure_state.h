// Whether something that is retried (a sink's pass, the log's writes) is failing now: when its
// current run of failures began (0: its latest attempt succeeded), how many failures there were,
// and the latest error. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "util/clock.h"

namespace shopflow {

class FailureState {
public:
  struct Snapshot {
    int64_t failing_since_ms = 0; // wall clock; 0: healthy
    uint64_t failures = 0;        // since start
    std::string error;            // the latest (kept after recovery)
  };

  // Records a failure. True when it is worth a line in the log: its error differs from the
  // previous one, or `report_every_ms` passed since the last line.
  bool failed(const std::string& error, int64_t report_every_ms = 30'000) {
    std::lock_guard lock(mutex_);
    ++failures_;
    int64_t healthy = 0;
    failing_since_ms_.compare_exchange_strong(healthy, wall_clock_ms());
    bool report = error != error_ || steady_ms() - reported_ms_ >= report_every_ms;
    error_ = error;
    if (report) {
      reported_ms_ = steady_ms();
      recovery_due_ = true;
    }
    return report;
  }
  // Records a success. Returns how long the failures it ends lasted (ms) if they were reported
  // since the last recovery that was (one line of recovery per line of failure: a flapping disk
  // does not flood the log), else -1.
  int64_t succeeded() {
    if (failing_since_ms_ == 0) return -1; // the common case takes no lock
    std::lock_guard lock(mutex_);
    int64_t since = failing_since_ms_.exchange(0);
    if (!since || !recovery_due_) return -1;
    recovery_due_ = false;
    return wall_clock_ms() - since;
  }
  bool failing() const { return failing_since_ms_ != 0; }
  Snapshot snapshot() const {
    std::lock_guard lock(mutex_);
    return {failing_since_ms_, failures_, error_};
  }

private:
  mutable std::mutex mutex_;
  std::atomic<int64_t> failing_since_ms_{0};
  uint64_t failures_ = 0;
  std::string error_;
  int64_t reported_ms_ = 0; // steady clock
  bool recovery_due_ = false; // a failure was reported and its recovery not yet
};

} // namespace shopflow
