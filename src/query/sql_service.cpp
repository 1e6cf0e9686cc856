#include "query/sql_service.h"

#include <algorithm>
#include <chrono>

#include "formats/csv_field.h"
#include "util/json_writer.h"
#include "query/builtin_names.h"
#include "query/query_engine.h"
#include "query/query_watchdog.h"
#include "query/policy/sql_policy.h"
#include "query/text_rows.h"
#include "util/read_file.h"

namespace fs = std::filesystem;

namespace shopflow {

namespace {

// Encodes `rows` (every batch) by `append_row(r)`, which returns the answer's size so far,
// refusing the answer once it passes a limit.
template <class AppendRow> void encode_rows(TextRows& rows, const SqlLimits& limits, QueryWatchdog& watchdog, AppendRow&& append_row) {
  size_t count = 0;
  while (rows.next()) {
    for (size_t r = 0; r < rows.batch_size(); ++r) {
      if (++count > limits.max_rows) throw SqlLimitExceeded(rows_over_limit(limits.max_rows));
      if (append_row(r) > limits.max_bytes) throw SqlLimitExceeded(bytes_over_limit(limits.max_bytes));
    }
    if (watchdog.past_deadline()) throw DuckError("Interrupted"); // answered as the timeout below
  }
}

// {"columns": [{"name", "type"}, ...], "rows": [[value, ...], ...], "row_count": N}
std::string json_answer(TextRows& rows, const SqlLimits& limits, QueryWatchdog& watchdog) {
  JsonWriter w;
  w.begin_object().key("columns").begin_array();
  size_t cols = rows.column_count();
  for (size_t c = 0; c < cols; ++c) w.begin_object().field("name", rows.column_name(c)).field("type", rows.column_type_name(c)).end_object();
  w.end_array().key("rows").begin_array();
  size_t count = 0;
  encode_rows(rows, limits, watchdog, [&](size_t r) {
    w.begin_array();
    for (size_t c = 0; c < cols; ++c) write_json_value(w, rows.value(c, r), rows.column_type(c));
    w.end_array();
    ++count;
    return w.view().size();
  });
  return w.end_array().field("row_count", count).end_object().take();
}

std::string csv_answer(TextRows& rows, const SqlLimits& limits, QueryWatchdog& watchdog) {
  std::string out;
  size_t cols = rows.column_count();
  for (size_t c = 0; c < cols; ++c) {
    if (c) out += ',';
    out += csv_field(rows.column_name(c));
  }
  out += "\n";
  encode_rows(rows, limits, watchdog, [&](size_t r) {
    for (size_t c = 0; c < cols; ++c) {
      if (c) out += ',';
      if (auto v = rows.value(c, r)) out += csv_field(*v);
    }
    out += "\n";
    return out.size();
  });
  return out;
}

} // namespace

SqlService::SqlService(DuckDatabase& warehouse, LakeWriter& lake, fs::path answers_dir)
    : db_(warehouse), lake_views_(warehouse, lake), answers_dir_(std::move(answers_dir)) {}

// COPY (<statement> LIMIT max_rows + 1) to a file of the answers folder, read back whole. The
// statement is prepared alone first: only one whole SELECT is wrapped, so no text can close the
// wrapper's parenthesis and go on as COPY options of its own.
SqlAnswer SqlService::parquet_answer(DuckConnection& con, const ClassifiedStatement& classified, const SqlLimits& limits) {
  const std::string& statement = classified.text;
  DuckPrepared alone(con, statement);
  if (alone.statement_type() != DUCKDB_STATEMENT_TYPE_SELECT || !prepared_type_fits(classified.access, alone.statement_type()))
    throw DuckError("Parquet output needs one query (SELECT, WITH, VALUES, FROM, TABLE)");
  fs::path file = answers_dir_ / ("answer-" + std::to_string(next_answer_++) + ".parquet");
  struct Remove {
    fs::path f;
    ~Remove() {
      std::error_code ec;
      fs::remove(f, ec);
    }
  } remove{file};
  DuckResult copied = con.query("COPY (SELECT * FROM (" + statement + "\n) LIMIT " + std::to_string(limits.max_rows + 1) + ") TO " +
                                sql_literal(file.string()) + " (FORMAT parquet, COMPRESSION zstd)");
  if (static_cast<size_t>(copied.int64(0, 0)) > limits.max_rows) throw SqlLimitExceeded(rows_over_limit(limits.max_rows));
  std::error_code ec;
  if (fs::file_size(file, ec) > limits.max_bytes) throw SqlLimitExceeded(bytes_over_limit(limits.max_bytes));
  std::optional<std::string> bytes = read_file(file);
  if (!bytes) throw std::runtime_error("cannot read the Parquet answer " + file.string());
  return {200, "application/vnd.apache.parquet", std::move(*bytes)};
}

SqlAnswer SqlService::run(const SqlRequest& request) {
  return outcomes_.counted([&] { return run_statements(request); });
}

void SqlService::render_metrics(std::string& out) const { outcomes_.render(out); }

SqlAnswer SqlService::run_statements(const SqlRequest& request) {
  std::vector<ClassifiedStatement> statements = classify_sql(request.sql);
  if (statements.empty()) return sql_error_answer(400, "no SQL statement given");
  DuckConnection con(db_);
  for (size_t i = 0; i < statements.size(); ++i) // every statement checked before any runs
    if (auto refusal = statement_refusal(con, statements[i], i + 1, request.may_write))
      return sql_error_answer(refusal->http_status, refusal->message);
  if (request.format == SqlFormat::Parquet && (statements.size() != 1 || statements[0].access != SqlAccess::Read))
    return sql_error_answer(400, "Parquet output needs exactly one reading statement");
  if (!request.params.empty() && (statements.size() != 1 || request.format == SqlFormat::Parquet))
    return sql_error_answer(400, "parameters are for a single statement with a JSON or CSV answer");

  QueryWatchdog watchdog(con, request.limits.timeout_ms);
  const bool writes = std::any_of(statements.begin(), statements.end(), [](auto& s) { return s.access != SqlAccess::Read; });
  LakeHolds::Hold lake; // outlives every result below
  try {
    if (writes) db_.checkpoint_if_due(con);
    lake = lake_views_.read_now(con);
    if (request.format == SqlFormat::Parquet) return parquet_answer(con, statements[0], request.limits);
    // Every statement runs; the last one's result is the answer.
    for (size_t i = 0; i + 1 < statements.size(); ++i) {
      TextRows rows(con, statements[i]);
      while (rows.next()) {
        if (watchdog.past_deadline()) throw DuckError("Interrupted");
      }
    }
    TextRows rows(con, statements.back(), request.params);
    if (request.format == SqlFormat::Csv) return {200, "text/csv; charset=utf-8", csv_answer(rows, request.limits, watchdog)};
    return {200, "application/json", json_answer(rows, request.limits, watchdog)};
  } catch (const SqlLimitExceeded& e) {
    return sql_error_answer(413, e.what());
  } catch (const DuckError& e) {
    if (writes) db_.write_failed(); // an autocommit that failed may have torn the WAL
    if (watchdog.fired() == QueryWatchdog::Fired::Timeout || watchdog.past_deadline())
      return sql_error_answer(408, time_over_limit(request.limits.timeout_ms));
    // DuckDB's sandbox (a file outside the lake) is a refusal like the policy's.
    return sql_error_answer(std::string_view(e.what()).starts_with("Permission Error") ? 403 : 400, e.what());
  }
}

} // namespace shopflow
