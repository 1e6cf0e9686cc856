// Counters and latency histograms for /metrics (Prometheus text format 0.0.4).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace shopflow {

class LatencyHistogram {
public:
  static constexpr std::array<double, 12> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                     0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
  void observe(double seconds);
  // Appends the _bucket, _sum and _count lines of `name` with `labels` ("route=\"x\"").
  void render(std::string& out, const std::string& name, const std::string& labels) const;

private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micros_{0};
};

struct Metrics {
  std::atomic<uint64_t> ingested_records{0}, ingested_bytes{0}, malformed_at_ingest{0};
  std::atomic<uint64_t> unauthorized{0}, forbidden{0}, rate_limited{0}; // 401, 403, 429 answers
  std::atomic<uint64_t> batch_files_imported{0}, batch_files_skipped{0}, batch_files_failed{0}, batch_rows{0};
  // The latency histogram of a route's answers with this status code.
  LatencyHistogram& route(const std::string& name, unsigned status);
  void render_routes(std::string& out) const;

private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, unsigned>, LatencyHistogram> routes_;
};

// The process's own figures, as Prometheus client libraries name them: process_cpu_seconds_total,
// process_resident_memory_bytes, process_virtual_memory_bytes, process_open_fds, process_max_fds,
// process_start_time_seconds, process_threads (from /proc/self).
void render_process_metrics(std::string& out);

} // namespace shopflow
