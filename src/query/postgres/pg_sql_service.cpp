#include "query/postgres/pg_sql_service.h"

#include <algorithm>
#include <chrono>

#include "db/postgres/postgres.h"
#include "formats/csv_field.h"
#include "query/policy/sql_limits.h"
#include "query/policy/sql_policy.h"
#include "util/json_writer.h"

namespace shopflow {

namespace {

// PostgreSQL's type OIDs (pg_type) as the answers name them (DuckDB's names, so that one client
// reads both), and whether JSON shows them bare.
struct ColumnType {
  const char* name;
  enum class Json { Number, Boolean, String } json;
};
ColumnType column_type(uint32_t oid) {
  switch (oid) {
  case 16: return {"BOOLEAN", ColumnType::Json::Boolean};
  case 20: return {"BIGINT", ColumnType::Json::Number};
  case 21: return {"SMALLINT", ColumnType::Json::Number};
  case 23: return {"INTEGER", ColumnType::Json::Number};
  case 700: return {"FLOAT", ColumnType::Json::Number};
  case 701: return {"DOUBLE", ColumnType::Json::Number};
  case 1700: return {"DECIMAL", ColumnType::Json::Number};
  case 1082: return {"DATE", ColumnType::Json::String};
  case 1114: return {"TIMESTAMP", ColumnType::Json::String};
  case 1184: return {"TIMESTAMP WITH TIME ZONE", ColumnType::Json::String};
  case 1083: return {"TIME", ColumnType::Json::String};
  case 1186: return {"INTERVAL", ColumnType::Json::String};
  default: return {"VARCHAR", ColumnType::Json::String};
  }
}

// {"columns": [{"name", "type"}, ...], "rows": [[value, ...], ...], "row_count": N}, as the
// embedded warehouse answers; NaN and infinities quoted.
std::string json_answer(const PgResult& r, const SqlLimits& limits) {
  JsonWriter w;
  w.begin_object().key("columns").begin_array();
  std::vector<ColumnType> types;
  for (size_t c = 0; c < r.columns(); ++c) {
    types.push_back(column_type(r.column_type(c)));
    w.begin_object().field("name", r.column_name(c)).field("type", types.back().name).end_object();
  }
  w.end_array().key("rows").begin_array();
  for (size_t i = 0; i < r.rows(); ++i) {
    w.begin_array();
    for (size_t c = 0; c < r.columns(); ++c) {
      std::string_view v = r.text(i, c);
      if (r.is_null(i, c)) w.value(nullptr);
      else if (types[c].json == ColumnType::Json::Boolean) w.value(v == "t");
      else if (types[c].json == ColumnType::Json::Number && v.find_first_of("aAnN") == std::string_view::npos) w.value(JsonNumber{std::string(v)});
      else w.value(v);
    }
    w.end_array();
    if (w.view().size() > limits.max_bytes) throw SqlLimitExceeded(bytes_over_limit(limits.max_bytes));
  }
  return w.end_array().field("row_count", r.rows()).end_object().take();
}

std::string csv_answer(const PgResult& r, const SqlLimits& limits) {
  std::string out;
  for (size_t c = 0; c < r.columns(); ++c) {
    if (c) out += ',';
    out += csv_field(r.column_name(c));
  }
  out += "\n";
  for (size_t i = 0; i < r.rows(); ++i) {
    for (size_t c = 0; c < r.columns(); ++c) {
      if (c) out += ',';
      if (!r.is_null(i, c)) out += csv_field(r.text(i, c));
    }
    out += "\n";
    if (out.size() > limits.max_bytes) throw SqlLimitExceeded(bytes_over_limit(limits.max_bytes));
  }
  return out;
}

} // namespace

PgSqlService::PgSqlService(std::string url, bool reader_only) : url_(std::move(url)) {
  PgConnection con(url_);
  PgResult role = con.query("SELECT rolname, rolsuper FROM pg_roles WHERE rolname = current_user");
  if (role.rows() == 1 && role.text(0, 1) == "t")
    throw std::invalid_argument("the PostgreSQL role " + std::string(role.text(0, 0)) +
                                " is a superuser, so clients' SQL would reach the server's files and roles: give " +
                                (reader_only ? "--warehouse-reader a role with SELECT only" : "--warehouse a role without SUPERUSER that owns the database"));
  if (!reader_only) return;
  // Any right beyond reading a sink's table (or owning it) would let clients change what the
  // sinks stored.
  PgResult writes = con.query(
      "SELECT t FROM unnest(ARRAY['transactions', 'cancellations', 'rejected', 'imports', 'stream_offsets']) AS t "
      "WHERE to_regclass(t) IS NOT NULL AND (pg_has_role((SELECT relowner FROM pg_class WHERE oid = to_regclass(t)), 'USAGE') OR "
      "has_table_privilege(t, 'INSERT, UPDATE, DELETE, TRUNCATE')) ORDER BY 1");
  if (writes.rows())
    throw std::invalid_argument("the PostgreSQL role " + std::string(role.text(0, 0)) + " given in --warehouse-reader may write the warehouse's table " +
                                std::string(writes.text(0, 0)) + ": give it SELECT only (GRANT SELECT ON ALL TABLES IN SCHEMA public TO it)");
}

std::unique_ptr<PgConnection> PgSqlService::take_connection() {
  {
    std::lock_guard lock(idle_mutex_);
    while (!idle_.empty()) {
      std::unique_ptr<PgConnection> con = std::move(idle_.back());
      idle_.pop_back();
      if (con->ok()) return con;
    }
  }
  return std::make_unique<PgConnection>(url_);
}

void PgSqlService::give_back(std::unique_ptr<PgConnection> con) {
  if (!con->ok()) return;
  std::lock_guard lock(idle_mutex_);
  if (idle_.size() < kIdleConnections) idle_.push_back(std::move(con));
}

SqlAnswer PgSqlService::run(const SqlRequest& request) {
  return outcomes_.counted([&] { return run_statements(request); });
}

void PgSqlService::render_metrics(std::string& out) const { outcomes_.render(out); }

SqlAnswer PgSqlService::run_statements(const SqlRequest& request) {
  std::vector<ClassifiedStatement> statements = classify_sql(request.sql);
  if (statements.empty()) return sql_error_answer(400, "no SQL statement given");
  for (size_t i = 0; i < statements.size(); ++i)
    if (auto refusal = sql_refusal(statements[i], i + 1, request.may_write)) return sql_error_answer(refusal->http_status, refusal->message);
  if (request.format == SqlFormat::Parquet)
    return sql_error_answer(400, "Parquet answers come from the embedded warehouse; this one is PostgreSQL: ask for JSON or CSV");
  if (!request.params.empty() && statements.size() != 1) return sql_error_answer(400, "parameters are for a single statement");
  const bool writes = std::any_of(statements.begin(), statements.end(), [](auto& s) { return s.access != SqlAccess::Read; });
  const SqlLimits& limits = request.limits;
  std::unique_ptr<PgConnection> held;
  // The connection goes back for the next request once its transaction has ended; one whose
  // transaction could not be ended (the server went away) is dropped.
  auto end_transaction = [&](const char* how) { // how: nullptr once it ended
    try {
      if (how) held->execute(how);
      if (writes) held->execute("DISCARD ALL"); // temporary tables, prepared statements...
      give_back(std::move(held));
    } catch (const std::exception&) {
    }
  };
  try {
    held = take_connection();
    PgConnection& con = *held;
    con.execute(std::string(writes ? "BEGIN" : "BEGIN READ ONLY") + "; SET LOCAL statement_timeout = " + std::to_string(limits.timeout_ms));
    // Every statement runs; the last one's result is the answer, a reading one through a cursor.
    for (size_t i = 0; i + 1 < statements.size(); ++i) con.query(statements[i].text);
    const ClassifiedStatement& last = statements.back();
    std::optional<PgResult> rows;
    if (last.access == SqlAccess::Read && last.keyword != "VALUES" && last.keyword != "SHOW" && last.keyword != "EXPLAIN") {
      con.query("DECLARE shopflow_answer NO SCROLL CURSOR FOR " + last.text, request.params);
      rows.emplace(con.query("FETCH FORWARD " + std::to_string(limits.max_rows + 1) + " FROM shopflow_answer"));
    } else {
      rows.emplace(con.query(last.text, request.params));
    }
    if (rows->rows() > limits.max_rows) throw SqlLimitExceeded(rows_over_limit(limits.max_rows));
    SqlAnswer answer = request.format == SqlFormat::Csv ? SqlAnswer{200, "text/csv; charset=utf-8", csv_answer(*rows, limits)}
                                                        : SqlAnswer{200, "application/json", json_answer(*rows, limits)};
    held->execute("COMMIT"); // its failure is the answer (the catch below rolls back)
    end_transaction(nullptr);
    return answer;
  } catch (const SqlLimitExceeded& e) {
    if (held) end_transaction("ROLLBACK");
    return sql_error_answer(413, e.what());
  } catch (const PgError& e) {
    if (held) end_transaction("ROLLBACK");
    if (e.sqlstate == "57014") return sql_error_answer(408, time_over_limit(limits.timeout_ms)); // canceled by statement_timeout
    if (e.sqlstate == "25006" || e.sqlstate == "42501") return sql_error_answer(403, e.what()); // read-only transaction, privilege
    return sql_error_answer(e.sqlstate.empty() ? 503 : 400, e.what());
  } catch (const std::exception& e) { // a value that is not UTF-8 (a database of another encoding)
    if (held) end_transaction("ROLLBACK");
    return sql_error_answer(500, e.what());
  }
}

} // namespace shopflow
