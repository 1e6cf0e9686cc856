#include "pgwire/protocol/pg_compat.h"

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

// Catalog functions and relations that PostgreSQL has and DuckDB's pg_catalog lacks (or has
// with too few columns), created per session by pg_session_setup(). Each is followed by "(" or
// a space where psql uses it, so "pg_database" does not catch "pg_database_size".
constexpr const char* kEmulated[] = {
    "pg_get_userbyid(", "pg_encoding_to_char(", "pg_get_function_result(", "pg_get_function_arguments(", "pg_function_is_visible(",
    "pg_get_viewdef(", "array_to_string(", "col_description(", "obj_description(", "shobj_description(", "pg_database ",
    "pg_roles ", "pg_auth_members ", "pg_user ", "pg_namespace ", "quote_ident(", "pg_table_is_visible(", "version(",
    "pg_type ", "pg_attribute "};
} // namespace

std::vector<std::string> pg_session_setup(const std::string& user_literal, const std::string& version_literal) {
  const std::string& name = user_literal;
  return {
      "CREATE OR REPLACE TEMP MACRO pg_get_userbyid(id) AS " + name,
      "CREATE OR REPLACE TEMP MACRO pg_encoding_to_char(e) AS 'UTF8'",
      "CREATE OR REPLACE TEMP MACRO pg_get_function_result(id) AS (SELECT lower(any_value(return_type)) FROM duckdb_functions() "
      "WHERE function_oid = id)",
      "CREATE OR REPLACE TEMP MACRO pg_get_function_arguments(id) AS (SELECT lower(array_to_string(any_value(parameter_types), ', ')) "
      "FROM duckdb_functions() WHERE function_oid = id)",
      "CREATE OR REPLACE TEMP MACRO pg_function_is_visible(id) AS true",
      // What a client sees: the warehouse's own tables and views (not DuckDB's system views, nor
      // the lake's, which are another catalog).
      "CREATE OR REPLACE TEMP MACRO pg_table_is_visible(id) AS id IN (SELECT table_oid FROM duckdb_tables() WHERE "
      "database_name = 'warehouse' AND schema_name = 'main' UNION ALL SELECT view_oid FROM duckdb_views() WHERE NOT internal AND "
      "database_name = 'warehouse' AND schema_name = 'main')",
      "CREATE OR REPLACE TEMP MACRO pg_get_viewdef(id, pretty := false) AS (SELECT regexp_replace(any_value(sql), "
      "'^CREATE (OR REPLACE )?VIEW [^ ]+ AS ', ' ') FROM duckdb_views() WHERE view_oid = id)",
      "CREATE OR REPLACE TEMP MACRO col_description(rel, col) AS NULL::VARCHAR",
      "CREATE OR REPLACE TEMP MACRO obj_description(id, cat := '') AS NULL::VARCHAR",
      "CREATE OR REPLACE TEMP MACRO shobj_description(id, cat) AS NULL::VARCHAR",
      "CREATE OR REPLACE TEMP MACRO version() AS " + version_literal,
      "CREATE OR REPLACE TEMP MACRO shopflow_current_database() AS 'shopflow'",
      "CREATE OR REPLACE TEMP MACRO \"current_user\"() AS " + name,
      "CREATE OR REPLACE TEMP VIEW pg_database AS SELECT 16384 AS oid, 'shopflow' AS datname, 10 AS datdba, 6 AS encoding, "
      "'C' AS datcollate, 'C' AS datctype, NULL::VARCHAR AS daticulocale, 'c' AS datlocprovider, NULL::VARCHAR[] AS datacl, "
      "true AS datallowconn, -1 AS datconnlimit, false AS datistemplate",
      "CREATE OR REPLACE TEMP VIEW pg_roles AS SELECT 10 AS oid, " + name + " AS rolname, false AS rolsuper, true AS rolinherit, "
      "false AS rolcreaterole, false AS rolcreatedb, true AS rolcanlogin, -1 AS rolconnlimit, NULL::TIMESTAMP AS rolvaliduntil, "
      "false AS rolreplication, false AS rolbypassrls, NULL::VARCHAR[] AS rolconfig",
      "CREATE OR REPLACE TEMP VIEW pg_user AS SELECT rolname AS usename, oid AS usesysid, rolsuper AS usesuper FROM pg_roles",
      // PostgreSQL always has the pg_catalog schema: psql's tab completion excludes its oid.
      "CREATE OR REPLACE TEMP VIEW pg_namespace AS SELECT * FROM pg_catalog.pg_namespace UNION ALL "
      "SELECT 11, 'pg_catalog', 10, NULL UNION ALL SELECT 13, 'information_schema', 10, NULL",
      "CREATE OR REPLACE TEMP MACRO quote_ident(x) AS CASE WHEN regexp_full_match(x, '[a-z_][a-z0-9_$]*') THEN x "
      "ELSE '\"' || replace(x, '\"', '\"\"') || '\"' END",
      // PostgreSQL's type oids (pgjdbc and ODBC map columns to SQL types by them), and the
      // warehouse's columns with them.
      "CREATE OR REPLACE TEMP VIEW pg_type AS SELECT oid, typname, 11 AS typnamespace, 10 AS typowner, typlen, typlen > 0 AS typbyval, "
      "'b' AS typtype, typcategory, false AS typispreferred, true AS typisdefined, ',' AS typdelim, 0 AS typrelid, "
      "CASE oid WHEN 1009 THEN 25 ELSE 0 END AS typelem, CASE oid WHEN 25 THEN 1009 ELSE 0 END AS typarray, typname || 'in' AS typinput, typname || 'out' AS typoutput, 'i' AS typalign, 'p' AS typstorage, "
      "false AS typnotnull, 0 AS typbasetype, -1 AS typtypmod, 0 AS typndims, 0 AS typcollation, NULL::VARCHAR AS typdefault FROM "
      "(VALUES (16, 'bool', 1, 'B'), (17, 'bytea', -1, 'U'), (20, 'int8', 8, 'N'), (21, 'int2', 2, 'N'), (23, 'int4', 4, 'N'), "
      "(25, 'text', -1, 'S'), (700, 'float4', 4, 'N'), (701, 'float8', 8, 'N'), (1043, 'varchar', -1, 'S'), (1082, 'date', 4, 'D'), "
      "(1083, 'time', 8, 'D'), (1114, 'timestamp', 8, 'D'), (1184, 'timestamptz', 8, 'D'), (1186, 'interval', 16, 'T'), "
      "(1700, 'numeric', -1, 'N'), (2950, 'uuid', 16, 'U'), (1009, '_text', -1, 'A')) AS t(oid, typname, typlen, typcategory)",
      "CREATE OR REPLACE TEMP VIEW pg_attribute AS SELECT table_oid AS attrelid, column_name AS attname, "
      "CASE WHEN data_type = 'VARCHAR' THEN 1043 WHEN data_type = 'INTEGER' THEN 23 WHEN data_type = 'BIGINT' THEN 20 "
      "WHEN data_type IN ('SMALLINT', 'TINYINT') THEN 21 WHEN data_type = 'BOOLEAN' THEN 16 WHEN data_type = 'DOUBLE' THEN 701 "
      "WHEN data_type = 'FLOAT' THEN 700 WHEN data_type = 'DATE' THEN 1082 WHEN data_type = 'TIME' THEN 1083 "
      "WHEN data_type = 'TIMESTAMP' THEN 1114 WHEN data_type = 'TIMESTAMP WITH TIME ZONE' THEN 1184 WHEN data_type = 'INTERVAL' THEN 1186 "
      "WHEN data_type = 'BLOB' THEN 17 WHEN data_type = 'UUID' THEN 2950 "
      "WHEN data_type LIKE 'DECIMAL%' OR data_type IN ('HUGEINT', 'UBIGINT') THEN 1700 ELSE 25 END AS atttypid, "
      "-1 AS attstattarget, -1 AS attlen, column_index AS attnum, 0 AS attndims, -1 AS attcacheoff, "
      "CASE WHEN data_type LIKE 'DECIMAL%' THEN ((numeric_precision << 16) | numeric_scale) + 4 ELSE -1 END AS atttypmod, "
      "false AS attbyval, 'x' AS attstorage, 'i' AS attalign, NOT is_nullable AS attnotnull, column_default IS NOT NULL AS atthasdef, "
      "false AS atthasmissing, '' AS attidentity, '' AS attgenerated, false AS attisdropped, true AS attislocal, 0 AS attinhcount, "
      "0 AS attcollation, '' AS attcompression, NULL::VARCHAR[] AS attacl, NULL::VARCHAR[] AS attoptions, "
      "NULL::VARCHAR[] AS attfdwoptions, NULL::VARCHAR AS attmissingval FROM duckdb_columns()",
      "CREATE OR REPLACE TEMP VIEW pg_auth_members AS SELECT 0 AS roleid, 0 AS member, 0 AS grantor, false AS admin_option WHERE false",
  };
}

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
  // What pg_session_setup() provides as TEMP objects: reached unqualified.
  for (const char* name : kEmulated) replace_all(std::string("pg_catalog.") + name, name);
  // A macro of another name: DuckDB's own pg_catalog views filter on its current_database().
  replace_all("pg_catalog.current_database()", "current_database()");
  replace_all("current_database()", "shopflow_current_database()");
  replace_all("OPERATOR(pg_catalog.~)", "~");
  replace_all(" COLLATE pg_catalog.default", "");
  replace_all("::pg_catalog.regtype::pg_catalog.text", "::VARCHAR");
  replace_all("::pg_catalog.regclass", "");
  replace_all("'pg_class'::regclass", "1259"); // pgjdbc's join of pg_description (pg_class's oid in PostgreSQL)
  replace_all("::pg_catalog.oid", "::BIGINT");
  replace_all("::pg_catalog.text", "::VARCHAR");
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
        "WHEN data_type = 'DOUBLE' THEN 'double precision' WHEN data_type = 'HUGEINT' THEN 'numeric' ELSE lower(data_type) END AS format_type";
    if (sql.find("pg_get_expr(d.adbin") != std::string::npos) cols += ", column_default AS attrdef";
    if (sql.find("a.attnotnull") != std::string::npos) cols += ", NOT is_nullable AS attnotnull";
    if (sql.find("AS attcollation") != std::string::npos) cols += ", NULL AS attcollation";
    if (sql.find("a.attidentity") != std::string::npos) cols += ", '' AS attidentity";
    if (sql.find("a.attgenerated") != std::string::npos) cols += ", '' AS attgenerated";
    // \d+ : storage ('p' plain for fixed-width types, 'x' extended for the others), compression,
    // statistics target and description.
    if (sql.find("a.attstorage") != std::string::npos)
      cols += ", CASE WHEN data_type IN ('VARCHAR', 'BLOB') OR data_type LIKE '%[]' THEN 'x' ELSE 'p' END AS attstorage";
    if (sql.find("AS attcompression") != std::string::npos) cols += ", '' AS attcompression";
    if (sql.find("AS attstattarget") != std::string::npos) cols += ", NULL::INTEGER AS attstattarget";
    if (sql.find("col_description(a.attrelid, a.attnum)") != std::string::npos) cols += ", comment AS description";
    return "SELECT " + cols + " FROM (SELECT * FROM duckdb_columns() WHERE table_oid = " + *oid + ") ORDER BY column_index";
  }
  for (const char* nothing : {"pg_catalog.pg_policy", "pg_catalog.pg_statistic_ext", "pg_catalog.pg_publication", "pg_catalog.pg_inherits",
                              "pg_catalog.pg_trigger", "pg_catalog.pg_constraint"})
    if (sql.find(nothing) != std::string::npos) return std::string("SELECT NULL AS none WHERE false");
  return std::nullopt;
}

} // namespace shopflow
