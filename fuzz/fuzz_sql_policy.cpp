// The SQL statement classifier (query/policy/sql_policy.h) on any text: it never crashes, classifying a
// statement's own text again gives the same one statement, and DuckDB agrees with it. Every
// statement an admin may run is prepared (parsed and bound, as the server does before running
// it) against a DuckDB confined like the server's; its bound type must be what the classifier
// promised, and nothing may appear on disk (binding EXPORT DATABASE, for one, creates a folder).
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <duckdb.h>

#include "query/policy/sql_policy.h"

namespace fs = std::filesystem;
using namespace shopflow;

namespace {

struct Sandbox {
  fs::path root;
  duckdb_database db = nullptr;
  duckdb_connection con = nullptr;
  Sandbox() {
    char tmpl[] = "/tmp/fuzz-sql-policy-XXXXXX";
    root = mkdtemp(tmpl);
    fs::create_directories(root / "lake");
    fs::current_path(root); // relative paths land here too (the corpus paths must be absolute)
    duckdb_config config;
    duckdb_create_config(&config);
    duckdb_set_config(config, "autoinstall_known_extensions", "false");
    duckdb_set_config(config, "autoload_known_extensions", "false");
    duckdb_set_config(config, "threads", "1");
    duckdb_open_ext(nullptr, &db, config, nullptr);
    duckdb_destroy_config(&config);
    duckdb_connect(db, &con);
    for (std::string sql : {std::string("CREATE TABLE transactions (invoice_no VARCHAR, quantity INTEGER)"),
                            "SET allowed_directories = ['" + (root / "lake").string() + "/']", std::string("SET enable_external_access = false"),
                            std::string("SET lock_configuration = true")}) {
      duckdb_result r;
      if (duckdb_query(con, sql.c_str(), &r) == DuckDBError) abort();
      duckdb_destroy_result(&r);
    }
  }
  size_t entries() const {
    size_t n = 0;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) ++n;
    return n;
  }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Sandbox sandbox;
  static const size_t entries = sandbox.entries();
  std::string sql(reinterpret_cast<const char*>(data), size);
  size_t index = 0;
  for (const ClassifiedStatement& st : classify_sql(sql)) {
    ++index;
    sql_refusal(st, index, false);
    if (st.lexical_error) continue;
    auto again = classify_sql(st.text);
    if (again.size() != 1 || again[0].access != st.access || again[0].text != st.text) abort();
    if (sql_refusal(st, index, true)) continue; // refused for everyone: DuckDB never sees it
    if (st.text.find('\0') != std::string::npos) continue; // the C API takes C strings
    duckdb_prepared_statement p = nullptr;
    if (duckdb_prepare(sandbox.con, st.text.c_str(), &p) == DuckDBSuccess &&
        !prepared_type_fits(st.access, duckdb_prepared_statement_type(p)))
      abort(); // classified as one thing, bound as another
    duckdb_destroy_prepare(&p);
  }
  if (sandbox.entries() != entries) abort(); // a side effect on disk
  return 0;
}
