#include "sinks/warehouse/warehouse.h"

namespace shopflow {

const char* const kWarehouseSchema = R"SQL(
CREATE TABLE IF NOT EXISTS transactions (
  invoice_no   VARCHAR NOT NULL,
  stock_code   VARCHAR NOT NULL,
  description  VARCHAR,
  quantity     INTEGER NOT NULL,
  invoice_date TIMESTAMP NOT NULL,
  unit_price   DECIMAL(12,3) NOT NULL,
  customer_id  VARCHAR NOT NULL,
  country      VARCHAR NOT NULL,
  line_type    VARCHAR NOT NULL,
  amount       DECIMAL(18,3) NOT NULL,
  source       VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS cancellations AS SELECT * FROM transactions LIMIT 0;
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
CREATE OR REPLACE VIEW invoices AS
  SELECT invoice_no, false AS cancelled, any_value(customer_id) AS customer_id, any_value(country) AS country,
         min(invoice_date) AS invoice_date, count(*) AS lines, sum(quantity) AS quantity, sum(amount) AS amount
  FROM transactions GROUP BY invoice_no
  UNION ALL
  SELECT invoice_no, true, any_value(customer_id), any_value(country), min(invoice_date), count(*),
         sum(quantity), sum(amount)
  FROM cancellations GROUP BY invoice_no;
CREATE OR REPLACE VIEW customers AS
  SELECT customer_id, any_value(country) AS country, count(DISTINCT invoice_no) AS invoices,
         min(invoice_date) AS first_purchase, max(invoice_date) AS last_purchase, count(*) AS lines,
         sum(amount) AS revenue
  FROM transactions WHERE customer_id <> 'Unknown' GROUP BY customer_id;
CREATE OR REPLACE VIEW daily_sales AS
  SELECT CAST(invoice_date AS DATE) AS day, count(DISTINCT invoice_no) AS invoices, count(*) AS lines,
         sum(quantity) AS quantity, sum(amount) AS revenue
  FROM transactions GROUP BY ALL;
CREATE OR REPLACE VIEW product_sales AS
  SELECT stock_code, any_value(description) AS description, count(DISTINCT invoice_no) AS invoices,
         sum(quantity) AS quantity, sum(amount) AS revenue
  FROM transactions WHERE line_type = 'product' GROUP BY stock_code;
)SQL";

// Column order of transactions/cancellations (must match kWarehouseSchema).
enum LineColumn { kInvoiceNo, kStockCode, kDescription, kQuantity, kInvoiceDate, kUnitPrice, kCustomerId, kCountry,
                  kLineType, kAmount, kSource };

Warehouse::Warehouse(const std::string& path, const std::string& memory_limit) {
  db_ = std::make_unique<DuckDatabase>(path, std::vector<std::pair<std::string, std::string>>{{"memory_limit", memory_limit}});
  con_ = std::make_unique<DuckConnection>(*db_);
  con_->execute(kWarehouseSchema);
  // Partitioned Parquet writes and bulk appends need far less memory when row order within a
  // file is free (nothing here depends on it; queries order explicitly).
  con_->execute("SET preserve_insertion_order = false");
}

WarehouseWriter::WarehouseWriter(DuckConnection& con)
    : transactions_(con, "transactions"), cancellations_(con, "cancellations"), rejected_(con, "rejected") {}

void WarehouseWriter::add_line(DuckAppender& app, const CleanLine& l, std::string_view source) {
  app.set_varchar(kInvoiceNo, l.invoice_no);
  app.set_varchar(kStockCode, l.stock_code);
  if (l.has_description) app.set_varchar(kDescription, l.description);
  else app.set_null(kDescription);
  app.set<int32_t>(kQuantity, l.quantity);
  app.set<int64_t>(kInvoiceDate, l.invoice_date_us);
  app.set<int64_t>(kUnitPrice, l.unit_price_milli);
  app.set_varchar(kCustomerId, l.customer_id);
  app.set_varchar(kCountry, l.country);
  app.set_varchar(kLineType, line_type_name(l.line_type));
  app.set<int64_t>(kAmount, l.amount_milli);
  app.set_varchar(kSource, source);
  app.end_row();
}

void WarehouseWriter::add(const CleanResult& r, std::string_view source, std::string_view raw, int64_t received_at_us) {
  switch (r.destination) {
  case Destination::Transactions: add_line(transactions_, r.line, source); break;
  case Destination::Cancellations: add_line(cancellations_, r.line, source); break;
  case Destination::Rejected:
    rejected_.set_varchar(0, source);
    rejected_.set_varchar(1, raw);
    rejected_.set_varchar(2, reason_name(r.reason));
    rejected_.set_varchar(3, r.detail);
    rejected_.set<int64_t>(4, received_at_us);
    rejected_.end_row();
    break;
  }
}

void WarehouseWriter::flush() {
  transactions_.flush();
  cancellations_.flush();
  rejected_.flush();
}

} // namespace shopflow
