#include "stream/local_log.h"

#include "util/clock.h"

#include <chrono>
#include <fstream>
#include <set>
#include <stdexcept>

namespace fs = std::filesystem;

namespace shopflow {

namespace {
bool valid_consumer_name(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n)
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
  return true;
}
} // namespace

LocalLog::LocalLog(const fs::path& dir, LocalLogOptions options) : dir_(dir / "log"), options_(options) {
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
  for (uint32_t i = 0; i < options_.shards; ++i)
    shards_.push_back(std::make_unique<Shard>(dir_ / ("shard-" + std::to_string(i)), options_.segment_bytes));
  for (auto& e : fs::directory_iterator(dir_ / "consumers")) {
    std::ifstream in(e.path(), std::ios::binary);
    std::vector<uint64_t> offsets(options_.shards, 0);
    in.read(reinterpret_cast<char*>(offsets.data()), static_cast<std::streamsize>(offsets.size() * 8));
    if (in.gcount() == static_cast<std::streamsize>(offsets.size() * 8)) consumers_[e.path().filename().string()] = offsets;
  }
  writer_ = std::thread([this] { writer_loop(); });
}

LocalLog::~LocalLog() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  writer_.join();
  for (auto& s : shards_) {
    try {
      s->sync();
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
  std::vector<Request> requests(batches.size());
  std::vector<std::future<AppendResult>> results;
  for (size_t i = 0; i < batches.size(); ++i) {
    shard(batches[i].shard);
    if (batches[i].records.empty()) throw std::invalid_argument("log: empty batch");
    requests[i].shard = batches[i].shard;
    requests[i].records = &batches[i].records;
    results.push_back(requests[i].done.get_future());
  }
  {
    std::lock_guard lock(queue_mutex_);
    if (stopping_) throw std::runtime_error("log: closing");
    for (auto& r : requests) queue_.push_back(&r);
  }
  queue_cv_.notify_one();
  std::vector<AppendResult> out;
  std::exception_ptr error;
  for (auto& f : results) { // wait for all before returning: requests live on this stack
    try {
      out.push_back(f.get());
    } catch (...) {
      error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
  return out;
}

void LocalLog::writer_loop() {
  auto last_sync = std::chrono::steady_clock::now();
  auto last_retention = last_sync;
  std::set<uint32_t> unsynced; // async durability: written, not yet synced
  for (;;) {
    std::deque<Request*> batch;
    {
      std::unique_lock lock(queue_mutex_);
      queue_cv_.wait_for(lock, std::chrono::milliseconds(options_.async_sync_ms), [&] { return stopping_ || !queue_.empty(); });
      if (stopping_ && queue_.empty()) return;
      batch.swap(queue_);
    }
    int64_t now = wall_clock_ms();
    std::vector<std::pair<Request*, AppendResult>> written;
    std::set<uint32_t> touched;
    for (Request* r : batch) {
      try {
        written.emplace_back(r, shards_[r->shard]->write(r->shard, *r->records, now));
        touched.insert(r->shard);
      } catch (...) {
        r->done.set_exception(std::current_exception());
      }
    }
    // The shards' files are synced side by side: a round costs one fdatasync, not one per shard.
    auto sync_all = [&](const std::set<uint32_t>& which) {
      std::vector<std::future<void>> others;
      auto it = which.begin();
      uint32_t first = *it++;
      for (; it != which.end(); ++it) others.push_back(std::async(std::launch::async, [this, s = *it] { shards_[s]->sync(); }));
      std::exception_ptr error;
      try {
        shards_[first]->sync();
      } catch (...) {
        error = std::current_exception();
      }
      for (auto& f : others) {
        try {
          f.get();
        } catch (...) {
          error = std::current_exception();
        }
      }
      if (error) std::rethrow_exception(error);
      ++syncs_;
    };
    try {
      if (options_.durability == Durability::Fsync) {
        if (!touched.empty()) sync_all(touched);
      } else {
        unsynced.insert(touched.begin(), touched.end());
        if (!unsynced.empty() && std::chrono::steady_clock::now() - last_sync >= std::chrono::milliseconds(options_.async_sync_ms)) {
          sync_all(unsynced);
          unsynced.clear();
          last_sync = std::chrono::steady_clock::now();
        }
      }
      for (auto& [r, res] : written) r->done.set_value(res);
    } catch (...) {
      for (auto& [r, res] : written) r->done.set_exception(std::current_exception());
    }
    if (std::chrono::steady_clock::now() - last_retention > std::chrono::seconds(10)) {
      try {
        apply_retention();
      } catch (...) {
      }
      last_retention = std::chrono::steady_clock::now();
    }
  }
}

std::vector<LogRecord> LocalLog::read(uint32_t s, uint64_t from, size_t max_records) { return shard(s).read(from, max_records); }
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
  std::lock_guard lock(consumers_mutex_);
  auto& offsets = consumers_[consumer];
  offsets.resize(shards_.size(), 0);
  if (offset <= offsets[s]) return;
  offsets[s] = offset;
  save_consumer(consumer);
}

// Written to a temporary file and renamed: a crash leaves the old or the new offsets, both safe
// for retention (they only ever grow).
void LocalLog::save_consumer(const std::string& name) {
  fs::path tmp = dir_ / "consumers" / ("." + name + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    auto& offsets = consumers_[name];
    out.write(reinterpret_cast<const char*>(offsets.data()), static_cast<std::streamsize>(offsets.size() * 8));
  }
  fs::rename(tmp, dir_ / "consumers" / name);
}

void LocalLog::apply_retention() {
  std::vector<uint64_t> keep(shards_.size(), UINT64_MAX);
  {
    std::lock_guard lock(consumers_mutex_);
    for (auto& [name, offsets] : consumers_)
      for (size_t s = 0; s < shards_.size(); ++s) keep[s] = std::min(keep[s], offsets[s]);
  }
  int64_t now = wall_clock_ms();
  for (size_t s = 0; s < shards_.size(); ++s)
    shards_[s]->apply_retention(now, options_.retention_ms, options_.retention_bytes, keep[s]);
}

} // namespace shopflow
