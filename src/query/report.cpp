#include "query/report.h"

#include "query/query_engine.h"

namespace shopflow {

std::string analytics_report(DuckConnection& con) {
  std::string out;
  auto section = [&](const char* title, const std::string& sql) {
    out += std::string("\n== ") + title + " ==\n";
    DuckResult r = con.query(sql);
    out += render(r, OutputFormat::Table);
  };
  section("Revenue by country (top 10)",
          "SELECT country, count(DISTINCT invoice_no) AS invoices, sum(amount) AS revenue FROM transactions "
          "GROUP BY country ORDER BY revenue DESC, country LIMIT 10");
  section("Revenue by month",
          "SELECT strftime(invoice_date, '%Y-%m') AS month, count(DISTINCT invoice_no) AS invoices, sum(amount) AS revenue "
          "FROM transactions GROUP BY ALL ORDER BY month");
  section("Top products (product lines only)",
          "SELECT stock_code, any_value(description) AS description, sum(quantity) AS quantity, sum(amount) AS revenue "
          "FROM transactions WHERE line_type = 'product' GROUP BY stock_code ORDER BY revenue DESC, stock_code LIMIT 10");
  section("Cancellation rate",
          "SELECT (SELECT count(*) FROM cancellations) AS cancelled_lines, "
          "(SELECT count(*) FROM transactions) + (SELECT count(*) FROM cancellations) AS all_lines, "
          "round(100.0 * (SELECT count(*) FROM cancellations) / nullif((SELECT count(*) FROM transactions) + "
          "(SELECT count(*) FROM cancellations), 0), 2) AS line_rate_pct, "
          "(SELECT -coalesce(sum(amount), 0) FROM cancellations) AS cancelled_amount, "
          "round(100.0 * (SELECT -coalesce(sum(amount), 0) FROM cancellations) / nullif((SELECT sum(amount) FROM "
          "transactions), 0), 2) AS amount_rate_pct");
  return out;
}

} // namespace shopflow
