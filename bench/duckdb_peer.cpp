// The DuckDB peer of bench/batch_vs_peers: CSV -> clean (the seed's rules) -> Hive-partitioned
// zstd Parquet, with nothing else (no warehouse, no tables). Uses the same libduckdb as shopflow.
//   duckdb_peer FILE.csv OUT_DIR [--warehouse]
// With --warehouse it also stores the cleaned rows in a DuckDB database file (OUT_DIR/w.duckdb),
// i.e. DuckDB doing two of shopflow's three sinks.
#include <chrono>
#include <cstdio>
#include <string>

#include "db/duckdb.h"

int main(int argc, char** argv) {
  bool warehouse = argc == 4 && std::string(argv[3]) == "--warehouse";
  if (argc != 3 && !warehouse) {
    std::fprintf(stderr, "usage: duckdb_peer FILE.csv OUT_DIR [--warehouse]\n");
    return 2;
  }
  using namespace shopflow;
  auto start = std::chrono::steady_clock::now();
  DuckDatabase db(warehouse ? std::string(argv[2]) + "/w.duckdb" : std::string(":memory:"));
  DuckConnection con(db);
  std::string src = sql_literal(argv[1]);
  std::string clean =
      "SELECT trim(InvoiceNo) AS invoice_no, trim(StockCode) AS stock_code, trim(Description) AS description, "
      "CAST(Quantity AS INTEGER) AS quantity, CAST(InvoiceDate AS TIMESTAMP) AS invoice_date, "
      "CAST(UnitPrice AS DECIMAL(12,3)) AS unit_price, "
      "coalesce(regexp_replace(CAST(CustomerID AS VARCHAR), '\\.0$', ''), 'Unknown') AS customer_id, trim(Country) AS country, "
      "CAST(Quantity AS INTEGER) * CAST(UnitPrice AS DECIMAL(12,3)) AS amount "
      "FROM read_csv(" + src + ", header = true, all_varchar = true)";
  std::string out = argv[2];
  // Read and clean the CSV once (DuckDB's parallel reader), then write both tables.
  con.execute("CREATE TEMP TABLE cleaned AS " + clean);
  for (auto [table, where] : {std::pair{"transactions", "invoice_no NOT ILIKE 'C%' AND invoice_no NOT ILIKE 'A%' AND quantity > 0 AND unit_price > 0"},
                              std::pair{"cancellations", "invoice_no ILIKE 'C%'"}}) {
    con.execute("COPY (SELECT *, CAST(year(invoice_date) AS VARCHAR) AS year, lpad(CAST(month(invoice_date) AS VARCHAR), 2, '0') AS month "
                "FROM cleaned WHERE " + std::string(where) + ") TO " + sql_literal(out + "/" + table) +
                " (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (year, month), OVERWRITE_OR_IGNORE true)");
  }
  if (warehouse) {
    con.execute("CREATE TABLE transactions AS SELECT * FROM cleaned WHERE invoice_no NOT ILIKE 'C%' AND "
                "invoice_no NOT ILIKE 'A%' AND quantity > 0 AND unit_price > 0");
    con.execute("CREATE TABLE cancellations AS SELECT * FROM cleaned WHERE invoice_no ILIKE 'C%'");
    con.execute("CHECKPOINT");
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%.3f\n", secs);
  return 0;
}
