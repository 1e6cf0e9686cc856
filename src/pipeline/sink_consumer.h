// A consumer moves cleaned batches of the log into one sink, exactly once: the sink stores the
// offset it has reached in the same atomic write as the data (see each implementation).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "storage/data_dir.h"
#include "sinks/cleaned_batch.h"
#include "sinks/lookup_tables.h"

namespace shopflow {

class SinkConsumer {
public:
  virtual ~SinkConsumer() = default;
  virtual const char* name() const = 0;
  // How long the consumer waits after a pass that found less than a full batch on every shard:
  // lingering lets records gather, and a sink's cost is mostly per write, not per line. It bounds
  // how soon a record shows in this sink.
  virtual int linger_ms() const { return 10; }
  // `shard` is this process's to store from now on (at start; when shards move between workers):
  // the sink removes what an earlier writer of the shard left half-written.
  virtual void own(uint32_t /*shard*/) {}
  // The next offset of `shard` the sink has not yet stored (0 at first).
  virtual uint64_t committed_offset(uint32_t shard) = 0;
  // Stores one pass's batches (at most one per shard) together: a sink's cost is mostly per write
  // (a transaction, a WriteBatch), not per line. A sink that buffers (the lake) may store them
  // later, in flush().
  virtual void apply(const std::vector<CleanedBatch>& batches) = 0;
  // Stores buffered batches if they are due (or now, when `force`). Called often.
  virtual void flush(bool /*force*/) {}
  // After a failure: forgets whatever is buffered or half-written beyond committed_offset(), which
  // is where reading starts again.
  virtual void discard_uncommitted() {}
};

// Warehouse: each pass's batches in one DuckDB transaction with their rows of stream_offsets.
std::unique_ptr<SinkConsumer> make_warehouse_consumer(DataDir& dir);
// Tables: each pass's batches in one atomic write with the offsets and the touched invoices'
// Customer-table summaries (LookupTables::apply_stream_batches).
std::unique_ptr<SinkConsumer> make_tables_consumer(LookupTables& tables);

struct LakeBuffering {
  uint64_t max_lines = 200'000; // flush a shard's buffer at this many lines...
  int64_t max_age_ms = 500;     // ...or when its oldest line waited this long
  size_t compact_at_files = 32; // merge a shard's files of one month once there are this many
};
// Lake: buffers per shard; a flush writes one Parquet file per table and month named by the
// offset range (stream-<shard>-<first>-<last>.parquet) and then renames the shard's manifest
// (lake/_stream/shard-<n>: the next offset) into place. Files beyond the manifest are leftovers
// of a crash and are deleted when the shard is taken (own()). Small files are compacted (LakeWriter::compact_stream_files).
std::unique_ptr<SinkConsumer> make_lake_consumer(DataDir& dir, LakeBuffering buffering);

} // namespace shopflow
