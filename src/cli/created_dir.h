// A command that fails leaves nothing behind: a data dir it created is removed again unless the
// command keep()s it (one that existed before is always left alone).
#pragma once

#include <filesystem>

namespace shopflow {

class CreatedDirGuard {
public:
  explicit CreatedDirGuard(std::filesystem::path dir) : dir_(std::move(dir)), existed_(std::filesystem::exists(dir_)) {}
  ~CreatedDirGuard() {
    std::error_code ignored;
    if (!kept_ && !existed_) std::filesystem::remove_all(dir_, ignored);
  }
  CreatedDirGuard(const CreatedDirGuard&) = delete;
  CreatedDirGuard& operator=(const CreatedDirGuard&) = delete;
  void keep() { kept_ = true; }

private:
  std::filesystem::path dir_;
  bool existed_;
  bool kept_ = false;
};

} // namespace shopflow
