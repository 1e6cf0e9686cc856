#include "batch/handed_jobs.h"

#include <fmt/format.h>

#include "util/log.h"

namespace shopflow {

std::vector<HandedJobs::Result> HandedJobs::run(const std::vector<std::string>& files, bool force) {
  std::lock_guard lock(mutex_);
  BatchImporter importer(dir_);
  ImportOptions options;
  options.force = force;
  options.progress = false;
  std::vector<Result> results;
  for (const std::string& file : files) {
    Result& r = results.emplace_back();
    r.file = file;
    try {
      r.summary = importer.import_file(file, options);
      const FileSummary& s = *r.summary;
      (s.skipped ? skipped_ : imported_) += 1;
      rows_ += s.rows_read;
      log::info("batch_job", {{"file", file}, {"job", std::to_string(s.job)}, {"skipped", s.skipped ? "true" : "false"},
                              {"rows", std::to_string(s.rows_read)}, {"seconds", fmt::format("{:.3f}", s.seconds)}});
    } catch (const std::exception& e) {
      failed_ += 1;
      r.error = e.what();
      log::error("batch_job_failed", {{"file", file}, {"error", r.error}});
    }
  }
  return results;
}

void HandedJobs::render_metrics(std::string& out) const {
  out += fmt::format("# HELP shopflow_batch_files_total Files handed to this server by shopflow batch, by outcome.\n"
                     "# TYPE shopflow_batch_files_total counter\nshopflow_batch_files_total{{outcome=\"imported\"}} {}\n"
                     "shopflow_batch_files_total{{outcome=\"skipped\"}} {}\nshopflow_batch_files_total{{outcome=\"failed\"}} {}\n"
                     "# HELP shopflow_batch_rows_total Rows read from files imported by this server.\n"
                     "# TYPE shopflow_batch_rows_total counter\nshopflow_batch_rows_total {}\n",
                     imported_.load(), skipped_.load(), failed_.load(), rows_.load());
}

} // namespace shopflow
