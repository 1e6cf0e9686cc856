// One segment file of a shard: DIR/log/shard-<n>/<base offset, 20 digits>.seg, holding record
// batches back to back. A batch (all integers little-endian):
//
//   u32 magic      "SFLB" (0x424C4653)
//   u32 crc        CRC-32C of every byte after this field up to the end of the payload
//   u64 base       offset of the batch's first record
//   u32 count      number of records (>= 1)
//   u32 size       payload bytes
//   i64 time_ms    wall-clock append time
//   payload        count x (u32 length, bytes)
//
// Invariants: batches are contiguous and their offsets consecutive across the file; a file's
// first batch starts at the file's base offset. The active (last) segment is preallocated to the
// segment size, so zero bytes follow its batches: a sync then writes data without changing the
// file's size, which halves its cost. A sealed segment, and the active one after a clean close,
// end at their last batch. Recovery keeps the longest valid prefix of the last segment (a torn or
// corrupt tail is truncated; zeros after it are preallocation, not a tear) and never serves a
// batch whose CRC fails.
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "stream/log.h"

namespace shopflow {

inline constexpr uint32_t kBatchMagic = 0x424C4653;
inline constexpr size_t kBatchHeaderBytes = 32;

// Appends one encoded batch to `out`.
void encode_batch(std::string& out, uint64_t base, int64_t time_ms, const std::vector<std::string_view>& records);

struct BatchInfo {
  uint64_t position = 0; // byte position in the file
  uint64_t base = 0;
  uint32_t count = 0;
  uint32_t bytes = 0;    // whole batch, header included
  int64_t time_ms = 0;
};

// Scans a segment file and returns its valid batches in order; `valid_bytes` is where the valid
// prefix ends (the file's size when nothing is torn). `expected_base` is the file's base offset.
// With `from`: the scan starts at that byte, where a batch with base `expected_base` must begin.
std::vector<BatchInfo> scan_segment(int fd, uint64_t expected_base, uint64_t& valid_bytes, uint64_t from = 0);

// The first position in [from, to) where a whole valid batch starts whose base is >= min_base,
// searched byte by byte: the good batches after a corrupt stretch.
std::optional<BatchInfo> find_batch_after(int fd, uint64_t from, uint64_t to, uint64_t min_base);

// What `shopflow log repair` puts in place of records it had to quarantine, so that offsets stay
// consecutive; never a row. Consumers skip it (is_quarantined_record).
inline constexpr std::string_view kQuarantinedRecord = "\xFFshopflow:quarantined";
inline bool is_quarantined_record(std::string_view data) { return data == kQuarantinedRecord; }

// A log file that fails its checks where a crash cannot explain it (a sealed segment, the middle
// of the active one, a gap in offsets): the server stops instead of cutting acknowledged records.
struct LogCorruption : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Whether bytes [from, to) of the file are all zero (preallocated, never written).
bool zero_filled(int fd, uint64_t from, uint64_t to);

// Reads consecutive batches of one file with a single read, checks each, and appends their records
// with offsets >= `from`, at most `max_records`. Throws std::runtime_error if a batch no longer
// checks out (the file changed under us).
void read_batches(int fd, const std::vector<BatchInfo>& batches, uint64_t from, size_t max_records, std::vector<LogRecord>& out);

std::string segment_file_name(uint64_t base); // "00000000000000000042.seg"
// The base offsets of a shard folder's segment files, in order (other files are ignored).
std::vector<uint64_t> segment_bases(const std::filesystem::path& shard_dir);
// Bytes [pos, pos + n) of a file; throws std::runtime_error if they cannot be read.
std::string read_bytes(int fd, uint64_t pos, uint64_t n);

} // namespace shopflow
