// The SQL statement classifier (query/policy/sql_policy.h) on any text: it never crashes, classifying a
// statement's own text again gives the same one statement, and DuckDB agrees with it. Every
// statement an admin may run is prepared (parsed and bound, as the server does before running
// it) by a DuckDB confined like the server's (fuzz_sql_policy_binder, a process of its own); its
// bound type must be what the classifier promised, and nothing may appear on disk (binding
// EXPORT DATABASE, for one, creates a folder).
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

#include "query/policy/sql_policy.h"

namespace fs = std::filesystem;
using namespace shopflow;

namespace {

struct Sandbox {
  fs::path root;
  pid_t binder = -1;
  int to_binder = -1, from_binder = -1;

  Sandbox() {
    char tmpl[] = "/tmp/fuzz-sql-policy-XXXXXX";
    root = mkdtemp(tmpl);
    fs::create_directories(root / "lake");
    const fs::path program = fs::read_symlink("/proc/self/exe").parent_path() / "fuzz_sql_policy_binder";
    int requests[2], answers[2];
    if (pipe(requests) != 0 || pipe(answers) != 0) abort();
    binder = fork();
    if (binder == 0) {
      dup2(requests[0], STDIN_FILENO);
      dup2(answers[1], STDOUT_FILENO);
      for (int fd : {requests[0], requests[1], answers[0], answers[1]}) close(fd);
      execl(program.c_str(), program.c_str(), root.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(requests[0]);
    close(answers[1]);
    to_binder = requests[1];
    from_binder = answers[0];
    signal(SIGPIPE, SIG_IGN); // a binder that died is reported below, not by the signal
    int32_t ready = -1;
    if (!transfer(from_binder, &ready, sizeof ready, false) || ready != 0) binder_died();
  }

  ~Sandbox() { // at exit: the binder ends with its input
    close(to_binder);
    close(from_binder);
    waitpid(binder, nullptr, 0);
    fs::remove_all(root);
  }

  // The duckdb_statement_type the binder prepared `sql` as, or -1 if DuckDB refused it.
  int32_t bound_type(const std::string& sql) {
    const auto size = static_cast<uint32_t>(sql.size());
    int32_t type = 0;
    if (!transfer(to_binder, &size, sizeof size, true) || !transfer(to_binder, sql.data(), sql.size(), true) ||
        !transfer(from_binder, &type, sizeof type, false))
      binder_died();
    return type;
  }

  size_t entries() const {
    size_t n = 0;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) ++n;
    return n;
  }

private:
  [[noreturn]] static void binder_died() {
    fprintf(stderr, "fuzz_sql_policy: fuzz_sql_policy_binder died (DuckDB crashed on the statement, or see its error above)\n");
    abort();
  }
  static bool transfer(int fd, const void* buf, size_t n, bool out) {
    auto* p = static_cast<char*>(const_cast<void*>(buf));
    while (n > 0) {
      ssize_t done = out ? write(fd, p, n) : read(fd, p, n);
      if (done <= 0) return false;
      p += done;
      n -= static_cast<size_t>(done);
    }
    return true;
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
    const int32_t type = sandbox.bound_type(st.text);
    if (type != -1 && !prepared_type_fits(st.access, type)) abort(); // classified as one thing, bound as another
  }
  if (sandbox.entries() != entries) abort(); // a side effect on disk
  return 0;
}
