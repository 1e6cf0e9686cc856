// Making file system changes durable: a file's data (fdatasync) and a folder's entries (fsync of
// the folder, after a create, rename or delete in it), a file moved into place, and a small file
// replaced whole. All throw std::runtime_error with the path.
#pragma once

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/types.h>
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

// Moves a complete file into place so that a crash leaves it whole under one of its names: its
// data is synced, it is renamed, and the destination's folder (and the source's, if another) is
// synced.
inline void rename_durably(const std::filesystem::path& from, const std::filesystem::path& to) {
  sync_file(from);
  std::filesystem::rename(from, to);
  sync_folder(to.parent_path());
  if (from.parent_path() != to.parent_path()) sync_folder(from.parent_path());
}

// Replaces `path` with `text` so that a crash leaves the old content or the new: a temporary
// file (created with `mode`) is written and synced, renamed over `path`, and the folder synced.
inline void replace_file_durably(const std::filesystem::path& path, std::string_view text, mode_t mode = 0644) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw std::runtime_error("cannot write " + tmp.string() + ": " + std::strerror(errno));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fdatasync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored); // a disk-full leftover would keep the space
    throw std::runtime_error("cannot write " + tmp.string() + ": " + std::strerror(err));
  }
  std::filesystem::rename(tmp, path);
  sync_folder(path.parent_path());
}

} // namespace shopflow
