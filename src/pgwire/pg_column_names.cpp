#include "pgwire/pg_column_names.h"

#include <algorithm>
#include <map>
#include <simdjson.h>

namespace shopflow {

namespace {

using simdjson::dom::element;

// DuckDB's functions whose PostgreSQL name is another: count(*) is parsed as count_star; the
// session's emulated functions (pg_compat.h) carry a prefix.
const std::map<std::string, std::string, std::less<>> kFunctionNames = {
    {"count_star", "count"}, {"shopflow_current_database", "current_database"}};

// PostgreSQL's name of a type DuckDB reports (what a cast of a constant is named after).
std::string pg_type_name(std::string_view duckdb_type) {
  static const std::map<std::string, std::string, std::less<>> names = {
      {"BOOLEAN", "bool"}, {"TINYINT", "int2"}, {"SMALLINT", "int2"}, {"INTEGER", "int4"}, {"BIGINT", "int8"},
      {"FLOAT", "float4"}, {"DOUBLE", "float8"}, {"DECIMAL", "numeric"}, {"VARCHAR", "text"}, {"DATE", "date"},
      {"TIME", "time"}, {"TIMESTAMP", "timestamp"}, {"TIMESTAMP WITH TIME ZONE", "timestamptz"}, {"INTERVAL", "interval"},
      {"BLOB", "bytea"}, {"UUID", "uuid"}};
  auto it = names.find(duckdb_type);
  return it == names.end() ? "?column?" : it->second;
}

// A string field of a parse node ("" if it has none).
std::string_view field(element e, const char* key) {
  std::string_view v;
  return e[key].get_string().get(v) ? std::string_view() : v;
}

bool identifier(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) { return isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::optional<std::string> first_column_name(element node);

// PostgreSQL's name for one select-list expression (FigureColname): nullopt where it is DuckDB's
// own (an alias, a column), "?column?" where PostgreSQL has no better one.
std::optional<std::string> expression_name(element e) {
  std::string_view cls = field(e, "class"), type = field(e, "type");
  if (!field(e, "alias").empty()) return std::nullopt;
  if (cls == "COLUMN_REF") return std::nullopt;
  if (cls == "FUNCTION") {
    std::string_view fn;
    if (e["function_name"].get_string().get(fn)) return "?column?";
    if (auto it = kFunctionNames.find(fn); it != kFunctionNames.end()) return it->second;
    return identifier(fn) ? std::string(fn) : "?column?"; // operators: a + b, a ~~ b (LIKE)
  }
  if (cls == "CAST") {
    element child;
    std::string_view id;
    if (!e["child"].get(child)) {
      std::optional<std::string> inner = expression_name(child);
      if (!inner) { // a column: its name, which is DuckDB's for the cast too only if DuckDB says so
        simdjson::dom::array names;
        if (!child["column_names"].get_array().get(names) && names.size()) {
          std::string_view last;
          if (!names.at(names.size() - 1).get_string().get(last)) return std::string(last);
        }
        return std::nullopt;
      }
      if (*inner != "?column?") return inner;
    }
    if (!e["cast_type"]["id"].get_string().get(id)) return pg_type_name(id);
    return "?column?";
  }
  if (cls == "CASE") return "case";
  if (cls == "OPERATOR" && type == "OPERATOR_COALESCE") return "coalesce";
  if (cls == "SUBQUERY") {
    std::string_view kind = field(e, "subquery_type");
    if (kind == "EXISTS") return "exists";
    if (kind == "SCALAR") {
      element node;
      if (!e["subquery"]["node"].get(node)) return first_column_name(node);
    }
  }
  return "?column?";
}

simdjson::dom::array select_list(element node) {
  std::string_view type = field(node, "type");
  element left;
  if (type == "SET_OPERATION_NODE" && !node["left"].get(left)) return select_list(left); // named by its first branch
  simdjson::dom::array list;
  if (type != "SELECT_NODE" || node["select_list"].get_array().get(list)) return {};
  return list;
}

// A scalar subquery's name: its first column's (an alias or a column name included).
std::optional<std::string> first_column_name(element node) {
  simdjson::dom::array list = select_list(node);
  if (!list.size()) return "?column?";
  element first = list.at(0);
  if (std::string_view alias = field(first, "alias"); !alias.empty()) return std::string(alias);
  simdjson::dom::array names;
  std::string_view last;
  if (!first["column_names"].get_array().get(names) && names.size() && !names.at(names.size() - 1).get_string().get(last))
    return std::string(last);
  return expression_name(first).value_or("?column?");
}

} // namespace

std::vector<std::optional<std::string>> PgColumnNames::of(const std::string& sql) {
  std::string ast;
  try {
    serialize_.bind_text(0, sql);
    DuckResult r = serialize_.execute();
    if (r.row_count() != 1 || r.is_null(0, 0)) return {};
    ast = r.text(0, 0);
  } catch (const DuckError&) {
    return {};
  }
  simdjson::dom::parser parser;
  element doc, node;
  bool failed = true;
  if (parser.parse(ast).get(doc) || doc["error"].get_bool().get(failed) || failed) return {};
  simdjson::dom::array statements;
  if (doc["statements"].get_array().get(statements) || statements.size() != 1 || statements.at(0)["node"].get(node)) return {};
  std::vector<std::optional<std::string>> names;
  for (element e : select_list(node)) {
    if (std::string_view cls = field(e, "class"); cls == "STAR" || cls == "COLUMNS") return {}; // expands to columns we cannot count here
    names.push_back(expression_name(e));
  }
  return names;
}

} // namespace shopflow
