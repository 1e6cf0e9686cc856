// One statement's result as text values, streamed a chunk at a time where DuckDB can stream it,
// so that a caller enforcing row and byte limits stops a large result while it is produced
// instead of after it was held in memory.
//
// A query (prepared type SELECT) runs as SELECT CAST(COLUMNS(*) AS VARCHAR) FROM (<statement>):
// each value arrives as DuckDB's own text form; names and types are the statement's own. Other
// statements (EXPLAIN, PRAGMA, writes) run at once and hold their small result as one batch.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/duckdb.h"
#include "query/policy/sql_policy.h"

namespace shopflow {

class TextRows {
public:
  // Prepares and runs one classified statement (sql_policy.h) with text parameters ($1.. :
  // nullopt is NULL); refuses it unran if DuckDB's bound type is not what its class promised.
  // Throws DuckError with DuckDB's message.
  TextRows(DuckConnection& con, const ClassifiedStatement& statement, const std::vector<std::optional<std::string>>& params = {});
  // The same with the statement already prepared (pgwire's Parse): it is bound, not prepared again.
  TextRows(DuckConnection& con, const ClassifiedStatement& statement, DuckPrepared& prepared,
           const std::vector<std::optional<std::string>>& params);
  ~TextRows();
  TextRows(const TextRows&) = delete;
  TextRows& operator=(const TextRows&) = delete;

  duckdb_statement_type statement_type() const { return type_; }
  size_t column_count() const { return names_.size(); }
  const std::string& column_name(size_t c) const { return names_[c]; }
  duckdb_type column_type(size_t c) const { return types_[c]; }
  const std::string& column_type_name(size_t c) const { return type_names_[c]; }
  // Rows changed by INSERT, UPDATE or DELETE (0 for other statements).
  int64_t changed_rows() const { return changed_; }

  // Moves to the next batch of rows; false at the end (throws DuckError, e.g. when interrupted).
  bool next();
  size_t batch_size() const { return batch_size_; }
  // A value of the current batch (nullopt: NULL); valid until next().
  std::optional<std::string_view> value(size_t col, size_t row) const;

private:
  void run(DuckConnection& con, const ClassifiedStatement& statement, DuckPrepared& prepared,
           const std::vector<std::optional<std::string>>& params);
  duckdb_statement_type type_;
  std::vector<std::string> names_, type_names_;
  std::vector<duckdb_type> types_;
  int64_t changed_ = 0;
  // Streaming: the result and its current chunk.
  DuckResult stream_;
  bool streaming_ = false;
  duckdb_data_chunk chunk_ = nullptr;
  std::vector<duckdb_vector> vectors_;
  // At once: every value, row by row, and whether it was taken by next().
  std::vector<std::optional<std::string>> cells_;
  bool held_taken_ = false;
  size_t batch_size_ = 0;
};

} // namespace shopflow
