// Making file system changes durable: a file's data (fdatasync) and a folder's entries (fsync of
// the folder, after a create, rename or delete in it). Both throw std::runtime_error with the path.
#pragma once

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace shopflow {

inline void sync_path(const std::filesystem::path& path, bool folder) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (folder ? O_DIRECTORY : 0));
  if (fd < 0) throw std::runtime_error("cannot open " + path.string() + ": " + std::strerror(errno));
  int rc = folder ? ::fsync(fd) : ::fdatasync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) throw std::runtime_error("cannot sync " + path.string() + ": " + std::strerror(err));
}

inline void sync_file(const std::filesystem::path& file) { sync_path(file, false); }
inline void sync_folder(const std::filesystem::path& folder) { sync_path(folder, true); }

} // namespace shopflow
