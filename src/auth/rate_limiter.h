// Per-client token buckets: `rate` requests a second on average, bursts up to `burst`.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace shopflow {

class RateLimiter {
public:
  RateLimiter(double rate, double burst) : rate_(rate), burst_(burst) {}
  // True if `client` may make a request now; otherwise false and the seconds until it may.
  bool allow(const std::string& client, double& retry_after_s);

private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point at;
  };
  double rate_, burst_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

} // namespace shopflow
