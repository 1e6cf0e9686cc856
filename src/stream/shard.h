// One shard of the local log: a folder of segment files (segment.h) with consecutive offsets.
// Appends are serialized by the shard itself; sync() may run beside them, and any number of
// readers read concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <utility>
#include <vector>

#include "stream/log.h"
#include "stream/segment.h"

namespace shopflow {

class Shard {
public:
  // Opens (creating) the folder and recovers: every segment is checked, and a torn tail of the
  // last one (a write no sync covered) is truncated; `truncated_bytes` reports how much was cut.
  // Anything else that fails its checks throws LogCorruption naming the file and byte offset: a
  // bad sealed segment, bad bytes followed by good batches, a gap in offsets, or a tail whose
  // cut would take the end below `min_end` (records a consumer has already stored).
  Shard(std::filesystem::path dir, uint64_t segment_bytes, uint64_t min_end = 0);
  ~Shard();

  uint64_t end_offset() const; // after the last written batch
  uint64_t start_offset() const;
  uint64_t size_bytes() const;
  uint64_t truncated_bytes() const { return truncated_bytes_; }

  // Writes one batch at the end (rolling to a new segment when the active one is full). Not yet
  // durable: call sync(), which also seals the full segments. Concurrent calls are written one
  // after the other.
  AppendResult write(uint32_t shard_id, const std::vector<std::string_view>& records, int64_t now_ms);
  // Makes every batch whose write() returned before this call durable.
  void sync();

  // Only durable records are served: a consumer never stores a record that a power failure could
  // take back from the log (the offset would then be given to another record).
  std::vector<LogRecord> read(uint64_t from, size_t max_records) const;

  // Deletes whole segments, oldest first, while the shard is over `max_bytes` or the segment's
  // last append is older than `max_age_ms`; never the active segment, never a segment holding an
  // offset >= `keep_from` (not yet consumed by every registered consumer). Returns how many
  // segments and bytes it deleted.
  std::pair<size_t, uint64_t> apply_retention(int64_t now_ms, int64_t max_age_ms, uint64_t max_bytes, uint64_t keep_from);

private:
  struct Segment {
    uint64_t base = 0;
    int fd = -1;
    std::filesystem::path path;
    std::vector<BatchInfo> batches;
    uint64_t bytes = 0;
    uint64_t end() const { return batches.empty() ? base : batches.back().base + batches.back().count; }
    ~Segment();
  };
  std::shared_ptr<Segment> open_segment(uint64_t base, bool create);
  void preallocate(const Segment& s) const;
  static void trim(const Segment& s);

  std::filesystem::path dir_;
  uint64_t segment_bytes_;
  uint64_t truncated_bytes_ = 0;
  std::mutex write_mutex_; // held by write(): one appender at a time
  std::atomic<bool> dir_dirty_{false}; // a segment file was created and the folder is not yet synced
  std::atomic<uint64_t> durable_{0};   // after the last batch a sync has covered: what read() serves
  mutable std::shared_mutex mutex_; // segments_, and each segment's batches and bytes
  std::deque<std::shared_ptr<Segment>> segments_;
  std::vector<std::shared_ptr<Segment>> sealing_; // full, and not yet trimmed and synced by sync()
};

} // namespace shopflow
