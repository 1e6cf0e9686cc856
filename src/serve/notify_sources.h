// The events that do not come from the log's rows (the notify consumer's), recorded in the outbox
// by one thread of serve, each source with its cursor in the same write as its events (so each
// event is recorded once, whenever the process dies):
//   import.finished, rows.rejected (source "import")   the warehouse's imports rows past the
//                                                      last job reported (cursor "imports")
//   import.failed       the data dir's failures journal past the last byte read (cursor
//                       "import-failures"; batch/import_failures.h)
//   sink.lagging        a sink more than lag_records behind (or failing) for lag_ms; then
//   sink.recovered      once it is back under (episodes are this process's: not cursored)
//   report.daily        yesterday's (UTC) figures, once a day at report_at_minute past midnight
//                       UTC (cursor "report.daily": the last day reported); report_daily() for
//                       any day, on request
// A source starting on a data dir reports what happens from then on (its cursor starts at the
// current end), not the history before notifications were turned on. The import sources are
// looked at once at start and then whenever this process ended an import (batch/importer.h's
// imports_ended()); the others every poll_ms.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <thread>

#include "notify/outbox.h"
#include "pipeline/pipeline.h"
#include "query/sql_runner.h"

namespace shopflow {

struct NotifySourceOptions {
  uint64_t lag_records = 500'000;
  int64_t lag_ms = 60'000;
  int report_at_minute = 15; // minutes after midnight UTC
  int64_t poll_ms = 1000;
};

class NotifySources {
public:
  // `sql` null: no warehouse to read (no import or report events).
  NotifySources(Outbox& outbox, const std::string& data_dir, const Pipeline& pipeline, SqlRunner* sql, NotifySourceOptions options);
  ~NotifySources(); // stops its thread
  // Records a report.daily event for `day` (YYYY-MM-DD) now; returns its id. Throws
  // std::invalid_argument on a bad day, std::runtime_error if the warehouse cannot answer.
  std::string report_daily(const std::string& day, bool scheduled = false);

private:
  void run();
  void poll_imports(int64_t now_ms);
  void poll_failures(int64_t now_ms);
  void poll_lag(int64_t now_ms);
  void poll_report(int64_t now_ms);
  std::string query_json(const std::string& sql, const std::vector<std::optional<std::string>>& params);

  Outbox& outbox_;
  std::string data_dir_;
  const Pipeline& pipeline_;
  SqlRunner* sql_;
  NotifySourceOptions options_;
  struct Lagging {
    int64_t over_since_ms = 0; // 0: under the threshold
    bool reported = false;
    uint64_t peak = 0;
  };
  std::map<std::string, Lagging> lagging_; // by sink
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

} // namespace shopflow
