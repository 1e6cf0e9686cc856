// The lake sink (S3 Parquet's role): objects <table>/year=YYYY/month=MM/*.parquet, zstd,
// Hive-partitioned, readable by DuckDB, pandas/pyarrow and Spark, in an ObjectStore
// (object_store.h; DIR/lake by default).
//
// A batch job's files are first written as _staging/batch-<job>/<table>/year=/month=/
// part-<i>.parquet while the job's warehouse transaction is open, then moved into place as
// <table>/year=YYYY/month=MM/batch-<job>-<i>.parquet after it commits. Readers never look inside
// _staging. The staged files of a committed job are published by recovery; those of an
// uncommitted job are deleted.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "db/duckdb.h"
#include "sinks/lake/lake_holds.h"
#include "sinks/lake/object_store.h"
#include "util/writer_first_mutex.h"

namespace shopflow {

inline constexpr const char* kLakeTables[] = {"transactions", "cancellations"};

class LakeWriter {
public:
  // `others_write`: other processes write the store too (workers sharing an S3 lake), so what
  // readers list may change without this process's writes.
  explicit LakeWriter(ObjectStore& store, bool others_write = false) : store_(store), holds_(store), others_write_(others_write) {}

  // Writes the rows of `select_sql` (no year/month columns: the folder names carry them) as one
  // staged file of the job: <table>/year=YYYY/month=MM/part-<part>.parquet. Run through the
  // job's connection while its transaction is open.
  void stage(DuckConnection& con, int64_t job, const std::string& table, int partition, int part,
             const std::string& select_sql);
  // Moves a job's staged files into the lake and removes its staging folder; a forced re-import
  // retires the files of the job it `replaces` at the same time. Readers (readable_files) see
  // the lake before or after, never a part of it. Idempotent.
  void publish(int64_t job, std::optional<int64_t> replaces = std::nullopt);
  void discard(int64_t job);
  // Deletes the published files of the jobs for which `doomed` is true (recovery: those of jobs
  // no longer imported).
  void remove_published(const std::function<bool(int64_t job)>& doomed);
  // At open, before any job runs: publishes the staged files of the jobs for which `committed`
  // is true and deletes everything else staged (files of jobs that never committed, scratch).
  void recover_staging(const std::function<bool(int64_t job)>& committed);

  // Stream path. A shard's files are <table>/year=YYYY/month=MM/stream-<shard>-<first>-<last>.parquet;
  // _stream/shard-<n> holds the next offset whose lines are not yet in the lake (the manifest,
  // replaced whole).
  // Listings in this process see a shard's stream files appear in the order they were written.
  void write_stream_file(DuckConnection& con, const std::string& table, int partition, uint32_t shard,
                         uint64_t first, uint64_t last, const std::string& select_sql);
  uint64_t stream_manifest(uint32_t shard) const;
  void set_stream_manifest(uint32_t shard, uint64_t next_offset);
  // Deletes a shard's stream files whose first offset is >= `from` (written after the manifest;
  // their names are written again) and the shard's unfinished files (scratch, uploads), and
  // retires the files whose offset range lies inside another file's (inputs of a finished
  // compaction: deleted once the queries that may read them end). Other shards' files are left
  // alone: another process may be writing them.
  void remove_stream_files_from(uint32_t shard, uint64_t from);
  // Merges a shard's stream files of one table and month, `min_files` or more next to each other
  // in offset order and of one size class (spans within a factor of `min_files`), into one file
  // named by the union of their ranges; the merged file is put in place before the inputs are
  // retired (holds()), so a crash leaves at worst files that the next start removes as covered.
  // Returns the number of files merged away.
  size_t compact_stream_files(DuckConnection& con, uint32_t shard, size_t min_files);

  // The keys of a table's files a reader reads now: every <table>/year=/month=/*.parquet but the
  // stream files whose range another file of their shard covers (a merge's inputs). Take a
  // hold() first: the files listed stay until it ends.
  std::vector<std::string> readable_files(const std::string& table) const;
  // Counts this process's changes to what readable_files() lists: a listing made after
  // changes() returned N stays current while changes() is N, unless others_write().
  uint64_t changes() const { return changes_.load(std::memory_order_acquire); }
  bool others_write() const { return others_write_; }
  LakeHolds& holds() { return holds_; }
  ObjectStore& store() { return store_; }
  const ObjectStore& store() const { return store_; }

private:
  std::vector<std::string> published_files(const std::function<bool(int64_t job)>& whose) const;
  // Counts a change to what readable_files() lists: after files appear, and before any file is
  // retired (a reader that saw the count before it took its hold first, so the retired files wait
  // for it).
  void changed() { changes_.fetch_add(1, std::memory_order_release); }

  ObjectStore& store_;
  LakeHolds holds_;
  const bool others_write_;
  std::atomic<uint64_t> changes_{0};
  // Exclusive while files appear (a job's, a stream file): listings wait. A walk of a folder that a
  // file appears in may return it and miss one that appeared just before it, so a listing could
  // hold a shard's later stream file without the earlier one. (A merged file needs no such care:
  // its inputs stay listed until it is there, see readable_files.) Writer first: queries listing
  // one after another never hold a flush off.
  mutable WriterFirstMutex publishing_;
};

} // namespace shopflow
