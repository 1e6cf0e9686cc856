#include "query/query_engine.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "formats/csv_field.h"
#include "formats/json_record.h"
#include "sinks/lake/lake_writer.h"
#include "util/data_dir_lock.h"

namespace fs = std::filesystem;

namespace shopflow {

QueryEngine::QueryEngine(const std::string& data_dir) {
  fs::path warehouse = fs::path(data_dir) / "warehouse.duckdb";
  if (!fs::exists(warehouse))
    throw std::runtime_error("no warehouse in " + data_dir + " (import data first: shopflow batch FILE --data " + data_dir + ")");
  db_ = std::make_unique<DuckDatabase>(":memory:");
  con_ = std::make_unique<DuckConnection>(*db_);
  try {
    con_->execute("ATTACH " + sql_literal(warehouse.string()) + " AS warehouse (READ_ONLY)");
  } catch (const DuckError& e) {
    if (auto who = DataDirLock::holder(data_dir))
      throw std::runtime_error("the warehouse in " + data_dir + " is being written by " + *who + "; try again when it finishes");
    throw;
  }
  con_->execute("USE warehouse");
  con_->execute("ATTACH ':memory:' AS lake");
  define_lake_views(*con_, fs::path(data_dir) / "lake");
}

bool define_lake_views(DuckConnection& con, const fs::path& lake_root) {
  LakeWriter lake(lake_root);
  bool all = true;
  for (const char* table : kLakeTables) {
    bool has_files = false;
    if (fs::exists(lake.root() / table))
      for (auto& e : fs::recursive_directory_iterator(lake.root() / table))
        if (e.is_regular_file() && e.path().extension() == ".parquet") { has_files = true; break; }
    all &= has_files;
    std::string body = has_files
        ? "SELECT * FROM read_parquet(" + sql_literal(lake.glob(table)) + ", hive_partitioning = true)"
        : std::string("SELECT *, CAST(NULL AS BIGINT) AS year, CAST(NULL AS BIGINT) AS month FROM warehouse.main.") + table + " WHERE false";
    con.execute(std::string("CREATE OR REPLACE VIEW lake.main.") + table + " AS " + body);
  }
  return all;
}

namespace {

bool is_numeric(duckdb_type t) {
  switch (t) {
  case DUCKDB_TYPE_TINYINT: case DUCKDB_TYPE_SMALLINT: case DUCKDB_TYPE_INTEGER: case DUCKDB_TYPE_BIGINT:
  case DUCKDB_TYPE_UTINYINT: case DUCKDB_TYPE_USMALLINT: case DUCKDB_TYPE_UINTEGER: case DUCKDB_TYPE_UBIGINT:
  case DUCKDB_TYPE_HUGEINT: case DUCKDB_TYPE_UHUGEINT: case DUCKDB_TYPE_FLOAT: case DUCKDB_TYPE_DOUBLE:
  case DUCKDB_TYPE_DECIMAL:
    return true;
  default:
    return false;
  }
}

// Display width of UTF-8 text (code points; good enough for the data we hold).
size_t width(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

} // namespace

void append_json_text(std::string& out, std::optional<std::string_view> v, duckdb_type type) {
  if (!v) out += "null";
  else if (is_numeric(type)) {
    if (*v == "nan" || *v == "inf" || *v == "-inf") append_json_string(out, *v);
    else out += *v;
  } else if (type == DUCKDB_TYPE_BOOLEAN) out += *v;
  else append_json_string(out, *v);
}

void append_json_value(std::string& out, DuckResult& r, size_t c, size_t row) {
  if (r.is_null(c, row)) return append_json_text(out, std::nullopt, r.column_type(c));
  append_json_text(out, r.text(c, row), r.column_type(c));
}

std::string render(DuckResult& r, OutputFormat format) {
  size_t cols = r.column_count(), rows = r.row_count();
  std::string out;
  if (format == OutputFormat::Csv) {
    for (size_t c = 0; c < cols; ++c) {
      if (c) out += ',';
      out += csv_field(r.column_name(c));
    }
    out += "\n";
    for (size_t row = 0; row < rows; ++row) {
      for (size_t c = 0; c < cols; ++c) {
        if (c) out += ',';
        if (!r.is_null(c, row)) out += csv_field(r.text(c, row));
      }
      out += "\n";
    }
    return out;
  }
  if (format == OutputFormat::Json) {
    out = "[";
    for (size_t row = 0; row < rows; ++row) {
      out += row ? ",\n {" : "{";
      for (size_t c = 0; c < cols; ++c) {
        if (c) out += ",";
        append_json_string(out, r.column_name(c));
        out += ":";
        append_json_value(out, r, c, row);
      }
      out += "}";
    }
    out += "]\n";
    return out;
  }
  // Aligned table.
  std::vector<std::vector<std::string>> cells(rows, std::vector<std::string>(cols));
  std::vector<size_t> w(cols);
  std::vector<bool> right(cols);
  for (size_t c = 0; c < cols; ++c) {
    w[c] = width(r.column_name(c));
    right[c] = is_numeric(r.column_type(c));
  }
  for (size_t row = 0; row < rows; ++row)
    for (size_t c = 0; c < cols; ++c) {
      cells[row][c] = r.is_null(c, row) ? "NULL" : r.text(c, row);
      w[c] = std::max(w[c], width(cells[row][c]));
    }
  auto pad = [&](const std::string& s, size_t c) {
    std::string fill(w[c] - width(s), ' ');
    return right[c] ? fill + s : s + fill;
  };
  for (size_t c = 0; c < cols; ++c) out += (c ? "  " : "") + pad(r.column_name(c), c);
  out += "\n";
  for (size_t c = 0; c < cols; ++c) out += (c ? "  " : "") + std::string(w[c], '-');
  out += "\n";
  for (size_t row = 0; row < rows; ++row) {
    for (size_t c = 0; c < cols; ++c) out += (c ? "  " : "") + pad(cells[row][c], c);
    out += "\n";
  }
  out += "(" + std::to_string(rows) + (rows == 1 ? " row)\n" : " rows)\n");
  return out;
}

} // namespace shopflow
