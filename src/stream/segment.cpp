#include "stream/segment.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <unistd.h>

#include "stream/crc32c.h"

namespace shopflow {

namespace {
template <class T> void put(std::string& out, T v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }
template <class T> T get(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

bool pread_all(int fd, char* buf, size_t n, uint64_t pos) {
  while (n) {
    ssize_t r = ::pread(fd, buf, n, static_cast<off_t>(pos));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    buf += r;
    n -= static_cast<size_t>(r);
    pos += static_cast<uint64_t>(r);
  }
  return true;
}
} // namespace

std::string segment_file_name(uint64_t base) {
  char name[32];
  std::snprintf(name, sizeof name, "%020llu.seg", static_cast<unsigned long long>(base));
  return name;
}

std::vector<uint64_t> segment_bases(const std::filesystem::path& shard_dir) {
  std::vector<uint64_t> bases;
  for (auto& e : std::filesystem::directory_iterator(shard_dir)) {
    std::string name = e.path().filename().string();
    if (name.size() == 24 && name.ends_with(".seg") && name.find_first_not_of("0123456789") == 20) bases.push_back(std::stoull(name.substr(0, 20)));
  }
  std::sort(bases.begin(), bases.end());
  return bases;
}

std::string read_bytes(int fd, uint64_t pos, uint64_t n) {
  std::string out(n, '\0');
  if (!pread_all(fd, out.data(), out.size(), pos)) throw std::runtime_error("log: cannot read " + std::to_string(n) + " bytes at " + std::to_string(pos));
  return out;
}

void encode_batch(std::string& out, uint64_t base, int64_t time_ms, const std::vector<std::string_view>& records) {
  size_t start = out.size();
  uint32_t payload = 0;
  for (auto r : records) payload += 4 + static_cast<uint32_t>(r.size());
  out.reserve(start + kBatchHeaderBytes + payload);
  put<uint32_t>(out, kBatchMagic);
  put<uint32_t>(out, 0); // crc, filled below
  put<uint64_t>(out, base);
  put<uint32_t>(out, static_cast<uint32_t>(records.size()));
  put<uint32_t>(out, payload);
  put<int64_t>(out, time_ms);
  for (auto r : records) {
    put<uint32_t>(out, static_cast<uint32_t>(r.size()));
    out.append(r);
  }
  uint32_t crc = crc32c(0, out.data() + start + 8, out.size() - start - 8);
  std::memcpy(out.data() + start + 4, &crc, 4);
}

namespace {
// Validates a whole batch held in memory (header + payload).
bool batch_ok(const char* p, uint32_t count, uint32_t payload) {
  if (crc32c(0, p + 8, kBatchHeaderBytes - 8 + payload) != get<uint32_t>(p + 4)) return false;
  const char* q = p + kBatchHeaderBytes;
  const char* end = q + payload;
  for (uint32_t i = 0; i < count; ++i) {
    if (end - q < 4) return false;
    uint32_t len = get<uint32_t>(q);
    if (static_cast<size_t>(end - q - 4) < len) return false;
    q += 4 + len;
  }
  return q == end;
}
} // namespace

std::vector<BatchInfo> scan_segment(int fd, uint64_t expected_base, uint64_t& valid_bytes, uint64_t from) {
  std::vector<BatchInfo> batches;
  uint64_t pos = from, next = expected_base;
  std::string buf;
  for (;;) {
    char header[kBatchHeaderBytes];
    if (!pread_all(fd, header, sizeof header, pos)) break;
    uint32_t count = get<uint32_t>(header + 16), payload = get<uint32_t>(header + 20);
    if (get<uint32_t>(header) != kBatchMagic || get<uint64_t>(header + 8) != next || count == 0 ||
        payload > (1u << 30))
      break;
    buf.resize(kBatchHeaderBytes + payload);
    if (!pread_all(fd, buf.data(), buf.size(), pos)) break; // torn
    if (!batch_ok(buf.data(), count, payload)) break;
    batches.push_back({pos, next, count, static_cast<uint32_t>(buf.size()), get<int64_t>(header + 24)});
    pos += buf.size();
    next += count;
  }
  valid_bytes = pos;
  return batches;
}

std::optional<BatchInfo> find_batch_after(int fd, uint64_t from, uint64_t to, uint64_t min_base) {
  const char magic[4] = {'S', 'F', 'L', 'B'}; // kBatchMagic, little-endian
  std::string window, buf;
  for (uint64_t at = from; at + kBatchHeaderBytes <= to;) {
    window.resize(std::min<uint64_t>(to - at, 1 << 20));
    if (!pread_all(fd, window.data(), window.size(), at)) return std::nullopt;
    size_t i = 0;
    for (;; ++i) {
      const char* hit = static_cast<const char*>(memmem(window.data() + i, window.size() - i, magic, 4));
      if (!hit) break;
      i = static_cast<size_t>(hit - window.data());
      uint64_t pos = at + i;
      char header[kBatchHeaderBytes];
      if (pos + kBatchHeaderBytes > to || !pread_all(fd, header, sizeof header, pos)) continue;
      uint64_t base = get<uint64_t>(header + 8);
      uint32_t count = get<uint32_t>(header + 16), payload = get<uint32_t>(header + 20);
      if (base < min_base || count == 0 || payload > (1u << 30) || pos + kBatchHeaderBytes + payload > to) continue;
      buf.resize(kBatchHeaderBytes + payload);
      if (!pread_all(fd, buf.data(), buf.size(), pos) || !batch_ok(buf.data(), count, payload)) continue;
      return BatchInfo{pos, base, count, static_cast<uint32_t>(buf.size()), get<int64_t>(header + 24)};
    }
    if (window.size() < (1 << 20)) break;
    at += window.size() - 3; // a magic may straddle two windows
  }
  return std::nullopt;
}

bool zero_filled(int fd, uint64_t from, uint64_t to) {
  std::string buf;
  while (from < to) {
    buf.resize(std::min<uint64_t>(to - from, 1 << 20));
    if (!pread_all(fd, buf.data(), buf.size(), from)) return false;
    if (buf.find_first_not_of('\0') != std::string::npos) return false;
    from += buf.size();
  }
  return true;
}

void read_batches(int fd, const std::vector<BatchInfo>& batches, uint64_t from, size_t max_records, std::vector<LogRecord>& out) {
  if (batches.empty()) return;
  const uint64_t start = batches.front().position;
  std::string buf(batches.back().position + batches.back().bytes - start, '\0');
  if (!pread_all(fd, buf.data(), buf.size(), start))
    throw std::runtime_error("log: cannot read the batch at offset " + std::to_string(batches.front().base));
  for (const BatchInfo& info : batches) {
    const char* p = buf.data() + (info.position - start);
    if (!batch_ok(p, info.count, info.bytes - static_cast<uint32_t>(kBatchHeaderBytes)))
      throw std::runtime_error("log: batch at offset " + std::to_string(info.base) + " failed its check");
    const char* q = p + kBatchHeaderBytes;
    for (uint32_t i = 0; i < info.count && max_records; ++i) {
      uint32_t len = get<uint32_t>(q);
      if (info.base + i >= from) {
        out.push_back({info.base + i, info.time_ms, info.base + info.count - 1, std::string(q + 4, len)});
        --max_records;
      }
      q += 4 + len;
    }
  }
}

} // namespace shopflow
