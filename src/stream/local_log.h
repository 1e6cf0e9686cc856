// The embedded log in its folder LOG (DIR/log by default): N shards under LOG/shard-<n>/, each with a syncer thread doing group
// commit.
//
// append() writes its batches itself, in the caller's thread (a shard takes one appender at a
// time), so no thread hand-off is paid per request. With durability fsync each written batch then
// waits on its shard's syncer, which takes every batch waiting, calls fdatasync once and answers
// all of them: one sync covers every append that was waiting for it, and the shards sync side by
// side. Under concurrent load (appends arrived while the previous sync ran) the syncer first waits
// `commit_delay_us` for more appends to join: each sync costs the disk about as much whatever it
// carries, so fewer, fuller syncs raise throughput and even lower tail latency. A lone client
// never waits. With durability async the answer comes right after the write, in the caller's
// thread, and each shard is synced every `async_sync_ms`.
// Consumer offsets (for retention) live in LOG/consumers/<name>, one u64 per shard.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "stream/consumer_offsets.h"
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
  int64_t commit_delay_us = 500; // 0: sync as soon as anything is queued
};

class LocalLog final : public Log {
public:
  // Opens or creates the log in folder `dir`. A log created with N shards keeps N (stored in LOG/SHARDS);
  // opening it with another count is an error that names both.
  LocalLog(const std::filesystem::path& dir, LocalLogOptions options);
  ~LocalLog() override;

  uint32_t shard_count() const override { return static_cast<uint32_t>(shards_.size()); }
  AppendResult append(uint32_t shard, const std::vector<std::string_view>& records) override;
  std::vector<AppendResult> append_all(const std::vector<ShardBatch>& batches) override;
  void append_all_async(std::vector<ShardBatch> batches, AppendDone done) override;
  LogRead read(uint32_t shard, uint64_t from, size_t max_records) override;
  uint64_t end_offset(uint32_t shard) const override;
  uint64_t start_offset(uint32_t shard) const override;
  void commit_offset(const std::string& consumer, uint32_t shard, uint64_t offset) override;

  uint64_t truncated_bytes() const override; // over all shards
  uint64_t syncs() const override { return syncs_; } // fdatasyncs
  FailureState::Snapshot write_failures() const override;
  void apply_retention();

private:
  // One append_all_async call: its batches' results, and how many are not yet finished. (The
  // batches themselves are written before the call returns.)
  struct Append {
    std::vector<AppendResult> results;
    std::atomic<size_t> pending{0};
    std::mutex error_mutex;
    std::exception_ptr error;
    AppendDone done;
    void finish_one(size_t index, const AppendResult* result, std::exception_ptr e);
  };
  // One written batch of an Append, waiting for its shard's sync.
  struct Written {
    std::shared_ptr<Append> append;
    size_t index;
    AppendResult result;
  };
  // One shard's batches waiting for a sync, and the thread that syncs them.
  struct Syncer {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<Written> waiting;
    std::atomic<bool> unsynced{false}; // written, and no waiting append will bring a sync: async
                                       // appends, and the batches of a sync that failed
    bool stopping = false;
    FailureState write_failures; // the shard's writes and syncs
    std::thread thread;
  };
  void syncer_loop(uint32_t shard_id);
  // Applies retention to one shard and logs what it deleted (errors are logged, not thrown).
  void retain(uint32_t shard_id);
  // Makes `w` durable as the durability setting promises, then finishes it.
  void commit(uint32_t shard_id, Written w);
  Shard& shard(uint32_t n) const;
  uint64_t retention_floor(uint32_t shard_id); // lowest offset some consumer still needs

  std::filesystem::path dir_;
  LocalLogOptions options_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<std::unique_ptr<Syncer>> syncers_; // one per shard
  std::atomic<uint64_t> syncs_{0};
  void write_failed(uint32_t shard_id, const std::exception_ptr& e);

  std::mutex consumers_mutex_;
  ConsumerOffsets consumers_;
  struct Saved {
    std::chrono::steady_clock::time_point at{};
    bool dirty = false; // offsets moved since `at`
  };
  std::map<std::string, Saved> consumer_saved_;
};

} // namespace shopflow
