#include "storage/data_dir_lock.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <stdexcept>
#include <sys/file.h>
#include <unistd.h>

namespace shopflow {

namespace {
std::string read_all(int fd) {
  std::string s(512, '\0');
  ssize_t n = ::pread(fd, s.data(), s.size(), 0);
  s.resize(n > 0 ? n : 0);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.pop_back();
  return s.empty() ? "another process" : s;
}
} // namespace

DataDirLock::DataDirLock(const std::string& dir, const std::string& purpose) {
  std::filesystem::create_directories(dir);
  std::string path = dir + "/LOCK";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    std::string who = read_all(fd_);
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("data dir " + dir + " is in use by " + who);
  }
  std::string me = "pid " + std::to_string(::getpid()) + ": " + purpose + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, me.data(), me.size(), 0) != ssize_t(me.size()))
    throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) {
    if (::ftruncate(fd_, 0) != 0) { /* the flock is what matters */ }
    ::close(fd_);
  }
}

std::optional<std::string> DataDirLock::holder(const std::string& dir) {
  int fd = ::open((dir + "/LOCK").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::optional<std::string> out;
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0) out = read_all(fd);
  ::close(fd);
  return out;
}

} // namespace shopflow
