// The log on a Kafka cluster (--log kafka://HOST:PORT[,HOST:PORT...]/PREFIX): topic
// PREFIX.records, one partition per shard; offsets are Kafka's.
//
// Appends: one transactional, idempotent producer (acks=all) per process, fed by a thread that
// group-commits. Every batch queued while a transaction runs goes into the next one, and each
// caller is answered once the brokers committed its records. A failed transaction is aborted, so
// none of its records is ever read (readers are read_committed); its callers get the error.
// Offsets grow but are not consecutive: each transaction leaves a marker, and other nodes'
// transactions interleave.
//
// Reads: per shard, a few partition readers positioned where their last read ended, so consumers
// reading on from where they were (the sinks) do not seek.
//
// End and start offsets never wait for the network (health checks and /metrics ask for them on
// I/O threads): a thread refreshes them from the brokers every 100 ms, and the end offset is at
// least past every record this process had committed, so a drain waits for all of them.
//
// The topic is created if missing: --shards partitions, replication min(3, brokers) and
// min.insync.replicas min(2, replication) unless given, retention unlimited (the sinks hold
// the data; Kafka's retention would delete what a lagging sink has not stored). An existing topic
// keeps its layout; the shard count is what it has.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "stream/kafka/rdkafka.h"
#include "stream/log.h"
#include "util/failure_state.h"

namespace shopflow {

struct KafkaLogOptions {
  std::string servers;          // bootstrap servers, host:port,...
  std::string prefix;           // topics PREFIX.*
  uint32_t shards = 4;          // partitions of a topic this creates
  int replication = 0;          // of a topic this creates; 0: min(3, brokers)
  int min_insync = 0;           // its min.insync.replicas; 0: min(2, replication)
  std::string transactional_id; // stable per node: a restarted node fences its earlier self
  int timeout_ms = 30'000;      // a transaction, a metadata request
  kafka::Settings settings = {}; // more librdkafka settings for every client
};

class KafkaLog final : public Log {
public:
  // Connects, creates or checks the topic, and initialises the producer's transactions. Throws
  // std::runtime_error naming what failed (no broker answering, a refused setting).
  explicit KafkaLog(KafkaLogOptions options);
  ~KafkaLog() override;

  uint32_t shard_count() const override { return shards_; }
  AppendResult append(uint32_t shard, const std::vector<std::string_view>& records) override;
  std::vector<AppendResult> append_all(const std::vector<ShardBatch>& batches) override;
  void append_all_async(std::vector<ShardBatch> batches, AppendDone done) override;
  LogRead read(uint32_t shard, uint64_t from, size_t max_records) override;
  // The last stable offset (what read_committed readers can reach) as last seen, and past every
  // record this process committed.
  uint64_t end_offset(uint32_t shard) const override;
  uint64_t start_offset(uint32_t shard) const override;
  bool shared() const override { return true; }
  // The high watermark, from the brokers: a transaction another node has just committed may not
  // have reached the last stable offset yet (its markers are written after the commit returns).
  uint64_t fresh_end_offset(uint32_t shard) override;
  // The topic's retention is Kafka's (unlimited when shopflow created it): nothing to do.
  void commit_offset(const std::string&, uint32_t, uint64_t) override {}
  uint64_t syncs() const override { return transactions_; } // committed transactions
  uint64_t queued_appends() const override { return queued_; }
  // Brokers: every one the metadata named since the start, up while it still does (refreshed
  // every second; a killed broker leaves the metadata when the controller fences it).
  std::vector<LogNode> nodes() const override;
  std::vector<ShardReplication> replication() const override;
  // Failing transactions, else brokers that do not answer the offsets queries.
  FailureState::Snapshot write_failures() const override {
    FailureState::Snapshot producing = failures_.snapshot();
    return producing.failing_since_ms ? producing : brokers_.snapshot();
  }

  const std::string& topic() const { return topic_; }
  const std::string& prefix() const { return options_.prefix; }
  const std::string& servers() const { return options_.servers; }

private:
  struct Pending {
    std::vector<ShardBatch> batches;
    AppendDone done;
  };
  void produce_loop();
  void refresh_loop();
  // Queries every shard's offsets; throws when the brokers do not answer.
  void refresh_offsets();
  // Queries the brokers and the topic's replication; when they do not answer, every broker is down.
  void refresh_cluster();
  // Runs one transaction over `group`; returns the results per pending entry, or throws.
  std::vector<std::vector<AppendResult>> transact(std::vector<Pending>& group);

  struct ShardReaders {
    struct Idle {
      uint64_t next = 0; // where its next read starts
      std::unique_ptr<kafka::PartitionReader> reader;
    };
    std::mutex mutex;
    std::vector<Idle> idle; // least recently used first
  };

  KafkaLogOptions options_;
  std::string topic_;
  uint32_t shards_ = 0;
  std::unique_ptr<kafka::Admin> admin_; // last stable offsets (its calls are thread-safe)
  std::unique_ptr<kafka::Admin> high_;  // high watermarks
  std::unique_ptr<kafka::Producer> producer_;
  std::vector<std::unique_ptr<ShardReaders>> readers_;

  std::mutex mutex_;
  std::condition_variable wake_, refresh_wake_; // the producer's; the offsets refresher's
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::atomic<uint64_t> transactions_{0}, queued_{0}; // queued_: appends not yet answered
  FailureState failures_, brokers_;
  std::unique_ptr<std::atomic<uint64_t>[]> end_, start_; // per shard, as last refreshed or committed
  mutable std::mutex cluster_mutex_;
  std::map<int32_t, LogNode> nodes_;          // by broker id, every one seen
  std::atomic<bool> unreachable_{false};      // the last metadata request had no answer
  std::vector<ShardReplication> replication_; // per shard, as last seen
  std::thread producer_thread_, refresh_thread_;
};

} // namespace shopflow
