#include "bi/pg_compat.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace shopflow {

namespace {
// The first keyword, upper-cased ("SELECT", "BEGIN", ...).
std::string first_word(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n(");
  if (b == std::string::npos) return {};
  size_t e = s.find_first_of(" \t\r\n;(", b);
  std::string w = s.substr(b, e == std::string::npos ? std::string::npos : e - b);
  for (auto& c : w) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  return w;
}
} // namespace

// Rewrites what PostgreSQL clients' catalog queries (psql's \d, drivers' metadata) say in ways
// DuckDB's pg_catalog does not understand.
std::string pg_compat(std::string sql) {
  auto replace_all = [&](std::string_view from, std::string_view to) {
    std::string out;
    size_t at = 0;
    for (size_t hit; (hit = sql.find(from, at)) != std::string::npos; at = hit + from.size()) {
      out.append(sql, at, hit - at);
      out.append(to);
    }
    out.append(sql, at, std::string::npos);
    sql.swap(out);
  };
  replace_all("OPERATOR(pg_catalog.~)", "~");
  replace_all(" COLLATE pg_catalog.default", "");
  replace_all("::pg_catalog.regtype::pg_catalog.text", "::VARCHAR");
  replace_all("::pg_catalog.regclass", "");
  replace_all("::pg_catalog.text", "::VARCHAR");
  // Objects of the lake's catalog have no row in pg_namespace: psql's lookups (which join it as
  // n) show the warehouse's tables and views only.
  if (sql.find("LEFT JOIN pg_catalog.pg_namespace n") != std::string::npos)
    replace_all("pg_catalog.pg_table_is_visible(c.oid)", "n.oid IS NOT NULL");
  return sql;
}

// PostgreSQL session settings that drivers SET and SHOW when they connect (psqlODBC, JDBC):
// SET of one of them is accepted and changes nothing (the values below are what this server
// speaks); SHOW answers the value. Other names go to DuckDB.
std::optional<SessionStatement> session_statement(const std::string& sql) {
  static const std::map<std::string, std::string> kSettings = {
      {"datestyle", "ISO, MDY"}, {"extra_float_digits", "2"}, {"client_encoding", "UTF8"}, {"application_name", ""},
      {"intervalstyle", "postgres"}, {"statement_timeout", "0"}, {"timezone", "UTC"}, {"standard_conforming_strings", "on"},
      {"client_min_messages", "notice"}, {"bytea_output", "hex"}, {"lc_messages", "C"}, {"transaction_isolation", "read committed"},
      {"default_transaction_isolation", "read committed"}, {"max_identifier_length", "63"}, {"server_version", "15.0"},
      {"server_version_num", "150000"}, {"integer_datetimes", "on"}, {"search_path", "main"}, {"server_encoding", "UTF8"}};
  std::string word = first_word(sql);
  if (word != "SET" && word != "SHOW") return std::nullopt;
  std::string rest = sql.substr(sql.find_first_not_of(" \t\r\n") + word.size());
  std::string name;
  for (char c : rest) {
    if (isalnum(static_cast<unsigned char>(c)) || c == '_') name.push_back(static_cast<char>(tolower(static_cast<unsigned char>(c))));
    else if (!name.empty()) break;
  }
  if (name == "session" && word == "SET") { // SET SESSION name ...
    size_t at = rest.find_first_not_of(" \t", rest.find_first_not_of(" \t") + 7);
    name.clear();
    for (size_t i = at; i < rest.size() && (isalnum(static_cast<unsigned char>(rest[i])) || rest[i] == '_'); ++i)
      name.push_back(static_cast<char>(tolower(static_cast<unsigned char>(rest[i]))));
  }
  auto it = kSettings.find(name);
  if (it == kSettings.end()) return std::nullopt;
  SessionStatement out{word == "SET", name, it->second, {}};
  if (out.is_set) { // what follows the name and its "=" or "TO"
    std::string lower = rest;
    for (char& c : lower) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    size_t at = lower.find(name);
    std::string value = at == std::string::npos ? std::string() : rest.substr(at + name.size());
    size_t b = value.find_first_not_of(" \t\r\n");
    value = b == std::string::npos ? std::string() : value.substr(b);
    if (value.starts_with("=")) value = value.substr(1);
    else if (value.size() > 2 && (value[0] == 't' || value[0] == 'T') && (value[1] == 'o' || value[1] == 'O') && isspace(static_cast<unsigned char>(value[2])))
      value = value.substr(2);
    b = value.find_first_not_of(" \t\r\n");
    size_t e = value.find_last_not_of(" \t\r\n;");
    value = b == std::string::npos ? std::string() : value.substr(b, e - b + 1);
    if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"') && value.back() == value.front()) value = value.substr(1, value.size() - 2);
    out.set_value = value;
  }
  return out;
}

std::optional<int64_t> parse_pg_duration_ms(std::string_view text) {
  if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'') text = text.substr(1, text.size() - 2);
  size_t digits = 0;
  while (digits < text.size() && isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 12) return std::nullopt;
  int64_t n = std::stoll(std::string(text.substr(0, digits)));
  std::string unit(text.substr(digits));
  while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
  for (char& c : unit) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  if (unit.empty() || unit == "ms") return n;
  if (unit == "s") return n * 1000;
  if (unit == "min") return n * 60'000;
  if (unit == "h") return n * 3'600'000;
  return std::nullopt;
}

// psql's \d queries about one table (details, columns, and footers this catalog has nothing for)
// answered from DuckDB's own catalog. Nullopt: not one of them.
std::optional<std::string> describe_table_query(const std::string& sql) {
  auto oid_after = [&](std::string_view marker) -> std::optional<std::string> {
    size_t at = sql.find(marker);
    if (at == std::string::npos) return std::nullopt;
    at += marker.size();
    size_t end = sql.find('\'', at);
    std::string oid = sql.substr(at, end - at);
    if (oid.empty() || oid.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return oid;
  };
  if (sql.find("c.relchecks, c.relkind") != std::string::npos) {
    auto oid = oid_after("WHERE c.oid = '");
    if (!oid) return std::nullopt;
    return "SELECT 0 AS relchecks, CASE WHEN EXISTS (SELECT 1 FROM duckdb_views() WHERE view_oid = " + *oid +
           ") THEN 'v' ELSE 'r' END AS relkind, false, false, false, false, false, false AS relhasoids, false, '', 0, '', 'p', 'd', 'heap'";
  }
  if (sql.find("pg_catalog.format_type(a.atttypid, a.atttypmod)") != std::string::npos) {
    auto oid = oid_after("a.attrelid = '");
    if (!oid) return std::nullopt;
    std::string cols =
        "column_name AS attname, CASE WHEN data_type LIKE 'DECIMAL%' THEN 'numeric' || substr(data_type, 8) "
        "WHEN data_type = 'VARCHAR' THEN 'character varying' WHEN data_type = 'TIMESTAMP' THEN 'timestamp without time zone' "
        "WHEN data_type = 'DOUBLE' THEN 'double precision' ELSE lower(data_type) END AS format_type";
    if (sql.find("pg_get_expr(d.adbin") != std::string::npos) cols += ", column_default AS attrdef";
    if (sql.find("a.attnotnull") != std::string::npos) cols += ", NOT is_nullable AS attnotnull";
    if (sql.find("AS attcollation") != std::string::npos) cols += ", NULL AS attcollation";
    if (sql.find("a.attidentity") != std::string::npos) cols += ", '' AS attidentity";
    if (sql.find("a.attgenerated") != std::string::npos) cols += ", '' AS attgenerated";
    return "SELECT " + cols + " FROM (SELECT * FROM duckdb_columns() WHERE table_oid = " + *oid + ") ORDER BY column_index";
  }
  for (const char* nothing : {"pg_catalog.pg_policy", "pg_catalog.pg_statistic_ext", "pg_catalog.pg_publication", "pg_catalog.pg_inherits",
                              "pg_catalog.pg_trigger", "pg_catalog.pg_constraint"})
    if (sql.find(nothing) != std::string::npos) return std::string("SELECT NULL AS none WHERE false");
  return std::nullopt;
}

} // namespace shopflow
