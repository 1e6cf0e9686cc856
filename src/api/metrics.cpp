#include "api/metrics.h"

#include <cstdio>

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

LatencyHistogram& Metrics::route(const std::string& name) {
  std::lock_guard lock(mutex_);
  return routes_[name]; // std::map: references stay valid
}

void Metrics::render_routes(std::string& out) const {
  std::lock_guard lock(mutex_);
  out += "# HELP shopflow_request_duration_seconds HTTP request latency by route.\n"
         "# TYPE shopflow_request_duration_seconds histogram\n";
  for (auto& [name, h] : routes_) h.render(out, "shopflow_request_duration_seconds", "route=\"" + name + "\"");
}

} // namespace shopflow
