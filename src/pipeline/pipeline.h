// Runs one thread per sink consumer: each reads every shard of the log from the sink's own
// committed offset, cleaned with core (once for all sinks: cleaned_reader.h), and hands the
// batches to its sink. Lag per sink and shard is exposed for /metrics, and whether a sink is
// failing (its latest pass threw: disk full, say; it retries by itself) for /healthz; drain()
// waits until every sink has stored everything appended so far.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "pipeline/cleaned_reader.h"
#include "pipeline/sink_consumer.h"
#include "stream/log.h"
#include "util/failure_state.h"

namespace shopflow {

class Pipeline {
public:
  Pipeline(Log& log, std::vector<std::unique_ptr<SinkConsumer>> sinks, size_t batch_records = 20'000);
  ~Pipeline(); // stops the threads (without draining)

  // Shards shared with other processes (workers in one Kafka group, sharing a PostgreSQL
  // warehouse): `sink` stores only the shards `owned` names. When `generation` changes, the sink
  // drops what it buffered and reads on from its stored offsets, for the shards it owns then.
  // Before start().
  // `released(generation)` is called once the sink has dropped what it buffered for the shards it
  // owned before that generation: a revoked shard may then go to another process.
  struct ShardOwner {
    std::function<uint64_t()> generation;
    std::function<std::vector<uint32_t>()> owned;
    std::function<void(uint64_t generation)> released;
  };
  void share(const std::string& sink, ShardOwner owner);
  void start();
  // Waits until every sink has stored every record appended before the call (lake buffers are
  // flushed). Returns false on timeout.
  bool drain(int64_t timeout_ms);
  void stop();

  struct SinkStatus {
    std::string name;
    std::vector<uint64_t> stored; // next offset stored per shard
    std::vector<uint64_t> lag;    // records of each shard appended but not yet stored (0: another process's)
    std::vector<bool> owned;      // per shard, when the sink shares its shards; else empty
    uint64_t batches = 0;
    FailureState::Snapshot failures; // of its passes; healthy again once a pass stores something
    uint64_t total_lag() const;
  };
  std::vector<SinkStatus> status() const;

private:
  struct Worker {
    std::unique_ptr<SinkConsumer> sink;
    std::vector<uint64_t> read_next;             // next offset to read per shard
    std::vector<std::atomic<uint64_t>> stored;   // committed per shard (for lag)
    std::atomic<uint64_t> batches{0};
    std::atomic<bool> flush_requested{false};
    ShardOwner owner;                          // empty: every shard
    uint64_t owner_generation = ~0ull;
    std::vector<std::atomic<bool>> mine;       // per shard: this process stores it
    FailureState failures;
    std::thread thread;
  };
  void run(Worker& w);

  Log& log_;
  CleanedReader reader_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<bool> stopping_{false};
};

} // namespace shopflow
