// Counts of SQL requests by outcome and the time they took, for /metrics: one per SqlRunner.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "query/sql_runner.h"

namespace shopflow {

class SqlOutcomes {
public:
  // Runs `answer()` (a SqlRunner's work) and counts its outcome and time.
  template <class Answer> SqlAnswer counted(Answer&& answer) {
    auto started = std::chrono::steady_clock::now();
    SqlAnswer out = answer();
    count(out.status, std::chrono::steady_clock::now() - started);
    return out;
  }
  // An answer's status: 200 answered, 403 refused, 413 over a limit, 408 timed out, else failed.
  void count(unsigned status, std::chrono::steady_clock::duration took) {
    micros_ += static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(took).count());
    (status == 200 ? answered_ : status == 403 ? refused_ : status == 413 ? over_limit_ : status == 408 ? timed_out_ : failed_) += 1;
  }
  void render(std::string& out) const {
    out += "# HELP shopflow_sql_requests_total SQL requests (POST /v1/sql, the dashboard, shopflow sql through the server) by outcome.\n"
           "# TYPE shopflow_sql_requests_total counter\n";
    for (auto [name, n] : {std::pair{"answered", &answered_}, {"refused", &refused_}, {"over_limit", &over_limit_},
                           {"timed_out", &timed_out_}, {"failed", &failed_}})
      out += "shopflow_sql_requests_total{outcome=\"" + std::string(name) + "\"} " + std::to_string(n->load()) + "\n";
    out += "# HELP shopflow_sql_seconds_total Time spent answering SQL requests.\n# TYPE shopflow_sql_seconds_total counter\n"
           "shopflow_sql_seconds_total " + std::to_string(micros_.load() / 1e6) + "\n";
  }

private:
  std::atomic<uint64_t> answered_{0}, refused_{0}, over_limit_{0}, timed_out_{0}, failed_{0}, micros_{0};
};

} // namespace shopflow
