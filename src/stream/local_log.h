// The embedded log: N shards under DIR/log/shard-<n>/, one writer thread doing group commit.
//
// append() queues its batch and waits. The writer thread takes every queued batch, writes each to
// its shard, then (durability fsync) calls fdatasync once per touched shard before answering all
// of them: one sync covers every append that was waiting for it. With durability async the
// answer comes after the write and the shards are synced every `async_sync_ms`.
// Consumer offsets (for retention) live in DIR/log/consumers/<name>, one u64 per shard.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "stream/log.h"
#include "stream/shard.h"

namespace shopflow {

enum class Durability { Fsync, Async };

struct LocalLogOptions {
  uint32_t shards = 4;
  Durability durability = Durability::Fsync;
  uint64_t segment_bytes = 64ull << 20;
  int64_t retention_ms = 7ll * 24 * 3600 * 1000;
  uint64_t retention_bytes = 16ull << 30; // per shard
  int64_t async_sync_ms = 200;
};

class LocalLog final : public Log {
public:
  // Opens or creates DIR/log. A log created with N shards keeps N (stored in DIR/log/SHARDS);
  // opening it with another count is an error that names both.
  LocalLog(const std::filesystem::path& dir, LocalLogOptions options);
  ~LocalLog() override;

  uint32_t shard_count() const override { return static_cast<uint32_t>(shards_.size()); }
  AppendResult append(uint32_t shard, const std::vector<std::string_view>& records) override;
  std::vector<AppendResult> append_all(const std::vector<ShardBatch>& batches) override;
  std::vector<LogRecord> read(uint32_t shard, uint64_t from, size_t max_records) override;
  uint64_t end_offset(uint32_t shard) const override;
  uint64_t start_offset(uint32_t shard) const override;
  void commit_offset(const std::string& consumer, uint32_t shard, uint64_t offset) override;

  uint64_t truncated_bytes() const; // cut by recovery at open, over all shards
  uint64_t syncs() const { return syncs_; } // fdatasync rounds so far (group-commit evidence)
  void apply_retention();

private:
  struct Request {
    uint32_t shard;
    const std::vector<std::string_view>* records;
    std::promise<AppendResult> done;
  };
  void writer_loop();
  void save_consumer(const std::string& name);
  Shard& shard(uint32_t n) const;

  std::filesystem::path dir_;
  LocalLogOptions options_;
  std::vector<std::unique_ptr<Shard>> shards_;

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<Request*> queue_;
  bool stopping_ = false;
  std::thread writer_;
  std::atomic<uint64_t> syncs_{0};

  std::mutex consumers_mutex_;
  std::map<std::string, std::vector<uint64_t>> consumers_;
};

} // namespace shopflow
