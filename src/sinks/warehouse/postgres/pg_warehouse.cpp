#include "sinks/warehouse/postgres/pg_warehouse.h"

#include "core/record.h"
#include "sinks/line_schema.h"
#include "sinks/warehouse_schema.h"

namespace shopflow {


std::string pg_warehouse_schema() {
  // line_schema.h's types (VARCHAR, INTEGER, TIMESTAMP, DECIMAL(w,s)) are PostgreSQL's too.
  return "CREATE TABLE IF NOT EXISTS transactions (\n  " + line_columns_sql() + "\n);" + R"SQL(
CREATE TABLE IF NOT EXISTS cancellations (LIKE transactions);
)SQL" + shared_warehouse_schema();
}

PgWarehouse::PgWarehouse(const std::string& conninfo) : conninfo_(conninfo), con_(std::make_unique<PgConnection>(conninfo)) {
  // Two processes creating the schema at once would race on the catalog: one at a time.
  con_->execute("BEGIN; SELECT pg_advisory_xact_lock(7244815203);" + pg_warehouse_schema() + "COMMIT;");
}

std::map<uint32_t, uint64_t> PgWarehouse::stream_offsets(const std::string& sink) {
  if (!con_->ok()) con_ = std::make_unique<PgConnection>(conninfo_);
  PgResult r = con_->query("SELECT shard, next_offset FROM stream_offsets WHERE sink = $1", {sink});
  std::map<uint32_t, uint64_t> out;
  for (size_t i = 0; i < r.rows(); ++i) out[static_cast<uint32_t>(r.int64(i, 0))] = static_cast<uint64_t>(r.int64(i, 1));
  return out;
}

void PgWarehouse::copy_lines(const char* table, const std::vector<const LineColumns*>& blocks) {
  PgCopyIn copy(*con_, std::string("COPY ") + table + " FROM STDIN (FORMAT binary)");
  PgCopyEncoder& e = copy.encoder();
  char source[48];
  for (const LineColumns* c : blocks) {
    for (size_t r = 0; r < c->size(); ++r) {
      e.row(static_cast<int16_t>(kLineFieldCount));
      e.text(c->invoice_no[r]);
      e.text(c->stock_code[r]);
      if (c->has_description[r]) e.text(c->description[r]);
      else e.null();
      e.int32(c->quantity[r]);
      e.timestamp_us(c->invoice_date_us[r]);
      e.numeric(c->unit_price_milli[r], 3);
      e.text(c->customer_id[r]);
      e.text(c->country[r]);
      e.text(line_type_name(c->line_type[r]));
      e.numeric(c->amount_milli[r], 3);
      e.text(c->source(r, source));
      copy.row_done();
    }
  }
  copy.finish();
}

void PgWarehouse::copy_rejected(const std::vector<CleanedBatch>& batches) {
  PgCopyIn copy(*con_, "COPY rejected FROM STDIN (FORMAT binary)");
  PgCopyEncoder& e = copy.encoder();
  for (const CleanedBatch& b : batches)
    for (const RejectedRow& r : b.rejected) {
      e.row(5);
      e.text(r.source);
      e.text(r.raw);
      e.text(r.reason);
      e.text(r.detail);
      e.timestamp_us(r.received_at_us);
      copy.row_done();
    }
  copy.finish();
}

void PgWarehouse::store_stream_batches(const std::vector<CleanedBatch>& batches) {
  if (batches.empty()) return;
  if (!con_->ok()) con_ = std::make_unique<PgConnection>(conninfo_);
  std::vector<const LineColumns*> transactions, cancellations;
  bool any_rejected = false;
  std::string offsets = "INSERT INTO stream_offsets VALUES ";
  for (const CleanedBatch& b : batches) {
    if (b.transactions->size()) transactions.push_back(b.transactions.get());
    if (b.cancellations->size()) cancellations.push_back(b.cancellations.get());
    any_rejected |= !b.rejected.empty();
    if (&b != &batches.front()) offsets += ", ";
    offsets += "('warehouse', " + std::to_string(b.shard) + ", " + std::to_string(b.next_offset) + ")";
  }
  // Only over what no one stored: a shard whose stored offset is past a batch's first record was
  // stored meanwhile by another writer (a worker that took the shard over), and this one
  // must not add its rows again. Rows the WHERE leaves out are not counted.
  offsets += " ON CONFLICT (sink, shard) DO UPDATE SET next_offset = EXCLUDED.next_offset WHERE stream_offsets.next_offset <= "
             "CASE stream_offsets.shard";
  for (const CleanedBatch& b : batches) offsets += " WHEN " + std::to_string(b.shard) + " THEN " + std::to_string(b.first_offset);
  offsets += " END";
  try {
    con_->execute("BEGIN");
    if (!transactions.empty()) copy_lines("transactions", transactions);
    if (!cancellations.empty()) copy_lines("cancellations", cancellations);
    if (any_rejected) copy_rejected(batches);
    if (con_->query(offsets).affected() != batches.size())
      throw StreamOffsetConflict("the warehouse's stream offsets moved past this pass (another writer stored these shards): "
                                 "nothing of it is stored; reading on from the stored offsets");
    con_->execute("COMMIT");
  } catch (...) {
    // A lost connection rolls back by itself; a live one is told to.
    try {
      if (con_->ok()) con_->execute("ROLLBACK");
    } catch (...) {
    }
    throw;
  }
}

} // namespace shopflow
