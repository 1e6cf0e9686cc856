#include "pipeline/ingest.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <optional>

#include "core/clean.h"
#include "pipeline/log_record.h"
#include "util/thread_name.h"

namespace shopflow {

namespace {
// Rows whose views point into `bytes`, a copy of every text they viewed: rows that outlive the
// request body they were parsed from.
struct OwnedRows {
  std::string bytes;
  std::vector<InputRow> rows;
};
std::shared_ptr<OwnedRows> own(const std::vector<InputRow>& rows) {
  auto out = std::make_shared<OwnedRows>();
  size_t total = 0;
  for (const InputRow& r : rows) {
    total += r.raw.size() + r.framing_error.size();
    for (const InputField& f : r.fields) total += f.text.size();
  }
  out->bytes.reserve(total); // never reallocated below: the views stay valid
  auto copy = [&](std::string_view& v) {
    size_t at = out->bytes.size();
    out->bytes.append(v);
    v = std::string_view(out->bytes.data() + at, v.size());
  };
  out->rows = rows;
  for (InputRow& r : out->rows) {
    copy(r.raw);
    copy(r.framing_error);
    for (InputField& f : r.fields) copy(f.text);
  }
  return out;
}

void sort_ranges(IngestOutcome& out) {
  std::sort(out.ranges.begin(), out.ranges.end(), [](auto& a, auto& b) { return a.shard < b.shard; });
}
} // namespace

void ingest_rows_async(Log& log, const std::vector<InputRow>& rows, int64_t received_at_us, IdempotencyIndex* keys,
                       const std::string& key, std::string_view body_hash, IngestDone done) {
  if (rows.empty()) {
    done({}, nullptr);
    return;
  }
  const bool keyed = keys && !key.empty();
  std::optional<IdempotencyIndex::Entry> earlier;
  if (keyed) {
    if (!keys->claim(key)) {
      done({}, std::make_exception_ptr(KeyInUse("a request with Idempotency-Key \"" + key + "\" is in progress")));
      return;
    }
    earlier = keys->find(key);
    if (earlier && !earlier->body_hash.empty() && earlier->body_hash != body_hash) {
      keys->release(key);
      done({}, std::make_exception_ptr(KeyReused("Idempotency-Key \"" + key +
                                                 "\" was first used with another request body; nothing was stored (use a new key for new rows)")));
      return;
    }
  }
  // What the append references; it lives until the append is done.
  struct Pending {
    std::string encoded; // every row's log record, back to back (one allocation per request)
    std::string key_record;
    IngestOutcome out;
  };
  auto p = std::make_shared<Pending>();
  uint32_t shards = log.shard_count();
  // Per shard, where each of its rows' records lies in p->encoded: [begin, end).
  std::vector<std::vector<std::pair<size_t, size_t>>> by_shard(shards);
  size_t estimate = 0;
  for (const InputRow& row : rows) estimate += row.raw.size() + 64;
  p->encoded.reserve(estimate);
  for (size_t i = 0; i < rows.size(); ++i) {
    CleanResult cleaned = clean(rows[i]);
    if (cleaned.destination == Destination::Transactions) ++p->out.transactions;
    else if (cleaned.destination == Destination::Cancellations) ++p->out.cancellations;
    else ++p->out.rejected[static_cast<size_t>(cleaned.reason)];
    if (cleaned.reason == RejectReason::Malformed && ++p->out.malformed_count <= kMaxMalformedReported)
      p->out.malformed.push_back({i, std::string(cleaned.detail)});
    size_t begin = p->encoded.size();
    encode_log_row(p->encoded, rows[i], received_at_us, cleaned.destination == Destination::Rejected);
    by_shard[shard_for(rows[i], shards)].push_back({begin, p->encoded.size()});
  }
  uint32_t touched = 0;
  for (auto& rows_of_shard : by_shard) touched += !rows_of_shard.empty();
  if (keyed) encode_key_record(p->key_record, key, body_hash, touched);
  std::vector<Log::ShardBatch> batches;
  for (uint32_t s = 0; s < shards; ++s) {
    if (by_shard[s].empty()) continue;
    if (earlier && earlier->parts.count(s)) { // stored by an earlier attempt
      AppendResult r = earlier->parts.at(s);
      p->out.ranges.push_back({s, r.first_offset + 1, r.last_offset});
      continue;
    }
    Log::ShardBatch b{s, {}};
    if (keyed) b.records.push_back(p->key_record);
    for (auto [begin, end] : by_shard[s]) b.records.push_back(std::string_view(p->encoded).substr(begin, end - begin));
    p->out.appended += by_shard[s].size();
    batches.push_back(std::move(b));
  }
  if (batches.empty()) {
    p->out.replayed = keyed;
    if (keyed) keys->release(key);
    sort_ranges(p->out);
    done(std::move(p->out), nullptr);
    return;
  }
  auto finish = [p, keys, key = keyed ? key : std::string(), hash = std::string(body_hash), touched, done = std::move(done)](
                    std::vector<AppendResult> results, std::exception_ptr error) {
    if (!key.empty()) { // parts written before an error count too: a retry must not repeat them
      for (const AppendResult& r : results)
        if (r.written()) keys->record(key, hash, touched, r);
      keys->release(key);
    }
    if (error) {
      IngestOutcome partial;
      for (const AppendResult& r : results)
        if (r.written()) partial.ranges.push_back(r);
      done(std::move(partial), error);
      return;
    }
    for (AppendResult& r : results) {
      if (!key.empty()) ++r.first_offset; // past the key record
      p->out.ranges.push_back(r);
    }
    sort_ranges(p->out);
    done(std::move(p->out), nullptr);
  };
  try {
    log.append_all_async(std::move(batches), std::move(finish));
  } catch (...) { // refused before anything was queued
    if (keyed) keys->release(key);
    throw;
  }
}

Ingest::Ingest(Log& log) : log_(log), reader_(log, keys_) {
  // A shared log's keys are read by the follower, which keyed requests wait for: a log that
  // cannot be read (brokers away, a damaged batch) fails those requests, not the start.
  if (log_.shared()) {
    follower_ = std::thread([this] { follow(); });
    return;
  }
  std::vector<uint64_t> ends;
  for (uint32_t s = 0; s < log_.shard_count(); ++s) ends.push_back(log_.end_offset(s));
  reader_.read_to(ends);
}

Ingest::~Ingest() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (follower_.joinable()) follower_.join();
}

void Ingest::rows_async(const std::vector<InputRow>& rows, int64_t received_at_us, const std::string& key, std::string_view body_hash,
                        IngestDone done) {
  if (key.empty() || !log_.shared()) {
    ingest_rows_async(log_, rows, received_at_us, &keys_, key, body_hash, std::move(done));
    return;
  }
  // Appended later, on the key reader's thread: the rows are copied out of the request's body.
  auto run = [this, owned = own(rows), received_at_us, key, hash = std::string(body_hash), done = std::move(done)](std::exception_ptr error) mutable {
    if (error) return done({}, error);
    try {
      ingest_rows_async(log_, owned->rows, received_at_us, &keys_, key, hash, std::move(done));
    } catch (...) {
      done({}, std::current_exception());
    }
  };
  std::lock_guard lock(mutex_);
  if (stopping_) throw std::runtime_error("the server is stopping");
  waiting_.push_back(std::move(run));
  wake_.notify_one();
}

void Ingest::follow() {
  name_this_thread("sf-keys");
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::milliseconds(50), [&] { return stopping_ || !waiting_.empty(); });
    std::vector<std::function<void(std::exception_ptr)>> ready;
    ready.swap(waiting_);
    lock.unlock();
    std::exception_ptr error;
    try {
      // With requests waiting, the storage's own end: what any node committed before they came.
      std::vector<uint64_t> ends;
      for (uint32_t s = 0; s < log_.shard_count(); ++s) ends.push_back(ready.empty() ? log_.end_offset(s) : log_.fresh_end_offset(s));
      reader_.read_to(ends);
    } catch (const std::exception& e) {
      error = std::make_exception_ptr(std::runtime_error(std::string("cannot check the Idempotency-Key against the log: ") + e.what()));
    }
    for (auto& run : ready) run(error);
    lock.lock();
  }
  for (auto& run : waiting_) run(std::make_exception_ptr(std::runtime_error("the server is stopping")));
  waiting_.clear();
}

IngestOutcome ingest_rows(Log& log, const std::vector<InputRow>& rows, int64_t received_at_us, IdempotencyIndex* keys,
                          const std::string& key, std::string_view body_hash) {
  std::promise<IngestOutcome> promise;
  auto future = promise.get_future();
  ingest_rows_async(log, rows, received_at_us, keys, key, body_hash, [&promise](IngestOutcome out, std::exception_ptr error) {
    if (error) promise.set_exception(error);
    else promise.set_value(std::move(out));
  });
  return future.get();
}

} // namespace shopflow
