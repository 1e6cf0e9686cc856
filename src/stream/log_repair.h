// `shopflow log check` and `shopflow log repair`: every segment of every shard, batch by batch.
//
// check reports each bad stretch (file, byte offset, length, the offsets it held) without
// changing anything. repair sets each bad stretch aside in DIR/log/quarantine/ (its bytes kept,
// under the segment's name and the byte offset), puts a batch of placeholder records
// (kQuarantinedRecord, skipped by every consumer) in place of the offsets it held, so that every
// good batch after it is kept at its own offsets, and cuts a torn tail of a shard's last segment.
// Each repaired segment is replaced durably. Run either with no server on the data dir.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace shopflow {

struct BadStretch {
  std::filesystem::path file;
  uint64_t position = 0, bytes = 0;       // in the file
  uint64_t first_offset = 0, records = 0; // the log offsets it held (records: 0 for bytes between batches)
  bool torn_tail = false;                 // the end of a shard's last segment: an unsynced write
};

struct LogCheckReport {
  uint64_t segments = 0, batches = 0, records = 0;
  std::vector<BadStretch> bad;
  uint64_t quarantined_records = 0; // repair: records set aside
};

LogCheckReport check_log(const std::filesystem::path& log_dir);
LogCheckReport repair_log(const std::filesystem::path& log_dir);

} // namespace shopflow
