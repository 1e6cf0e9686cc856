// Appends parsed rows to the log: each row is encoded (log_record.h), routed to its shard by
// InvoiceNo, and the shards' batches are appended together (one group commit covers them).
#pragma once

#include <array>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/record.h"
#include "pipeline/idempotency.h"
#include "stream/log.h"

namespace shopflow {

struct MalformedRow {
  size_t index;       // in the request
  std::string detail; // what core's cleaning found wrong
};

struct IngestOutcome {
  size_t appended = 0;               // rows appended by this call
  size_t malformed_count = 0;        // rows stored although malformed (they land in rejected)...
  std::vector<MalformedRow> malformed; // ...the first kMaxMalformedReported of them
  // Where the request's rows go (every row, replayed or not): CONTRACT.md's destinations, as the
  // sinks will store them (the same clean()), rejected rows by reason (index: RejectReason).
  size_t transactions = 0, cancellations = 0;
  std::array<size_t, kRejectReasonCount> rejected{};
  bool replayed = false;             // an earlier request with the same key had appended them all
  std::vector<AppendResult> ranges;  // the rows' offsets, one range per shard touched
};

inline constexpr size_t kMaxMalformedReported = 1000;

// Another request with the same Idempotency-Key is being appended right now.
struct KeyInUse : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// The Idempotency-Key was first used with another body; nothing was appended.
struct KeyReused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// With a key (and its index), rows already appended under that key are not appended again:
// each shard's part is looked up, and only missing parts are appended. The key is bound to
// `body_hash` (sha256_bytes of the request's body): another body under a known key is refused.
// `done` is called once, on the log's syncer thread or before this returns, with the outcome or
// an error (KeyInUse, KeyReused, or the log's); with the log's error, the outcome's ranges are
// the parts that were written all the same (empty: nothing was stored). The rows are encoded before this returns; `rows` need not outlive the call. Each row is
// cleaned once here, as the sinks will clean it: to report malformed rows and to keep the raw
// text of rejected ones.
using IngestDone = std::function<void(IngestOutcome, std::exception_ptr)>;
void ingest_rows_async(Log& log, const std::vector<InputRow>& rows, int64_t received_at_us, IdempotencyIndex* keys,
                       const std::string& key, std::string_view body_hash, IngestDone done);

// Ingest into one log under Idempotency-Keys: owns the index of the keys, recovered from the log
// when it is made. One per serving process.
// On a shared log (other nodes append too) the index also learns the keys the others append: a
// thread reads them from the log, and a request with a key is appended only once that thread has
// read every shard up to its end as the log's storage knew it when the request arrived, so a
// retry sent to another node finds what the first node stored.
class Ingest {
public:
  explicit Ingest(Log& log);
  ~Ingest();
  // ingest_rows_async with this ingest's log and keys; `key` empty: no Idempotency-Key.
  void rows_async(const std::vector<InputRow>& rows, int64_t received_at_us, const std::string& key, std::string_view body_hash,
                  IngestDone done);

private:
  void follow(); // the shared log's key reader thread
  Log& log_;
  IdempotencyIndex keys_;
  KeyReader reader_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::function<void(std::exception_ptr)>> waiting_; // keyed requests, run once the index caught up
  bool stopping_ = false;
  std::thread follower_;
};

// The same, waiting for the outcome; throws what the async one reports.
IngestOutcome ingest_rows(Log& log, const std::vector<InputRow>& rows, int64_t received_at_us,
                          IdempotencyIndex* keys = nullptr, const std::string& key = {}, std::string_view body_hash = {});

} // namespace shopflow
