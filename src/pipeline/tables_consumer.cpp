#include "pipeline/sink_consumer.h"

namespace shopflow {

namespace {
class TablesConsumer final : public SinkConsumer {
public:
  explicit TablesConsumer(LookupTables& tables) : tables_(tables) {}
  const char* name() const override { return "tables"; }
  uint64_t committed_offset(uint32_t shard) override { return tables_.stream_offset(name(), shard); }
  void apply(const std::vector<CleanedBatch>& batches) override { tables_.apply_stream_batches(name(), batches); }
  void discard_uncommitted() override { tables_.resume_after_error(); }

private:
  LookupTables& tables_;
};
} // namespace

std::unique_ptr<SinkConsumer> make_tables_consumer(LookupTables& tables) { return std::make_unique<TablesConsumer>(tables); }

} // namespace shopflow
