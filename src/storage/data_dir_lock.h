// One writer per data directory: an exclusive flock on DIR/LOCK, whose content names the holder
// ("pid 1234: shopflow batch a.csv"). The lock dies with the process, so a crash never leaves it held.
#pragma once

#include <optional>
#include <string>

namespace shopflow {

class DataDirLock {
public:
  // Creates DIR if needed and takes the lock; throws std::runtime_error naming the holder if
  // another process has it.
  DataDirLock(const std::string& dir, const std::string& purpose);
  ~DataDirLock();
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

  // The holder's description if DIR is locked by another process now, else nullopt.
  static std::optional<std::string> holder(const std::string& dir);

private:
  int fd_ = -1;
};

} // namespace shopflow
