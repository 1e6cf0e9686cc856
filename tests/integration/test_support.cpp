#include "test_support.h"

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>

namespace fs = std::filesystem;

namespace shopflow::test {

TempDir::TempDir() {
  std::random_device rd;
  path = fs::temp_directory_path() / ("shopflow-test-" + std::to_string(rd()) + std::to_string(rd()));
  fs::create_directories(path);
}
TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path, ec);
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& p, const std::string& content) {
  std::ofstream out(p, std::ios::binary);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

RunResult run_shopflow(const std::string& args) {
  TempDir io;
  std::string cmd = std::string(SHOPFLOW_BIN) + " " + args + " >" + (io.path / "out").string() + " 2>" +
                    (io.path / "err").string();
  int status = std::system(cmd.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(io.path / "out");
  r.err = read_file(io.path / "err");
  return r;
}

std::string reference_csv() { return std::string(SHOPFLOW_SHARED_DATA) + "/online_retail_2010-12.csv"; }

} // namespace shopflow::test
