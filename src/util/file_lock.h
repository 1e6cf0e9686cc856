// An exclusive flock on a lock file (created if needed), held for the object's lifetime: it
// serialises processes that rewrite shared files (the clients file, the token key). It waits for
// the lock; a crashed holder's lock dies with it.
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

namespace shopflow {

class ExclusiveFileLock {
public:
  explicit ExclusiveFileLock(const std::filesystem::path& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ >= 0 && ::flock(fd_, LOCK_EX) == 0) return;
    if (fd_ >= 0) ::close(fd_);
    throw std::runtime_error("cannot lock " + path.string());
  }
  ~ExclusiveFileLock() { ::close(fd_); }
  ExclusiveFileLock(const ExclusiveFileLock&) = delete;
  ExclusiveFileLock& operator=(const ExclusiveFileLock&) = delete;

private:
  int fd_ = -1;
};

} // namespace shopflow
