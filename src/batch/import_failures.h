// The imports that failed, for the notifications (import.failed): DIR/import-failures, one JSON
// line each, appended and synced before the failure is reported to whoever asked for the import.
//   {"at_ms": 1764806400000, "file": "/data/x.csv", "error": "line 7: ..."}
// A reader keeps the byte offset it has read up to; only whole lines are read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace shopflow {

struct ImportFailure {
  int64_t at_ms = 0;
  std::string file, error;
  uint64_t end = 0; // the byte offset after its line: where the next reading starts
};

void record_import_failure(const std::string& data_dir, const std::string& file, const std::string& error, int64_t at_ms);
// The failures recorded from byte `from` on (a damaged line is skipped, never stops the reading).
std::vector<ImportFailure> read_import_failures(const std::string& data_dir, uint64_t from);
// The journal's size now: where a new reader starts.
uint64_t import_failures_end(const std::string& data_dir);

} // namespace shopflow
