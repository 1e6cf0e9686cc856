// Helpers for integration tests: temp dirs, running the shopflow binary, reading files.
#pragma once

#include <filesystem>
#include <string>

namespace shopflow::test {

// A fresh directory under /tmp, removed when the object dies.
struct TempDir {
  TempDir();
  ~TempDir();
  std::filesystem::path path;
};

struct RunResult {
  int exit_code;
  std::string out, err;
};
// Runs build/shopflow with `args` (shell-quoted by the caller) and captures stdout and stderr.
RunResult run_shopflow(const std::string& args);

std::string reference_csv(); // ../shared/data/online_retail_2010-12.csv
std::string read_file(const std::filesystem::path& p);
void write_file(const std::filesystem::path& p, const std::string& content);

} // namespace shopflow::test
