#include "query/policy/sql_policy.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <duckdb.h>

#include "sinks/warehouse/warehouse_tables.h"

namespace shopflow {

namespace {

struct Token {
  enum Kind { Word, Quoted, String, Number, Punct } kind;
  std::string text; // Word: upper-cased; Punct: the character; others: as written
};

struct Scanned {
  std::string text;
  std::vector<Token> tokens;
  std::string problem; // a lexical error; the statement is refused
};

bool ident_start(unsigned char c) { return std::isalpha(c) || c == '_' || c >= 0x80; }
bool ident_char(unsigned char c) { return std::isalnum(c) || c == '_' || c == '$' || c >= 0x80; }

std::string upper(std::string_view s) {
  std::string u(s);
  for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

// The lexer: one pass that splits statements, blanks comments and collects tokens.
std::vector<Scanned> scan(std::string_view sql) {
  std::vector<Scanned> out(1);
  size_t i = 0, n = sql.size();
  auto at = [&](size_t k) -> unsigned char { return k < n ? static_cast<unsigned char>(sql[k]) : 0; };
  // Copies sql[from, to) into the statement's text and records a token of it.
  auto take = [&](Token::Kind kind, size_t from, size_t to) {
    std::string_view piece = sql.substr(from, to - from);
    out.back().text.append(piece);
    out.back().tokens.push_back({kind, kind == Token::Word ? upper(piece) : std::string(piece)});
    i = to;
  };
  auto problem = [&](const char* what) {
    if (out.back().problem.empty()) out.back().problem = what;
  };
  // End of a quoted run that starts at `from` with `quote`, doubled quotes escaping it (and
  // backslashes too where `backslash`); npos if it does not end.
  auto quoted_end = [&](size_t from, char quote, bool backslash) -> size_t {
    for (size_t k = from + 1; k < n; ++k) {
      if (backslash && sql[k] == '\\') {
        ++k;
        continue;
      }
      if (sql[k] == quote) {
        if (at(k + 1) == static_cast<unsigned char>(quote)) {
          ++k;
          continue;
        }
        return k + 1;
      }
    }
    return std::string_view::npos;
  };
  while (i < n) {
    unsigned char c = at(i);
    if (c == ';') {
      out.emplace_back();
      ++i;
    } else if (std::isspace(c)) {
      out.back().text.push_back(static_cast<char>(c));
      ++i;
    } else if (c == '-' && at(i + 1) == '-') {
      while (i < n && sql[i] != '\n') ++i;
      out.back().text.push_back(' ');
    } else if (c == '/' && at(i + 1) == '*') { // comments nest, as in PostgreSQL and DuckDB
      int depth = 0;
      do {
        if (at(i) == '/' && at(i + 1) == '*') ++depth, i += 2;
        else if (at(i) == '*' && at(i + 1) == '/') --depth, i += 2;
        else ++i;
      } while (depth > 0 && i < n);
      if (depth > 0) problem("unterminated /* comment");
      out.back().text.push_back(' ');
    } else if (c == '\'' || c == '"') {
      size_t end = quoted_end(i, static_cast<char>(c), false);
      if (end == std::string_view::npos) {
        problem(c == '\'' ? "unterminated quoted string" : "unterminated quoted identifier");
        end = n;
      }
      take(c == '\'' ? Token::String : Token::Quoted, i, end);
    } else if ((c == 'E' || c == 'e') && at(i + 1) == '\'') { // E'...': backslash escapes
      size_t end = quoted_end(i + 1, '\'', true);
      if (end == std::string_view::npos) {
        problem("unterminated quoted string");
        end = n;
      }
      take(Token::String, i, end);
    } else if (c == '$' && (at(i + 1) == '$' || ident_start(at(i + 1)))) { // $tag$ ... $tag$
      size_t k = i + 1;
      while (k < n && sql[k] != '$' && ident_char(at(k)) && sql[k] != '$') ++k;
      if (at(k) != '$') { // "$name" without a closing '$' is not a dollar quote
        take(Token::Punct, i, i + 1);
        continue;
      }
      std::string_view tag = sql.substr(i, k + 1 - i);
      size_t end = sql.find(tag, k + 1);
      if (end == std::string_view::npos) {
        problem("unterminated dollar-quoted string");
        end = n;
      } else {
        end += tag.size();
      }
      take(Token::String, i, end);
    } else if (ident_start(c)) {
      size_t k = i;
      while (k < n && ident_char(at(k))) ++k;
      take(Token::Word, i, k);
    } else if (std::isdigit(c) || (c == '.' && std::isdigit(at(i + 1)))) {
      size_t k = i;
      while (k < n && (std::isalnum(at(k)) || at(k) == '.' || at(k) == '_')) ++k;
      take(Token::Number, i, k);
    } else {
      take(Token::Punct, i, i + 1);
    }
  }
  return out;
}

using Tokens = std::vector<Token>;

bool is(const Tokens& t, size_t i, std::string_view word) { return i < t.size() && t[i].kind == Token::Word && t[i].text == word; }
bool punct(const Tokens& t, size_t i, char c) { return i < t.size() && t[i].kind == Token::Punct && t[i].text[0] == c; }

// The index just past the parenthesis that closes the one at `i`; t.size() if it never closes.
size_t past_parens(const Tokens& t, size_t i) {
  int depth = 0;
  for (; i < t.size(); ++i) {
    if (punct(t, i, '(')) ++depth;
    else if (punct(t, i, ')') && --depth == 0) return i + 1;
  }
  return t.size();
}

template <size_t N> bool one_of(const Tokens& t, size_t i, const std::array<std::string_view, N>& words) {
  return i < t.size() && t[i].kind == Token::Word && std::find(words.begin(), words.end(), t[i].text) != words.end();
}

constexpr std::array<std::string_view, 7> kQueryStarts{"SELECT", "VALUES", "FROM", "TABLE", "WITH", "PIVOT", "UNPIVOT"};
constexpr std::array<std::string_view, 13> kReadPragmas{
    "TABLE_INFO", "SHOW", "SHOW_TABLES", "SHOW_TABLES_EXPANDED", "SHOW_DATABASES", "DATABASE_LIST", "DATABASE_SIZE",
    "VERSION", "PLATFORM", "FUNCTIONS", "COLLATIONS", "STORAGE_INFO", "METADATA_INFO"};
constexpr std::array<std::string_view, 9> kObjects{"TABLE", "VIEW", "MACRO", "FUNCTION", "SEQUENCE", "INDEX", "TYPE", "SCHEMA", "UNIQUE"};

// What a write names that only shopflow may change, and why: refused for scope admin too.
struct Protected {
  std::string reason;           // "<name>, which ...": empty if the write may run
  std::string created_function; // a CREATE MACRO / FUNCTION's name, lower-cased
  std::string created_relation; // a CREATE TABLE / VIEW's or a RENAME TO's name, lower-cased
};

struct Verdict {
  SqlAccess access;
  std::string name;      // what the statement is, for messages ("DELETE", "CREATE SECRET")
  Protected target = {}; // for a write
};

// The parts of a (qualified, maybe quoted) name at `i`, lower-cased (DuckDB matches identifiers
// without regard to case, quoted or not); `i` moves past it.
std::vector<std::string> name_parts_at(const Tokens& t, size_t& i) {
  std::vector<std::string> parts;
  while (i < t.size() && (t[i].kind == Token::Word || t[i].kind == Token::Quoted)) {
    std::string part = t[i].kind == Token::Quoted ? t[i].text.substr(1, t[i].text.size() - 2) : t[i].text;
    for (char& c : part) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    parts.push_back(std::move(part));
    ++i;
    if (!punct(t, i, '.')) break;
    ++i;
  }
  return parts;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : ".") + p;
  return out;
}

// The catalogs every statement resolves names in (the ones the serving DuckDB attaches, and its
// own), and DuckDB's catalog schemas: a schema named like one makes `lake.x` or
// `information_schema.tables` ambiguous, for every client and for shopflow's own queries.
constexpr std::array<std::string_view, 7> kCatalogNames{"lake", "warehouse", "system", "temp", "memory", "information_schema", "pg_catalog"};

// Why a table, view or schema named `parts` may not be written, created or bound to by any
// client: a table or view the sinks own, anything in the lake catalog; "" if it may.
std::string protected_name(const std::vector<std::string>& parts, bool schema) {
  if (parts.empty()) return {};
  if (parts.size() >= 2 && parts.front() == "lake")
    return joined(parts) + ", in the lake catalog: it holds shopflow's views over the lake's Parquet files, kept in the serving "
                           "process's memory, so nothing made there would be stored (create tables in the warehouse)";
  if (schema) {
    if (std::find(kCatalogNames.begin(), kCatalogNames.end(), parts.back()) == kCatalogNames.end()) return {};
    return parts.back() + ", the name of a catalog every query resolves names in (lake, warehouse, system, temp, memory, "
           "information_schema, pg_catalog): a schema of that name would make theirs ambiguous for every client";
  }
  if (std::find(kSinkOwnedTables.begin(), kSinkOwnedTables.end(), parts.back()) == kSinkOwnedTables.end()) return {};
  return parts.back() + ", which shopflow's sinks own: its rows and its definition change through ingest and shopflow batch only "
                        "(batch --force replaces an import), never through SQL, so that every row stays stored exactly once and no "
                        "index or key of a client's can stop a sink";
}

// What a write at `i` (INSERT, UPDATE, DELETE, TRUNCATE, COMMENT ON, CREATE, DROP, ALTER) changes
// that shopflow guards: its target (every name of a DROP; the table of CREATE INDEX ... ON and of
// COMMENT ON COLUMN; a RENAME TO's new name), every table a foreign key REFERENCES (a key on a
// sink's table would refuse the sink's own deletes), and the name a CREATE / RENAME makes, which
// statement_refusal() checks against DuckDB's built-in functions and views (builtin_names.h): a
// macro named round() or read_parquet(), or a view named duckdb_tables, would change what
// shopflow's own queries and views compute.
Protected protected_target(const Tokens& t, size_t i) {
  Protected out;
  const std::string& w = t[i].text;
  size_t k = i + 1;
  auto skip = [&](std::initializer_list<std::string_view> words) {
    while (k < t.size() && t[k].kind == Token::Word && std::find(words.begin(), words.end(), t[k].text) != words.end()) ++k;
  };
  std::string object; // CREATE / DROP / ALTER: TABLE, VIEW, SCHEMA, INDEX, MACRO...
  bool column = false; // COMMENT ON COLUMN table.column
  if (w == "INSERT") {
    skip({"OR", "REPLACE", "IGNORE", "INTO"});
  } else if (w == "DELETE") {
    skip({"FROM"});
  } else if (w == "TRUNCATE") {
    skip({"TABLE"});
  } else if (w == "COMMENT") {
    skip({"ON"});
    column = is(t, k, "COLUMN");
    skip({"TABLE", "VIEW", "COLUMN"});
  } else if (w == "CREATE" || w == "DROP" || w == "ALTER") {
    skip({"OR", "REPLACE", "TEMP", "TEMPORARY", "UNIQUE"});
    if (k < t.size() && t[k].kind == Token::Word) object = t[k].text;
    skip({"TABLE", "VIEW", "MACRO", "FUNCTION", "SEQUENCE", "INDEX", "TYPE", "SCHEMA", "IF", "NOT", "EXISTS"});
  } else if (w != "UPDATE") {
    return out;
  }
  auto guard = [&](const std::vector<std::string>& parts, bool schema = false) {
    if (out.reason.empty()) out.reason = protected_name(parts, schema);
  };
  std::vector<std::string> target = name_parts_at(t, k);
  if (column && target.size() >= 2) target.pop_back();
  if (object == "INDEX") {
    while (k < t.size() && !is(t, k, "ON")) ++k;
    ++k;
    target = name_parts_at(t, k);
  }
  guard(target, object == "SCHEMA");
  if (w == "CREATE" && (object == "MACRO" || object == "FUNCTION") && !target.empty()) out.created_function = target.back();
  if (w == "CREATE" && (object == "TABLE" || object == "VIEW") && !target.empty()) out.created_relation = target.back();
  while (w == "DROP" && punct(t, k, ',')) guard(name_parts_at(t, ++k), object == "SCHEMA"); // DROP names a list
  for (size_t r = k; r < t.size(); ++r) {
    if (w != "UPDATE" && is(t, r, "REFERENCES")) {
      size_t n = r + 1;
      guard(name_parts_at(t, n));
    }
    if (w == "ALTER" && is(t, r, "RENAME") && is(t, r + 1, "TO")) {
      size_t n = r + 2;
      std::vector<std::string> renamed = name_parts_at(t, n);
      guard(renamed, object == "SCHEMA");
      if (!renamed.empty() && (object == "TABLE" || object == "VIEW")) out.created_relation = renamed.back();
    }
  }
  return out;
}

Verdict classify_at(const Tokens& t, size_t i);

// A query expression from `i`: every CTE body a read too; a WITH may lead to a write.
Verdict classify_query(const Tokens& t, size_t i) {
  while (punct(t, i, '(')) ++i;
  if (!is(t, i, "WITH")) return {one_of(t, i, kQueryStarts) ? SqlAccess::Read : SqlAccess::Refused, i < t.size() ? t[i].text : ""};
  ++i;
  if (is(t, i, "RECURSIVE")) ++i;
  for (;;) {
    if (i >= t.size() || (t[i].kind != Token::Word && t[i].kind != Token::Quoted)) return {SqlAccess::Unknown, "WITH"};
    ++i;
    if (punct(t, i, '(')) i = past_parens(t, i); // column names
    if (is(t, i, "USING") && is(t, i + 1, "KEY")) i = past_parens(t, i + 2);
    if (!is(t, i, "AS")) return {SqlAccess::Unknown, "WITH"};
    ++i;
    if (is(t, i, "NOT")) ++i;
    if (is(t, i, "MATERIALIZED")) ++i;
    if (!punct(t, i, '(')) return {SqlAccess::Unknown, "WITH"};
    Verdict body = classify_query(t, i + 1);
    if (body.access != SqlAccess::Read) return {SqlAccess::Refused, "WITH ... AS (" + body.name + ")"};
    i = past_parens(t, i);
    if (!punct(t, i, ',')) break;
    ++i;
  }
  Verdict main = classify_at(t, i);
  if (main.access == SqlAccess::Transaction) main.access = SqlAccess::Refused;
  return main;
}

Verdict classify_at(const Tokens& t, size_t i) {
  if (i >= t.size()) return {SqlAccess::Unknown, t.empty() ? "" : t.back().text};
  if (punct(t, i, '(') || one_of(t, i, kQueryStarts)) return classify_query(t, i);
  if (t[i].kind != Token::Word) return {SqlAccess::Unknown, t[i].text};
  const std::string& w = t[i].text;
  if (w == "EXPLAIN") {
    size_t k = i + 1;
    if (is(t, k, "ANALYZE") || is(t, k, "ANALYSE")) ++k;
    if (punct(t, k, '(')) k = past_parens(t, k); // (FORMAT json)
    Verdict inner = classify_at(t, k);
    if (inner.access == SqlAccess::Transaction) inner.access = SqlAccess::Refused;
    return {inner.access, "EXPLAIN " + inner.name, inner.target};
  }
  if (w == "DESCRIBE" || w == "DESC" || w == "SHOW" || w == "SUMMARIZE") {
    size_t k = i + 1;
    if (k < t.size() && (punct(t, k, '(') || one_of(t, k, kQueryStarts))) {
      Verdict inner = classify_query(t, k);
      return {inner.access == SqlAccess::Read ? SqlAccess::Read : SqlAccess::Refused, w + " " + inner.name};
    }
    for (; k < t.size(); ++k) // names only: DESCRIBE transactions, SHOW ALL TABLES, SHOW TABLES FROM lake
      if (t[k].kind != Token::Word && t[k].kind != Token::Quoted && !punct(t, k, '.')) return {SqlAccess::Refused, w + " of an expression"};
    return {SqlAccess::Read, w};
  }
  if (w == "PRAGMA") {
    if (one_of(t, i + 1, kReadPragmas) && (i + 2 == t.size() || punct(t, i + 2, '('))) return {SqlAccess::Read, "PRAGMA"};
    return {SqlAccess::Refused, "PRAGMA " + (i + 1 < t.size() ? t[i + 1].text : std::string())};
  }
  if (w == "BEGIN" || w == "COMMIT" || w == "END" || w == "ROLLBACK" || w == "ABORT" || (w == "START" && is(t, i + 1, "TRANSACTION")))
    return {SqlAccess::Transaction, w};
  if (w == "INSERT" || w == "DELETE" || w == "TRUNCATE") return {SqlAccess::Write, w, protected_target(t, i)};
  if (w == "UPDATE")
    return is(t, i + 1, "EXTENSIONS") ? Verdict{SqlAccess::Refused, "UPDATE EXTENSIONS"} : Verdict{SqlAccess::Write, w, protected_target(t, i)};
  if (w == "COMMENT") return {is(t, i + 1, "ON") ? SqlAccess::Write : SqlAccess::Refused, w, protected_target(t, i)};
  if (w == "CREATE" || w == "DROP" || w == "ALTER") {
    size_t k = i + 1;
    if (w == "CREATE" && is(t, k, "OR") && is(t, k + 1, "REPLACE")) k += 2;
    if (w != "ALTER" && (is(t, k, "TEMP") || is(t, k, "TEMPORARY"))) ++k;
    if (one_of(t, k, kObjects))
      return {SqlAccess::Write, w + " " + t[k].text + (is(t, k, "UNIQUE") && is(t, k + 1, "INDEX") ? " INDEX" : ""), protected_target(t, i)};
    return {SqlAccess::Refused, w + (k < t.size() ? " " + t[k].text : std::string())};
  }
  static constexpr std::array<std::string_view, 20> kKnown{
      "COPY", "ATTACH", "DETACH", "EXPORT", "IMPORT", "INSTALL", "FORCE", "LOAD", "SET", "RESET",
      "CALL", "PREPARE", "EXECUTE", "DEALLOCATE", "CHECKPOINT", "VACUUM", "ANALYZE", "USE", "MERGE", "UNINSTALL"};
  return {one_of(t, i, kKnown) ? SqlAccess::Refused : SqlAccess::Unknown, w};
}

} // namespace

std::vector<ClassifiedStatement> classify_sql(std::string_view sql) {
  std::vector<ClassifiedStatement> out;
  for (Scanned& s : scan(sql)) {
    if (s.tokens.empty() && s.problem.empty()) continue;
    ClassifiedStatement c;
    c.keyword = s.tokens.empty() ? "" : s.tokens[0].text;
    int depth = 0; // a statement's parentheses must balance: it is wrapped in others' (text_rows.h)
    for (const Token& tok : s.tokens)
      if (tok.kind == Token::Punct && (tok.text[0] == '(' || tok.text[0] == ')') && (depth += tok.text[0] == '(' ? 1 : -1) < 0) break;
    if (s.problem.empty() && depth != 0) s.problem = "unbalanced parenthesis";
    if (!s.problem.empty()) {
      c.name = s.problem;
      c.access = SqlAccess::Refused;
    } else {
      Verdict v = classify_at(s.tokens, 0);
      c.access = v.access;
      c.name = v.name;
      c.protected_reason = std::move(v.target.reason);
      c.created_function = std::move(v.target.created_function);
      c.created_relation = std::move(v.target.created_relation);
    }
    c.text = std::move(s.text);
    c.lexical_error = !s.problem.empty();
    out.push_back(std::move(c));
  }
  return out;
}

bool prepared_type_fits(SqlAccess access, int type) {
  switch (access) {
  case SqlAccess::Read: return type == DUCKDB_STATEMENT_TYPE_SELECT || type == DUCKDB_STATEMENT_TYPE_EXPLAIN || type == DUCKDB_STATEMENT_TYPE_PRAGMA;
  case SqlAccess::Transaction: return type == DUCKDB_STATEMENT_TYPE_TRANSACTION;
  case SqlAccess::Write:
    return type == DUCKDB_STATEMENT_TYPE_INSERT || type == DUCKDB_STATEMENT_TYPE_UPDATE || type == DUCKDB_STATEMENT_TYPE_DELETE ||
           type == DUCKDB_STATEMENT_TYPE_CREATE || type == DUCKDB_STATEMENT_TYPE_CREATE_FUNC || type == DUCKDB_STATEMENT_TYPE_DROP ||
           type == DUCKDB_STATEMENT_TYPE_ALTER;
  default: return false;
  }
}

std::optional<SqlRefusal> sql_refusal(const ClassifiedStatement& s, size_t index, bool may_write) {
  std::string which = "statement " + std::to_string(index);
  if (s.lexical_error) return SqlRefusal{which + " has an " + s.name, 400, "42601"};
  switch (s.access) {
  case SqlAccess::Read:
  case SqlAccess::Transaction: return std::nullopt;
  case SqlAccess::Write:
    if (may_write && !s.protected_reason.empty()) return SqlRefusal{which + " is " + s.name + " naming " + s.protected_reason, 403, "42501"};
    if (may_write) return std::nullopt;
    return SqlRefusal{which + " is " + s.name +
                          ": only reading statements (SELECT, WITH, VALUES, TABLE, EXPLAIN, DESCRIBE, SHOW, SUMMARIZE) run without scope admin (SQLSTATE 25006, read-only)",
                      403, "25006"};
  case SqlAccess::Unknown: return SqlRefusal{"syntax error in " + which + " at or near \"" + s.name + "\"", 400, "42601"};
  case SqlAccess::Refused: break;
  }
  return SqlRefusal{which + " is " + s.name +
                        ", which no client may run: SQL here reads (and for scope admin changes) the warehouse's tables and reads the lake; "
                        "it never reaches other files, databases, extensions or settings (files are imported with shopflow batch)",
                    403, "42501"};
}

} // namespace shopflow
