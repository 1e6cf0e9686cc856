// Batch jobs handed to a serving process by `shopflow batch` (which cannot open the data dir
// while serve holds it): one job at a time, each file imported all or nothing as `shopflow batch`
// would, logged and counted for /metrics.
#pragma once

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "batch/importer.h"
#include "storage/data_dir.h"

namespace shopflow {

class HandedJobs {
public:
  explicit HandedJobs(DataDir& dir) : dir_(dir) {}
  struct Result {
    std::string file;
    std::optional<FileSummary> summary; // set when imported (or skipped: the content was there)
    std::string error;                  // else why not
  };
  // Imports the files in order (waiting for a job in progress to end first).
  std::vector<Result> run(const std::vector<std::string>& files, bool force);
  // Prometheus lines: files by outcome (imported, skipped, failed) and rows read.
  void render_metrics(std::string& out) const;

private:
  DataDir& dir_;
  std::mutex mutex_; // one job at a time
  std::atomic<uint64_t> imported_{0}, skipped_{0}, failed_{0}, rows_{0};
};

} // namespace shopflow
