#include "pipeline/sink_consumer.h"

namespace shopflow {

namespace {
class TablesConsumer final : public SinkConsumer {
public:
  explicit TablesConsumer(DataDir& dir) : tables_(dir.tables()) {}
  const char* name() const override { return "tables"; }
  uint64_t committed_offset(uint32_t shard) override { return tables_.stream_offset(name(), shard); }
  void apply(const std::vector<CleanedBatch>& batches) override { tables_.apply_stream_batches(name(), batches); }
  // A failed write leaves RocksDB refusing writes until it is resumed (once space is back).
  void discard_uncommitted() override { tables_.resume_after_error(); }

private:
  Tables& tables_;
};
} // namespace

std::unique_ptr<SinkConsumer> make_tables_consumer(DataDir& dir) { return std::make_unique<TablesConsumer>(dir); }

} // namespace shopflow
