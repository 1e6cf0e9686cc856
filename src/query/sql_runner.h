// The warehouse's query side as the HTTP API sees it: clients' SQL (POST /v1/sql, the dashboard,
// saved queries) answered as JSON, CSV or Parquet under limits. SqlService (sql_service.h, DuckDB
// over the serving warehouse and the lake) is the embedded implementation.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "query/policy/sql_limits.h"
#include "util/json_writer.h"

namespace shopflow {

enum class SqlFormat { Json, Csv, Parquet };

struct SqlRequest {
  std::string sql;
  bool may_write = false; // scope admin: writes to the warehouse's tables as well
  SqlLimits limits;
  SqlFormat format = SqlFormat::Json;
  std::vector<std::optional<std::string>> params; // $1.. of a single statement (nullopt: NULL)
};

struct SqlAnswer {
  unsigned status = 200;
  std::string content_type, body;
};
// A refusal or failure as a SqlRunner answers it: {"error": message} with `status`.
inline SqlAnswer sql_error_answer(unsigned status, const std::string& message) { return {status, "application/json", error_json(message)}; }

class SqlRunner {
public:
  virtual ~SqlRunner() = default;
  // Runs the request's statements; a refusal (policy, a limit, a timeout, an SQL error) is an
  // answer with its status (403, 413, 408, 400) and a JSON error body, never an exception.
  virtual SqlAnswer run(const SqlRequest& request) = 0;
  // Prometheus text: requests by outcome (answered, refused, over_limit, timed_out, failed) and
  // the seconds they took.
  virtual void render_metrics(std::string& out) const = 0;
};

} // namespace shopflow
