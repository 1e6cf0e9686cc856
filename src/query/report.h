// The analytics the main job prints and the dashboard shows, as named queries over the warehouse:
// headline figures (revenue, orders, average order value, customers), revenue by month and by
// country (top 10), top products (product lines only), top customers, new vs returning customers
// by month, and the cancellation rate; the dashboard also lists its filters' choices.
//
// A filtered query takes three parameters, each NULL for "no filter": $1 the first day and $2 the
// last day (both inclusive, DATE text YYYY-MM-DD) of invoice_date, $3 the country.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "db/duckdb.h"

namespace shopflow {

struct AnalyticsQuery {
  const char* name;  // short id ("revenue_by_month")
  const char* title; // for people ("Revenue by month")
  std::string sql;
  bool filtered;  // takes the three filter parameters
  bool in_report; // printed by the main job (else the dashboard's only)
};
const std::vector<AnalyticsQuery>& analytics_queries();

// The filter a dashboard asks for; an empty field filters nothing.
struct AnalyticsFilter {
  std::optional<std::string> from, to, country;
  // The query's parameters: none for an unfiltered query, else $1..$3.
  std::vector<std::optional<std::string>> params(const AnalyticsQuery& q) const;
};

// Every report query's result (unfiltered) as an aligned table under its title.
std::string analytics_report(DuckConnection& warehouse);

} // namespace shopflow
