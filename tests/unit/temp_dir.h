// A fresh folder under the system's temp folder for one test, removed with everything in it.
#pragma once

#include <filesystem>
#include <random>
#include <string>

namespace shopflow::test {

struct TempDir {
  TempDir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / ("shopflow-unit-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path path;
};

} // namespace shopflow::test
