// The durable stream (Kinesis's role), as an interface: the pipeline appends opaque records to
// shards and every consumer reads them back from its own offsets. LocalLog (local_log.h) is the
// embedded implementation; Redis Streams or Kafka can implement the same interface.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "util/failure_state.h"

namespace shopflow {

struct LogRecord {
  uint64_t offset = 0;
  int64_t append_time_ms = 0; // wall clock when the batch was appended
  uint64_t batch_last = 0;    // offset of the last record of the batch this record came in
  std::string data;
};

// What one read of a shard gave: its records, and the offset the next read starts at. That is
// past the last record, and in a log that keeps records of its own between them (Kafka's
// transaction markers) past those that follow it, so a consumer storing `next` is caught up.
struct LogRead {
  std::vector<LogRecord> records;
  uint64_t next = 0;
};

struct AppendResult {
  uint32_t shard = 0;
  uint64_t first_offset = 0, last_offset = 0; // inclusive
  bool written() const { return first_offset <= last_offset; } // false: {1, 0}, nothing appended
};

// A server of a distributed log (a Kafka broker) as this process last saw it.
struct LogNode {
  std::string id, address;
  bool up = false;
};

// How a shard of a distributed log is replicated: copies, the copies in sync with the leader
// (fewer than copies: a server is missing), and whether a leader takes writes now.
struct ShardReplication {
  int replicas = 0, in_sync = 0;
  bool has_leader = false;
};

class Log {
public:
  virtual ~Log() = default;
  virtual uint32_t shard_count() const = 0;
  // Appends `records` to `shard` as one batch, in order, with consecutive offsets. Returns once
  // the batch is as durable as the log's durability setting promises. Throws on I/O errors.
  virtual AppendResult append(uint32_t shard, const std::vector<std::string_view>& records) = 0;
  // Appends several batches (to different shards, or the same) and returns when all are durable;
  // an implementation may cover them all with one sync. Results are in the order given.
  struct ShardBatch {
    uint32_t shard;
    std::vector<std::string_view> records;
  };
  virtual std::vector<AppendResult> append_all(const std::vector<ShardBatch>& batches) {
    std::vector<AppendResult> out;
    for (auto& b : batches) out.push_back(append(b.shard, b.records));
    return out;
  }
  // The same without waiting: `done` is called once, possibly on another thread, with the results
  // in the order given and the first error, if any. After an error, the results of the batches
  // that were written anyway (readers will see them) are set; the others are not written().
  // The records must stay valid until then (capture their storage in `done`); `done` must not
  // throw. This default runs append_all and calls `done` before returning.
  using AppendDone = std::function<void(std::vector<AppendResult>, std::exception_ptr)>;
  virtual void append_all_async(std::vector<ShardBatch> batches, AppendDone done) {
    std::vector<AppendResult> results;
    for (auto& b : batches) {
      try {
        results.push_back(append(b.shard, b.records));
      } catch (...) {
        results.resize(batches.size(), AppendResult{0, 1, 0});
        done(std::move(results), std::current_exception());
        return;
      }
    }
    done(std::move(results), nullptr);
  }
  // Reads up to `max_records` records of `shard` starting at `from` (the first offset not yet
  // consumed). Returns fewer (possibly none) at the end of the log. Only durable records are
  // read: with async durability a record shows up once the periodic sync has covered it.
  // Offsets grow but need not be consecutive (see LogRead).
  virtual LogRead read(uint32_t shard, uint64_t from, size_t max_records) = 0;
  // The offset the next appended record of `shard` will get.
  virtual uint64_t end_offset(uint32_t shard) const = 0;
  // The lowest offset still stored (retention may have removed older ones).
  virtual uint64_t start_offset(uint32_t shard) const = 0;
  // Whether other processes append to this log too (a Kafka log shared by serve nodes).
  virtual bool shared() const { return false; }
  // An offset past every record appended to `shard` so far by anyone, asking the log's storage if
  // need be (may block). In a log with transactions it may lie past records not yet committed:
  // reading up to it waits until they are (or were aborted). Default: end_offset().
  virtual uint64_t fresh_end_offset(uint32_t shard) { return end_offset(shard); }
  // A consumer reports that it has durably processed every record of `shard` below `offset`;
  // retention never removes what a registered consumer has not reached.
  virtual void commit_offset(const std::string& consumer, uint32_t shard, uint64_t offset) = 0;
  // Flushes to stable storage so far, over all shards (with group commit, far fewer than appends).
  virtual uint64_t syncs() const { return 0; }
  // Appends accepted but not yet durable (queued for the next sync or transaction).
  virtual uint64_t queued_appends() const { return 0; }
  // Bytes of torn or corrupt tail that recovery cut when the log opened (0 after a clean stop).
  virtual uint64_t truncated_bytes() const { return 0; }
  // The servers the log runs on, every one seen since this process started (empty: embedded).
  virtual std::vector<LogNode> nodes() const { return {}; }
  // Per shard, as last seen (empty: the log keeps one copy, on this machine).
  virtual std::vector<ShardReplication> replication() const { return {}; }
  // Whether appends are failing now (disk full, say): healthy again after a write is durable.
  virtual FailureState::Snapshot write_failures() const { return {}; }
};

} // namespace shopflow
