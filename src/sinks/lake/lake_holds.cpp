#include "sinks/lake/lake_holds.h"

#include <exception>

#include "util/log.h"

namespace shopflow {

LakeHolds::Hold& LakeHolds::Hold::operator=(Hold&& o) noexcept {
  if (this != &o) {
    end();
    holds_ = std::exchange(o.holds_, nullptr);
    id_ = o.id_;
  }
  return *this;
}

void LakeHolds::Hold::end() {
  if (LakeHolds* holds = std::exchange(holds_, nullptr)) holds->end(id_);
}

LakeHolds::Hold LakeHolds::hold() {
  std::lock_guard lock(mutex_);
  uint64_t id = next_id_++;
  active_.insert(id);
  return Hold(this, id);
}

void LakeHolds::retire(std::vector<std::string> keys) {
  {
    std::lock_guard lock(mutex_);
    retired_keys_.insert(keys.begin(), keys.end()); // out of listings from now on
    if (!active_.empty()) {
      retired_.push_back({next_id_, std::move(keys)});
      return;
    }
  }
  remove(keys);
}

size_t LakeHolds::waiting() const {
  std::lock_guard lock(mutex_);
  return retired_keys_.size();
}

std::set<std::string> LakeHolds::retired() const {
  std::lock_guard lock(mutex_);
  return retired_keys_;
}

void LakeHolds::end(uint64_t id) {
  std::vector<std::string> free;
  {
    std::lock_guard lock(mutex_);
    active_.erase(id);
    const uint64_t oldest = active_.empty() ? UINT64_MAX : *active_.begin();
    while (!retired_.empty() && retired_.front().first_free_hold <= oldest) {
      for (std::string& key : retired_.front().keys) free.push_back(std::move(key));
      retired_.pop_front();
    }
  }
  remove(free);
}

void LakeHolds::remove(const std::vector<std::string>& keys) {
  std::vector<std::string> removed;
  for (const std::string& key : keys) {
    try {
      store_.remove(key);
      removed.push_back(key);
    } catch (const std::exception& e) {
      // Left in place and out of listings; the next start removes it.
      log::warn("lake_remove_failed", {{"key", key}, {"error", e.what()}});
    }
  }
  std::lock_guard lock(mutex_);
  for (const std::string& key : removed) retired_keys_.erase(key);
}

} // namespace shopflow
