#include "storage/data_dir.h"

#include <filesystem>
#include <set>

namespace fs = std::filesystem;

namespace shopflow {

std::pair<std::string, std::string> batch_source_range(int64_t job) {
  std::string base = "batch:" + std::to_string(job);
  return {base + ":", base + ";"}; // ';' follows ':' in ASCII
}

namespace {
// The directory, created if missing, as an absolute path: the warehouse's allowed folders are
// absolute, so every file path handed to DuckDB must be too.
std::string prepare(const std::string& path) {
  fs::create_directories(path);
  return fs::canonical(path).string();
}
} // namespace

DataDir::DataDir(const std::string& path, const std::string& purpose, const std::string& memory_limit)
    : path_(prepare(path)), lock_(path_, purpose), warehouse_(path_ + "/warehouse.duckdb", memory_limit),
      lake_store_(fs::path(path_) / "lake"), lake_(lake_store_), tables_(path_ + "/tables") {
  recover();
  // Answers of an earlier run that died while writing them.
  fs::remove_all(sql_answers_dir());
  fs::create_directories(sql_answers_dir());
  warehouse_.confine_to({lake_store_.root(), sql_answers_dir()});
}

void DataDir::recover() {
  std::set<int64_t> committed;
  DuckResult jobs = warehouse_.connection().query("SELECT job FROM imports");
  for (size_t r = 0; r < jobs.row_count(); ++r) committed.insert(jobs.int64(0, r));

  lake_.recover_staging([&](int64_t job) { return committed.count(job) > 0; });
  // Lake files of jobs that are no longer imported (a forced re-import that crashed midway).
  lake_.remove_published([&](int64_t job) { return !committed.count(job); });
  // Line files of a job that did not reach its marker are rebuilt from the warehouse below.
  tables_.discard_line_files();
  for (int64_t job : committed) {
    if (tables_.has_job(job)) continue;
    auto [from, to] = batch_source_range(job);
    tables_.derive_job(warehouse_.connection(), job, from, to);
  }
}

} // namespace shopflow
