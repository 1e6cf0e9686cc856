#include "sinks/lake/lake_writer.h"

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

void LakeWriter::stage(DuckConnection& con, int64_t job, const std::string& table, const std::string& source_from,
                       const std::string& source_to) {
  fs::path dir = staging(job) / table;
  fs::create_directories(dir);
  con.execute("COPY (SELECT *, CAST(year(invoice_date) AS VARCHAR) AS year, "
              "lpad(CAST(month(invoice_date) AS VARCHAR), 2, '0') AS month FROM " + table +
              " WHERE source >= " + sql_literal(source_from) + " AND source < " + sql_literal(source_to) +
              ") TO " + sql_literal(dir.string()) +
              " (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (year, month), FILENAME_PATTERN 'part-{i}', "
              "OVERWRITE_OR_IGNORE true)");
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
