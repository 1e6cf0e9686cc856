#include <algorithm>
#include <map>

#include "pipeline/sink_consumer.h"
#include "sinks/warehouse/line_scan.h"
#include "sinks/warehouse/postgres/pg_warehouse.h"

namespace shopflow {

namespace {

class WarehouseConsumer final : public SinkConsumer {
public:
  explicit WarehouseConsumer(DataDir& dir)
      : warehouse_(dir.warehouse()), con_(dir.warehouse().database()), scan_(dir.warehouse().line_scan()) {}
  const char* name() const override { return "warehouse"; }
  // A DuckDB commit costs about a millisecond whatever its size; SQL may see a record 100 ms late.
  int linger_ms() const override { return 100; }

  uint64_t committed_offset(uint32_t shard) override {
    auto it = committed_.find(shard);
    if (it != committed_.end()) return it->second;
    DuckResult r = con_.query("SELECT next_offset FROM stream_offsets WHERE sink = 'warehouse' AND shard = " +
                              std::to_string(shard));
    return committed_[shard] = r.row_count() ? static_cast<uint64_t>(r.int64(0, 0)) : 0;
  }

  void apply(const std::vector<CleanedBatch>& batches) override {
    if (batches.empty()) return;
    LineScan::Blocks transactions, cancellations;
    std::string offsets = "INSERT OR REPLACE INTO stream_offsets VALUES ";
    for (const CleanedBatch& b : batches) {
      if (b.transactions->size()) transactions.push_back(b.transactions);
      if (b.cancellations->size()) cancellations.push_back(b.cancellations);
      if (&b != &batches.front()) offsets += ", ";
      offsets += "('warehouse', " + std::to_string(b.shard) + ", " + std::to_string(b.next_offset) + ")";
    }
    warehouse_.begin_write(con_);
    try {
      for (auto& [table, blocks] : {std::pair{"transactions", &transactions}, std::pair{"cancellations", &cancellations}}) {
        if (blocks->empty()) continue;
        auto exposed = scan_.expose(*blocks);
        con_.execute(std::string("INSERT INTO ") + table + " " + exposed.select());
      }
      if (std::any_of(batches.begin(), batches.end(), [](auto& b) { return !b.rejected.empty(); })) {
        RejectedWriter writer(con_);
        for (const CleanedBatch& b : batches)
          for (auto& r : b.rejected) writer.add(r.source, r.raw, r.reason, r.detail, r.received_at_us);
        writer.flush();
      }
      con_.execute(offsets);
      warehouse_.commit(con_);
      for (const CleanedBatch& b : batches) committed_[b.shard] = b.next_offset;
    } catch (...) {
      try {
        con_.execute("ROLLBACK");
      } catch (...) {
      }
      throw;
    }
  }

private:
  Warehouse& warehouse_;
  DuckConnection con_;
  std::map<uint32_t, uint64_t> committed_; // cache of stream_offsets
  LineScan& scan_; // registered once per database, shared by its connections
};

// The warehouse on PostgreSQL: each pass in one transaction (binary COPY) with its offsets. The
// offsets are read from the database again after a failure: a commit whose answer was lost may
// have landed.
class PgWarehouseConsumer final : public SinkConsumer {
public:
  PgWarehouseConsumer(const std::string& conninfo, PgLoad load) : warehouse_(conninfo, load) {}
  const char* name() const override { return "warehouse"; }
  int linger_ms() const override { return 100; }
  uint64_t committed_offset(uint32_t shard) override {
    if (!known_) {
      committed_ = warehouse_.stream_offsets("warehouse");
      known_ = true;
    }
    auto it = committed_.find(shard);
    return it == committed_.end() ? 0 : it->second;
  }
  void apply(const std::vector<CleanedBatch>& batches) override {
    warehouse_.store_stream_batches(batches);
    for (const CleanedBatch& b : batches) committed_[b.shard] = b.next_offset;
  }
  void discard_uncommitted() override { known_ = false; }

private:
  PgWarehouse warehouse_;
  std::map<uint32_t, uint64_t> committed_;
  bool known_ = false;
};

} // namespace

std::unique_ptr<SinkConsumer> make_warehouse_consumer(DataDir& dir) {
  if (const BackendLocation& at = dir.backends().warehouse; at.postgres()) return std::make_unique<PgWarehouseConsumer>(at.postgres_conninfo, at.postgres_insert ? PgLoad::Insert : PgLoad::Copy);
  return std::make_unique<WarehouseConsumer>(dir);
}

} // namespace shopflow
