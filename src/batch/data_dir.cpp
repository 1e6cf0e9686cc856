#include "batch/data_dir.h"

#include <filesystem>
#include <set>

namespace fs = std::filesystem;

namespace shopflow {

std::pair<std::string, std::string> batch_source_range(int64_t job) {
  std::string base = "batch:" + std::to_string(job);
  return {base + ":", base + ";"}; // ';' follows ':' in ASCII
}

namespace {
std::string prepare(const std::string& path) {
  fs::create_directories(path);
  return path;
}
} // namespace

DataDir::DataDir(const std::string& path, const std::string& purpose, const std::string& memory_limit)
    : path_(prepare(path)), lock_(path, purpose), warehouse_(path + "/warehouse.duckdb", memory_limit),
      lake_(fs::path(path) / "lake"), tables_(path + "/tables") {
  recover();
}

void DataDir::recover() {
  std::set<int64_t> committed;
  DuckResult jobs = warehouse_.connection().query("SELECT job FROM imports");
  for (size_t r = 0; r < jobs.row_count(); ++r) committed.insert(jobs.int64(0, r));

  for (int64_t job : lake_.staged_jobs()) {
    if (committed.count(job)) lake_.publish(job);
    else lake_.discard(job);
  }
  // Lake files of jobs that are no longer imported (a forced re-import that crashed midway).
  for (const char* table : kLakeTables) {
    fs::path dir = lake_.root() / table;
    if (!fs::exists(dir)) continue;
    std::vector<fs::path> orphans;
    for (auto& entry : fs::recursive_directory_iterator(dir)) {
      std::string name = entry.path().filename().string();
      if (!entry.is_regular_file() || name.rfind("batch-", 0) != 0) continue;
      int64_t job = std::atoll(name.c_str() + 6);
      if (!committed.count(job)) orphans.push_back(entry.path());
    }
    for (auto& p : orphans) fs::remove(p);
  }
  // Line files of a job that did not reach its marker are rebuilt from the warehouse below.
  for (auto& entry : fs::directory_iterator(fs::path(path_) / "tables"))
    if (entry.path().filename().string().rfind("incoming-job-", 0) == 0) fs::remove_all(entry.path());
  for (int64_t job : committed) {
    if (tables_.has_job(job)) continue;
    auto [from, to] = batch_source_range(job);
    tables_.derive_job(warehouse_.connection(), job, from, to);
  }
}

} // namespace shopflow
