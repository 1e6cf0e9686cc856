#include "stream/local_log.h"

#include "stream/consumer_offsets.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/thread_name.h"

#include <fmt/format.h>

#include <chrono>
#include <thread>
#include <future>
#include <fstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace shopflow {


LocalLog::LocalLog(const fs::path& dir, LocalLogOptions options) : dir_(dir), options_(options) {
  if (options_.shards == 0 || options_.shards > 256) throw std::invalid_argument("log: shards must be 1..256");
  fs::create_directories(dir_ / "consumers");
  fs::path shards_file = dir_ / "SHARDS";
  if (fs::exists(shards_file)) {
    uint32_t stored = 0;
    std::ifstream(shards_file) >> stored;
    if (stored != options_.shards)
      throw std::runtime_error("log in " + dir_.string() + " has " + std::to_string(stored) + " shards, not " +
                               std::to_string(options_.shards));
  } else {
    std::ofstream(shards_file) << options_.shards << "\n";
  }
  // Consumers first: no shard's recovery may cut below what a consumer has stored.
  consumers_ = load_consumer_offsets(dir_ / "consumers", options_.shards, true);
  for (uint32_t i = 0; i < options_.shards; ++i)
    shards_.push_back(std::make_unique<Shard>(dir_ / ("shard-" + std::to_string(i)), options_.segment_bytes, highest_stored(consumers_, i)));
  // Every syncer exists before the first thread starts: a syncer thread looks itself up in
  // syncers_, which must not be growing (reallocating) under it.
  for (uint32_t i = 0; i < options_.shards; ++i) syncers_.push_back(std::make_unique<Syncer>());
  for (uint32_t i = 0; i < options_.shards; ++i) syncers_[i]->thread = std::thread([this, i] { syncer_loop(i); });
}

LocalLog::~LocalLog() {
  for (auto& w : syncers_) {
    {
      std::lock_guard lock(w->mutex);
      w->stopping = true;
    }
    w->cv.notify_all();
    w->thread.join();
  }
  for (auto& s : shards_) {
    try {
      s->sync();
    } catch (...) {
    }
  }
  std::lock_guard lock(consumers_mutex_);
  for (auto& [name, saved] : consumer_saved_) {
    try {
      if (saved.dirty) save_consumer_offsets(dir_ / "consumers", name, consumers_[name]);
    } catch (...) {
    }
  }
}

Shard& LocalLog::shard(uint32_t n) const {
  if (n >= shards_.size()) throw std::out_of_range("log: no shard " + std::to_string(n));
  return *shards_[n];
}

AppendResult LocalLog::append(uint32_t shard_id, const std::vector<std::string_view>& records) {
  return append_all({{shard_id, records}}).front();
}

std::vector<AppendResult> LocalLog::append_all(const std::vector<ShardBatch>& batches) {
  std::promise<std::vector<AppendResult>> promise;
  auto future = promise.get_future();
  append_all_async(batches, [&promise](std::vector<AppendResult> results, std::exception_ptr error) {
    if (error) promise.set_exception(error);
    else promise.set_value(std::move(results));
  });
  return future.get();
}

void LocalLog::Append::finish_one(size_t index, const AppendResult* result, std::exception_ptr e) {
  if (result) results[index] = *result;
  if (e) {
    std::lock_guard lock(error_mutex);
    if (!error) error = e;
  }
  if (pending.fetch_sub(1) != 1) return;
  done(std::move(results), error);
}

void LocalLog::append_all_async(std::vector<ShardBatch> batches, AppendDone done) {
  for (auto& b : batches) {
    shard(b.shard);
    if (b.records.empty()) throw std::invalid_argument("log: empty batch");
  }
  if (batches.empty()) {
    done({}, nullptr);
    return;
  }
  auto append = std::make_shared<Append>();
  append->results.resize(batches.size(), AppendResult{0, 1, 0});
  append->pending = batches.size();
  append->done = std::move(done);
  int64_t now = wall_clock_ms();
  for (size_t i = 0; i < batches.size(); ++i) {
    uint32_t shard_id = batches[i].shard;
    AppendResult result;
    try {
      result = shards_[shard_id]->write(shard_id, batches[i].records, now);
    } catch (...) {
      write_failed(shard_id, std::current_exception());
      append->finish_one(i, nullptr, std::current_exception());
      continue;
    }
    commit(shard_id, {append, i, result});
  }
}

void LocalLog::commit(uint32_t shard_id, Written w) {
  Syncer& syncer = *syncers_[shard_id];
  if (options_.durability == Durability::Async) {
    syncer.unsynced = true;
    w.append->finish_one(w.index, &w.result, nullptr);
    return;
  }
  {
    std::lock_guard lock(syncer.mutex);
    if (!syncer.stopping) {
      syncer.waiting.push_back(std::move(w));
      syncer.cv.notify_one();
      return;
    }
  }
  // Closing: the syncer may be gone, so this append syncs for itself.
  std::exception_ptr error;
  try {
    shards_[shard_id]->sync();
  } catch (...) {
    error = std::current_exception();
  }
  w.append->finish_one(w.index, &w.result, error);
}

void LocalLog::syncer_loop(uint32_t shard_id) {
  name_this_thread("sf-log-" + std::to_string(shard_id));
  Syncer& syncer = *syncers_[shard_id];
  Shard& shard = *shards_[shard_id];
  const auto async_period = std::chrono::milliseconds(options_.async_sync_ms);
  auto last_retention = std::chrono::steady_clock::now();
  const bool delay = options_.durability == Durability::Fsync && options_.commit_delay_us > 0;
  bool busy = false; // appends arrived while the previous sync ran: concurrent load
  for (bool stopping = false; !stopping;) {
    std::vector<Written> synced;
    {
      std::unique_lock lock(syncer.mutex);
      syncer.cv.wait_for(lock, async_period, [&] { return syncer.stopping || !syncer.waiting.empty(); });
      if (delay && busy && !syncer.stopping) {
        lock.unlock();
        std::this_thread::sleep_for(std::chrono::microseconds(options_.commit_delay_us));
        lock.lock();
      }
      synced.swap(syncer.waiting);
      stopping = syncer.stopping; // nothing is queued after this: later appends sync for themselves
    }
    // Every batch in `synced` was written before it was queued, so this one sync covers them all.
    std::exception_ptr error;
    if (!synced.empty() || syncer.unsynced.exchange(false)) {
      try {
        shard.sync();
        ++syncs_;
        // Writes work again once a sync made written batches durable (a failed write wrote none).
        if (int64_t lasted = syncer.write_failures.succeeded(); lasted >= 0)
          log::info("log_writes_recovered", {{"shard", std::to_string(shard_id)}, {"failing_s", fmt::format("{:.1f}", lasted / 1000.0)}});
      } catch (...) {
        error = std::current_exception();
        write_failed(shard_id, error);
        syncer.unsynced = true; // tried again next period, even if no append comes to wait for it
      }
      std::lock_guard lock(syncer.mutex); // before answering: a lone client cannot have appended yet
      busy = !syncer.waiting.empty();
    }
    // After a failed sync the batches stay written, but unread until a later sync covers them;
    // their results go with the error, so that a retry under the same key does not repeat them.
    for (Written& w : synced) w.append->finish_one(w.index, &w.result, error);
    if (std::chrono::steady_clock::now() - last_retention > std::chrono::seconds(10)) {
      retain(shard_id);
      last_retention = std::chrono::steady_clock::now();
    }
  }
}

void LocalLog::write_failed(uint32_t shard_id, const std::exception_ptr& e) {
  std::string what = "unknown error";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    what = x.what();
  } catch (...) {
  }
  if (syncers_[shard_id]->write_failures.failed(what))
    log::error("log_write_failed", {{"shard", std::to_string(shard_id)}, {"error", what}, {"answer", "503 until writes work again"}});
}

FailureState::Snapshot LocalLog::write_failures() const {
  FailureState::Snapshot all;
  for (auto& syncer : syncers_) {
    FailureState::Snapshot one = syncer->write_failures.snapshot();
    all.failures += one.failures;
    if (one.failing_since_ms && (!all.failing_since_ms || one.failing_since_ms < all.failing_since_ms)) {
      all.failing_since_ms = one.failing_since_ms;
      all.error = one.error;
    } else if (!all.failing_since_ms && !one.error.empty()) {
      all.error = one.error;
    }
  }
  return all;
}

LogRead LocalLog::read(uint32_t s, uint64_t from, size_t max_records) {
  LogRead out{shard(s).read(from, max_records), from};
  if (!out.records.empty()) out.next = out.records.back().offset + 1;
  return out;
}
uint64_t LocalLog::end_offset(uint32_t s) const { return shard(s).end_offset(); }
uint64_t LocalLog::start_offset(uint32_t s) const { return shard(s).start_offset(); }

uint64_t LocalLog::truncated_bytes() const {
  uint64_t n = 0;
  for (auto& s : shards_) n += s->truncated_bytes();
  return n;
}

void LocalLog::commit_offset(const std::string& consumer, uint32_t s, uint64_t offset) {
  if (!valid_consumer_name(consumer)) throw std::invalid_argument("log: bad consumer name \"" + consumer + "\"");
  shard(s);
  std::vector<uint64_t> to_save;
  {
    std::lock_guard lock(consumers_mutex_);
    auto& offsets = consumers_[consumer];
    offsets.resize(shards_.size(), 0);
    if (offset <= offsets[s]) return;
    offsets[s] = offset;
    // Saved at most once a second (and at close): stale offsets only make retention keep more.
    auto now = std::chrono::steady_clock::now();
    auto& saved = consumer_saved_[consumer];
    if (now - saved.at < std::chrono::seconds(1)) {
      saved.dirty = true;
      return;
    }
    saved = {now, false};
    to_save = offsets;
  }
  // Outside the lock, which the syncers take for retention: a slow disk never delays a sync.
  // A consumer commits from one thread, so its saves never overlap.
  try {
    save_consumer_offsets(dir_ / "consumers", consumer, to_save);
  } catch (...) {
    std::lock_guard lock(consumers_mutex_);
    consumer_saved_[consumer].dirty = true; // saved again by the next commit, or at close
    throw;
  }
}

uint64_t LocalLog::retention_floor(uint32_t shard_id) {
  std::lock_guard lock(consumers_mutex_);
  uint64_t keep = UINT64_MAX;
  for (auto& [name, offsets] : consumers_) keep = std::min(keep, offsets[shard_id]);
  return keep;
}

void LocalLog::apply_retention() {
  for (uint32_t s = 0; s < shards_.size(); ++s) retain(s);
}

void LocalLog::retain(uint32_t shard_id) {
  try {
    Shard& shard = *shards_[shard_id];
    auto [segments, bytes] = shard.apply_retention(wall_clock_ms(), options_.retention_ms, options_.retention_bytes, retention_floor(shard_id));
    if (segments)
      log::info("retention", {{"shard", std::to_string(shard_id)}, {"segments_deleted", std::to_string(segments)},
                              {"bytes_deleted", std::to_string(bytes)}, {"start_offset", std::to_string(shard.start_offset())}});
  } catch (const std::exception& e) {
    log::error("retention_failed", {{"shard", std::to_string(shard_id)}, {"error", e.what()}}); // tried again later
  }
}

} // namespace shopflow
