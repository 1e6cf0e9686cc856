// What the commands that serve (`serve` and the main job) share: the --listen flag's parsing, the
// access-control flags, and a graceful stop on SIGINT/SIGTERM.
#pragma once

#include <csignal>
#include <cstdint>
#include <pthread.h>
#include <stdexcept>
#include <string>
#include <utility>

#include <algorithm>
#include <vector>

#include <CLI/CLI.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include "auth/access_control.h"
#include "query/policy/sql_limits.h"

namespace shopflow {

// "127.0.0.1:8080" -> host, port (0: any free port). Throws CLI::ValidationError naming the flag.
inline std::pair<std::string, uint16_t> parse_listen(const std::string& s) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw CLI::ValidationError("--listen", "expected HOST:PORT, got \"" + s + "\"");
  try {
    size_t used = 0;
    int port = std::stoi(s.substr(colon + 1), &used);
    if (used != s.size() - colon - 1 || port < 0 || port > 65535) throw std::out_of_range("port");
    return {s.substr(0, colon), static_cast<uint16_t>(port)};
  } catch (...) {
    throw CLI::ValidationError("--listen", "bad port in \"" + s + "\"");
  }
}

// --insecure-no-auth, --trust-issuer/--jwks, --token-ttl, --protect-metrics, --rate-limit/--rate-burst.
struct AccessArgs {
  bool no_auth = false, protect_metrics = false;
  std::vector<std::string> trust_issuers, jwks_files;
  int64_t token_ttl = 3600;
  double rate_limit = 0, rate_burst = 0;
  std::string signing_alg = "RS256";

  void add_to(CLI::App* cmd) {
    cmd->add_flag("--insecure-no-auth", no_auth, "Accept requests without a token (a warning in the log and on /healthz)");
    cmd->add_option("--trust-issuer", trust_issuers, "Also accept tokens of this issuer (its \"iss\"); one --jwks per issuer");
    cmd->add_option("--jwks", jwks_files, "JWKS file of the --trust-issuer at the same position")->check(CLI::ExistingFile);
    cmd->add_option("--token-ttl", token_ttl, "Lifetime of issued tokens in seconds")->check(CLI::Range(60, 86400))->capture_default_str();
    cmd->add_flag("--protect-metrics", protect_metrics, "/metrics needs a token with scope read");
    cmd->add_option("--rate-limit", rate_limit, "Requests per second per client (token bucket; 0: no limit)")
        ->check(CLI::NonNegativeNumber)->capture_default_str();
    cmd->add_option("--signing-alg", signing_alg, "Algorithm of the token key made at first start (a stored key keeps its own)")
        ->check(CLI::IsMember({"RS256", "ES256"}))->capture_default_str();
    cmd->add_option("--rate-burst", rate_burst, "Burst per client (default: twice --rate-limit)")->check(CLI::NonNegativeNumber);
  }
  AccessOptions options() const {
    if (trust_issuers.size() != jwks_files.size())
      throw CLI::ValidationError("--trust-issuer", "give one --jwks FILE for each --trust-issuer URL");
    AccessOptions o;
    for (size_t i = 0; i < trust_issuers.size(); ++i) o.trusted.push_back({trust_issuers[i], jwks_files[i]});
    o.token_ttl_s = token_ttl;
    o.protect_metrics = protect_metrics;
    o.rate_limit = rate_limit;
    o.rate_burst = rate_burst;
    o.new_key_alg = signing_alg == "ES256" ? JwsAlg::ES256 : JwsAlg::RS256;
    return o;
  }
};

// --sql-max-rows, --sql-max-bytes, --sql-timeout-ms (the ceilings of every client query) and
// --max-memory (the process's address space: a query whose values DuckDB builds outside its buffer
// pool, such as repeat('x', 1e8) over thousands of rows, fails with "Out of Memory" instead of
// taking the machine's memory).
struct QueryArgs {
  SqlCeilings sql;
  uint64_t max_memory = default_max_memory();

  // 80% of the machine's memory, at least 4 GiB. Address space, not resident memory: DuckDB's
  // allocator keeps address space it used (a 2 GB chunk per arena), so this must leave room above
  // what heavy queries leave reserved.
  static uint64_t default_max_memory() {
    uint64_t physical = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    return std::max<uint64_t>(physical / 5 * 4, 4ull << 30);
  }
  void add_to(CLI::App* cmd) {
    cmd->add_option("--sql-max-rows", sql.ceiling.max_rows, "Most rows of a SQL answer (HTTP and pgwire; a request may ask for fewer)")
        ->check(CLI::PositiveNumber)->capture_default_str();
    cmd->add_option("--sql-max-bytes", sql.ceiling.max_bytes, "Most bytes of a SQL answer, counted while it is produced")
        ->check(CLI::PositiveNumber)->capture_default_str();
    cmd->add_option("--sql-timeout-ms", sql.ceiling.timeout_ms, "Longest a SQL query may take, answer included (pgwire's statement_timeout up to it)")
        ->check(CLI::PositiveNumber)->capture_default_str();
    cmd->add_option("--max-memory", max_memory, "Address space of the process in bytes (default: 80% of the machine's memory, at least 4 GiB)")
        ->check(CLI::Range(uint64_t{1} << 30, uint64_t{1} << 50));
  }
  // The request defaults never exceed the ceilings; the address-space limit is set here.
  SqlCeilings ceilings() const {
    SqlCeilings c = sql;
    c.defaults.max_rows = std::min(c.defaults.max_rows, c.ceiling.max_rows);
    c.defaults.max_bytes = std::min(c.defaults.max_bytes, c.ceiling.max_bytes);
    c.defaults.timeout_ms = std::min(c.defaults.timeout_ms, c.ceiling.timeout_ms);
    return c;
  }
  void limit_memory() const {
    rlimit limit{max_memory, max_memory};
    if (setrlimit(RLIMIT_AS, &limit) != 0) throw std::runtime_error("cannot limit the address space to --max-memory " + std::to_string(max_memory));
  }
};

// Blocks SIGINT and SIGTERM in the calling thread and in every thread it starts afterwards, so
// that wait() receives them. Create it before starting any thread.
class StopSignals {
public:
  StopSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  }
  // Returns the signal received.
  int wait() {
    int sig = 0;
    sigwait(&set_, &sig);
    return sig;
  }

private:
  sigset_t set_;
};

} // namespace shopflow
