// `shopflow batch --watch INBOX`: the seed's scheduled Lambda over a bucket. Every regular file
// placed in INBOX (names starting with '.' and ending in .tmp/.part are ignored, so writers can
// upload then rename) is imported once it is complete — its size and modification time unchanged
// over one polling interval — and then moved to INBOX/done/, or to INBOX/failed/ beside
// NAME.reason holding the error. A name already taken in done/ or failed/ gets a numeric suffix.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <string>

#include "batch/importer.h"

namespace shopflow {

struct WatchOptions {
  std::string inbox;
  double interval_seconds = 1.0;
  ImportOptions import;
};

class InboxWatcher {
public:
  using Report = std::function<void(const std::string& file, const FileSummary* summary, const std::string& error)>;
  InboxWatcher(DataDir& dir, WatchOptions options, Report report);
  // Polls until `stop` becomes true.
  void run(const std::atomic<bool>& stop);
  // One polling pass; returns the number of files handled.
  size_t poll();

private:
  DataDir& dir_;
  WatchOptions options_;
  Report report_;
  struct Seen { uintmax_t size; long long mtime; };
  std::map<std::string, Seen> pending_;
};

} // namespace shopflow
