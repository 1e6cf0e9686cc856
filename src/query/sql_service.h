// Clients' SQL (POST /v1/sql, the dashboard, shopflow sql through a running server) answered as
// JSON, CSV or Parquet: over the serving warehouse (the same DuckDB instance the sinks write, so
// answers include what was just ingested) and the lake
// (lake.transactions, lake.cancellations, lake_views.h: the lake's files as they are when a
// request starts). Statements pass sql_policy.h before DuckDB sees them;
// answers stream under sql_limits.h's limits, refused with a message that names the limit.
#pragma once

#include <atomic>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "db/duckdb.h"
#include "query/lake_views.h"
#include "query/policy/sql_limits.h"
#include "query/policy/sql_policy.h"
#include "query/sql_outcomes.h"
#include "query/sql_runner.h"

namespace shopflow {

class SqlService final : public SqlRunner {
public:
  // Parquet answers are written to files in `answers_dir` (one of the warehouse's allowed folders).
  SqlService(DuckDatabase& warehouse, LakeWriter& lake, std::filesystem::path answers_dir);
  SqlAnswer run(const SqlRequest& request) override;
  // Before a statement on `con` that may read the lake (pgwire's): LakeViews::read_now.
  [[nodiscard]] LakeHolds::Hold read_lake_now(DuckConnection& con) { return lake_views_.read_now(con); }
  void render_metrics(std::string& out) const override;

private:
  SqlAnswer parquet_answer(DuckConnection& con, const ClassifiedStatement& statement, const SqlLimits& limits);
  DuckDatabase& db_;
  LakeViews lake_views_;
  std::filesystem::path answers_dir_;
  std::atomic<uint64_t> next_answer_{0};
  SqlOutcomes outcomes_;
  SqlAnswer run_statements(const SqlRequest& request);
};

} // namespace shopflow
