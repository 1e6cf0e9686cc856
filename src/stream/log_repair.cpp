#include "stream/log_repair.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "stream/consumer_offsets.h"
#include "stream/segment.h"
#include "util/clock.h"
#include "util/durable_file.h"

namespace fs = std::filesystem;

namespace shopflow {

namespace {

struct Fd {
  int fd;
  explicit Fd(const fs::path& p) : fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd < 0) throw std::runtime_error("cannot open " + p.string() + ": " + std::strerror(errno));
  }
  ~Fd() { ::close(fd); }
};

// One segment's layout: its good batches and the bad stretches between and after them.
struct Layout {
  std::vector<BatchInfo> good;
  std::vector<BadStretch> bad; // in file order
  uint64_t end = 0;            // the offset after its last record (bad stretches counted)
};

// `next_base`: the base of the shard's next segment (0 for its last segment). `stored`: the
// highest offset a consumer has stored for the shard: a bad end of the last segment below it is
// not a torn tail but acknowledged records.
Layout lay_out(const fs::path& file, int fd, uint64_t base, uint64_t next_base, bool last, uint64_t stored) {
  Layout l;
  uint64_t size = static_cast<uint64_t>(::lseek(fd, 0, SEEK_END)), pos = 0, next = base;
  for (;;) {
    uint64_t valid = 0;
    std::vector<BatchInfo> run = scan_segment(fd, next, valid, pos); // the good batches from `pos` on
    for (auto& b : run) next += b.count;
    pos = valid;
    l.good.insert(l.good.end(), run.begin(), run.end());
    if (pos >= size || zero_filled(fd, pos, size)) break;
    auto after = find_batch_after(fd, pos, size, next);
    BadStretch bad{file, pos, 0, next, 0, false};
    if (after) {
      bad.bytes = after->position - pos;
      bad.records = after->base - next;
      l.bad.push_back(bad);
      pos = after->position;
      next = after->base;
      continue;
    }
    // Nothing good after it in this file.
    bad.bytes = size - pos;
    if (last && next >= stored) {
      bad.torn_tail = true;
    } else if (last) { // the batch's own header tells how many records it held, if it is intact
      std::string header = read_bytes(fd, pos, std::min<uint64_t>(kBatchHeaderBytes, size - pos));
      uint32_t magic = 0, count = 0;
      uint64_t hbase = 0;
      if (header.size() == kBatchHeaderBytes) {
        std::memcpy(&magic, header.data(), 4);
        std::memcpy(&hbase, header.data() + 8, 8);
        std::memcpy(&count, header.data() + 16, 4);
      }
      // A count the stretch could not hold (each record takes 4 bytes or more) is a flipped header.
      bool plausible = magic == kBatchMagic && hbase == next && next + count >= stored && count <= (size - pos) / 4;
      bad.records = plausible ? count : stored - next;
    } else {
      bad.records = next_base > next ? next_base - next : 0;
    }
    l.bad.push_back(bad);
    next += bad.records;
    pos = size;
    break;
  }
  l.end = next;
  return l;
}

LogCheckReport walk(const fs::path& log_dir, bool repair) {
  LogCheckReport report;
  if (!fs::exists(log_dir)) throw std::runtime_error("no log in " + log_dir.string());
  std::vector<fs::path> shards;
  for (auto& e : fs::directory_iterator(log_dir))
    if (e.is_directory() && e.path().filename().string().rfind("shard-", 0) == 0) shards.push_back(e.path());
  std::sort(shards.begin(), shards.end());
  ConsumerOffsets consumers = load_consumer_offsets(log_dir / "consumers", static_cast<uint32_t>(shards.size()), false);
  for (const fs::path& shard : shards) {
    uint64_t stored = highest_stored(consumers, static_cast<uint32_t>(std::stoul(shard.filename().string().substr(6))));
    std::vector<uint64_t> bases = segment_bases(shard);
    uint64_t expected = bases.empty() ? 0 : bases.front();
    for (size_t i = 0; i < bases.size(); ++i) {
      fs::path file = shard / segment_file_name(bases[i]);
      bool last = i + 1 == bases.size();
      Fd fd(file);
      ++report.segments;
      if (bases[i] > expected) { // a gap: offsets no file holds; repair gives them a segment of placeholders
        report.bad.push_back({shard / segment_file_name(expected), 0, 0, expected, bases[i] - expected, false});
        if (repair) {
          std::string out;
          encode_batch(out, expected, wall_clock_ms(), std::vector<std::string_view>(bases[i] - expected, kQuarantinedRecord));
          replace_file_durably(shard / segment_file_name(expected), out);
          report.quarantined_records += bases[i] - expected;
        }
      }
      Layout l = lay_out(file, fd.fd, bases[i], last ? 0 : bases[i + 1], last, stored);
      report.batches += l.good.size();
      for (auto& b : l.good) report.records += b.count;
      for (auto& b : l.bad) report.bad.push_back(b);
      expected = l.end;
      if (!repair || l.bad.empty()) continue;
      // The repaired segment: good batches as they are, placeholders for bad stretches' offsets,
      // no torn tail. The bad bytes go to the quarantine folder first.
      fs::path quarantine = log_dir / "quarantine" / shard.filename();
      fs::create_directories(quarantine);
      std::string out;
      size_t g = 0;
      auto copy_good_before = [&](uint64_t position) {
        for (; g < l.good.size() && l.good[g].position < position; ++g) out += read_bytes(fd.fd, l.good[g].position, l.good[g].bytes);
      };
      for (const BadStretch& bad : l.bad) {
        copy_good_before(bad.position);
        replace_file_durably(quarantine / (file.filename().string() + "@" + std::to_string(bad.position) + ".bad"),
                             read_bytes(fd.fd, bad.position, bad.bytes));
        if (bad.records) {
          std::vector<std::string_view> placeholders(bad.records, kQuarantinedRecord);
          encode_batch(out, bad.first_offset, wall_clock_ms(), placeholders);
          report.quarantined_records += bad.records;
        }
      }
      copy_good_before(UINT64_MAX);
      replace_file_durably(file, out);
    }
  }
  return report;
}

} // namespace

LogCheckReport check_log(const fs::path& log_dir) { return walk(log_dir, false); }
LogCheckReport repair_log(const fs::path& log_dir) { return walk(log_dir, true); }

} // namespace shopflow
