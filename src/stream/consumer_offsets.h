// The offsets each consumer of the local log has stored, one file per consumer:
//   DIR/log/consumers/<name>   u64 little-endian next offset per shard, shard 0 first
// Names are 1..64 of [A-Za-z0-9_-]; anything else in the folder (a "<name>.tmp" left by a save
// that died before its rename) is not a consumer. Files are replaced durably.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace shopflow {

using ConsumerOffsets = std::map<std::string, std::vector<uint64_t>>;

bool valid_consumer_name(const std::string& name);

// Every consumer's offsets. Leftover temporary files are removed when `remove_leftovers`; a
// consumer file of the wrong size throws std::runtime_error naming it.
ConsumerOffsets load_consumer_offsets(const std::filesystem::path& consumers_dir, uint32_t shards, bool remove_leftovers);

void save_consumer_offsets(const std::filesystem::path& consumers_dir, const std::string& name, const std::vector<uint64_t>& offsets);

// The highest offset any consumer has stored for `shard` (0 without consumers): no recovery may
// end the shard below it.
uint64_t highest_stored(const ConsumerOffsets& consumers, uint32_t shard);

} // namespace shopflow
