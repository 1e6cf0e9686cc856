#include "query/query_engine.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include <simdjson.h>

#include "formats/csv_field.h"
#include "util/json_writer.h"
#include "query/text_rows.h"
#include "sinks/lake/lake_writer.h"
#include "storage/backend_urls.h"
#include "storage/data_dir.h"
#include "storage/data_dir_lock.h"

namespace fs = std::filesystem;

namespace shopflow {

QueryEngine::QueryEngine(const std::string& data_dir) {
  const Backends backends = settle_backends(data_dir, {}, false);
  const fs::path warehouse = warehouse_file(backends.warehouse);
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
  lake_store_ = open_lake_store(backends.lake);
  lake_store_->open_for(*con_);
  lake_ = std::make_unique<LakeWriter>(*lake_store_, true); // this process writes nothing there
  lake_views_ = std::make_unique<LakeViews>(*db_, *lake_);
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

// The same for a type as DuckDB names it ("DECIMAL(18,3)", "BIGINT").
bool is_numeric_type_name(std::string_view name) {
  for (std::string_view t : {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "HUGEINT",
                             "UHUGEINT", "FLOAT", "DOUBLE"})
    if (name == t) return true;
  return name.starts_with("DECIMAL");
}

// Display width of UTF-8 text (code points; good enough for the data we hold).
size_t width(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

} // namespace

namespace {
// Whether DuckDB's text of a value of `type` is written bare in JSON: numbers (but nan and inf,
// which JSON lacks) and booleans.
bool json_bare(std::string_view text, duckdb_type type) {
  return (is_numeric(type) && text != "nan" && text != "inf" && text != "-inf") || type == DUCKDB_TYPE_BOOLEAN;
}

// A value's text as JSON: null, bare (its own number or boolean text), or a string.
void write_json_text(JsonWriter& w, std::optional<std::string_view> text, bool bare) {
  if (!text) w.value(nullptr);
  else if (bare) w.value(JsonRaw{*text});
  else w.value(*text);
}
} // namespace

void write_json_value(JsonWriter& w, std::optional<std::string_view> v, duckdb_type type) { write_json_text(w, v, v && json_bare(*v, type)); }

namespace {
// A table's columns, from anything with column_count(), column_name(c) and column_type(c).
template <class Result> TextTable columns_of(Result& r) {
  TextTable t;
  for (size_t c = 0; c < r.column_count(); ++c) {
    t.names.push_back(r.column_name(c));
    t.numeric.push_back(is_numeric(r.column_type(c)));
  }
  return t;
}

TextTable::Cell text_cell(std::optional<std::string_view> value, duckdb_type type) {
  if (!value) return {};
  return {std::string(*value), json_bare(*value, type)};
}
} // namespace

TextTable text_table(DuckResult& r) {
  TextTable t = columns_of(r);
  for (size_t row = 0; row < r.row_count(); ++row) {
    auto& cells = t.rows.emplace_back();
    for (size_t c = 0; c < t.names.size(); ++c)
      cells.push_back(text_cell(r.is_null(c, row) ? std::nullopt : std::optional<std::string>(r.text(c, row)), r.column_type(c)));
  }
  return t;
}

TextTable text_table(TextRows& rows) {
  TextTable t = columns_of(rows);
  while (rows.next())
    for (size_t r = 0; r < rows.batch_size(); ++r) {
      auto& cells = t.rows.emplace_back();
      for (size_t c = 0; c < t.names.size(); ++c) cells.push_back(text_cell(rows.value(c, r), rows.column_type(c)));
    }
  return t;
}

TextTable text_table_from_sql_answer(const std::string& json) {
  // On-demand parsing keeps each number's own text (823746.140 stays so, not 823746.14).
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(json);
  TextTable t;
  try {
    simdjson::ondemand::document doc = parser.iterate(padded);
    for (simdjson::ondemand::object column : doc["columns"].get_array()) {
      t.names.emplace_back(std::string_view(column["name"].get_string()));
      std::string_view type = column["type"].get_string();
      t.numeric.push_back(is_numeric_type_name(type));
    }
    for (simdjson::ondemand::array values : doc["rows"].get_array()) {
      std::vector<TextTable::Cell> row;
      for (simdjson::ondemand::value v : values) {
        TextTable::Cell cell;
        if (v.type() == simdjson::ondemand::json_type::string) {
          cell.text = std::string(std::string_view(v.get_string()));
        } else if (!v.is_null()) { // a number or a boolean, its own text kept
          std::string_view raw = v.raw_json_token();
          while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n')) raw.remove_suffix(1);
          cell.text = std::string(raw);
          cell.bare = true;
        }
        row.push_back(std::move(cell));
      }
      if (row.size() != t.names.size()) throw std::runtime_error("a row has " + std::to_string(row.size()) + " values");
      t.rows.push_back(std::move(row));
    }
  } catch (const simdjson::simdjson_error& e) {
    throw std::runtime_error(std::string("not a SQL answer: ") + e.what());
  }
  return t;
}

std::string render(const TextTable& t, OutputFormat format) {
  size_t cols = t.names.size(), rows = t.rows.size();
  std::string out;
  if (format == OutputFormat::Csv) {
    for (size_t c = 0; c < cols; ++c) {
      if (c) out += ',';
      out += csv_field(t.names[c]);
    }
    out += "\n";
    for (auto& row : t.rows) {
      for (size_t c = 0; c < cols; ++c) {
        if (c) out += ',';
        if (row[c].text) out += csv_field(*row[c].text);
      }
      out += "\n";
    }
    return out;
  }
  if (format == OutputFormat::Json) {
    out = "["; // one row's object per line
    for (size_t r = 0; r < rows; ++r) {
      JsonWriter w;
      w.begin_object();
      for (size_t c = 0; c < cols; ++c) write_json_text(w.key(t.names[c]), t.rows[r][c].text, t.rows[r][c].bare);
      out += r ? ",\n " : "";
      out += w.end_object().view();
    }
    return out + "]\n";
  }
  if (format == OutputFormat::Markdown) {
    auto cell = [](std::string_view s) { // '|' would end the cell, a line break the row
      std::string escaped;
      for (char ch : s) escaped += ch == '|' ? std::string("\\|") : ch == '\n' ? std::string("<br>") : std::string(1, ch);
      return escaped;
    };
    auto line = [&](auto&& text_of) {
      out += "|";
      for (size_t c = 0; c < cols; ++c) {
        out += ' ';
        out += text_of(c);
        out += " |";
      }
      out += "\n";
    };
    line([&](size_t c) { return cell(t.names[c]); });
    line([&](size_t c) { return std::string(t.numeric[c] ? "---:" : "---"); });
    for (auto& row : t.rows) line([&](size_t c) { return row[c].text ? cell(*row[c].text) : std::string("NULL"); });
    return out;
  }
  // Aligned table.
  std::vector<size_t> w(cols);
  for (size_t c = 0; c < cols; ++c) w[c] = width(t.names[c]);
  auto shown = [](const TextTable::Cell& cell) -> std::string_view { return cell.text ? std::string_view(*cell.text) : "NULL"; };
  for (auto& row : t.rows)
    for (size_t c = 0; c < cols; ++c) w[c] = std::max(w[c], width(shown(row[c])));
  auto pad = [&](std::string_view s, size_t c) {
    std::string fill(w[c] - width(s), ' ');
    return t.numeric[c] ? fill + std::string(s) : std::string(s) + fill;
  };
  for (size_t c = 0; c < cols; ++c) out += (c ? "  " : "") + pad(t.names[c], c);
  out += "\n";
  for (size_t c = 0; c < cols; ++c) out += (c ? "  " : "") + std::string(w[c], '-');
  out += "\n";
  for (auto& row : t.rows) {
    for (size_t c = 0; c < cols; ++c) out += (c ? "  " : "") + pad(shown(row[c]), c);
    out += "\n";
  }
  out += "(" + std::to_string(rows) + (rows == 1 ? " row)\n" : " rows)\n");
  return out;
}

} // namespace shopflow
