#include <chrono>
#include <map>
#include <set>
#include <utility>

#include "sinks/warehouse/line_scan.h"
#include "pipeline/sink_consumer.h"
#include "util/clock.h"

namespace shopflow {

namespace {

class LakeConsumer final : public SinkConsumer {
public:
  LakeConsumer(DataDir& dir, LakeBuffering buffering)
      : lake_(dir.lake()), con_(dir.warehouse().database()), scan_(dir.warehouse().line_scan()), buffering_(buffering) {}
  const char* name() const override { return "lake"; }
  void own(uint32_t shard) override {
    committed_.erase(shard); // another process may have moved the manifest
    lake_.remove_stream_files_from(shard, committed_offset(shard));
  }
  uint64_t committed_offset(uint32_t shard) override {
    auto it = committed_.find(shard);
    return it != committed_.end() ? it->second : committed_[shard] = lake_.stream_manifest(shard);
  }

  void apply(const std::vector<CleanedBatch>& batches) override {
    for (const CleanedBatch& b : batches) add(b);
  }

  void flush(bool force) override {
    int64_t now = steady_ms();
    for (auto& [shard, p] : pending_)
      if (p.next && (force || now - p.since_ms >= buffering_.max_age_ms)) write(shard, p);
    if (std::exchange(wrote_, false)) compact_one_shard();
  }

  void discard_uncommitted() override {
    for (auto& [shard, p] : pending_) lake_.remove_stream_files_from(shard, committed_offset(shard));
    pending_.clear();
    compaction_due_.clear(); // the shards may be another process's next
  }

private:
  struct Pending {
    uint64_t first = 0, next = 0; // offsets covered: [first, next); next == 0: nothing pending
    size_t lines = 0;
    int64_t since_ms = 0;
    LineScan::Blocks transactions, cancellations;
  };

  void add(const CleanedBatch& b) {
    Pending& p = pending_[b.shard];
    if (p.next == 0 && p.transactions.empty() && p.cancellations.empty()) {
      p.first = b.first_offset;
      p.since_ms = steady_ms();
    }
    if (b.transactions->size()) p.transactions.push_back(b.transactions);
    if (b.cancellations->size()) p.cancellations.push_back(b.cancellations);
    p.lines += b.transactions->size() + b.cancellations->size();
    p.next = b.next_offset;
    if (p.lines >= buffering_.max_lines) write(b.shard, p);
  }

  void write(uint32_t shard, Pending& p) {
    for (auto& [table, blocks] : {std::pair{"transactions", &p.transactions}, std::pair{"cancellations", &p.cancellations}}) {
      if (blocks->empty()) continue;
      auto lines = scan_.expose(*blocks);
      for (int partition : lines.partitions())
        lake_.write_stream_file(con_, table, partition, shard, p.first, p.next - 1, lines.select(partition));
    }
    lake_.set_stream_manifest(shard, p.next);
    committed_[shard] = p.next;
    p = Pending{};
    compaction_due_.insert(shard);
    wrote_ = true;
  }

  // Small files are merged once a month of a shard has gathered enough of them; at most one
  // shard's merge per flush that wrote files. The shards flush in step, so their merges come due
  // together: one after another, each behind one round of new files, the lake's lag grows by one
  // merge, not by all of them at once. Merging only where files were written keeps a merge ahead
  // of the offsets the pipeline reports stored (caught up means no merge is under way).
  void compact_one_shard() {
    while (!compaction_due_.empty()) {
      uint32_t shard = *compaction_due_.begin();
      compaction_due_.erase(compaction_due_.begin());
      if (lake_.compact_stream_files(con_, shard, buffering_.compact_at_files) > 0) return;
    }
  }

  LakeWriter& lake_;
  DuckConnection con_;
  LineScan& scan_; // registered once per database, shared by its connections
  LakeBuffering buffering_;
  std::map<uint32_t, Pending> pending_;
  std::map<uint32_t, uint64_t> committed_; // cache of the manifests
  std::set<uint32_t> compaction_due_;      // shards written since their files were last checked
  bool wrote_ = false;                     // since the last flush
};

} // namespace

std::unique_ptr<SinkConsumer> make_lake_consumer(DataDir& dir, LakeBuffering buffering) {
  return std::make_unique<LakeConsumer>(dir, buffering);
}

} // namespace shopflow
