// The warehouse's tables and views that every engine shares (DuckDB's file, PostgreSQL): one
// definition in the SQL both take, after each engine has made transactions and cancellations
// (the line tables, sinks/line_schema.h). Idempotent. Views use min() where one value of a group
// is wanted, so that both engines give the same answers.
#pragma once

#include <string>

namespace shopflow {

inline std::string shared_warehouse_schema() {
  return R"SQL(
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

} // namespace shopflow
