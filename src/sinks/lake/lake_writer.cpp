#include "sinks/lake/lake_writer.h"

#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace shopflow {

namespace {
void fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}
} // namespace

LakeWriter::LakeWriter(fs::path root) : root_(std::move(root)) { fs::create_directories(root_ / "_staging"); }

fs::path LakeWriter::staging(int64_t job) const { return root_ / "_staging" / ("batch-" + std::to_string(job)); }

std::string LakeWriter::glob(const std::string& table) const { return (root_ / table / "*" / "*" / "*.parquet").string(); }

void LakeWriter::stage(DuckConnection& con, int64_t job, const std::string& table, int partition, int segment,
                       const std::string& select_sql) {
  char folder[40];
  std::snprintf(folder, sizeof folder, "year=%04d/month=%02d", partition / 100, partition % 100);
  fs::path dir = staging(job) / table / folder;
  fs::create_directories(dir);
  fs::path file = dir / ("part-" + std::to_string(segment) + ".parquet");
  con.execute("COPY (" + select_sql + ") TO " + sql_literal(file.string()) + " (FORMAT parquet, COMPRESSION zstd)");
}

void LakeWriter::publish(int64_t job) {
  fs::path stage_dir = staging(job);
  if (!fs::exists(stage_dir)) return;
  std::string prefix = "batch-" + std::to_string(job) + "-";
  for (const char* table : kLakeTables) {
    fs::path from_table = stage_dir / table;
    if (!fs::exists(from_table)) continue;
    for (auto& year : fs::directory_iterator(from_table)) {
      for (auto& month : fs::directory_iterator(year.path())) {
        fs::path dest = root_ / table / year.path().filename() / month.path().filename();
        fs::create_directories(dest);
        for (auto& file : fs::directory_iterator(month.path())) {
          std::string name = file.path().filename().string(); // part-<i>.parquet
          if (name.rfind("part-", 0) != 0) continue;
          fs::rename(file.path(), dest / (prefix + name.substr(5)));
        }
        fsync_dir(dest);
      }
    }
  }
  fs::remove_all(stage_dir);
  fsync_dir(root_ / "_staging");
}

void LakeWriter::discard(int64_t job) { fs::remove_all(staging(job)); }

void LakeWriter::remove_published(int64_t job) {
  std::string prefix = "batch-" + std::to_string(job) + "-";
  for (const char* table : kLakeTables) {
    fs::path dir = root_ / table;
    if (!fs::exists(dir)) continue;
    for (auto& entry : fs::recursive_directory_iterator(dir)) {
      if (entry.is_regular_file() && entry.path().filename().string().rfind(prefix, 0) == 0) fs::remove(entry.path());
    }
  }
}

std::vector<int64_t> LakeWriter::staged_jobs() const {
  std::vector<int64_t> jobs;
  for (auto& entry : fs::directory_iterator(root_ / "_staging")) {
    std::string name = entry.path().filename().string();
    if (name.rfind("batch-", 0) == 0) jobs.push_back(std::stoll(name.substr(6)));
  }
  return jobs;
}

} // namespace shopflow
