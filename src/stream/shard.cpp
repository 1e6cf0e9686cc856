#include "stream/shard.h"

#include "util/durable_file.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <stdexcept>
#include <unistd.h>

namespace fs = std::filesystem;

namespace shopflow {

namespace {
[[noreturn]] void fail(const std::string& what) { throw std::runtime_error("log: " + what + ": " + std::strerror(errno)); }

} // namespace

Shard::Segment::~Segment() {
  if (fd >= 0) ::close(fd);
}

std::shared_ptr<Shard::Segment> Shard::open_segment(uint64_t base, bool create) {
  auto s = std::make_shared<Segment>();
  s->base = base;
  s->path = dir_ / segment_file_name(base);
  s->fd = ::open(s->path.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0), 0644);
  if (s->fd < 0) fail("open " + s->path.string());
  if (create) preallocate(*s);
  return s;
}

// Reserves the segment's blocks beyond its batches (zeros when read). Where the file system cannot,
// appends simply grow the file.
void Shard::preallocate(const Segment& s) const {
  if (s.bytes < segment_bytes_) ::fallocate(s.fd, 0, static_cast<off_t>(s.bytes), static_cast<off_t>(segment_bytes_ - s.bytes));
}

// Cuts the preallocated zeros after the last batch and syncs: the file then ends where its data does.
void Shard::trim(const Segment& s) {
  if (::ftruncate(s.fd, static_cast<off_t>(s.bytes)) != 0) fail("truncate " + s.path.string());
  if (::fdatasync(s.fd) != 0) fail("fdatasync " + s.path.string());
}

Shard::Shard(fs::path dir, uint64_t segment_bytes, uint64_t min_end) : dir_(std::move(dir)), segment_bytes_(segment_bytes) {
  fs::create_directories(dir_);
  std::vector<uint64_t> bases = segment_bases(dir_);
  auto corrupt = [&](const Segment& s, uint64_t at, const std::string& what) {
    throw LogCorruption("log: " + s.path.string() + " is corrupt at byte " + std::to_string(at) + ": " + what +
                        ". Nothing was changed; see `shopflow log check`, and `shopflow log repair` to set the bad batches aside");
  };
  for (size_t i = 0; i < bases.size(); ++i) {
    auto s = open_segment(bases[i], false);
    if (!segments_.empty() && segments_.back()->end() != s->base)
      corrupt(*s, 0, "it begins at offset " + std::to_string(s->base) + ", but the segment before it ends at " +
                         std::to_string(segments_.back()->end()));
    uint64_t valid = 0;
    s->batches = scan_segment(s->fd, s->base, valid);
    auto size = static_cast<uint64_t>(::lseek(s->fd, 0, SEEK_END));
    bool last = i + 1 == bases.size();
    s->bytes = valid;
    if (size != valid && !zero_filled(s->fd, valid, size)) {
      // Only the end of the active segment may be torn: a write that no sync covered.
      if (!last) corrupt(*s, valid, "a sealed segment's batch fails its checksum");
      if (auto next = find_batch_after(s->fd, valid, size, s->end()))
        corrupt(*s, valid, "a batch fails its checksum and good batches follow at byte " + std::to_string(next->position));
      if (s->end() < min_end)
        corrupt(*s, valid, "cutting the torn tail would end the shard at offset " + std::to_string(s->end()) +
                               ", below offset " + std::to_string(min_end) + " that a consumer has stored");
      truncated_bytes_ += size - valid;
      trim(*s);
    } else if (size != valid && !last) {
      trim(*s); // a sealed segment's leftover preallocation
    }
    segments_.push_back(std::move(s));
  }
  if (!segments_.empty() && segments_.back()->end() < min_end)
    corrupt(*segments_.back(), segments_.back()->bytes, "the shard ends at offset " + std::to_string(segments_.back()->end()) +
                                                       ", below offset " + std::to_string(min_end) + " that a consumer has stored");
  if (segments_.empty()) {
    segments_.push_back(open_segment(0, true));
    sync_folder(dir_);
  } else {
    preallocate(*segments_.back());
  }
  sync(); // what a crashed process wrote may still be only in the page cache
}

Shard::~Shard() {
  try {
    for (auto& s : sealing_) trim(*s);
    trim(*segments_.back()); // a clean close leaves no preallocated tail
  } catch (...) {
  }
}

uint64_t Shard::end_offset() const {
  std::shared_lock lock(mutex_);
  return segments_.back()->end();
}

uint64_t Shard::start_offset() const {
  std::shared_lock lock(mutex_);
  return segments_.front()->base;
}

uint64_t Shard::size_bytes() const {
  std::shared_lock lock(mutex_);
  uint64_t n = 0;
  for (auto& s : segments_) n += s->bytes;
  return n;
}

AppendResult Shard::write(uint32_t shard_id, const std::vector<std::string_view>& records, int64_t now_ms) {
  if (records.empty()) throw std::invalid_argument("log: empty batch");
  std::lock_guard write_lock(write_mutex_);
  std::shared_ptr<Segment> active;
  {
    std::shared_lock lock(mutex_);
    active = segments_.back();
  }
  if (active->bytes >= segment_bytes_) {
    // Start the next segment. The full one is sealed by the next sync(), not here on the
    // appender's thread, which an fdatasync would hold up.
    auto next = open_segment(active->end(), true);
    dir_dirty_ = true;
    std::unique_lock lock(mutex_);
    sealing_.push_back(active);
    segments_.push_back(next);
    active = next;
  }
  uint64_t base = active->end();
  std::string batch;
  encode_batch(batch, base, now_ms, records);
  const char* p = batch.data();
  size_t left = batch.size();
  uint64_t pos = active->bytes;
  while (left) {
    ssize_t n = ::pwrite(active->fd, p, left, static_cast<off_t>(pos));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      if (::ftruncate(active->fd, static_cast<off_t>(active->bytes)) != 0) { /* recovery will cut it */ }
      errno = e;
      fail("write " + active->path.string());
    }
    p += n;
    left -= static_cast<size_t>(n);
    pos += static_cast<uint64_t>(n);
  }
  BatchInfo info{active->bytes, base, static_cast<uint32_t>(records.size()), static_cast<uint32_t>(batch.size()), now_ms};
  {
    std::unique_lock lock(mutex_);
    active->batches.push_back(info);
    active->bytes += batch.size();
  }
  return {shard_id, base, base + records.size() - 1};
}

void Shard::sync() {
  std::shared_ptr<Segment> active;
  std::vector<std::shared_ptr<Segment>> sealed;
  uint64_t end = 0;
  {
    std::unique_lock lock(mutex_);
    active = segments_.back();
    end = active->end();
    sealed.swap(sealing_);
  }
  // A batch written before this call is in `active`, in a segment sealed here, or in one an
  // earlier sync sealed; the folder entry of a new segment was flagged before anything was
  // written to it.
  try {
    for (auto& s : sealed) trim(*s);
  } catch (...) {
    std::unique_lock lock(mutex_);
    sealing_.insert(sealing_.begin(), sealed.begin(), sealed.end()); // sealed again next time
    throw;
  }
  if (::fdatasync(active->fd) != 0) fail("fdatasync " + active->path.string());
  if (dir_dirty_.exchange(false)) {
    try {
      sync_folder(dir_);
    } catch (...) {
      dir_dirty_ = true;
      throw;
    }
  }
  for (uint64_t d = durable_; d < end && !durable_.compare_exchange_weak(d, end);) {
  }
}

std::vector<LogRecord> Shard::read(uint64_t from, size_t max_records) const {
  constexpr uint64_t kReadBytes = 1 << 20; // batches read with one pread, unless one alone is larger
  std::vector<LogRecord> out;
  const uint64_t durable = durable_;
  std::vector<BatchInfo> run; // consecutive batches of one segment, the first holding `from`
  while (out.size() < max_records && from < durable) {
    std::shared_ptr<Segment> seg;
    run.clear();
    {
      std::shared_lock lock(mutex_);
      auto it = std::upper_bound(segments_.begin(), segments_.end(), from,
                                 [](uint64_t off, const auto& s) { return off < s->base; });
      if (it == segments_.begin()) { // older records are gone (retention): start at the oldest kept
        from = segments_.front()->base;
        it = segments_.begin() + 1;
      }
      // Segments and batches are contiguous, so the batch holding `from` is the last one that
      // starts at or before it; if `from` is past that batch, it is past the end of the log.
      seg = *(it - 1);
      auto b = std::upper_bound(seg->batches.begin(), seg->batches.end(), from,
                                [](uint64_t off, const BatchInfo& bi) { return off < bi.base; });
      if (b == seg->batches.begin()) break;
      --b;
      if (from >= b->base + b->count) break;
      uint64_t bytes = 0, records = 0, wanted = max_records - out.size();
      for (; b != seg->batches.end() && b->base < durable && records < wanted; ++b) {
        if (!run.empty() && bytes + b->bytes > kReadBytes) break;
        run.push_back(*b);
        bytes += b->bytes;
        records += b->base + b->count - std::max(from, b->base);
      }
    }
    if (run.empty()) break; // moved past the durable end by retention
    size_t before = out.size();
    read_batches(seg->fd, run, from, std::min<uint64_t>(max_records - out.size(), durable - from), out);
    if (out.size() == before) break;
    from = out.back().offset + 1;
  }
  return out;
}

std::pair<size_t, uint64_t> Shard::apply_retention(int64_t now_ms, int64_t max_age_ms, uint64_t max_bytes, uint64_t keep_from) {
  uint64_t total = size_bytes();
  std::pair<size_t, uint64_t> deleted{0, 0};
  for (;;) {
    std::shared_ptr<Segment> oldest;
    {
      std::unique_lock lock(mutex_);
      if (segments_.size() < 2) return deleted;
      oldest = segments_.front();
      bool too_old = !oldest->batches.empty() && oldest->batches.back().time_ms < now_ms - max_age_ms;
      bool too_big = total > max_bytes;
      if (!(too_old || too_big) || oldest->end() > keep_from) return deleted;
      segments_.pop_front();
    }
    total -= oldest->bytes;
    fs::remove(oldest->path);
    deleted.first += 1;
    deleted.second += oldest->bytes;
  }
}

} // namespace shopflow
