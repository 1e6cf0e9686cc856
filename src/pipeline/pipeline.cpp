#include "pipeline/pipeline.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "util/idle_priority.h"
#include "util/log.h"
#include "util/thread_name.h"

namespace shopflow {

Pipeline::Pipeline(Log& log, std::vector<std::unique_ptr<SinkConsumer>> sinks, size_t batch_records)
    : log_(log), reader_(log, sinks.size(), batch_records, 4 * batch_records) {
  for (auto& sink : sinks) {
    auto w = std::make_unique<Worker>();
    w->sink = std::move(sink);
    w->stored = std::vector<std::atomic<uint64_t>>(log.shard_count());
    w->mine = std::vector<std::atomic<bool>>(log.shard_count());
    for (auto& m : w->mine) m = true;
    for (uint32_t s = 0; s < log.shard_count(); ++s) {
      uint64_t committed = w->sink->committed_offset(s);
      w->read_next.push_back(committed);
      w->stored[s] = committed;
    }
    workers_.push_back(std::move(w));
  }
}

Pipeline::~Pipeline() { stop(); }

void Pipeline::share(const std::string& sink, ShardOwner owner) {
  for (auto& w : workers_)
    if (w->sink->name() == sink) {
      w->owner = std::move(owner);
      for (auto& m : w->mine) m = false; // until the first assignment
    }
}

void Pipeline::start() {
  for (auto& w : workers_)
    if (!w->owner.generation)
      for (uint32_t s = 0; s < log_.shard_count(); ++s) w->sink->own(s);
  for (auto& w : workers_) w->thread = std::thread([this, &w = *w] { run(w); });
}

void Pipeline::stop() {
  stopping_ = true;
  for (auto& w : workers_)
    if (w->thread.joinable()) w->thread.join();
}

void Pipeline::run(Worker& w) {
  name_this_thread(std::string("sf-sink-") + w.sink->name());
  run_this_thread_at_idle_priority(); // sinks yield the CPU to ingest
  uint32_t shards = log_.shard_count();
  while (!stopping_) {
    bool backlog = false; // some shard had a full batch waiting: read again at once
    try {
      if (w.owner.generation && w.owner.generation() != w.owner_generation) {
        // Shards moved between processes: what is buffered may be another's now, and what
        // another stored is read back from the sink.
        // The generation is taken as seen only when all of this succeeded (else it runs again).
        uint64_t generation = w.owner.generation();
        std::vector<uint32_t> owned = w.owner.owned();
        w.sink->discard_uncommitted();
        for (uint32_t s = 0; s < shards; ++s) w.mine[s] = w.mine[s] && std::find(owned.begin(), owned.end(), s) != owned.end();
        w.owner.released(generation);
        for (uint32_t s : owned)
          if (s < shards && !w.mine[s]) {
            w.sink->own(s);
            w.mine[s] = true;
          }
        for (uint32_t s = 0; s < shards; ++s) w.stored[s] = w.read_next[s] = w.sink->committed_offset(s);
        w.owner_generation = generation;
        log::info("shards_owned", {{"sink", w.sink->name()}, {"shards", fmt::format("{}", fmt::join(owned, ","))}});
      }
      std::vector<CleanedBatch> pass;
      // A shard that cannot be read (its storage is down, a record is damaged): what was read
      // before it is still stored, buffers included, before the failure is reported.
      std::exception_ptr read_failure;
      for (uint32_t s = 0; s < shards && !stopping_; ++s) {
        if (!w.mine[s]) continue;
        std::shared_ptr<const CleanedBatch> batch;
        try {
          batch = reader_.read(s, w.read_next[s]);
        } catch (const std::exception&) {
          if (!read_failure) read_failure = std::current_exception();
          continue;
        }
        if (!batch) continue;
        backlog |= batch->next_offset - batch->first_offset >= reader_.batch_records();
        pass.push_back(*batch);
      }
      if (!pass.empty()) {
        w.sink->apply(pass);
        for (const CleanedBatch& b : pass) w.read_next[b.shard] = b.next_offset;
        ++w.batches;
      }
      bool force = w.flush_requested.exchange(false) || read_failure;
      w.sink->flush(force);
      bool progressed = false;
      for (uint32_t s = 0; s < shards; ++s) {
        uint64_t committed = w.sink->committed_offset(s);
        if (committed != w.stored[s]) {
          w.stored[s] = committed;
          log_.commit_offset(w.sink->name(), s, committed);
          progressed = true;
        }
      }
      if (read_failure) std::rethrow_exception(read_failure);
      // Healthy again once something was stored, or nothing is left to store (a pass that only
      // buffered proves nothing).
      auto caught_up = [&] {
        for (uint32_t s = 0; s < shards; ++s)
          if (w.mine[s] && w.stored[s] < log_.end_offset(s)) return false;
        return true;
      };
      if (w.failures.failing() && (progressed || caught_up()))
        if (int64_t lasted = w.failures.succeeded(); lasted >= 0)
          log::info("sink_recovered", {{"sink", w.sink->name()}, {"failing_s", fmt::format("{:.1f}", lasted / 1000.0)}});
    } catch (const std::exception& e) {
      // The batch was not stored; it is read again from the committed offsets after a pause.
      if (w.failures.failed(e.what())) log::error("sink_failed", {{"sink", w.sink->name()}, {"error", e.what()}, {"retry_s", "0.5"}});
      try {
        w.sink->discard_uncommitted();
      } catch (const std::exception& again) {
        log::error("sink_discard_failed", {{"sink", w.sink->name()}, {"error", again.what()}});
      }
      for (uint32_t s = 0; s < shards; ++s) w.read_next[s] = w.sink->committed_offset(s);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      continue;
    }
    if (!backlog && !w.flush_requested) std::this_thread::sleep_for(std::chrono::milliseconds(w.sink->linger_ms()));
  }
}

bool Pipeline::drain(int64_t timeout_ms) {
  // Every record appended by anyone before the call: on a shared log the end as its storage
  // knows it now (the cached end_offset() may be a moment behind other nodes' appends).
  std::vector<uint64_t> target;
  bool answering = true;
  for (uint32_t s = 0; s < log_.shard_count(); ++s) {
    try {
      if (answering) {
        target.push_back(log_.fresh_end_offset(s));
        continue;
      }
    } catch (const std::exception&) { // the storage does not answer: what is known here, for every shard
      answering = false;
    }
    target.push_back(log_.end_offset(s));
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    bool done = true;
    for (auto& w : workers_) {
      for (uint32_t s = 0; s < target.size(); ++s)
        if (w->mine[s] && w->stored[s] < target[s]) done = false; // another process's shards are its to drain
      if (!done) w->flush_requested = true;
    }
    if (done) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::vector<Pipeline::SinkStatus> Pipeline::status() const {
  std::vector<SinkStatus> out;
  for (auto& w : workers_) {
    SinkStatus s;
    s.name = w->sink->name();
    for (uint32_t shard = 0; shard < w->stored.size(); ++shard) {
      s.stored.push_back(w->stored[shard].load());
      uint64_t end = log_.end_offset(shard);
      s.lag.push_back(w->mine[shard] && end > s.stored.back() ? end - s.stored.back() : 0);
      if (w->owner.generation) s.owned.push_back(w->mine[shard]);
    }
    s.batches = w->batches;
    s.failures = w->failures.snapshot();
    out.push_back(std::move(s));
  }
  return out;
}

uint64_t Pipeline::SinkStatus::total_lag() const {
  uint64_t n = 0;
  for (uint64_t l : lag) n += l;
  return n;
}

} // namespace shopflow
