// Progress on stderr: a redrawn bar on a terminal, a plain line every few seconds otherwise.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace shopflow {

class Progress {
public:
  Progress(std::string label, uint64_t total_bytes, bool enabled = true);
  void update(uint64_t bytes_done, uint64_t rows);
  void finish();

private:
  std::string label_;
  uint64_t total_;
  bool enabled_, tty_;
  std::chrono::steady_clock::time_point start_, last_;
  bool drawn_ = false;
};

} // namespace shopflow
