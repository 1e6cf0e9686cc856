// Per-client token buckets: `rate` requests a second on average, bursts up to `burst`. Keys may
// come from strangers (a source address, a client id nobody has): a bucket that has refilled is
// the same as none, so such buckets are dropped as the map grows, and memory stays bounded by
// the keys seen within burst / rate seconds.
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
  size_t tracked() const; // buckets held now

private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point at;
  };
  double rate_, burst_;
  mutable std::mutex mutex_;
  size_t prune_at_ = 1024; // the next size at which full buckets are dropped
  std::unordered_map<std::string, Bucket> buckets_;
};

} // namespace shopflow
