#include "batch/inbox_watcher.h"

#include <filesystem>
#include <fstream>

#include "util/interruptible_sleep.h"

namespace fs = std::filesystem;

namespace shopflow {

namespace {
bool ignored(const std::string& name) {
  auto ends = [&](std::string_view s) { return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0; };
  return name.empty() || name[0] == '.' || ends(".tmp") || ends(".part") || ends(".reason");
}

// DIR/name, or DIR/name.1, DIR/name.2 ... when taken.
fs::path free_name(const fs::path& dir, const std::string& name) {
  fs::path p = dir / name;
  for (int i = 1; fs::exists(p); ++i) p = dir / (name + "." + std::to_string(i));
  return p;
}
} // namespace

InboxWatcher::InboxWatcher(DataDir& dir, WatchOptions options, Report report)
    : dir_(dir), options_(std::move(options)), report_(std::move(report)) {
  fs::create_directories(fs::path(options_.inbox) / "done");
  fs::create_directories(fs::path(options_.inbox) / "failed");
}

size_t InboxWatcher::poll() {
  size_t handled = 0;
  std::map<std::string, Seen> now;
  std::vector<fs::path> ready;
  for (auto& entry : fs::directory_iterator(options_.inbox)) {
    std::string name = entry.path().filename().string();
    std::error_code ec;
    if (ignored(name) || !entry.is_regular_file(ec)) continue;
    Seen s{entry.file_size(ec), static_cast<long long>(entry.last_write_time(ec).time_since_epoch().count())};
    if (ec) continue;
    auto it = pending_.find(name);
    if (it != pending_.end() && it->second.size == s.size && it->second.mtime == s.mtime) ready.push_back(entry.path());
    else now[name] = s;
  }
  pending_ = std::move(now);
  std::sort(ready.begin(), ready.end());
  BatchImporter importer(dir_);
  for (auto& path : ready) {
    std::string name = path.filename().string();
    try {
      FileSummary summary = importer.import_file(path.string(), options_.import);
      fs::rename(path, free_name(fs::path(options_.inbox) / "done", name));
      report_(path.string(), &summary, "");
    } catch (const std::exception& e) {
      fs::path dest = free_name(fs::path(options_.inbox) / "failed", name);
      fs::rename(path, dest);
      std::ofstream(dest.string() + ".reason") << e.what() << "\n";
      report_(path.string(), nullptr, e.what());
    }
    ++handled;
  }
  return handled;
}

void InboxWatcher::run(const std::atomic<bool>& stop) {
  while (!stop.load()) {
    poll();
    sleep_unless(stop, static_cast<int64_t>(options_.interval_seconds * 1000));
  }
}

} // namespace shopflow
