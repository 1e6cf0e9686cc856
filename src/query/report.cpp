#include "query/report.h"

#include "query/query_engine.h"

namespace shopflow {

namespace {
// The queries are in the SQL that DuckDB, PostgreSQL and Amazon Redshift all take, and give the
// same answers on each (ties broken by value; no FILTER, array_agg, any_value or DISTINCT ON;
// window frames spelled out, as Redshift asks).
// The filter on a table with invoice_date and country (transactions, cancellations).
const std::string kFilter = "($1::DATE IS NULL OR invoice_date >= $1::DATE) AND ($2::DATE IS NULL OR invoice_date < $2::DATE + 1) "
                            "AND ($3::VARCHAR IS NULL OR country = $3::VARCHAR)";
// A month's start as YYYY-MM (both engines print a timestamp as YYYY-MM-DD HH:MM:SS).
const std::string kMonth = "substr(CAST(m AS VARCHAR), 1, 7)";
// No money at all, at money's scale (a bare 0 prints as 0 on PostgreSQL, as 0.000 on DuckDB).
const std::string kZero = "CAST(0 AS DECIMAL(18, 3))";
} // namespace

const std::vector<AnalyticsQuery>& analytics_queries() {
  static const std::vector<AnalyticsQuery> queries = {
      {"kpis", "Headline figures",
       "SELECT coalesce(sum(amount), " + kZero + ") AS revenue, count(DISTINCT invoice_no) AS orders, "
       "CAST(coalesce(sum(amount), " + kZero + ") / nullif(count(DISTINCT invoice_no), 0) AS DECIMAL(18, 2)) AS average_order_value, "
       "count(DISTINCT CASE WHEN customer_id <> 'Unknown' THEN customer_id END) AS customers, count(*) AS lines "
       "FROM transactions WHERE " + kFilter,
       true, true},
      {"revenue_by_country", "Revenue by country (top 10)",
       "SELECT country, count(DISTINCT invoice_no) AS invoices, sum(amount) AS revenue FROM transactions WHERE " + kFilter +
           " GROUP BY country ORDER BY revenue DESC, country LIMIT 10",
       true, true},
      {"revenue_by_month", "Revenue by month",
       "SELECT " + kMonth + " AS month, count(DISTINCT invoice_no) AS invoices, sum(amount) AS revenue "
       "FROM (SELECT date_trunc('month', invoice_date) AS m, invoice_no, amount FROM transactions WHERE " + kFilter +
           ") AS lines GROUP BY m ORDER BY m",
       true, true},
      {"top_products", "Top products (product lines only)",
       "SELECT stock_code, min(description) AS description, sum(quantity) AS quantity, sum(amount) AS revenue "
       "FROM transactions WHERE line_type = 'product' AND " + kFilter +
           " GROUP BY stock_code ORDER BY revenue DESC, stock_code LIMIT 10",
       true, true},
      {"top_customers", "Top customers",
       "SELECT customer_id, min(last_country) AS country, count(DISTINCT invoice_no) AS orders, sum(amount) AS revenue "
       "FROM (SELECT customer_id, invoice_no, amount, first_value(country) OVER (PARTITION BY customer_id "
       "ORDER BY invoice_date DESC, country ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS last_country "
       "FROM transactions WHERE customer_id <> 'Unknown' AND " + kFilter + ") AS lines"
           " GROUP BY customer_id ORDER BY revenue DESC, customer_id LIMIT 10",
       true, true},
      // A customer is new in the month of their first order of all (not of the filtered range).
      {"new_vs_returning", "New vs returning customers",
       "WITH firsts AS (SELECT customer_id, min(date_trunc('month', invoice_date)) AS first_m FROM transactions "
       "WHERE customer_id <> 'Unknown' GROUP BY customer_id), "
       "months AS (SELECT DISTINCT customer_id, date_trunc('month', invoice_date) AS m FROM transactions "
       "WHERE customer_id <> 'Unknown' AND " + kFilter + ") "
       "SELECT " + kMonth + " AS month, count(CASE WHEN m = first_m THEN 1 END) AS new_customers, "
       "count(CASE WHEN m > first_m THEN 1 END) AS returning_customers FROM months JOIN firsts USING (customer_id) "
       "GROUP BY m ORDER BY month",
       true, true},
      {"cancellation_rate", "Cancellation rate",
       "WITH t AS (SELECT count(*) AS n, sum(amount) AS amount FROM transactions WHERE " + kFilter + "), "
       "c AS (SELECT count(*) AS n, -coalesce(sum(amount), " + kZero + ") AS amount FROM cancellations WHERE " + kFilter + ") "
       "SELECT c.n AS cancelled_lines, t.n + c.n AS all_lines, CAST(100.0 * c.n / nullif(t.n + c.n, 0) AS DECIMAL(10, 2)) AS line_rate_pct, "
       "c.amount AS cancelled_amount, CAST(100.0 * c.amount / nullif(t.amount, 0) AS DECIMAL(10, 2)) AS amount_rate_pct FROM t, c",
       true, true},
      // The filters' choices: every country by revenue, and the first and last day with data.
      {"countries", "Countries", "SELECT country, sum(amount) AS revenue FROM transactions GROUP BY country ORDER BY revenue DESC, country",
       false, false},
      {"date_span", "Dates", "SELECT CAST(min(invoice_date) AS DATE) AS first_day, CAST(max(invoice_date) AS DATE) AS last_day FROM transactions",
       false, false},
  };
  return queries;
}

std::vector<std::optional<std::string>> AnalyticsFilter::params(const AnalyticsQuery& q) const {
  if (!q.filtered) return {};
  return {from, to, country};
}

std::string analytics_report(DuckConnection& con) {
  std::string out;
  for (const AnalyticsQuery& q : analytics_queries()) {
    if (!q.in_report) continue;
    out += std::string("\n== ") + q.title + " ==\n";
    DuckPrepared prepared(con, q.sql);
    for (size_t i = 0; i < prepared.param_count(); ++i) prepared.bind_null(i);
    DuckResult r = prepared.execute();
    out += render(r, OutputFormat::Table);
  }
  return out;
}

} // namespace shopflow
