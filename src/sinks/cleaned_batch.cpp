#include "sinks/cleaned_batch.h"

#include <stdexcept>

namespace shopflow {

std::vector<ShardRange> shard_ranges(const std::vector<CleanedBatch>& batches) {
  std::vector<ShardRange> ranges;
  for (const CleanedBatch& b : batches) {
    ShardRange* range = nullptr;
    for (ShardRange& r : ranges)
      if (r.shard == b.shard) range = &r;
    if (!range) {
      ranges.push_back({b.shard, b.first_offset, b.next_offset});
      continue;
    }
    if (b.first_offset != range->next_offset)
      throw std::logic_error("batches of shard " + std::to_string(b.shard) + " do not follow each other: " +
                             std::to_string(range->next_offset) + " then " + std::to_string(b.first_offset));
    range->next_offset = b.next_offset;
  }
  return ranges;
}

} // namespace shopflow
