#include <map>

#include "db/line_scan.h"
#include "pipeline/sink_consumer.h"

namespace shopflow {

namespace {

class WarehouseConsumer final : public SinkConsumer {
public:
  explicit WarehouseConsumer(DataDir& dir) : con_(dir.warehouse().database()), scan_(dir.warehouse().line_scan()) {}
  const char* name() const override { return "warehouse"; }

  uint64_t committed_offset(uint32_t shard) override {
    auto it = committed_.find(shard);
    if (it != committed_.end()) return it->second;
    DuckResult r = con_.query("SELECT next_offset FROM stream_offsets WHERE sink = 'warehouse' AND shard = " +
                              std::to_string(shard));
    return committed_[shard] = r.row_count() ? static_cast<uint64_t>(r.int64(0, 0)) : 0;
  }

  void apply(const CleanedBatch& b) override {
    con_.execute("BEGIN TRANSACTION");
    try {
      for (auto& [table, lines] : {std::pair{"transactions", b.transactions}, std::pair{"cancellations", b.cancellations}}) {
        if (lines->size() == 0) continue;
        auto exposed = scan_.expose({lines});
        con_.execute(std::string("INSERT INTO ") + table + " " + exposed.select());
      }
      if (!b.rejected.empty()) {
        RejectedWriter writer(con_);
        for (auto& r : b.rejected) writer.add(r.source, r.raw, r.reason, r.detail, r.received_at_us);
        writer.flush();
      }
      con_.execute("INSERT OR REPLACE INTO stream_offsets VALUES ('warehouse', " + std::to_string(b.shard) + ", " +
                   std::to_string(b.next_offset) + ")");
      con_.execute("COMMIT");
      committed_[b.shard] = b.next_offset;
    } catch (...) {
      try {
        con_.execute("ROLLBACK");
      } catch (...) {
      }
      throw;
    }
  }

private:
  DuckConnection con_;
  std::map<uint32_t, uint64_t> committed_; // cache of stream_offsets
  LineScan& scan_; // registered once per database, shared by its connections
};

} // namespace

std::unique_ptr<SinkConsumer> make_warehouse_consumer(DataDir& dir) { return std::make_unique<WarehouseConsumer>(dir); }

} // namespace shopflow
