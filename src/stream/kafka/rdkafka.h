// librdkafka's C API, wrapped once: handles that free themselves, settings that throw naming the
// setting, errors as exceptions that keep librdkafka's classification. Only rdkafka.cpp includes
// librdkafka.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct rd_kafka_s;

namespace shopflow::kafka {

// A failed librdkafka call. retriable: the same call may succeed later; abortable: the current
// transaction must be aborted; fatal: the producer is unusable (fenced by a newer instance of
// its transactional id, say) and must be made again.
struct KafkaError : std::runtime_error {
  KafkaError(const std::string& what, bool may_retry = false, bool must_abort = false, bool is_fatal = false)
      : std::runtime_error(what), retriable(may_retry), abortable(must_abort), fatal(is_fatal) {}
  bool retriable, abortable, fatal;
};

using Settings = std::map<std::string, std::string>;

struct Delivered {
  int32_t partition = -1;
  int64_t offset = -1;
  std::string error; // empty: delivered
};

class GroupConsumer;

// A transactional, idempotent producer (acks=all). One transaction at a time; not thread-safe.
class Producer {
public:
  // `settings` add to or override the defaults (bootstrap.servers must be among them).
  Producer(const Settings& settings, std::string transactional_id, int timeout_ms);
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  void begin();
  // Queues a message (not copied: `value` must live until commit() or abort() returns);
  // `delivered` receives its offset or error when commit() serves delivery reports.
  void send(const std::string& topic, int32_t partition, std::string_view value, Delivered* delivered);
  // Adds `consumer`'s positions to the transaction as its group's committed offsets, so that
  // what it read is consumed exactly when the transaction commits.
  void send_offsets(GroupConsumer& consumer);
  // Delivers every queued message and commits them all, or throws (then abort()).
  void commit();
  void abort();

private:
  rd_kafka_s* rk_ = nullptr;
  int timeout_ms_;
};

// After a failed transaction: aborts it, so that none of its records is ever read, or drops a
// producer that cannot abort (fenced, fatal): a new one under the same transactional id fences
// whatever it left open.
void abort_or_drop(std::unique_ptr<Producer>& producer);

struct Message {
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = 0;
  std::string value;
};

// A consumer of one partition at a time, without a consumer group's assignment: it reads from
// the offset it is given, committed transactions only.
class PartitionReader {
public:
  explicit PartitionReader(const Settings& settings);
  ~PartitionReader();
  PartitionReader(const PartitionReader&) = delete;
  PartitionReader& operator=(const PartitionReader&) = delete;

  // Reads `partition` of `topic` from `offset` on from now on.
  void seek(const std::string& topic, int32_t partition, int64_t offset);
  // Up to `max` messages, waiting at most `wait_ms` for the first and not at all for the rest.
  // Throws KafkaError on a read error, a batch whose CRC does not match included (retriable
  // unless the offset is out of the partition's range). An error after good messages returns
  // those and sets failed(). Either way the reader is not usable after that: read on from past
  // the messages returned with a new one.
  std::vector<Message> read(size_t max, int wait_ms);
  bool failed() const { return failed_; }
  // The offset the next read starts at: past what was read and past transaction markers that
  // followed it.
  int64_t position();
  const std::string& topic() const { return topic_; }
  int32_t partition() const { return partition_; }

private:
  rd_kafka_s* rk_ = nullptr;
  std::string topic_;
  int32_t partition_ = -1;
  bool failed_ = false;
};

// A member of a consumer group reading one topic (read_committed, offsets committed only
// through a Producer's transaction). Not thread-safe.
class GroupConsumer {
public:
  // `member`: this process's stable id in the group (static membership).
  GroupConsumer(const Settings& settings, const std::string& group, const std::string& member, const std::string& topic);
  ~GroupConsumer();
  GroupConsumer(const GroupConsumer&) = delete;
  GroupConsumer& operator=(const GroupConsumer&) = delete;
  // Up to `max` messages of any assigned partition, waiting at most `wait_ms` for the first.
  // Throws as PartitionReader::read does; start a new consumer after that (it resumes at the
  // group's committed offsets).
  std::vector<Message> read(size_t max, int wait_ms);

private:
  friend class Producer;
  rd_kafka_s* rk_ = nullptr;
  std::string topic_;
};

// Membership in a consumer group used only to share a topic's partitions among processes
// (cooperative-sticky assignment, static membership): its partitions are assigned and paused,
// never fetched. A member that stops or dies has its partitions handed to the others, at once
// when it leaves and after the session timeout (10 s) when it is killed.
class PartitionShare {
public:
  PartitionShare(const Settings& settings, const std::string& group, const std::string& member, const std::string& topic);
  ~PartitionShare(); // leaves the group: its partitions go to the others at once
  PartitionShare(const PartitionShare&) = delete;
  PartitionShare& operator=(const PartitionShare&) = delete;
  // Serves the group's events (assignments, revocations) for up to `wait_ms`; call it often.
  void poll(int wait_ms);
  // The partitions this member owns now, and a number that changes whenever they do.
  std::vector<int32_t> owned() const;
  uint64_t generation() const { return generation_; }
  // The user of the partitions has stopped writing those it lost up to `generation`. A revoked
  // partition goes back to the group only then (or after 30 s), so that its next owner never
  // writes beside this one; a member that dies loses its partitions after the session timeout.
  void released(uint64_t generation);

private:
  static void on_rebalance(rd_kafka_s* rk, int err, void* partitions, void* opaque);
  rd_kafka_s* rk_ = nullptr;
  mutable std::mutex mutex_;
  std::condition_variable released_changed_;
  std::vector<int32_t> owned_;
  std::atomic<uint64_t> generation_{0};
  uint64_t released_ = 0;
  bool closing_ = false; // the last revocation (at close) does not wait
};

// Topics and their partitions, through a short-lived client.
class Admin {
public:
  // committed_only: watermarks as read_committed consumers see them (the high one is the last
  // stable offset); else the high watermark itself, past records of open transactions too.
  explicit Admin(const Settings& settings, bool committed_only = true);
  ~Admin();
  Admin(const Admin&) = delete;
  Admin& operator=(const Admin&) = delete;

  // The topic's partition count, or nullopt when it does not exist.
  std::optional<int> partitions(const std::string& topic, int timeout_ms);
  // Creates a topic; an existing one is not an error (the caller checks its layout).
  void create_topic(const std::string& topic, int partitions, int replication, const Settings& config, int timeout_ms);
  // The first offset still stored (Start) or the end (End: the high watermark, or with
  // committed_only the last stable offset) of each of `partitions`, in that order.
  enum class Position { Start, End };
  std::vector<int64_t> offsets(const std::string& topic, const std::vector<int32_t>& partitions, Position position, int timeout_ms);
  // The cluster as its metadata describes it: the live brokers (a broker that stopped leaves
  // the list once the controller fences it) and, per partition of `topic`, its leader and how
  // many of its replicas are in sync.
  struct Cluster {
    struct Broker {
      int32_t id = 0;
      std::string address; // host:port
    };
    struct Partition {
      int32_t leader = -1; // -1: none (unavailable)
      int replicas = 0, in_sync = 0;
    };
    std::vector<Broker> brokers;
    std::vector<Partition> partitions; // by partition id; empty when the topic does not exist
  };
  Cluster cluster(const std::string& topic, int timeout_ms);

private:
  rd_kafka_s* rk_ = nullptr;
};

} // namespace shopflow::kafka
