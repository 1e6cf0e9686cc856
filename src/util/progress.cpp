#include "util/progress.h"

#include <cstdio>
#include <unistd.h>

namespace shopflow {

Progress::Progress(std::string label, uint64_t total_bytes, bool enabled)
    : label_(std::move(label)), total_(total_bytes), enabled_(enabled), tty_(::isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()), last_(start_) {}

void Progress::update(uint64_t done, uint64_t rows) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  auto interval = tty_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(5000);
  if (now - last_ < interval) return;
  last_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  double frac = total_ ? double(done) / double(total_) : 0.0;
  if (frac > 1) frac = 1;
  if (tty_) {
    int width = 30, filled = int(frac * width);
    std::string bar(filled, '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r%s [%s] %5.1f%%  %llu rows  %.0f rows/s ", label_.c_str(), bar.c_str(), frac * 100,
                 static_cast<unsigned long long>(rows), secs > 0 ? rows / secs : 0.0);
    drawn_ = true;
  } else {
    std::fprintf(stderr, "%s: %.1f%% (%llu rows, %.1f s)\n", label_.c_str(), frac * 100,
                 static_cast<unsigned long long>(rows), secs);
  }
  std::fflush(stderr);
}

void Progress::finish() {
  if (drawn_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }
}

} // namespace shopflow
