#include <algorithm>
#include <map>

#include "pipeline/buffered_consumer.h"
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
    for (const CleanedBatch& b : batches) {
      if (b.transactions->size()) transactions.push_back(b.transactions);
      if (b.cancellations->size()) cancellations.push_back(b.cancellations);
    }
    const std::vector<ShardRange> ranges = shard_ranges(batches);
    std::string offsets = "INSERT OR REPLACE INTO stream_offsets VALUES ";
    for (const ShardRange& r : ranges) {
      if (&r != &ranges.front()) offsets += ", ";
      offsets += "('warehouse', " + std::to_string(r.shard) + ", " + std::to_string(r.next_offset) + ")";
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
      for (const ShardRange& r : ranges) committed_[r.shard] = r.next_offset;
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
    for (const ShardRange& r : shard_ranges(batches)) committed_[r.shard] = r.next_offset;
  }
  void discard_uncommitted() override { known_ = false; }

private:
  PgWarehouse warehouse_;
  std::map<uint32_t, uint64_t> committed_;
  bool known_ = false;
};

} // namespace

std::unique_ptr<SinkConsumer> make_warehouse_consumer(DataDir& dir) {
  // A write's cost falls steeply with its size: a DuckDB commit costs about a millisecond, and an
  // INSERT of a whole row group (122,880 rows) is written compressed at once instead of through
  // the WAL and a later checkpoint (measured: 1.5 instead of 3.0 us a line). So passes gather
  // until two row groups' lines wait, or for at most a second (how late SQL may see a record):
  // from about 125,000 records/s on, every transaction fills a row group.
  constexpr SinkBuffering buffering{.max_lines = 2 * 122'880, .max_age_ms = 1000};
  if (const BackendLocation& at = dir.backends().warehouse; at.postgres())
    return make_buffered_consumer(std::make_unique<PgWarehouseConsumer>(at.postgres_conninfo, at.postgres_insert ? PgLoad::Insert : PgLoad::Copy),
                                  buffering);
  return make_buffered_consumer(std::make_unique<WarehouseConsumer>(dir), buffering);
}

} // namespace shopflow
