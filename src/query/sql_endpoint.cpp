#include "query/sql_endpoint.h"

#include <chrono>
#include <condition_variable>
#include <thread>

#include <unistd.h>

#include "formats/json_record.h"
#include "query/query_engine.h"
#include "util/read_file.h"

namespace fs = std::filesystem;

namespace shopflow {

namespace {

SqlAnswer error_answer(unsigned status, const std::string& message) {
  return {status, "application/json", error_json(message)};
}

// Interrupts the connection's query if it is still running after `timeout_ms`.
class Watchdog {
public:
  Watchdog(DuckConnection& con, int64_t timeout_ms)
      : thread_([this, &con, timeout_ms] {
          std::unique_lock lock(mutex_);
          if (!cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return done_; })) {
            fired_ = true;
            con.interrupt();
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  bool fired() {
    std::lock_guard lock(mutex_);
    return fired_;
  }

private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false, fired_ = false;
  std::thread thread_;
};

std::string without_trailing_semicolons(std::string sql) {
  while (!sql.empty() && (sql.back() == ';' || isspace(static_cast<unsigned char>(sql.back())))) sql.pop_back();
  return sql;
}

} // namespace

const char* statement_type_name(duckdb_statement_type type) {
  switch (type) {
  case DUCKDB_STATEMENT_TYPE_SELECT: return "SELECT";
  case DUCKDB_STATEMENT_TYPE_INSERT: return "INSERT";
  case DUCKDB_STATEMENT_TYPE_UPDATE: return "UPDATE";
  case DUCKDB_STATEMENT_TYPE_EXPLAIN: return "EXPLAIN";
  case DUCKDB_STATEMENT_TYPE_DELETE: return "DELETE";
  case DUCKDB_STATEMENT_TYPE_CREATE: return "CREATE";
  case DUCKDB_STATEMENT_TYPE_DROP: return "DROP";
  case DUCKDB_STATEMENT_TYPE_ALTER: return "ALTER";
  case DUCKDB_STATEMENT_TYPE_COPY: return "COPY";
  case DUCKDB_STATEMENT_TYPE_ATTACH: return "ATTACH";
  case DUCKDB_STATEMENT_TYPE_DETACH: return "DETACH";
  case DUCKDB_STATEMENT_TYPE_VARIABLE_SET: return "SET";
  case DUCKDB_STATEMENT_TYPE_PRAGMA: return "PRAGMA";
  case DUCKDB_STATEMENT_TYPE_TRANSACTION: return "TRANSACTION";
  default: return "another statement";
  }
}

SqlEndpoint::SqlEndpoint(DuckDatabase& warehouse, fs::path lake_root) : db_(warehouse), lake_root_(std::move(lake_root)) {
  DuckConnection con(db_);
  con.execute("ATTACH IF NOT EXISTS ':memory:' AS lake");
  refresh_lake_views(con);
}

// A lake table's first files turn its empty view into one over the files.
void SqlEndpoint::refresh_lake_views(DuckConnection& con) {
  std::lock_guard lock(lake_mutex_);
  if (!lake_complete_) lake_complete_ = define_lake_views(con, lake_root_);
}

SqlAnswer SqlEndpoint::run(const SqlRequest& request) {
  if (request.sql.find_first_not_of(" \t\r\n;") == std::string::npos) return error_answer(400, "no SQL statement given");
  DuckConnection con(db_);
  try {
    refresh_lake_views(con);
    std::vector<duckdb_statement_type> types = con.statement_types(request.sql);
    if (!request.allow_writes)
      for (size_t i = 0; i < types.size(); ++i)
        if (types[i] != DUCKDB_STATEMENT_TYPE_SELECT && types[i] != DUCKDB_STATEMENT_TYPE_EXPLAIN)
          return error_answer(403, std::string("statement ") + std::to_string(i + 1) + " is " + statement_type_name(types[i]) +
                                       ": only SELECT and EXPLAIN run without scope admin (SQLSTATE 25006, read-only)");
    if (request.format == SqlFormat::Parquet && (types.size() != 1 || types[0] != DUCKDB_STATEMENT_TYPE_SELECT))
      return error_answer(400, "Parquet output needs exactly one SELECT statement");

    Watchdog watchdog(con, request.timeout_ms);
    auto timed_out = [&] {
      return error_answer(408, "the query ran longer than " + std::to_string(request.timeout_ms) + " ms (raise timeout_ms)");
    };
    auto too_many = [&](size_t rows) {
      return error_answer(413, "the result has " + std::to_string(rows) + " rows, more than max_rows " +
                                   std::to_string(request.max_rows) + " (add a LIMIT or raise max_rows)");
    };
    if (request.format == SqlFormat::Parquet) {
      fs::path tmp = fs::temp_directory_path() / ("shopflow-sql-" + std::to_string(getpid()) + "-" +
                                                  std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id())) + ".parquet");
      DuckResult copied;
      try {
        copied = con.query("COPY (" + without_trailing_semicolons(request.sql) + ") TO " + sql_literal(tmp.string()) +
                           " (FORMAT parquet, COMPRESSION zstd)");
      } catch (const DuckError&) {
        std::error_code ec;
        fs::remove(tmp, ec);
        if (watchdog.fired()) return timed_out();
        throw;
      }
      std::optional<std::string> bytes = read_file(tmp);
      std::error_code ec;
      fs::remove(tmp, ec);
      if (!bytes) throw std::runtime_error("cannot read the Parquet result " + tmp.string());
      size_t rows = static_cast<size_t>(copied.int64(0, 0));
      if (rows > request.max_rows) return too_many(rows);
      return {200, "application/vnd.apache.parquet", std::move(*bytes)};
    }
    DuckResult r;
    try {
      r = con.query(request.sql);
    } catch (const DuckError&) {
      if (watchdog.fired()) return timed_out();
      throw;
    }
    size_t rows = r.row_count(), cols = r.column_count();
    if (rows > request.max_rows) return too_many(rows);
    if (request.format == SqlFormat::Csv) return {200, "text/csv; charset=utf-8", render(r, OutputFormat::Csv)};
    std::string out = "{\"columns\":[";
    for (size_t c = 0; c < cols; ++c) {
      out += c ? ",{\"name\":" : "{\"name\":";
      append_json_string(out, r.column_name(c));
      out += ",\"type\":\"" + r.column_type_name(c) + "\"}";
    }
    out += "],\"rows\":[";
    for (size_t row = 0; row < rows; ++row) {
      out += row ? ",[" : "[";
      for (size_t c = 0; c < cols; ++c) {
        if (c) out += ',';
        append_json_value(out, r, c, row);
      }
      out += ']';
    }
    out += "],\"row_count\":" + std::to_string(rows) + "}";
    return {200, "application/json", out};
  } catch (const DuckError& e) {
    return error_answer(400, e.what());
  }
}

} // namespace shopflow
