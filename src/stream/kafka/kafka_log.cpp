#include "stream/kafka/kafka_log.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <stdexcept>

#include "util/thread_name.h"

namespace shopflow {

namespace {

constexpr int kSeekWaitMs = 500; // the first read after a seek waits for the brokers' first fetch
constexpr int kReadWaitMs = 5;   // later reads take what was fetched in the background
constexpr size_t kReadersPerShard = 4;
constexpr int kCommitAttempts = 3;

void check_shard(uint32_t shard, uint32_t shards) {
  if (shard >= shards) throw std::out_of_range("shard " + std::to_string(shard) + " of a log of " + std::to_string(shards));
}

AppendResult unwritten(uint32_t shard) { return {shard, 1, 0}; }

} // namespace

KafkaLog::KafkaLog(KafkaLogOptions options) : options_(std::move(options)), topic_(options_.prefix + ".records") {
  options_.settings["bootstrap.servers"] = options_.servers;
  const int timeout = options_.timeout_ms;
  admin_ = std::make_unique<kafka::Admin>(options_.settings);
  high_ = std::make_unique<kafka::Admin>(options_.settings, false);
  std::optional<int> partitions = admin_->partitions(topic_, timeout);
  if (!partitions) {
    int brokers = static_cast<int>(admin_->cluster(topic_, timeout).brokers.size());
    int replication = options_.replication ? options_.replication : std::min(3, brokers);
    int min_insync = options_.min_insync ? options_.min_insync : std::min(2, replication);
    admin_->create_topic(topic_, static_cast<int>(options_.shards), replication,
                         {{"min.insync.replicas", std::to_string(min_insync)}, {"retention.ms", "-1"}, {"retention.bytes", "-1"}},
                         timeout);
    // The new topic's metadata reaches every broker shortly after.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout);
    while (!(partitions = admin_->partitions(topic_, timeout)) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!partitions) throw std::runtime_error("Kafka topic " + topic_ + " was created but its metadata did not arrive");
  }
  if (static_cast<uint32_t>(*partitions) != options_.shards)
    throw std::runtime_error("Kafka topic " + topic_ + " has " + std::to_string(*partitions) + " partitions (shards), not " +
                             std::to_string(options_.shards) + ": give --shards " + std::to_string(*partitions));
  shards_ = static_cast<uint32_t>(*partitions);
  for (uint32_t s = 0; s < shards_; ++s) readers_.push_back(std::make_unique<ShardReaders>());
  end_ = std::make_unique<std::atomic<uint64_t>[]>(shards_);
  start_ = std::make_unique<std::atomic<uint64_t>[]>(shards_);
  // A topic just created has no partition leaders for a moment.
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout);;) {
    try {
      refresh_offsets();
      break;
    } catch (const kafka::KafkaError&) {
      if (std::chrono::steady_clock::now() > deadline) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  refresh_cluster();
  producer_ = std::make_unique<kafka::Producer>(options_.settings, options_.transactional_id, timeout);
  producer_thread_ = std::thread([this] { produce_loop(); });
  refresh_thread_ = std::thread([this] { refresh_loop(); });
}

void KafkaLog::refresh_offsets() {
  std::vector<int32_t> partitions;
  for (uint32_t s = 0; s < shards_; ++s) partitions.push_back(static_cast<int32_t>(s));
  const int timeout = std::min(options_.timeout_ms, 5000);
  std::vector<int64_t> low = admin_->offsets(topic_, partitions, kafka::Admin::Position::Start, timeout);
  std::vector<int64_t> high = admin_->offsets(topic_, partitions, kafka::Admin::Position::End, timeout);
  for (uint32_t s = 0; s < shards_; ++s) {
    start_[s] = static_cast<uint64_t>(low[s]);
    uint64_t end = static_cast<uint64_t>(high[s]), seen = end_[s];
    while (end > seen && !end_[s].compare_exchange_weak(seen, end)) {
    }
  }
}

void KafkaLog::refresh_cluster() {
  std::optional<kafka::Admin::Cluster> seen;
  try {
    seen = admin_->cluster(topic_, std::min(options_.timeout_ms, 2000));
  } catch (const kafka::KafkaError&) {
  }
  unreachable_ = !seen;
  std::lock_guard lock(cluster_mutex_);
  for (auto& [id, node] : nodes_) node.up = false;
  if (!seen) return;
  for (const auto& broker : seen->brokers) nodes_[broker.id] = {std::to_string(broker.id), broker.address, true};
  replication_.clear();
  for (const auto& p : seen->partitions) replication_.push_back({p.replicas, p.in_sync, p.leader >= 0});
}

std::vector<LogNode> KafkaLog::nodes() const {
  std::lock_guard lock(cluster_mutex_);
  std::vector<LogNode> out;
  for (auto& [id, node] : nodes_) out.push_back(node);
  return out;
}

std::vector<ShardReplication> KafkaLog::replication() const {
  std::lock_guard lock(cluster_mutex_);
  return replication_;
}

void KafkaLog::refresh_loop() {
  name_this_thread("sf-kafka-offsets");
  std::unique_lock lock(mutex_);
  auto cluster_due = std::chrono::steady_clock::now();
  while (!stopping_) {
    lock.unlock();
    bool answered = true;
    try {
      refresh_offsets();
      brokers_.succeeded();
    } catch (const std::exception& e) {
      brokers_.failed(e.what());
      answered = false;
    }
    if (!answered || std::chrono::steady_clock::now() >= cluster_due) { // every second, and at once when the brokers fail
      refresh_cluster();
      cluster_due = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    }
    lock.lock();
    refresh_wake_.wait_for(lock, std::chrono::milliseconds(100), [&] { return stopping_; });
  }
}

KafkaLog::~KafkaLog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  refresh_wake_.notify_all();
  if (producer_thread_.joinable()) producer_thread_.join();
  if (refresh_thread_.joinable()) refresh_thread_.join();
}

AppendResult KafkaLog::append(uint32_t shard, const std::vector<std::string_view>& records) {
  return append_all({{shard, records}}).front();
}

std::vector<AppendResult> KafkaLog::append_all(const std::vector<ShardBatch>& batches) {
  std::promise<std::vector<AppendResult>> answer;
  append_all_async(batches, [&](std::vector<AppendResult> results, std::exception_ptr error) {
    if (error) answer.set_exception(error);
    else answer.set_value(std::move(results));
  });
  return answer.get_future().get();
}

void KafkaLog::append_all_async(std::vector<ShardBatch> batches, AppendDone done) {
  try {
    for (const ShardBatch& b : batches) check_shard(b.shard, shards_);
    // No broker answered the last metadata request: refused now rather than after a transaction's
    // timeout (a broker merely moving its partitions still answers, and the append is tried).
    if (unreachable_) throw kafka::KafkaError("no Kafka broker of " + options_.servers + " answers");
  } catch (...) {
    std::vector<AppendResult> none;
    for (const ShardBatch& each : batches) none.push_back(unwritten(each.shard));
    done(std::move(none), std::current_exception());
    return;
  }
  {
    std::lock_guard lock(mutex_);
    queue_.push_back({std::move(batches), std::move(done)});
    ++queued_;
  }
  wake_.notify_one();
}

void KafkaLog::produce_loop() {
  name_this_thread("sf-kafka-txn");
  for (;;) {
    std::vector<Pending> group;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return; // stopping, and every append was answered
      while (!queue_.empty()) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    try {
      std::vector<std::vector<AppendResult>> results = transact(group);
      ++transactions_;
      failures_.succeeded();
      queued_ -= group.size();
      for (size_t i = 0; i < group.size(); ++i) group[i].done(std::move(results[i]), nullptr);
    } catch (const std::exception& e) {
      failures_.failed(e.what());
      queued_ -= group.size();
      std::exception_ptr error = std::current_exception();
      for (Pending& p : group) {
        std::vector<AppendResult> none;
        for (const ShardBatch& b : p.batches) none.push_back(unwritten(b.shard));
        p.done(std::move(none), error);
      }
    }
  }
}

std::vector<std::vector<AppendResult>> KafkaLog::transact(std::vector<Pending>& group) {
  if (!producer_) producer_ = std::make_unique<kafka::Producer>(options_.settings, options_.transactional_id, options_.timeout_ms);
  // One slot per record, sized before any send: librdkafka writes each record's offset into it.
  std::vector<std::vector<std::vector<kafka::Delivered>>> delivered(group.size());
  for (size_t p = 0; p < group.size(); ++p)
    for (const ShardBatch& b : group[p].batches) delivered[p].emplace_back(b.records.size());
  try {
    producer_->begin();
    for (size_t p = 0; p < group.size(); ++p)
      for (size_t b = 0; b < group[p].batches.size(); ++b)
        for (size_t r = 0; r < group[p].batches[b].records.size(); ++r)
          producer_->send(topic_, static_cast<int32_t>(group[p].batches[b].shard), group[p].batches[b].records[r], &delivered[p][b][r]);
    for (int attempt = 1;; ++attempt) {
      try {
        producer_->commit();
        break;
      } catch (const kafka::KafkaError& e) {
        if (!e.retriable || attempt == kCommitAttempts) throw;
      }
    }
  } catch (const kafka::KafkaError&) {
    kafka::abort_or_drop(producer_); // nothing of the transaction is ever read
    throw;
  }
  std::vector<std::vector<AppendResult>> results(group.size());
  for (size_t p = 0; p < group.size(); ++p)
    for (size_t b = 0; b < group[p].batches.size(); ++b) {
      AppendResult r = unwritten(group[p].batches[b].shard);
      for (const kafka::Delivered& d : delivered[p][b]) {
        if (!d.error.empty() || d.offset < 0)
          throw std::runtime_error("Kafka committed a transaction without reporting a record's offset: " + d.error);
        uint64_t offset = static_cast<uint64_t>(d.offset);
        if (!r.written()) r.first_offset = r.last_offset = offset;
        r.first_offset = std::min(r.first_offset, offset);
        r.last_offset = std::max(r.last_offset, offset);
      }
      results[p].push_back(r);
      // A committed record is below the end at once (the transaction's marker follows it).
      if (r.written()) {
        uint64_t seen = end_[r.shard];
        while (r.last_offset + 1 > seen && !end_[r.shard].compare_exchange_weak(seen, r.last_offset + 1)) {
        }
      }
    }
  return results;
}

LogRead KafkaLog::read(uint32_t shard, uint64_t from, size_t max_records) {
  check_shard(shard, shards_);
  ShardReaders& readers = *readers_[shard];
  ShardReaders::Idle idle;
  {
    std::lock_guard lock(readers.mutex);
    auto at = std::find_if(readers.idle.begin(), readers.idle.end(), [&](auto& r) { return r.next == from; });
    if (at == readers.idle.end() && !readers.idle.empty()) at = readers.idle.begin(); // the least recently used
    if (at != readers.idle.end()) {
      idle = std::move(*at);
      readers.idle.erase(at);
    }
  }
  bool seek = !idle.reader || idle.next != from;
  if (!idle.reader) idle.reader = std::make_unique<kafka::PartitionReader>(options_.settings);
  if (seek) idle.reader->seek(topic_, static_cast<int32_t>(shard), static_cast<int64_t>(from));
  // On an error the reader is dropped: its position is not known.
  LogRead out{{}, from};
  for (kafka::Message& m : idle.reader->read(max_records, seek ? kSeekWaitMs : kReadWaitMs))
    out.records.push_back({static_cast<uint64_t>(m.offset), m.timestamp_ms, static_cast<uint64_t>(m.offset), std::move(m.value)});
  if (!out.records.empty()) out.next = out.records.back().offset + 1;
  if (idle.reader->failed()) return out; // dropped: the next read meets the error with a new reader
  // The position steps over the transaction markers that followed (once they were fetched).
  if (int64_t position = idle.reader->position(); position >= 0) out.next = std::max(out.next, static_cast<uint64_t>(position));
  idle.next = out.next;
  std::lock_guard lock(readers.mutex);
  readers.idle.push_back(std::move(idle));
  if (readers.idle.size() > kReadersPerShard) readers.idle.erase(readers.idle.begin());
  return out;
}

uint64_t KafkaLog::end_offset(uint32_t shard) const {
  check_shard(shard, shards_);
  return end_[shard];
}

uint64_t KafkaLog::fresh_end_offset(uint32_t shard) {
  check_shard(shard, shards_);
  // Brokers that did not answer the refresher are not waited for again (a drain at shutdown asks).
  if (FailureState::Snapshot down = brokers_.snapshot(); down.failing_since_ms) throw kafka::KafkaError("the Kafka brokers do not answer: " + down.error);
  uint64_t end = static_cast<uint64_t>(
      high_->offsets(topic_, {static_cast<int32_t>(shard)}, kafka::Admin::Position::End, std::min(options_.timeout_ms, 5000)).front());
  return std::max(end, end_[shard].load());
}

uint64_t KafkaLog::start_offset(uint32_t shard) const {
  check_shard(shard, shards_);
  return start_[shard];
}

} // namespace shopflow
