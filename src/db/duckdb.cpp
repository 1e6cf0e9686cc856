#include "db/duckdb.h"

#include <cstdlib>
#include <filesystem>

namespace shopflow {

DuckDatabase::DuckDatabase(const std::string& path, const std::vector<std::pair<std::string, std::string>>& options) : path_(path) {
  duckdb_config config = nullptr;
  if (duckdb_create_config(&config) == DuckDBError) throw DuckError("cannot create DuckDB config");
  for (auto& [k, v] : options) {
    if (duckdb_set_config(config, k.c_str(), v.c_str()) == DuckDBError) {
      duckdb_destroy_config(&config);
      throw DuckError("bad DuckDB option " + k + "=" + v);
    }
  }
  char* error = nullptr;
  auto state = duckdb_open_ext(path.empty() ? nullptr : path.c_str(), &db_, config, &error);
  duckdb_destroy_config(&config);
  if (state == DuckDBError) {
    std::string msg = error ? error : "unknown error";
    duckdb_free(error);
    throw DuckError("cannot open DuckDB database " + path + ": " + msg);
  }
}

DuckDatabase::~DuckDatabase() { duckdb_close(&db_); }

DuckResult::~DuckResult() {
  if (valid_) duckdb_destroy_result(&r_);
}
DuckResult::DuckResult(DuckResult&& o) noexcept : r_(o.r_), valid_(o.valid_) { o.valid_ = false; }
DuckResult& DuckResult::operator=(DuckResult&& o) noexcept {
  if (this != &o) {
    if (valid_) duckdb_destroy_result(&r_);
    r_ = o.r_;
    valid_ = o.valid_;
    o.valid_ = false;
  }
  return *this;
}
size_t DuckResult::column_count() { return duckdb_column_count(&r_); }
size_t DuckResult::row_count() { return duckdb_row_count(&r_); }
std::string DuckResult::column_name(size_t col) { return duckdb_column_name(&r_, col); }
duckdb_type DuckResult::column_type(size_t col) { return duckdb_column_type(&r_, col); }
std::string duck_type_name(duckdb_logical_type t) {
  std::string name;
  switch (duckdb_get_type_id(t)) {
  case DUCKDB_TYPE_BOOLEAN: name = "BOOLEAN"; break;
  case DUCKDB_TYPE_TINYINT: name = "TINYINT"; break;
  case DUCKDB_TYPE_SMALLINT: name = "SMALLINT"; break;
  case DUCKDB_TYPE_INTEGER: name = "INTEGER"; break;
  case DUCKDB_TYPE_BIGINT: name = "BIGINT"; break;
  case DUCKDB_TYPE_HUGEINT: name = "HUGEINT"; break;
  case DUCKDB_TYPE_UTINYINT: name = "UTINYINT"; break;
  case DUCKDB_TYPE_USMALLINT: name = "USMALLINT"; break;
  case DUCKDB_TYPE_UINTEGER: name = "UINTEGER"; break;
  case DUCKDB_TYPE_UBIGINT: name = "UBIGINT"; break;
  case DUCKDB_TYPE_FLOAT: name = "FLOAT"; break;
  case DUCKDB_TYPE_DOUBLE: name = "DOUBLE"; break;
  case DUCKDB_TYPE_DECIMAL:
    name = "DECIMAL(" + std::to_string(duckdb_decimal_width(t)) + "," + std::to_string(duckdb_decimal_scale(t)) + ")";
    break;
  case DUCKDB_TYPE_VARCHAR: name = "VARCHAR"; break;
  case DUCKDB_TYPE_DATE: name = "DATE"; break;
  case DUCKDB_TYPE_TIME: name = "TIME"; break;
  case DUCKDB_TYPE_TIMESTAMP: name = "TIMESTAMP"; break;
  case DUCKDB_TYPE_TIMESTAMP_TZ: name = "TIMESTAMPTZ"; break;
  case DUCKDB_TYPE_INTERVAL: name = "INTERVAL"; break;
  case DUCKDB_TYPE_BLOB: name = "BLOB"; break;
  default: name = "OTHER"; break;
  }
  return name;
}

std::string DuckResult::column_type_name(size_t col) {
  duckdb_logical_type t = duckdb_column_logical_type(&r_, col);
  std::string name = duck_type_name(t);
  duckdb_destroy_logical_type(&t);
  return name;
}

void DuckDatabase::checkpoint_if_due(DuckConnection& con, uint64_t wal_bytes) {
  if (path_.empty() || path_ == ":memory:") return;
  namespace fs = std::filesystem;
  std::error_code ec;
  uint64_t wal = fs::file_size(path_ + ".wal", ec);
  if (ec) wal = 0;
  const bool suspect = wal_suspect_;
  if (!suspect && wal < wal_bytes) return;
  // A checkpoint writes what the WAL holds (compressed) and a few metadata blocks.
  const uint64_t needed = 2 * wal + (16u << 20);
  fs::space_info space = fs::space(fs::absolute(path_).parent_path(), ec);
  if (ec || space.available < needed) {
    if (suspect)
      throw DuckError("waiting for " + std::to_string(needed >> 20) + " MiB of free disk space to checkpoint " + path_ +
                      " after a failed write" + (ec ? " (" + ec.message() + ")" : ""));
    return; // the WAL grows until there is room
  }
  try {
    con.execute("CHECKPOINT");
    wal_suspect_ = false;
  } catch (const DuckError&) {
    if (suspect) throw; // busy (another transaction is writing): tried again before the next write
  }
}

bool DuckResult::is_null(size_t col, size_t row) { return duckdb_value_is_null(&r_, col, row); }
std::string DuckResult::text(size_t col, size_t row) {
  char* s = duckdb_value_varchar(&r_, col, row);
  if (!s) return {};
  std::string out(s);
  duckdb_free(s);
  return out;
}
int64_t DuckResult::int64(size_t col, size_t row) { return duckdb_value_int64(&r_, col, row); }

DuckConnection::DuckConnection(DuckDatabase& db) {
  if (duckdb_connect(db.handle(), &con_) == DuckDBError) throw DuckError("cannot connect to DuckDB");
}
DuckConnection::~DuckConnection() { duckdb_disconnect(&con_); }

DuckResult DuckConnection::query(const std::string& sql) {
  duckdb_result r;
  if (duckdb_query(con_, sql.c_str(), &r) == DuckDBError) {
    std::string msg = duckdb_result_error(&r) ? duckdb_result_error(&r) : "unknown error";
    duckdb_destroy_result(&r);
    throw DuckError(msg);
  }
  return DuckResult(r);
}

DuckResult DuckConnection::stream(const std::string& sql) { return DuckPrepared(*this, sql).stream(); }

namespace {
// The bytes a value of the vector's type takes (0: not a fixed-width number).
size_t stored_width(duckdb_vector v, std::string& name) {
  duckdb_logical_type t = duckdb_vector_get_column_type(v);
  name = duck_type_name(t);
  size_t width = 0;
  switch (duckdb_get_type_id(t)) {
  case DUCKDB_TYPE_INTEGER: case DUCKDB_TYPE_DATE: width = 4; break;
  case DUCKDB_TYPE_BIGINT: case DUCKDB_TYPE_TIMESTAMP: case DUCKDB_TYPE_DOUBLE: width = 8; break;
  case DUCKDB_TYPE_HUGEINT: width = 16; break;
  case DUCKDB_TYPE_DECIMAL: {
    uint8_t w = duckdb_decimal_width(t);
    width = w <= 4 ? 2 : w <= 9 ? 4 : w <= 18 ? 8 : 16;
    break;
  }
  default: break;
  }
  duckdb_destroy_logical_type(&t);
  return width;
}
template <class T> T* checked_data(duckdb_vector v, size_t width, bool floating, const char* want) {
  std::string name;
  size_t got = stored_width(v, name);
  if (got != width || (floating != (name == "DOUBLE"))) throw DuckError(std::string("a column of type ") + name + " read as " + want);
  return static_cast<T*>(duckdb_vector_get_data(v));
}
} // namespace

template <> int32_t* duck_data<int32_t>(duckdb_vector v) { return checked_data<int32_t>(v, 4, false, "int32"); }
template <> int64_t* duck_data<int64_t>(duckdb_vector v) { return checked_data<int64_t>(v, 8, false, "int64"); }
template <> duckdb_hugeint* duck_data<duckdb_hugeint>(duckdb_vector v) { return checked_data<duckdb_hugeint>(v, 16, false, "int128"); }
template <> double* duck_data<double>(duckdb_vector v) { return checked_data<double>(v, 8, true, "double"); }

std::string sql_literal(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

DuckAppender::DuckAppender(DuckConnection& con, const std::string& table) {
  if (duckdb_appender_create(con.handle(), nullptr, table.c_str(), &app_) == DuckDBError) {
    std::string msg = duckdb_appender_error(app_) ? duckdb_appender_error(app_) : "unknown error";
    duckdb_appender_destroy(&app_);
    throw DuckError("cannot append to " + table + ": " + msg);
  }
  size_t n = duckdb_appender_column_count(app_);
  std::vector<duckdb_logical_type> types(n);
  for (size_t i = 0; i < n; ++i) types[i] = duckdb_appender_column_type(app_, i);
  chunk_ = duckdb_create_data_chunk(types.data(), n);
  for (auto& t : types) duckdb_destroy_logical_type(&t);
  capacity_ = duckdb_vector_size();
  vec_.resize(n);
  data_.resize(n);
  reset_chunk();
}

DuckAppender::~DuckAppender() {
  duckdb_destroy_data_chunk(&chunk_);
  duckdb_appender_destroy(&app_);
}

void DuckAppender::reset_chunk() {
  duckdb_data_chunk_reset(chunk_);
  for (size_t i = 0; i < vec_.size(); ++i) {
    vec_[i] = duckdb_data_chunk_get_vector(chunk_, i);
    data_[i] = duckdb_vector_get_data(vec_[i]);
  }
  row_ = 0;
}

void DuckAppender::flush_chunk() {
  if (row_ == 0) return;
  duckdb_data_chunk_set_size(chunk_, row_);
  if (duckdb_append_data_chunk(app_, chunk_) == DuckDBError) {
    std::string msg = duckdb_appender_error(app_) ? duckdb_appender_error(app_) : "unknown error";
    throw DuckError("append failed: " + msg);
  }
  reset_chunk();
}

void DuckAppender::flush() {
  flush_chunk();
  if (duckdb_appender_flush(app_) == DuckDBError) {
    std::string msg = duckdb_appender_error(app_) ? duckdb_appender_error(app_) : "unknown error";
    throw DuckError("append failed: " + msg);
  }
}

DuckPrepared::DuckPrepared(DuckConnection& con, const std::string& sql) {
  if (duckdb_prepare(con.handle(), sql.c_str(), &p_) == DuckDBError) {
    std::string msg = duckdb_prepare_error(p_) ? duckdb_prepare_error(p_) : "cannot prepare";
    duckdb_destroy_prepare(&p_);
    throw DuckError(msg);
  }
}

DuckPrepared::~DuckPrepared() { duckdb_destroy_prepare(&p_); }

void DuckPrepared::bind_text(size_t i, std::string_view v) {
  if (duckdb_bind_varchar_length(p_, i + 1, v.data(), v.size()) == DuckDBError)
    throw DuckError("cannot bind parameter $" + std::to_string(i + 1));
}

void DuckPrepared::bind_null(size_t i) { duckdb_bind_null(p_, i + 1); }

std::string DuckPrepared::column_type_name(size_t col) {
  duckdb_logical_type t = duckdb_prepared_statement_column_logical_type(p_, col);
  std::string name = duck_type_name(t);
  duckdb_destroy_logical_type(&t);
  return name;
}

DuckResult DuckPrepared::stream() {
  duckdb_pending_result pending = nullptr;
  if (duckdb_pending_prepared_streaming(p_, &pending) == DuckDBError) {
    std::string msg = duckdb_pending_error(pending) ? duckdb_pending_error(pending) : "unknown error";
    duckdb_destroy_pending(&pending);
    throw DuckError(msg);
  }
  duckdb_result r;
  auto state = duckdb_execute_pending(pending, &r);
  duckdb_destroy_pending(&pending);
  if (state == DuckDBError) {
    std::string msg = duckdb_result_error(&r) ? duckdb_result_error(&r) : "unknown error";
    duckdb_destroy_result(&r);
    throw DuckError(msg);
  }
  return DuckResult(r);
}

DuckResult DuckPrepared::execute() {
  duckdb_result r;
  if (duckdb_execute_prepared(p_, &r) == DuckDBError) {
    std::string msg = duckdb_result_error(&r) ? duckdb_result_error(&r) : "unknown error";
    duckdb_destroy_result(&r);
    throw DuckError(msg);
  }
  return DuckResult(r);
}

std::string duckdb_extension_file(const std::string& name) {
  namespace fs = std::filesystem;
  const std::string file = name + ".duckdb_extension";
  std::vector<fs::path> places;
  if (const char* dir = std::getenv("SHOPFLOW_DUCKDB_EXTENSIONS"); dir && *dir) {
    places.push_back(fs::path(dir) / file);
  } else {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec).parent_path();
    places = {exe / "share/shopflow/duckdb" / file, exe.parent_path() / "share/shopflow/duckdb" / file};
  }
  std::string looked;
  for (const fs::path& p : places) {
    if (fs::is_regular_file(p)) return p.string();
    looked += (looked.empty() ? "" : ", ") + p.string();
  }
  throw DuckError("DuckDB's " + name + " extension is not installed (looked in " + looked +
                  "; scripts/setup fetches it, or set SHOPFLOW_DUCKDB_EXTENSIONS to its folder)");
}

} // namespace shopflow
