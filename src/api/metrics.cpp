#include "api/metrics.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

namespace shopflow {

void LatencyHistogram::observe(double seconds) {
  size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  ++buckets_[i];
  ++count_;
  sum_micros_ += static_cast<uint64_t>(seconds * 1e6);
}

void LatencyHistogram::render(std::string& out, const std::string& name, const std::string& labels) const {
  uint64_t cumulative = 0;
  char line[256];
  for (size_t i = 0; i <= kBounds.size(); ++i) {
    cumulative += buckets_[i];
    if (i < kBounds.size())
      std::snprintf(line, sizeof line, "%s_bucket{%s,le=\"%g\"} %llu\n", name.c_str(), labels.c_str(), kBounds[i],
                    static_cast<unsigned long long>(cumulative));
    else
      std::snprintf(line, sizeof line, "%s_bucket{%s,le=\"+Inf\"} %llu\n", name.c_str(), labels.c_str(),
                    static_cast<unsigned long long>(cumulative));
    out += line;
  }
  std::snprintf(line, sizeof line, "%s_sum{%s} %.6f\n%s_count{%s} %llu\n", name.c_str(), labels.c_str(),
                sum_micros_ / 1e6, name.c_str(), labels.c_str(), static_cast<unsigned long long>(count_.load()));
  out += line;
}

LatencyHistogram& Metrics::route(const std::string& name, unsigned status) {
  std::lock_guard lock(mutex_);
  return routes_[{name, status}]; // std::map: references stay valid
}

void Metrics::render_routes(std::string& out) const {
  std::lock_guard lock(mutex_);
  out += "# HELP shopflow_request_duration_seconds HTTP request latency by route and status code.\n"
         "# TYPE shopflow_request_duration_seconds histogram\n";
  for (auto& [key, h] : routes_)
    h.render(out, "shopflow_request_duration_seconds", "route=\"" + key.first + "\",code=\"" + std::to_string(key.second) + "\"");
}

void render_process_metrics(std::string& out) {
  // /proc/self/stat: fields after the command's closing parenthesis; utime and stime (14, 15)
  // in clock ticks, num_threads (20), starttime (22) in ticks since boot, vsize (23) in bytes,
  // rss (24) in pages.
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return;
  std::istringstream fields(stat.substr(close + 2));
  std::vector<std::string> f{std::istream_iterator<std::string>(fields), std::istream_iterator<std::string>()};
  if (f.size() < 22) return;
  auto field = [&](int n) { return std::stod(f[static_cast<size_t>(n - 3)]); }; // f[0] is field 3
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  static const double boot_time = [] { // the machine's boot, seconds since the epoch: read once
    double btime = 0;
    std::ifstream stat_all("/proc/stat");
    for (std::string key; stat_all >> key;)
      if (key == "btime") {
        stat_all >> btime;
        break;
      }
    return btime;
  }();
  size_t fds = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec); !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) ++fds;
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  char text[1024];
  std::snprintf(text, sizeof text,
                "# HELP process_cpu_seconds_total User and system CPU time spent.\n# TYPE process_cpu_seconds_total counter\n"
                "process_cpu_seconds_total %.2f\n"
                "# HELP process_resident_memory_bytes Resident memory size.\n# TYPE process_resident_memory_bytes gauge\n"
                "process_resident_memory_bytes %.0f\n"
                "# HELP process_virtual_memory_bytes Virtual memory size.\n# TYPE process_virtual_memory_bytes gauge\n"
                "process_virtual_memory_bytes %.0f\n"
                "# HELP process_open_fds Open file descriptors.\n# TYPE process_open_fds gauge\nprocess_open_fds %zu\n"
                "# HELP process_max_fds Most open file descriptors.\n# TYPE process_max_fds gauge\nprocess_max_fds %llu\n"
                "# HELP process_start_time_seconds Start time since the Unix epoch.\n# TYPE process_start_time_seconds gauge\n"
                "process_start_time_seconds %.2f\n"
                "# HELP process_threads Threads.\n# TYPE process_threads gauge\nprocess_threads %.0f\n",
                (field(14) + field(15)) / ticks, field(24) * static_cast<double>(sysconf(_SC_PAGESIZE)), field(23), fds,
                static_cast<unsigned long long>(files.rlim_cur), boot_time + field(22) / ticks, field(20));
  out += text;
}

} // namespace shopflow
