#include "sinks/warehouse/postgres/pg_warehouse.h"

#include <fstream>

#include "core/record.h"
#include "sinks/line_schema.h"
#include "sinks/warehouse_schema.h"

namespace shopflow {


std::string pg_warehouse_schema() {
  // line_schema.h's types (VARCHAR, INTEGER, TIMESTAMP, DECIMAL(w,s)) are PostgreSQL's too.
  return "CREATE TABLE IF NOT EXISTS transactions (\n  " + line_columns_sql(SqlDialect::Standard) + "\n);" + R"SQL(
CREATE TABLE IF NOT EXISTS cancellations (LIKE transactions);
)SQL" + shared_warehouse_schema();
}

PgWarehouse::PgWarehouse(const std::string& conninfo, PgLoad load)
    : conninfo_(conninfo), load_(load), con_(std::make_unique<PgConnection>(conninfo)) {
  // Two processes creating the schema at once would race on the catalog: one at a time, by
  // PostgreSQL's advisory lock; Redshift has none (insert mode), so the loser of a race tries again.
  if (load_ == PgLoad::Copy) {
    con_->execute("BEGIN; SELECT pg_advisory_xact_lock(7244815203);" + pg_warehouse_schema() + "COMMIT;");
    return;
  }
  for (int attempt = 1;; ++attempt) {
    try {
      con_->execute("BEGIN;" + pg_warehouse_schema() + "COMMIT;");
      return;
    } catch (const PgError&) {
      if (attempt == 3 || !con_->ok()) throw;
      con_->execute("ROLLBACK");
    }
  }
}

std::map<uint32_t, uint64_t> PgWarehouse::stream_offsets(const std::string& sink) {
  if (!con_->ok()) con_ = std::make_unique<PgConnection>(conninfo_);
  PgResult r = con_->query("SELECT shard, next_offset FROM stream_offsets WHERE sink = $1", {sink});
  std::map<uint32_t, uint64_t> out;
  for (size_t i = 0; i < r.rows(); ++i) out[static_cast<uint32_t>(r.int64(i, 0))] = static_cast<uint64_t>(r.int64(i, 1));
  return out;
}

namespace {
// Writes the lines of `blocks` through `load` (a PgCopyIn or a PgInsertIn), in the tables' column order.
template <class Load> void load_lines(Load& load, const std::vector<const LineColumns*>& blocks) {
  auto& e = load.encoder();
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
      load.row_done();
    }
  }
  load.finish();
}

template <class Load> void load_rejected(Load& load, const std::vector<CleanedBatch>& batches) {
  auto& e = load.encoder();
  for (const CleanedBatch& b : batches)
    for (const RejectedRow& r : b.rejected) {
      e.row(5);
      e.text(r.source);
      e.text(r.raw);
      e.text(r.reason);
      e.text(r.detail);
      e.timestamp_us(r.received_at_us);
      load.row_done();
    }
  load.finish();
}
} // namespace

void PgWarehouse::load_lines_into(const char* table, const std::vector<const LineColumns*>& blocks) {
  if (load_ == PgLoad::Insert) {
    PgInsertIn insert(*con_, std::string("INSERT INTO ") + table);
    load_lines(insert, blocks);
  } else {
    PgCopyIn copy(*con_, std::string("COPY ") + table + " FROM STDIN (FORMAT binary)");
    load_lines(copy, blocks);
  }
}

void PgWarehouse::load_rejected_rows(const std::vector<CleanedBatch>& batches) {
  if (load_ == PgLoad::Insert) {
    PgInsertIn insert(*con_, "INSERT INTO rejected");
    load_rejected(insert, batches);
  } else {
    PgCopyIn copy(*con_, "COPY rejected FROM STDIN (FORMAT binary)");
    load_rejected(copy, batches);
  }
}

// The statements that store each shard's range's offset, only over what no one stored: a shard
// whose stored offset is past a range's first record was stored meanwhile by another writer (a
// worker that took the shard over), and this one must not add its rows again. Together they
// count one affected row per range exactly when every shard was free.
//   copy mode (PostgreSQL): one INSERT ... ON CONFLICT DO UPDATE ... WHERE, whose WHERE leaves out
//     the shards stored meanwhile (a concurrent writer's row is waited for and re-checked);
//   insert mode (Redshift: no ON CONFLICT, primary keys not enforced): an UPDATE of the free
//     shards and an INSERT of the missing ones, in a SERIALIZABLE transaction (Redshift's only
//     level), where two writers of one shard cannot both commit.
std::vector<std::string> PgWarehouse::offset_statements(const std::vector<ShardRange>& ranges) const {
  auto first_of = [&](const char* shard_column) {
    std::string c = std::string("CASE ") + shard_column;
    for (const ShardRange& b : ranges) c += " WHEN " + std::to_string(b.shard) + " THEN " + std::to_string(b.first_offset);
    return c + " END";
  };
  if (load_ == PgLoad::Copy) {
    std::string upsert = "INSERT INTO stream_offsets VALUES ";
    for (const ShardRange& b : ranges)
      upsert += (&b == &ranges.front() ? "('warehouse', " : ", ('warehouse', ") + std::to_string(b.shard) + ", " + std::to_string(b.next_offset) + ")";
    return {upsert + " ON CONFLICT (sink, shard) DO UPDATE SET next_offset = EXCLUDED.next_offset WHERE stream_offsets.next_offset <= " +
            first_of("stream_offsets.shard")};
  }
  std::string next = "CASE shard", shards, missing;
  for (const ShardRange& b : ranges) {
    next += " WHEN " + std::to_string(b.shard) + " THEN " + std::to_string(b.next_offset);
    shards += (shards.empty() ? "" : ", ") + std::to_string(b.shard);
    missing += std::string(missing.empty() ? "" : " UNION ALL ") + "SELECT 'warehouse', " + std::to_string(b.shard) + ", " +
               std::to_string(b.next_offset) + " WHERE NOT EXISTS (SELECT 1 FROM stream_offsets WHERE sink = 'warehouse' AND shard = " +
               std::to_string(b.shard) + ")";
  }
  return {"UPDATE stream_offsets SET next_offset = " + next + " END WHERE sink = 'warehouse' AND shard IN (" + shards +
              ") AND next_offset <= " + first_of("shard"),
          "INSERT INTO stream_offsets " + missing};
}

void PgWarehouse::store_stream_batches(const std::vector<CleanedBatch>& batches) {
  if (batches.empty()) return;
  if (!con_->ok()) con_ = std::make_unique<PgConnection>(conninfo_);
  std::vector<const LineColumns*> transactions, cancellations;
  bool any_rejected = false;
  for (const CleanedBatch& b : batches) {
    if (b.transactions->size()) transactions.push_back(b.transactions.get());
    if (b.cancellations->size()) cancellations.push_back(b.cancellations.get());
    any_rejected |= !b.rejected.empty();
  }
  try {
    con_->execute(load_ == PgLoad::Insert ? "BEGIN ISOLATION LEVEL SERIALIZABLE" : "BEGIN");
    if (!transactions.empty()) load_lines_into("transactions", transactions);
    if (!cancellations.empty()) load_lines_into("cancellations", cancellations);
    if (any_rejected) load_rejected_rows(batches);
    const std::vector<ShardRange> ranges = shard_ranges(batches);
    uint64_t stored = 0;
    for (const std::string& statement : offset_statements(ranges)) stored += con_->query(statement).affected();
    if (stored != ranges.size())
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

std::optional<int64_t> PgWarehouse::imported_job(const std::string& sha256) {
  if (!con_->ok()) con_ = std::make_unique<PgConnection>(conninfo_);
  PgResult r = con_->query("SELECT job FROM imports WHERE sha256 = $1", {sha256});
  if (!r.rows()) return std::nullopt;
  return r.int64(0, 0);
}

std::set<int64_t> PgWarehouse::imported_jobs() {
  if (!con_->ok()) con_ = std::make_unique<PgConnection>(conninfo_);
  PgResult r = con_->query("SELECT job FROM imports");
  std::set<int64_t> out;
  for (size_t i = 0; i < r.rows(); ++i) out.insert(r.int64(i, 0));
  return out;
}

int64_t PgWarehouse::begin_job() {
  if (!con_->ok()) con_ = std::make_unique<PgConnection>(conninfo_);
  // Jobs are numbered one at a time: a second importer waits here until the first commits, then
  // sees its number (and its content's imports row).
  con_->execute(load_ == PgLoad::Insert ? "BEGIN ISOLATION LEVEL SERIALIZABLE; LOCK TABLE imports"
                                        : "BEGIN; LOCK TABLE imports IN SHARE ROW EXCLUSIVE MODE");
  try {
    return con_->query("SELECT coalesce(max(job), 0) + 1 FROM imports").int64(0, 0);
  } catch (...) {
    abort_job();
    throw;
  }
}

void PgWarehouse::add_job_rejected(const std::vector<RejectedRow>& rows) {
  if (rows.empty()) return;
  CleanedBatch batch;
  batch.rejected = rows;
  load_rejected_rows({batch});
}

void PgWarehouse::commit_job(const ImportRow& row) {
  PgInsertIn insert(*con_, "INSERT INTO imports");
  PgTextRowEncoder& e = insert.encoder();
  e.row(static_cast<int16_t>(4 + row.counts.size() + 2));
  e.int64(row.job);
  e.text(row.file);
  e.text(row.sha256);
  e.text(row.format);
  for (int64_t n : row.counts) e.int64(n);
  e.timestamp_us(row.started_us);
  e.timestamp_us(row.finished_us);
  insert.finish();
  con_->execute("COMMIT");
}

void PgWarehouse::remove_job_rows(int64_t job, const std::string& from, const std::string& to) {
  for (const char* table : {"transactions", "cancellations", "rejected"})
    con_->query(std::string("DELETE FROM ") + table + " WHERE source >= $1 AND source < $2", {from, to});
  con_->query("DELETE FROM imports WHERE job = $1", {std::to_string(job)});
}

void PgWarehouse::abort_job() {
  try {
    if (con_->ok()) con_->execute("ROLLBACK");
  } catch (...) { // a lost connection rolled back by itself
  }
}

void PgWarehouse::export_job_lines(const std::string& from, const std::string& to, const std::filesystem::path& dir) {
  if (!con_->ok()) con_ = std::make_unique<PgConnection>(conninfo_);
  for (const char* table : {"transactions", "cancellations"}) {
    std::ofstream out(dir / (std::string(table) + ".csv"), std::ios::binary | std::ios::trunc);
    // Literals, not parameters: COPY takes none. The range's bounds are "batch:<job>:" texts.
    auto literal = [](const std::string& s) { return "'" + s + "'"; };
    con_->copy_out(std::string("COPY (SELECT * FROM ") + table + " WHERE source >= " + literal(from) + " AND source < " + literal(to) +
                       ") TO STDOUT (FORMAT csv, HEADER true)",
                   [&](std::string_view piece) { out.write(piece.data(), static_cast<std::streamsize>(piece.size())); });
    if (!out.flush()) throw std::runtime_error("cannot write " + (dir / (std::string(table) + ".csv")).string());
  }
}

} // namespace shopflow
