#include "sinks/lake/lake_writer.h"

#include "util/durable_file.h"
#include "util/read_file.h"

#include <cstdio>
#include <algorithm>
#include <charconv>
#include <climits>
#include <fcntl.h>
#include <map>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

namespace fs = std::filesystem;

namespace shopflow {

namespace {
std::string partition_folder(int partition) {
  char folder[40];
  std::snprintf(folder, sizeof folder, "year=%04d/month=%02d", partition / 100, partition % 100);
  return folder;
}

// "stream-<shard>-<first>-<last>.parquet" -> shard and offset range.
bool parse_stream_name(const std::string& name, uint32_t& shard, uint64_t& first, uint64_t& last) {
  unsigned s = 0;
  unsigned long long f = 0, l = 0;
  int used = 0;
  if (std::sscanf(name.c_str(), "stream-%u-%llu-%llu.parquet%n", &s, &f, &l, &used) != 3 || size_t(used) != name.size())
    return false;
  shard = s;
  first = f;
  last = l;
  return true;
}

// A file being written, until it is renamed into place: hidden (a leading '.'), so that readers
// listing a partition (pyarrow, pandas, Spark, Hive) never take a half-written file for data.
std::string hidden_tmp(const std::string& name) { return "." + name + ".tmp"; }

struct StreamFile {
  fs::path path;
  uint64_t first, last;
};

// A shard's stream files per partition folder.
std::map<fs::path, std::vector<StreamFile>> stream_files(const fs::path& table_dir, uint32_t shard) {
  std::map<fs::path, std::vector<StreamFile>> out;
  if (!fs::exists(table_dir)) return out;
  for (auto& e : fs::recursive_directory_iterator(table_dir)) {
    uint32_t s;
    uint64_t first, last;
    if (e.is_regular_file() && parse_stream_name(e.path().filename().string(), s, first, last) && s == shard)
      out[e.path().parent_path()].push_back({e.path(), first, last});
  }
  return out;
}
} // namespace

LakeWriter::LakeWriter(fs::path root) : root_(std::move(root)) { fs::create_directories(root_ / "_staging"); }

fs::path LakeWriter::staging(int64_t job) const { return root_ / "_staging" / ("batch-" + std::to_string(job)); }

std::string LakeWriter::glob(const std::string& table) const { return (root_ / table / "*" / "*" / "*.parquet").string(); }

void LakeWriter::stage(DuckConnection& con, int64_t job, const std::string& table, int partition, int part,
                       const std::string& select_sql) {
  fs::path dir = staging(job) / table / partition_folder(partition);
  fs::create_directories(dir);
  fs::path file = dir / ("part-" + std::to_string(part) + ".parquet");
  con.execute("COPY (" + select_sql + ") TO " + sql_literal(file.string()) + " (FORMAT parquet, COMPRESSION zstd)");
  sync_file(file); // before the job commits: recovery publishes a committed job's staged files as they are
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
        std::vector<fs::path> parts; // collected first: no renaming out of a folder being listed
        for (auto& file : fs::directory_iterator(month.path()))
          if (file.path().filename().string().rfind("part-", 0) == 0) parts.push_back(file.path()); // part-<i>.parquet
        for (auto& part : parts) rename_durably(part, dest / (prefix + part.filename().string().substr(5)));
      }
    }
  }
  fs::remove_all(stage_dir);
  sync_folder(root_ / "_staging");
}

void LakeWriter::discard(int64_t job) { fs::remove_all(staging(job)); }

void LakeWriter::remove_published(const std::function<bool(int64_t job)>& doomed) {
  for (const char* table : kLakeTables) {
    fs::path dir = root_ / table;
    if (!fs::exists(dir)) continue;
    std::vector<fs::path> files; // collected first: no removal while the folder is walked
    for (auto& entry : fs::recursive_directory_iterator(dir)) {
      std::string name = entry.path().filename().string(); // batch-<job>-<i>.parquet
      if (entry.is_regular_file() && name.rfind("batch-", 0) == 0 && doomed(std::atoll(name.c_str() + 6)))
        files.push_back(entry.path());
    }
    for (auto& f : files) fs::remove(f);
  }
}

void LakeWriter::write_stream_file(DuckConnection& con, const std::string& table, int partition, uint32_t shard,
                                   uint64_t first, uint64_t last, const std::string& select_sql) {
  fs::path dir = root_ / table / partition_folder(partition);
  fs::create_directories(dir);
  std::string name = "stream-" + std::to_string(shard) + "-" + std::to_string(first) + "-" + std::to_string(last) + ".parquet";
  fs::path tmp = dir / hidden_tmp(name);
  con.execute("COPY (" + select_sql + ") TO " + sql_literal(tmp.string()) + " (FORMAT parquet, COMPRESSION zstd)");
  rename_durably(tmp, dir / name);
}

uint64_t LakeWriter::stream_manifest(uint32_t shard) const {
  fs::path file = root_ / "_stream" / ("shard-" + std::to_string(shard));
  if (!fs::exists(file)) return 0;
  // A manifest that does not parse is never read as 0: that would rewrite the shard from the
  // log's start and delete its files, which retention may have made impossible to rewrite.
  std::optional<std::string> read = read_file(file);
  if (!read) throw std::runtime_error("lake: cannot read " + file.string());
  const std::string& text = *read;
  uint64_t next = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), next);
  if (ec != std::errc() || end == text.data() || std::string_view(end, text.data() + text.size()) != "\n")
    throw std::runtime_error("lake: " + file.string() + " is not a manifest (one decimal offset and a newline); restore it, "
                             "or remove it to rewrite the shard's lake files from the log");
  return next;
}

void LakeWriter::set_stream_manifest(uint32_t shard, uint64_t next_offset) {
  fs::path dir = root_ / "_stream";
  fs::create_directories(dir);
  replace_file_durably(dir / ("shard-" + std::to_string(shard)), std::to_string(next_offset) + "\n");
}

void LakeWriter::remove_stream_files_from(uint32_t shard, uint64_t from) {
  for (const char* table : kLakeTables) {
    fs::path dir = root_ / table;
    if (!fs::exists(dir)) continue;
    std::vector<fs::path> doomed;
    for (auto& e : fs::recursive_directory_iterator(dir))
      if (e.path().filename().string().ends_with(".tmp")) doomed.push_back(e.path());
    for (auto& [folder, files] : stream_files(dir, shard)) {
      for (auto& f : files) {
        bool covered = std::any_of(files.begin(), files.end(), [&](const StreamFile& o) {
          return &o != &f && o.first <= f.first && f.last <= o.last && (o.last - o.first) > (f.last - f.first);
        });
        if (f.first >= from || covered) doomed.push_back(f.path);
      }
    }
    for (auto& p : doomed) fs::remove(p);
  }
}

size_t LakeWriter::compact_stream_files(DuckConnection& con, uint32_t shard, size_t min_files) {
  size_t merged = 0;
  for (const char* table : kLakeTables) {
    for (auto& [folder, files] : stream_files(root_ / table, shard)) {
      if (files.size() < min_files) continue;
      uint64_t first = UINT64_MAX, last = 0;
      std::string list;
      for (auto& f : files) {
        first = std::min(first, f.first);
        last = std::max(last, f.last);
        list += (list.empty() ? "" : ", ") + sql_literal(f.path.string());
      }
      std::string name = "stream-" + std::to_string(shard) + "-" + std::to_string(first) + "-" + std::to_string(last) + ".parquet";
      fs::path tmp = folder / hidden_tmp(name);
      con.execute("COPY (SELECT * FROM read_parquet([" + list + "]) ORDER BY source) TO " + sql_literal(tmp.string()) +
                  " (FORMAT parquet, COMPRESSION zstd)");
      rename_durably(tmp, folder / name);
      for (auto& f : files) fs::remove(f.path);
      merged += files.size();
    }
  }
  return merged;
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
