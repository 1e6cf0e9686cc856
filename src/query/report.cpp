#include "query/report.h"

#include "query/query_engine.h"

namespace shopflow {

const std::vector<AnalyticsQuery>& analytics_queries() {
  static const std::vector<AnalyticsQuery> queries = {
      {"revenue_by_country", "Revenue by country (top 10)",
       "SELECT country, count(DISTINCT invoice_no) AS invoices, sum(amount) AS revenue FROM transactions "
       "GROUP BY country ORDER BY revenue DESC, country LIMIT 10"},
      {"revenue_by_month", "Revenue by month",
       "SELECT strftime(m, '%Y-%m') AS month, count(DISTINCT invoice_no) AS invoices, sum(amount) AS revenue "
       "FROM (SELECT date_trunc('month', invoice_date) AS m, invoice_no, amount FROM transactions) GROUP BY m ORDER BY m"},
      {"top_products", "Top products (product lines only)",
       "SELECT stock_code, any_value(description) AS description, sum(quantity) AS quantity, sum(amount) AS revenue "
       "FROM transactions WHERE line_type = 'product' GROUP BY stock_code ORDER BY revenue DESC, stock_code LIMIT 10"},
      {"new_vs_returning", "New vs returning customers",
       "WITH months AS (SELECT customer_id, date_trunc('month', invoice_date) AS m FROM transactions "
       "WHERE customer_id <> 'Unknown' GROUP BY ALL) "
       "SELECT strftime(m, '%Y-%m') AS month, count(*) FILTER (WHERE m = first_m) AS new_customers, "
       "count(*) FILTER (WHERE m > first_m) AS returning_customers "
       "FROM (SELECT m, min(m) OVER (PARTITION BY customer_id) AS first_m FROM months) GROUP BY ALL ORDER BY month"},
      {"cancellation_rate", "Cancellation rate",
       "SELECT (SELECT count(*) FROM cancellations) AS cancelled_lines, "
       "(SELECT count(*) FROM transactions) + (SELECT count(*) FROM cancellations) AS all_lines, "
       "round(100.0 * (SELECT count(*) FROM cancellations) / nullif((SELECT count(*) FROM transactions) + "
       "(SELECT count(*) FROM cancellations), 0), 2) AS line_rate_pct, "
       "(SELECT -coalesce(sum(amount), 0) FROM cancellations) AS cancelled_amount, "
       "round(100.0 * (SELECT -coalesce(sum(amount), 0) FROM cancellations) / nullif((SELECT sum(amount) FROM "
       "transactions), 0), 2) AS amount_rate_pct"},
  };
  return queries;
}

std::string analytics_report(DuckConnection& con) {
  std::string out;
  for (const AnalyticsQuery& q : analytics_queries()) {
    out += std::string("\n== ") + q.title + " ==\n";
    DuckResult r = con.query(q.sql);
    out += render(r, OutputFormat::Table);
  }
  return out;
}

} // namespace shopflow
