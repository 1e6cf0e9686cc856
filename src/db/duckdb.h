// The one RAII layer over DuckDB's C API. Errors become DuckError with DuckDB's own message.
#pragma once

#include <atomic>
#include <duckdb.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace shopflow {

struct DuckError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class DuckDatabase {
public:
  // Opens (creating if needed) a database file, or ":memory:" / "" for an in-memory one.
  // `options` are DuckDB config pairs such as {"access_mode", "READ_ONLY"}, {"memory_limit", "1GB"}.
  DuckDatabase(const std::string& path, const std::vector<std::pair<std::string, std::string>>& options = {});
  ~DuckDatabase();
  DuckDatabase(const DuckDatabase&) = delete;
  DuckDatabase& operator=(const DuckDatabase&) = delete;
  duckdb_database handle() const { return db_; }

  // Checkpoints of a database file, run by its writers instead of DuckDB's own (open it with
  // {"checkpoint_threshold", kNoAutoCheckpoint}): a checkpoint that hits a full disk invalidates
  // the whole database until it is reopened, so one only runs while the disk has room for it.
  // After a failed write (a commit that hit a full disk, say) DuckDB's WAL may keep a torn entry
  // that later commits would follow and a restart's replay would misread: a writer then calls
  // write_failed(), and checkpoint_if_due() before every write transaction. It checkpoints when a
  // write failed since the last checkpoint or the WAL has grown past `wal_bytes`, if the disk has
  // twice the WAL and 16 MiB free (the committed state is whole in memory; a checkpoint writes it
  // out and empties the WAL). After a failed write it throws while it cannot checkpoint, so that
  // nothing is written after a torn entry.
  static constexpr const char* kNoAutoCheckpoint = "1000000GB";
  void write_failed() { wal_suspect_ = true; }
  void checkpoint_if_due(class DuckConnection& con, uint64_t wal_bytes = 16u << 20);

private:
  duckdb_database db_ = nullptr;
  std::string path_;
  std::atomic<bool> wal_suspect_{false};
};

// A materialised query result.
class DuckResult {
public:
  DuckResult() = default;
  explicit DuckResult(duckdb_result r) : r_(r), valid_(true) {}
  ~DuckResult();
  DuckResult(DuckResult&& o) noexcept;
  DuckResult& operator=(DuckResult&& o) noexcept;
  DuckResult(const DuckResult&) = delete;

  size_t column_count();
  size_t row_count();
  std::string column_name(size_t col);
  duckdb_type column_type(size_t col);
  std::string column_type_name(size_t col); // "BIGINT", "DECIMAL(12,3)", "VARCHAR", ...
  bool is_null(size_t col, size_t row);
  std::string text(size_t col, size_t row); // any value as DuckDB prints it; "" for NULL
  int64_t int64(size_t col, size_t row);
  // Fetches the next chunk of a result (caller owns it; destroy with duckdb_destroy_data_chunk).
  duckdb_data_chunk fetch_chunk() { return duckdb_fetch_chunk(r_); }
  // The error that ended a streaming result early (fetch_chunk() gave null), or null.
  const char* error() { return valid_ ? duckdb_result_error(&r_) : nullptr; }

private:
  duckdb_result r_{};
  bool valid_ = false;
};

class DuckConnection {
public:
  explicit DuckConnection(DuckDatabase& db);
  ~DuckConnection();
  DuckConnection(const DuckConnection&) = delete;
  DuckConnection& operator=(const DuckConnection&) = delete;

  DuckResult query(const std::string& sql);
  // A streaming result of one statement: fetch_chunk() pulls chunks as they are computed, so a
  // large result is never held in memory at once.
  DuckResult stream(const std::string& sql);
  void execute(const std::string& sql) { query(sql); }
  // Makes a query running on this connection stop with an "Interrupted" error (any thread).
  void interrupt() { duckdb_interrupt(con_); }
  duckdb_connection handle() const { return con_; }

private:
  duckdb_connection con_ = nullptr;
};

// The values of a fetched chunk's vector as T, after checking that the vector's type is stored as
// T (int32_t: INTEGER, DATE; int64_t: BIGINT, TIMESTAMP, DECIMAL(10..18,s); duckdb_hugeint:
// HUGEINT, DECIMAL(19..38,s); double: DOUBLE): reading a HUGEINT sum as int64 gives wrong numbers
// silently, so a mismatch throws DuckError instead.
template <class T> T* duck_data(duckdb_vector v);
template <> int32_t* duck_data<int32_t>(duckdb_vector v);
template <> int64_t* duck_data<int64_t>(duckdb_vector v);
template <> duckdb_hugeint* duck_data<duckdb_hugeint>(duckdb_vector v);
template <> double* duck_data<double>(duckdb_vector v);

// Reads row `row` of a VARCHAR vector of a fetched chunk; the view lives as long as the chunk.
inline std::string_view duck_string(duckdb_vector v, idx_t row) {
  auto* s = static_cast<duckdb_string_t*>(duckdb_vector_get_data(v)) + row;
  return {duckdb_string_t_data(s), duckdb_string_t_length(*s)};
}
inline bool duck_is_valid(duckdb_vector v, idx_t row) {
  uint64_t* validity = duckdb_vector_get_validity(v);
  return !validity || duckdb_validity_row_is_valid(validity, row);
}

// "BIGINT", "DECIMAL(12,3)", "VARCHAR", ... ("OTHER" for nested and rare types).
std::string duck_type_name(duckdb_logical_type type);

// Single-quoted SQL string literal.
std::string sql_literal(std::string_view s);

// A prepared statement ($1, $2 ... parameters): its parameter and result shapes are known before
// it runs; values are bound as text (DuckDB casts them to the parameters' types).
class DuckPrepared {
public:
  DuckPrepared(DuckConnection& con, const std::string& sql); // throws DuckError with DuckDB's message
  ~DuckPrepared();
  DuckPrepared(const DuckPrepared&) = delete;
  DuckPrepared& operator=(const DuckPrepared&) = delete;

  duckdb_statement_type statement_type() { return duckdb_prepared_statement_type(p_); }
  size_t param_count() { return duckdb_nparams(p_); }
  duckdb_type param_type(size_t i) { return duckdb_param_type(p_, i + 1); }
  size_t column_count() { return duckdb_prepared_statement_column_count(p_); }
  std::string column_name(size_t col) { return duckdb_prepared_statement_column_name(p_, col); }
  duckdb_type column_type(size_t col) { return duckdb_prepared_statement_column_type(p_, col); }
  std::string column_type_name(size_t col);
  void bind_text(size_t i, std::string_view v); // throws DuckError
  void bind_null(size_t i);
  DuckResult execute(); // throws DuckError
  DuckResult stream();  // a streaming result (fetch_chunk); throws DuckError

private:
  duckdb_prepared_statement p_ = nullptr;
};

// A data chunk of fixed column types that the caller fills row by row, appended through an appender.
class DuckAppender {
public:
  DuckAppender(DuckConnection& con, const std::string& table);
  ~DuckAppender();
  DuckAppender(const DuckAppender&) = delete;
  DuckAppender& operator=(const DuckAppender&) = delete;

  // Column writers for the current row (row index `row_` within the chunk).
  void set_varchar(size_t col, std::string_view v) { duckdb_vector_assign_string_element_len(vec_[col], row_, v.data(), v.size()); }
  void set_null(size_t col) {
    duckdb_vector_ensure_validity_writable(vec_[col]);
    duckdb_validity_set_row_invalid(duckdb_vector_get_validity(vec_[col]), row_);
  }
  template <class T> void set(size_t col, T v) { static_cast<T*>(data_[col])[row_] = v; }
  // Ends the current row; appends the chunk when it is full.
  void end_row() {
    if (++row_ == capacity_) flush_chunk();
  }
  // Appends any buffered rows and flushes the appender.
  void flush();

private:
  void flush_chunk();
  void reset_chunk();
  duckdb_appender app_ = nullptr;
  duckdb_data_chunk chunk_ = nullptr;
  std::vector<duckdb_vector> vec_;
  std::vector<void*> data_;
  size_t row_ = 0, capacity_ = 0;
};

// A DuckDB extension shopflow ships (scripts/setup fetches it): $SHOPFLOW_DUCKDB_EXTENSIONS/NAME.duckdb_extension,
// else share/shopflow/duckdb/ beside the binary or one folder up (build/, an install prefix).
// Throws naming where it looked.
std::string duckdb_extension_file(const std::string& name);

} // namespace shopflow
