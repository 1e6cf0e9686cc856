// Clients' SQL (POST /v1/sql, the dashboard) answered from a PostgreSQL warehouse, as JSON or CSV
// under the same policy (sql_policy.h) and limits (sql_limits.h) as the embedded one:
//   - reads run in a READ ONLY transaction; only scope admin may write, and never the sinks' tables;
//   - the timeout is the transaction's statement_timeout; rows are fetched through a cursor, at
//     most max_rows + 1, and the answer is refused once it passes max_rows or max_bytes;
//   - the role must not be a superuser: clients' SQL would reach the server's files
//     (pg_read_file, COPY ... PROGRAM);
//   - connections are kept for the next request (at most kIdleConnections idle), each returned
//     only after its transaction ended (and, after a client's writes, DISCARD ALL).
// Parquet answers come from the embedded warehouse only.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "db/postgres/postgres.h"

#include "query/sql_outcomes.h"
#include "query/sql_runner.h"

namespace shopflow {

class PgSqlService final : public SqlRunner {
public:
  // Connects once to check the role. Throws PgError (no server) or std::invalid_argument (a
  // superuser; with `reader_only`, a role that may write the sinks' tables).
  PgSqlService(std::string url, bool reader_only);
  SqlAnswer run(const SqlRequest& request) override;
  void render_metrics(std::string& out) const override;

private:
  static constexpr size_t kIdleConnections = 8;
  SqlAnswer run_statements(const SqlRequest& request);
  std::unique_ptr<PgConnection> take_connection();
  void give_back(std::unique_ptr<PgConnection> con);
  std::string url_;
  SqlOutcomes outcomes_;
  std::mutex idle_mutex_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
};

} // namespace shopflow
