#include "stream/consumer_offsets.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "util/durable_file.h"
#include "util/read_file.h"

namespace fs = std::filesystem;

namespace shopflow {

bool valid_consumer_name(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n)
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
  return true;
}

ConsumerOffsets load_consumer_offsets(const fs::path& dir, uint32_t shards, bool remove_leftovers) {
  ConsumerOffsets out;
  if (!fs::exists(dir)) return out;
  std::vector<fs::path> leftovers;
  for (auto& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (!valid_consumer_name(name)) {
      leftovers.push_back(e.path());
      continue;
    }
    std::optional<std::string> bytes = read_file(e.path());
    if (!bytes || bytes->size() != size_t{shards} * 8)
      throw std::runtime_error("log: consumer file " + e.path().string() + " holds " + std::to_string(bytes ? bytes->size() : 0) +
                               " bytes, not " + std::to_string(size_t{shards} * 8) + " (8 per shard)");
    std::vector<uint64_t> offsets(shards, 0);
    std::memcpy(offsets.data(), bytes->data(), bytes->size());
    out[name] = std::move(offsets);
  }
  if (remove_leftovers)
    for (auto& f : leftovers) fs::remove(f);
  return out;
}

void save_consumer_offsets(const fs::path& dir, const std::string& name, const std::vector<uint64_t>& offsets) {
  replace_file_durably(dir / name, std::string_view(reinterpret_cast<const char*>(offsets.data()), offsets.size() * 8));
}

uint64_t highest_stored(const ConsumerOffsets& consumers, uint32_t shard) {
  uint64_t stored = 0;
  for (auto& [name, offsets] : consumers) stored = std::max(stored, offsets[shard]);
  return stored;
}

} // namespace shopflow
