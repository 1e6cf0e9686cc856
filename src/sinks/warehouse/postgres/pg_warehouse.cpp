#include "sinks/warehouse/postgres/pg_warehouse.h"

#include "core/record.h"
#include "sinks/line_schema.h"

namespace shopflow {

namespace {

// The line tables' columns as PostgreSQL names their types (line_schema.h's are DuckDB's).
std::string pg_line_columns() {
  std::string out;
  for (const LineFieldSpec& f : kLineFields) {
    if (!out.empty()) out += ",\n  ";
    out += f.name;
    switch (f.kind) {
    case LineFieldSpec::Kind::Text: out += " VARCHAR"; break;
    case LineFieldSpec::Kind::Int32: out += " INTEGER"; break;
    case LineFieldSpec::Kind::Timestamp: out += " TIMESTAMP"; break;
    case LineFieldSpec::Kind::Decimal: out += " DECIMAL(" + std::to_string(f.width) + "," + std::to_string(f.scale) + ")"; break;
    }
    if (!f.nullable) out += " NOT NULL";
  }
  return out;
}

constexpr size_t kCopyPieceBytes = 1 << 20; // sent to the server in pieces of about this size

} // namespace

std::string pg_warehouse_schema() {
  return "CREATE TABLE IF NOT EXISTS transactions (\n  " + pg_line_columns() + "\n);" + R"SQL(
CREATE TABLE IF NOT EXISTS cancellations (LIKE transactions);
CREATE TABLE IF NOT EXISTS rejected (
  source      VARCHAR NOT NULL,
  raw         VARCHAR NOT NULL,
  reason      VARCHAR NOT NULL,
  detail      VARCHAR NOT NULL,
  received_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS imports (
  job            INTEGER PRIMARY KEY,
  file           VARCHAR NOT NULL,
  sha256         VARCHAR NOT NULL,
  format         VARCHAR NOT NULL,
  bytes          BIGINT NOT NULL,
  rows_read      BIGINT NOT NULL,
  transactions   BIGINT NOT NULL,
  cancellations  BIGINT NOT NULL,
  rejected       BIGINT NOT NULL,
  rejected_malformed             BIGINT NOT NULL,
  rejected_bad_debt              BIGINT NOT NULL,
  rejected_non_positive_quantity BIGINT NOT NULL,
  rejected_non_positive_price    BIGINT NOT NULL,
  started_at     TIMESTAMP NOT NULL,
  finished_at    TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS stream_offsets (
  sink        VARCHAR NOT NULL,
  shard       INTEGER NOT NULL,
  next_offset BIGINT NOT NULL,
  PRIMARY KEY (sink, shard)
);
CREATE OR REPLACE VIEW invoices AS
  SELECT invoice_no, false AS cancelled, min(customer_id) AS customer_id, min(country) AS country,
         min(invoice_date) AS invoice_date, count(*) AS lines, sum(quantity) AS quantity, sum(amount) AS amount
  FROM transactions GROUP BY invoice_no
  UNION ALL
  SELECT invoice_no, true, min(customer_id), min(country), min(invoice_date), count(*),
         sum(quantity), sum(amount)
  FROM cancellations GROUP BY invoice_no;
CREATE OR REPLACE VIEW customers AS
  SELECT customer_id, min(country) AS country, count(DISTINCT invoice_no) AS invoices,
         min(invoice_date) AS first_purchase, max(invoice_date) AS last_purchase, count(*) AS lines,
         sum(amount) AS revenue
  FROM transactions WHERE customer_id <> 'Unknown' GROUP BY customer_id;
CREATE OR REPLACE VIEW daily_sales AS
  SELECT CAST(invoice_date AS DATE) AS day, count(DISTINCT invoice_no) AS invoices, count(*) AS lines,
         sum(quantity) AS quantity, sum(amount) AS revenue
  FROM transactions GROUP BY 1;
CREATE OR REPLACE VIEW product_sales AS
  SELECT stock_code, min(description) AS description, count(DISTINCT invoice_no) AS invoices,
         sum(quantity) AS quantity, sum(amount) AS revenue
  FROM transactions WHERE line_type = 'product' GROUP BY stock_code;
)SQL";
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
  con_->copy_begin(std::string("COPY ") + table + " FROM STDIN (FORMAT binary)");
  PgCopyEncoder e;
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
      if (e.data().size() >= kCopyPieceBytes) {
        con_->copy_put(e.data());
        e.clear_data();
      }
    }
  }
  e.finish();
  con_->copy_put(e.data());
  con_->copy_end();
}

void PgWarehouse::copy_rejected(const std::vector<CleanedBatch>& batches) {
  con_->copy_begin("COPY rejected FROM STDIN (FORMAT binary)");
  PgCopyEncoder e;
  for (const CleanedBatch& b : batches)
    for (const RejectedRow& r : b.rejected) {
      e.row(5);
      e.text(r.source);
      e.text(r.raw);
      e.text(r.reason);
      e.text(r.detail);
      e.timestamp_us(r.received_at_us);
      if (e.data().size() >= kCopyPieceBytes) {
        con_->copy_put(e.data());
        e.clear_data();
      }
    }
  e.finish();
  con_->copy_put(e.data());
  con_->copy_end();
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
  offsets += " ON CONFLICT (sink, shard) DO UPDATE SET next_offset = EXCLUDED.next_offset";
  try {
    con_->execute("BEGIN");
    if (!transactions.empty()) copy_lines("transactions", transactions);
    if (!cancellations.empty()) copy_lines("cancellations", cancellations);
    if (any_rejected) copy_rejected(batches);
    con_->execute(offsets);
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
