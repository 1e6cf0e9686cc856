// One RocksDB database (the tables', the notifications' outbox), wrapped once so that a write
// error never takes the process down nor leaves a read failure looking like an absent key.
//
// After a failed write (disk full, say) RocksDB 7's WAL writer must not be written again: its
// next write aborts the process (fixed upstream in 9.1). So after any failed write every write is
// refused until recover() has closed and reopened the database: read-write once the cause is
// gone, else read-only, so that lookups keep answering while writes wait. A write that failed was
// never acknowledged, and reopening replays the WAL up to the last complete write. RocksDB's
// messages go to stderr (errors only), not to a LOG file, whose failed write would abort too.
#pragma once

#include <atomic>
#include <memory>
#include <shared_mutex>
#include <string>

#include <rocksdb/db.h>
#include <rocksdb/options.h>

namespace shopflow {

class RocksStore {
public:
  // Opens `path` read-write (creating it with options.create_if_missing); throws naming it.
  // `name` ("tables") begins every error message.
  RocksStore(std::string name, std::string path, rocksdb::Options options);
  ~RocksStore();

  // False when `key` is absent; a failed read throws.
  bool get(const rocksdb::Slice& key, std::string& value) const;

  // An iterator and the read lock it needs. check() after the loop throws if the loop ended on
  // a read error rather than at the end of the data.
  class Scan {
  public:
    rocksdb::Iterator* operator->() const { return it_.get(); }
    rocksdb::Iterator* get() const { return it_.get(); }
    void check() const;

  private:
    friend class RocksStore;
    std::shared_lock<std::shared_mutex> lock_; // declared first: released after the iterator
    std::unique_ptr<std::string> upper_bound_;  // outlives the iterator that reads up to it
    std::unique_ptr<rocksdb::Slice> upper_bound_slice_;
    std::unique_ptr<rocksdb::Iterator> it_;
    const std::string* name_ = nullptr;
  };
  Scan scan(const rocksdb::ReadOptions& options = rocksdb::ReadOptions()) const;
  // The keys that start with `prefix` (which must not end with byte 0xff), after Seek(prefix): the
  // iterator knows where they end and reads no further (nor any file whose keys lie beyond), and
  // when the store's prefix extractor takes `prefix`, skips the files its prefix filter rules out.
  Scan scan_prefix(const std::string& prefix) const;

  // Writes; each throws "<name>: <what>: <error>". After a failure, every write throws until
  // recover() succeeds.
  void write(const rocksdb::WriteOptions& options, rocksdb::WriteBatch& batch, const char* what);
  void flush();
  void ingest(const std::string& file, const rocksdb::IngestExternalFileOptions& options);

  // After a failed write: reopens the database read-write, or (while that fails) read-only, and
  // throws why writes still cannot resume. Does nothing while writes work.
  void recover();

private:
  rocksdb::DB& db() const; // under mutex_; throws when no database could be opened
  void check_writable() const;
  void failed(const rocksdb::Status& s, const char* what);

  std::string name_, path_;
  rocksdb::Options options_;
  mutable std::shared_mutex mutex_; // exclusive only while reopening
  std::unique_ptr<rocksdb::DB> db_;
  std::atomic<bool> broken_{false}; // a write failed: refuse writes until reopened read-write
  std::string open_error_;          // why the latest reopen could not open read-write
};

} // namespace shopflow
