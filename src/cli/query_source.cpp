#include "cli/query_source.h"

#include <filesystem>

#include <simdjson.h>

#include "cli/local_server.h"
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
    TextTable out;
    for (const ClassifiedStatement& st : statements) {
      if (st.access == SqlAccess::Read) {
        TextRows rows(engine_.connection(), st);
        out = text_table(rows);
      } else {
        DuckResult r = engine_.query(st.text);
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

class ServerQueries final : public QuerySource {
public:
  ServerQueries(LocalServer server, std::string dir) : server_(std::move(server)), dir_(std::move(dir)) {}
  TextTable query(const std::string& sql) override {
    std::string body = JsonWriter().begin_object().field("sql", sql).end_object().take();
    HttpResult r = server_.post("/v1/sql", body, "application/json", 600);
    if (r.status == 200) return text_table_from_sql_answer(r.body);
    simdjson::dom::parser parser;
    std::string_view error;
    if (parser.parse(r.body)["error"].get_string().get(error)) error = r.body;
    throw DuckError(std::string(error));
  }
  std::string data_dir() const override { return dir_; }

private:
  LocalServer server_;
  std::string dir_;
};

} // namespace

std::unique_ptr<QuerySource> open_query_source(const std::string& data_dir) {
  // The server's DuckDB admits the lake by its canonical path.
  std::string dir = std::filesystem::weakly_canonical(std::filesystem::absolute(data_dir)).string();
  if (auto server = local_server(data_dir, kScopeSql, "shopflow-sql")) return std::make_unique<ServerQueries>(std::move(*server), dir);
  return std::make_unique<LocalQueries>(dir);
}

} // namespace shopflow
