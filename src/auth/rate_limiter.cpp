#include "auth/rate_limiter.h"

#include <algorithm>

namespace shopflow {

bool RateLimiter::allow(const std::string& client, double& retry_after_s) {
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  if (buckets_.size() >= prune_at_) {
    std::erase_if(buckets_, [&](const auto& kv) {
      return kv.second.tokens + std::chrono::duration<double>(now - kv.second.at).count() * rate_ >= burst_;
    });
    prune_at_ = std::max<size_t>(1024, buckets_.size() * 2); // amortised: each sweep follows as many inserts as it kept
  }
  auto [it, fresh] = buckets_.try_emplace(client, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!fresh) {
    double elapsed = std::chrono::duration<double>(now - b.at).count();
    b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
    b.at = now;
  }
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return true;
  }
  retry_after_s = (1 - b.tokens) / rate_;
  return false;
}

size_t RateLimiter::tracked() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

} // namespace shopflow
