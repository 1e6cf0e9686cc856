#include "sinks/lake/lake_writer.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <stdexcept>

namespace shopflow {

namespace {
std::string partition_folder(int partition) {
  char folder[40];
  std::snprintf(folder, sizeof folder, "year=%04d/month=%02d", partition / 100, partition % 100);
  return folder;
}

std::string staging(int64_t job) { return "_staging/batch-" + std::to_string(job) + "/"; }
std::string manifest_key(uint32_t shard) { return "_stream/shard-" + std::to_string(shard); }

// The folder of a key ("a/b/c.parquet" -> "a/b/") and its last part ("c.parquet").
std::string_view folder_of(std::string_view key) { return key.substr(0, key.rfind('/') + 1); }
std::string_view name_of(std::string_view key) { return key.substr(key.rfind('/') + 1); }

// "stream-<shard>-<first>-<last>.parquet" -> shard and offset range.
bool parse_stream_name(std::string_view name, uint32_t& shard, uint64_t& first, uint64_t& last) {
  std::string text(name);
  unsigned s = 0;
  unsigned long long f = 0, l = 0;
  int used = 0;
  if (std::sscanf(text.c_str(), "stream-%u-%llu-%llu.parquet%n", &s, &f, &l, &used) != 3 || size_t(used) != text.size())
    return false;
  shard = s;
  first = f;
  last = l;
  return true;
}

std::string stream_name(uint32_t shard, uint64_t first, uint64_t last) {
  return "stream-" + std::to_string(shard) + "-" + std::to_string(first) + "-" + std::to_string(last) + ".parquet";
}

struct StreamFile {
  std::string key;
  uint64_t first, last;
};

// A table's files (<table>/year=YYYY/month=MM/<name>.parquet): stream files per partition folder
// ("transactions/year=2010/month=12/") and shard, and the others (batch jobs' files).
struct TableFiles {
  std::map<std::pair<std::string, uint32_t>, std::vector<StreamFile>> streams;
  std::vector<std::string> others;
};
TableFiles table_files(const ObjectStore& store, const std::string& table) {
  TableFiles out;
  for (ObjectInfo& o : store.list(table + "/")) {
    if (!o.key.ends_with(".parquet") || std::count(o.key.begin(), o.key.end(), '/') != 3) continue;
    uint32_t shard;
    uint64_t first, last;
    if (parse_stream_name(name_of(o.key), shard, first, last))
      out.streams[{std::string(folder_of(o.key)), shard}].push_back({std::move(o.key), first, last});
    else
      out.others.push_back(std::move(o.key));
  }
  return out;
}

// A shard's stream files of a table, per partition folder.
std::map<std::string, std::vector<StreamFile>> stream_files(const ObjectStore& store, const std::string& table, uint32_t shard) {
  std::map<std::string, std::vector<StreamFile>> out;
  for (auto& [where, files] : table_files(store, table).streams)
    if (where.second == shard) out[where.first] = std::move(files);
  return out;
}

// Whether another of a shard's `files` (of one folder) spans more offsets and all of f's: f was
// the input of a merge that finished.
bool covered(const StreamFile& f, const std::vector<StreamFile>& files) {
  return std::any_of(files.begin(), files.end(), [&](const StreamFile& o) {
    return &o != &f && o.first <= f.first && f.last <= o.last && (o.last - o.first) > (f.last - f.first);
  });
}

// Writes the rows of `select_sql` as the Parquet object `key`: into a scratch file, then put,
// with `listings` (if given) held exclusively while it is put.
void copy_to_object(DuckConnection& con, ObjectStore& store, const std::string& select_sql, const std::string& key,
                    WriterFirstMutex* listings = nullptr) {
  std::filesystem::path scratch = store.scratch_file(key);
  con.execute("COPY (" + select_sql + ") TO " + sql_literal(scratch.string()) + " (FORMAT parquet, COMPRESSION zstd)");
  std::unique_lock<WriterFirstMutex> lock;
  if (listings) lock = std::unique_lock(*listings);
  store.put_file(scratch, key);
}
} // namespace

void LakeWriter::stage(DuckConnection& con, int64_t job, const std::string& table, int partition, int part,
                       const std::string& select_sql) {
  // Durable before the job commits: recovery publishes a committed job's staged files as they are.
  copy_to_object(con, store_, select_sql, staging(job) + table + "/" + partition_folder(partition) + "/part-" + std::to_string(part) + ".parquet");
}

void LakeWriter::publish(int64_t job, std::optional<int64_t> replaces) {
  std::unique_lock lock(publishing_);
  const std::string prefix = staging(job);
  const std::string renamed = "batch-" + std::to_string(job) + "-";
  for (const ObjectInfo& o : store_.list(prefix)) {
    std::string_view rest = std::string_view(o.key).substr(prefix.size()); // <table>/year=/month=/part-<i>.parquet
    std::string_view name = name_of(rest);
    if (!name.starts_with("part-")) continue;
    store_.move(o.key, std::string(folder_of(rest)) + renamed + std::string(name.substr(5)));
  }
  changed();
  if (replaces) holds_.retire(published_files([&](int64_t published) { return published == *replaces; }));
  store_.remove_folder(prefix);
}

void LakeWriter::discard(int64_t job) { store_.remove_folder(staging(job)); }

std::vector<std::string> LakeWriter::published_files(const std::function<bool(int64_t job)>& whose) const {
  std::vector<std::string> keys;
  for (const char* table : kLakeTables)
    for (std::string& key : table_files(store_, table).others) {
      std::string_view name = name_of(key); // batch-<job>-<i>.parquet
      if (name.starts_with("batch-") && whose(std::atoll(std::string(name.substr(6)).c_str()))) keys.push_back(std::move(key));
    }
  return keys;
}

void LakeWriter::remove_published(const std::function<bool(int64_t job)>& doomed) {
  for (const std::string& key : published_files(doomed)) store_.remove(key);
  changed();
}

void LakeWriter::write_stream_file(DuckConnection& con, const std::string& table, int partition, uint32_t shard,
                                   uint64_t first, uint64_t last, const std::string& select_sql) {
  copy_to_object(con, store_, select_sql, table + "/" + partition_folder(partition) + "/" + stream_name(shard, first, last), &publishing_);
  changed();
}

uint64_t LakeWriter::stream_manifest(uint32_t shard) const {
  // A manifest that does not parse is never read as 0: that would rewrite the shard from the
  // log's start and delete its files, which retention may have made impossible to rewrite.
  const std::string key = manifest_key(shard);
  std::optional<std::string> read = store_.get(key);
  if (!read) return 0;
  const std::string& text = *read;
  uint64_t next = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), next);
  if (ec != std::errc() || end == text.data() || std::string_view(end, text.data() + text.size()) != "\n")
    throw std::runtime_error("lake: " + store_.read_location(key) + " is not a manifest (one decimal offset and a newline); restore it, "
                             "or remove it to rewrite the shard's lake files from the log");
  return next;
}

void LakeWriter::set_stream_manifest(uint32_t shard, uint64_t next_offset) {
  store_.put(manifest_key(shard), std::to_string(next_offset) + "\n");
}

void LakeWriter::remove_stream_files_from(uint32_t shard, uint64_t from) {
  for (const char* table : kLakeTables) {
    store_.remove_scratch(std::string(table) + "/", [&](std::string_view key) {
      uint32_t s;
      uint64_t first, last;
      return parse_stream_name(name_of(key), s, first, last) && s == shard;
    });
    const std::set<std::string> retired = holds_.retired(); // retired by this process's merges already
    std::vector<std::string> inputs;
    for (auto& [folder, files] : stream_files(store_, table, shard)) {
      for (auto& f : files) {
        if (f.first >= from) store_.remove(f.key);
        else if (covered(f, files) && !retired.count(f.key)) inputs.push_back(f.key);
      }
    }
    holds_.retire(std::move(inputs));
  }
  changed();
}

namespace {
// The size class of a stream file: floor(log_base(offsets it spans)). Files merge with files of
// their own class only, so a line is rewritten once per class it passes through (a few times in
// all), not again whenever small files join a big one.
int size_class(const StreamFile& f, size_t base) {
  int c = 0;
  for (uint64_t span = f.last - f.first + 1; span >= base; span /= base) ++c;
  return c;
}
} // namespace

size_t LakeWriter::compact_stream_files(DuckConnection& con, uint32_t shard, size_t min_files) {
  // The size classes are powers of min_files: below 2 there are none (and 1 would never end).
  if (min_files < 2) throw std::invalid_argument("lake: compaction merges at least 2 files, not " + std::to_string(min_files));
  size_t merged = 0;
  for (const char* table : kLakeTables) {
    const std::set<std::string> retired = holds_.retired();
    for (auto& [folder, all] : stream_files(store_, table, shard)) {
      // The live files only: a finished merge's inputs (kept while a query holds them) are in
      // its merged file already, and merging them again would put their lines in two files.
      std::vector<StreamFile> files;
      for (StreamFile& f : all)
        if (!covered(f, all) && !retired.count(f.key)) files.push_back(f);
      if (files.size() < min_files) continue;
      std::sort(files.begin(), files.end(), [](const StreamFile& a, const StreamFile& b) { return a.first < b.first; });
      // Runs of files next to each other in offset order and of one size class: a merged file's
      // range then covers its inputs and nothing else (remove_stream_files_from deletes what a
      // file's range covers).
      for (size_t begin = 0, end = 0; begin < files.size(); begin = end) {
        const int cls = size_class(files[begin], min_files);
        for (end = begin + 1; end < files.size() && size_class(files[end], min_files) == cls; ++end) {
        }
        if (end - begin < min_files) continue;
        std::string list;
        for (size_t i = begin; i < end; ++i) list += (list.empty() ? "" : ", ") + sql_literal(store_.read_location(files[i].key));
        // Read in offset order and written as read (preserve_insertion_order): the lines keep
        // the log's order without a sort.
        copy_to_object(con, store_, "SELECT * FROM read_parquet([" + list + "])",
                       folder + stream_name(shard, files[begin].first, files[end - 1].last));
        changed();
        std::vector<std::string> inputs;
        for (size_t i = begin; i < end; ++i) inputs.push_back(std::move(files[i].key));
        holds_.retire(std::move(inputs));
        merged += end - begin;
      }
    }
  }
  return merged;
}

std::vector<std::string> LakeWriter::readable_files(const std::string& table) const {
  std::shared_lock lock(publishing_);
  const std::set<std::string> retired = holds_.retired(); // before the walk (LakeHolds::retired)
  TableFiles all = table_files(store_, table);
  std::vector<std::string> out = std::move(all.others);
  for (auto& [where, files] : all.streams)
    for (StreamFile& f : files)
      if (!covered(f, files)) out.push_back(std::move(f.key));
  std::erase_if(out, [&](const std::string& key) { return retired.count(key) > 0; });
  std::sort(out.begin(), out.end());
  return out;
}

void LakeWriter::recover_staging(const std::function<bool(int64_t job)>& committed) {
  static constexpr std::string_view kPrefix = "_staging/batch-"; // _staging/batch-<job>/...
  std::set<int64_t> jobs;
  for (const ObjectInfo& o : store_.list(kPrefix)) jobs.insert(std::atoll(o.key.c_str() + kPrefix.size()));
  for (int64_t job : jobs)
    if (committed(job)) publish(job);
  store_.remove_folder("_staging/");
}

} // namespace shopflow
