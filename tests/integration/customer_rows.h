// Every Customer-table row of a data dir as "customer/invoice lines quantity amount_milli country
// first_date_us", sorted: as the warehouse's lines add up, and as the tables hold them. Equal
// lists mean the tables' summaries are exact, however the lines arrived (stream, jobs, forced
// re-imports).
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "storage/data_dir.h"

namespace shopflow::test {

inline std::vector<std::string> customer_rows_in_warehouse(DuckConnection& con) {
  DuckResult r = con.query("SELECT customer_id || '/' || invoice_no || ' ' || count(*) || ' ' || sum(quantity) || ' ' || "
                           "(sum(amount) * 1000)::BIGINT || ' ' || min(country) || ' ' || epoch_us(min(invoice_date)) "
                           "FROM (SELECT * FROM transactions UNION ALL SELECT * FROM cancellations) GROUP BY customer_id, invoice_no");
  std::vector<std::string> rows;
  for (size_t i = 0; i < r.row_count(); ++i) rows.push_back(r.text(0, i));
  std::sort(rows.begin(), rows.end());
  return rows;
}

inline std::vector<std::string> customer_rows_in_tables(DataDir& dir) {
  DuckResult customers = dir.warehouse().connection().query(
      "SELECT DISTINCT customer_id FROM (SELECT customer_id FROM transactions UNION ALL SELECT customer_id FROM cancellations)");
  std::vector<std::string> rows;
  for (size_t c = 0; c < customers.row_count(); ++c)
    for (const InvoiceSummary& s : dir.tables().customer_invoices(customers.text(0, c)))
      rows.push_back(fmt::format("{}/{} {} {} {} {} {}", s.customer_id, s.invoice_no, s.lines, s.quantity, static_cast<int64_t>(s.amount_milli),
                                 s.country, s.invoice_date_us));
  std::sort(rows.begin(), rows.end());
  return rows;
}

// Expects (gtest) the two lists equal, and the warehouse's to hold more than `more_than` rows.
inline void expect_customer_rows_agree(DataDir& dir, size_t more_than, const std::string& when) {
  std::vector<std::string> expected = customer_rows_in_warehouse(dir.warehouse().connection());
  EXPECT_GT(expected.size(), more_than) << when;
  EXPECT_EQ(customer_rows_in_tables(dir), expected) << when;
}

} // namespace shopflow::test
