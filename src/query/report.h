// The analytics the main job prints and the dashboard shows, as named queries over the warehouse:
// revenue by month, revenue by country (top 10), top products (product lines only), new vs
// returning customers by month, and the cancellation rate.
#pragma once

#include <string>
#include <vector>

#include "db/duckdb.h"

namespace shopflow {

struct AnalyticsQuery {
  const char* name;  // short id ("revenue_by_month")
  const char* title; // for people ("Revenue by month")
  const char* sql;
};
const std::vector<AnalyticsQuery>& analytics_queries();

// Every query's result as an aligned table under its title.
std::string analytics_report(DuckConnection& warehouse);

} // namespace shopflow
