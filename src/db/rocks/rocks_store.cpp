#include "db/rocks/rocks_store.h"

#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <stdexcept>

#include <rocksdb/env.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/write_batch.h>

#include "util/log.h"

namespace shopflow {

namespace {
[[noreturn]] void fail(const std::string& name, const char* what, const rocksdb::Status& s) {
  throw std::runtime_error(name + ": " + what + ": " + s.ToString());
}

// RocksDB's own messages, errors only, on stderr. Its default LOG file in the database folder
// cannot be used: once a write to it failed (disk full), RocksDB 7 aborts on its next line.
class StderrLogger final : public rocksdb::Logger {
public:
  StderrLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::ERROR_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    char line[1024];
    std::vsnprintf(line, sizeof line, format, ap);
    log::error("rocksdb", {{"message", line}});
  }
};
} // namespace

RocksStore::RocksStore(std::string name, std::string path, rocksdb::Options options)
    : name_(std::move(name)), path_(std::move(path)), options_(std::move(options)) {
  options_.info_log = std::make_shared<StderrLogger>();
  // Flushes and compactions run on RocksDB's own threads, and like the sinks they are derived
  // work: they yield the CPU to ingest and lookups (SCHED_IDLE), which would otherwise wait behind
  // a compaction at full priority. The pools are the process's (every store shares the Env's).
  static std::once_flag idle_pools;
  std::call_once(idle_pools, [env = options_.env] {
    for (auto pool : {rocksdb::Env::Priority::LOW, rocksdb::Env::Priority::HIGH})
      env->LowerThreadPoolCPUPriority(pool, rocksdb::CpuPriority::kIdle);
  });
  // Made here, not by RocksDB: a database it creates logs an error about its folder's absence.
  std::error_code ec;
  std::filesystem::create_directories(path_, ec);
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options_, path_, &db);
  if (!s.ok()) fail(name_, ("cannot open " + path_).c_str(), s);
  db_.reset(db);
}

RocksStore::~RocksStore() = default;

rocksdb::DB& RocksStore::db() const {
  if (!db_) throw std::runtime_error(name_ + ": " + path_ + " is closed after a write error and could not be reopened: " + open_error_);
  return *db_;
}

bool RocksStore::get(const rocksdb::Slice& key, std::string& value) const {
  std::shared_lock lock(mutex_);
  rocksdb::Status s = db().Get(rocksdb::ReadOptions(), key, &value);
  if (s.IsNotFound()) return false;
  if (!s.ok()) fail(name_, "read", s);
  return true;
}

void RocksStore::Scan::check() const {
  if (!it_->status().ok()) fail(*name_, "read", it_->status());
}

RocksStore::Scan RocksStore::scan(const rocksdb::ReadOptions& options) const {
  Scan scan;
  scan.lock_ = std::shared_lock(mutex_);
  rocksdb::ReadOptions read = options;
  // With a prefix extractor, RocksDB's default is a prefix seek, whose Next() past the prefix is
  // undefined: a scan reads in key order unless it keeps to one prefix (scan_prefix).
  if (!read.prefix_same_as_start) read.total_order_seek = true;
  scan.it_.reset(db().NewIterator(read));
  scan.name_ = &name_;
  return scan;
}

RocksStore::Scan RocksStore::scan_prefix(const std::string& prefix) const {
  if (prefix.empty() || static_cast<unsigned char>(prefix.back()) == 0xff)
    throw std::invalid_argument(name_ + ": a prefix scan needs a prefix whose last byte is below 0xff");
  auto bound = std::make_unique<std::string>(prefix);
  bound->back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  auto bound_slice = std::make_unique<rocksdb::Slice>(*bound);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = bound_slice.get();
  // Every key that starts with `prefix` has the extractor's prefix of it: the files' prefix
  // filters may rule files out.
  const rocksdb::SliceTransform* extractor = options_.prefix_extractor.get();
  options.prefix_same_as_start = extractor && extractor->InDomain(prefix);
  Scan it = scan(options);
  it.upper_bound_ = std::move(bound); // on the heap: the iterator's pointer stays valid
  it.upper_bound_slice_ = std::move(bound_slice);
  return it;
}

void RocksStore::check_writable() const {
  if (broken_)
    throw std::runtime_error(name_ + ": writes wait for the database to be reopened after a write error" +
                             (open_error_.empty() ? std::string() : " (" + open_error_ + ")"));
}

void RocksStore::failed(const rocksdb::Status& s, const char* what) {
  broken_ = true;
  fail(name_, what, s);
}

void RocksStore::write(const rocksdb::WriteOptions& options, rocksdb::WriteBatch& batch, const char* what) {
  std::shared_lock lock(mutex_);
  check_writable();
  if (rocksdb::Status s = db().Write(options, &batch); !s.ok()) failed(s, what);
}

void RocksStore::flush() {
  std::shared_lock lock(mutex_);
  check_writable();
  if (rocksdb::Status s = db().Flush(rocksdb::FlushOptions()); !s.ok()) failed(s, "flush");
}

void RocksStore::ingest(const std::string& file, const rocksdb::IngestExternalFileOptions& options) {
  std::shared_lock lock(mutex_);
  check_writable();
  if (rocksdb::Status s = db().IngestExternalFile({file}, options); !s.ok()) failed(s, ("ingest " + file).c_str());
}

void RocksStore::recover() {
  if (!broken_) return;
  std::unique_lock lock(mutex_);
  if (!broken_) return;
  db_.reset(); // closes it; RocksDB allows one open instance per folder
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options_, path_, &db);
  if (s.ok()) {
    db_.reset(db);
    open_error_.clear();
    broken_ = false;
    return;
  }
  open_error_ = s.ToString();
  // Read-only needs no space: lookups keep working until the next attempt.
  rocksdb::Status ro = rocksdb::DB::OpenForReadOnly(options_, path_, &db);
  if (ro.ok()) db_.reset(db);
  fail(name_, "cannot reopen after a write error (reads go on, read-only, meanwhile)", s);
}

} // namespace shopflow
