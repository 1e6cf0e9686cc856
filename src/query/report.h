// The short analytics report of the main job: revenue by country (top 10), revenue by month,
// top products (product lines only) and the cancellation rate.
#pragma once

#include <string>

#include "db/duckdb.h"

namespace shopflow {
std::string analytics_report(DuckConnection& warehouse);
} // namespace shopflow
