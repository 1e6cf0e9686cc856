#include "cli/query_source.h"

#include <filesystem>

#include <simdjson.h>

#include "cli/local_server.h"
#include "query/postgres/pg_sql_service.h"
#include "storage/backend_urls.h"
#include "util/json_writer.h"
#include "query/policy/sql_policy.h"
#include "query/text_rows.h"

namespace shopflow {

namespace {

class LocalQueries final : public QuerySource {
public:
  explicit LocalQueries(std::string dir) : engine_(dir), dir_(std::move(dir)) {}
  // Each statement runs; the last one's result is the answer. Reads stream as text (as the
  // server's do, so nested values print the same); anything else runs as DuckDB takes it.
  TextTable query(const std::string& sql) override {
    std::vector<ClassifiedStatement> statements = classify_sql(sql);
    if (statements.empty()) throw DuckError("no SQL statement given");
    LakeHolds::Hold lake = engine_.read_lake_now();
    TextTable out;
    for (const ClassifiedStatement& st : statements) {
      if (st.access == SqlAccess::Read) {
        TextRows rows(engine_.connection(), st);
        out = text_table(rows);
      } else {
        DuckResult r = engine_.connection().query(st.text);
        out = text_table(r);
      }
    }
    return out;
  }
  std::string data_dir() const override { return dir_; }

private:
  QueryEngine engine_;
  std::string dir_;
};

// A POST /v1/sql answer as a table, or its error thrown as DuckError (printed as SQL errors are).
TextTable table_or_error(unsigned status, const std::string& body) {
  if (status == 200) return text_table_from_sql_answer(body);
  simdjson::dom::parser parser;
  std::string_view error;
  if (parser.parse(body)["error"].get_string().get(error)) error = body;
  throw DuckError(std::string(error));
}

class ServerQueries final : public QuerySource {
public:
  ServerQueries(LocalServer server, std::string dir) : server_(std::move(server)), dir_(std::move(dir)) {}
  TextTable query(const std::string& sql) override {
    std::string body = JsonWriter().begin_object().field("sql", sql).end_object().take();
    HttpResult r = server_.post("/v1/sql", body, "application/json", 600);
    return table_or_error(r.status, r.body);
  }
  std::string data_dir() const override { return dir_; }

private:
  LocalServer server_;
  std::string dir_;
};

// A data dir whose warehouse is PostgreSQL, with no server holding it: the queries go to
// PostgreSQL as an admin's POST /v1/sql would, under the server's ceilings.
class PostgresQueries final : public QuerySource {
public:
  PostgresQueries(const std::string& url, std::string dir) : service_(url, false), dir_(std::move(dir)) {}
  TextTable query(const std::string& sql) override {
    SqlRequest request;
    request.sql = sql;
    request.may_write = true;
    request.limits = SqlCeilings{}.ceiling;
    SqlAnswer answer = service_.run(request);
    return table_or_error(answer.status, answer.body);
  }
  std::string data_dir() const override { return dir_; }

private:
  PgSqlService service_;
  std::string dir_;
};

} // namespace

std::unique_ptr<QuerySource> open_query_source(const std::string& data_dir) {
  // The server's DuckDB admits the lake by its canonical path.
  std::string dir = std::filesystem::weakly_canonical(std::filesystem::absolute(data_dir)).string();
  if (auto server = local_server(data_dir, kScopeSql, "shopflow-sql")) return std::make_unique<ServerQueries>(std::move(*server), dir);
  if (std::filesystem::exists(std::filesystem::path(dir) / "BACKENDS"))
    if (BackendLocation warehouse = settle_backends(dir, {}, false).warehouse; warehouse.postgres())
      return std::make_unique<PostgresQueries>(warehouse.postgres_conninfo, dir);
  return std::make_unique<LocalQueries>(dir);
}

} // namespace shopflow
