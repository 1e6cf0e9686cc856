// DuckDB's half of fuzz_sql_policy: prepares (parses, binds, optimizes) statements as the server
// does before running them, in a DuckDB confined like the server's, and answers each one's bound
// statement type. A process of its own, built without sanitizers: a statement may ask DuckDB for
// gigabytes while it is prepared (SELECT range(1000000000) is folded into an 8 GB constant, a table
// function's arguments are evaluated when bound), outside DuckDB's memory_limit. The server bounds
// that by --max-memory, its address space; so does this process, and DuckDB then answers "Out of
// Memory" as it does in the server. In the fuzzer's own process ASan's operator new aborts instead
// and libFuzzer stops at 2 GB.
//
// usage: fuzz_sql_policy_binder ROOT   (works in ROOT; ROOT/lake/ is the one allowed directory)
// Over stdin/stdout: an int32 0 once ready; then one request at a time, a uint32 length and that many bytes of SQL (no NUL);
// the answer an int32, the prepared statement's duckdb_statement_type, or -1 when DuckDB refused
// to prepare it. Exits at end of input.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <duckdb.h>
#include <sys/resource.h>
#include <unistd.h>

namespace {

[[noreturn]] void fail(const std::string& why) {
  fprintf(stderr, "fuzz_sql_policy_binder: %s\n", why.c_str());
  exit(2);
}

bool read_all(void* buf, size_t n) {
  auto* p = static_cast<char*>(buf);
  while (n > 0) {
    ssize_t got = read(STDIN_FILENO, p, n);
    if (got <= 0) return false;
    p += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

void write_all(const void* buf, size_t n) {
  const auto* p = static_cast<const char*>(buf);
  while (n > 0) {
    ssize_t put = write(STDOUT_FILENO, p, n);
    if (put <= 0) fail("the fuzzer stopped reading");
    p += put;
    n -= static_cast<size_t>(put);
  }
}

// The address space in use now (mapped, reserved or not) plus `headroom` bytes.
void cap_address_space(rlim_t headroom) {
  long pages = 0;
  FILE* statm = fopen("/proc/self/statm", "r");
  if (!statm || fscanf(statm, "%ld", &pages) != 1 || pages <= 0) fail("cannot read /proc/self/statm");
  fclose(statm);
  const rlim_t cap = static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGESIZE)) + headroom;
  const rlimit limit{cap, cap};
  if (setrlimit(RLIMIT_AS, &limit) != 0) fail("cannot cap the address space");
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) fail("usage: fuzz_sql_policy_binder ROOT");
  const std::string root = argv[1];
  if (chdir(root.c_str()) != 0) fail("cannot enter " + root); // relative paths land here
  duckdb_config config;
  duckdb_create_config(&config);
  duckdb_set_config(config, "autoinstall_known_extensions", "false");
  duckdb_set_config(config, "autoload_known_extensions", "false");
  duckdb_set_config(config, "threads", "1");
  duckdb_database db;
  duckdb_connection con;
  if (duckdb_open_ext(nullptr, &db, config, nullptr) == DuckDBError || duckdb_connect(db, &con) == DuckDBError) fail("cannot open DuckDB");
  duckdb_destroy_config(&config);
  for (const std::string& sql : {std::string("CREATE TABLE transactions (invoice_no VARCHAR, quantity INTEGER)"),
                                 "SET allowed_directories = ['" + root + "/lake/']", std::string("SET enable_external_access = false"),
                                 std::string("SET lock_configuration = true")}) {
    duckdb_result r;
    if (duckdb_query(con, sql.c_str(), &r) == DuckDBError) fail(sql + ": " + duckdb_result_error(&r));
    duckdb_destroy_result(&r);
  }
  cap_address_space(rlim_t{1} << 30);
  const int32_t ready = 0;
  write_all(&ready, sizeof ready);

  std::string sql;
  for (uint32_t size; read_all(&size, sizeof size);) {
    sql.resize(size);
    if (!read_all(sql.data(), size)) fail("a request ended early");
    duckdb_prepared_statement p = nullptr;
    int32_t type = duckdb_prepare(con, sql.c_str(), &p) == DuckDBSuccess ? static_cast<int32_t>(duckdb_prepared_statement_type(p)) : -1;
    duckdb_destroy_prepare(&p);
    write_all(&type, sizeof type);
  }
  duckdb_disconnect(&con);
  duckdb_close(&db);
  return 0;
}
