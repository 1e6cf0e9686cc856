// `shopflow log check` and `shopflow log repair` (stream/log_repair.h): what a server that refused
// to start on a corrupt log points its user to. Exit codes: 0 clean (check) or repaired, 1 bad
// batches found (check), 2 the log could not be read.
#include <cstdio>
#include <filesystem>
#include <optional>

#include "cli/commands.h"
#include "storage/backend_urls.h"
#include "storage/data_dir_lock.h"
#include "stream/log_repair.h"

namespace shopflow {

namespace {
void print(const LogCheckReport& r, bool repaired) {
  std::printf("log: %llu segments, %llu good batches, %llu records\n", static_cast<unsigned long long>(r.segments),
              static_cast<unsigned long long>(r.batches), static_cast<unsigned long long>(r.records));
  for (const BadStretch& b : r.bad)
    std::printf("%s %s at byte %llu: %llu bytes, %s\n", repaired ? "repaired" : "BAD", b.file.string().c_str(),
                static_cast<unsigned long long>(b.position), static_cast<unsigned long long>(b.bytes),
                b.torn_tail ? "a torn tail (a write no sync covered; cut)"
                : b.records ? ("offsets " + std::to_string(b.first_offset) + ".." + std::to_string(b.first_offset + b.records - 1) +
                               (repaired ? " set aside in log/quarantine/" : " unreadable")).c_str()
                            : "bytes between batches");
  if (repaired && r.quarantined_records)
    std::printf("log: %llu records set aside (their bytes are in log/quarantine/; consumers skip their offsets)\n",
                static_cast<unsigned long long>(r.quarantined_records));
  if (r.bad.empty()) std::printf("log: no bad batches\n");
}
} // namespace

void add_log_command(CLI::App& app, int& exit_code) {
  auto* log = app.add_subcommand("log", "Check the durable log, or set its corrupt batches aside");
  log->require_subcommand(1);
  struct Args {
    std::string data = kDefaultDataDir, log;
    // The log's folder: --log, else where the data dir records it (storage/backend_urls.h).
    BackendLocation log_location() const { return settle_backends(data, {.log = log}, false).log; }
  };
  auto args = std::make_shared<Args>();
  auto* check = log->add_subcommand("check", "Report every bad batch of every segment (changes nothing)");
  auto* repair = log->add_subcommand("repair", "Quarantine bad batches, keep every good one, cut a torn tail (no server may run)");
  for (auto* c : {check, repair}) {
    c->add_option("--data", args->data, "Data directory")->capture_default_str();
    c->add_option("--log", args->log, "The log's folder, when the data dir keeps it elsewhere (file:///PATH or a path)");
  }
  check->callback([args, &exit_code] {
    try {
      LogCheckReport r = check_log(args->log_location().path);
      print(r, false);
      exit_code = r.bad.empty() ? 0 : 1;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "shopflow log check: %s\n", e.what());
      exit_code = 1;
    }
  });
  repair->callback([args, &exit_code] {
    try {
      const BackendLocation at = args->log_location();
      const std::filesystem::path& folder = at.path;
      // Checked before the lock, which would create the data dir.
      if (!std::filesystem::exists(folder)) throw std::runtime_error("no log at " + folder.string());
      DataDirLock lock(args->data, "shopflow log repair");
      // A log outside the data dir has a lock of its own (storage/data_dir.h).
      std::optional<DataDirLock> log_lock;
      if (!at.embedded) log_lock.emplace(folder.string(), "shopflow log repair");
      print(repair_log(folder), true);
      exit_code = 0;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "shopflow log repair: %s\n", e.what());
      exit_code = 1;
    }
  });
}

} // namespace shopflow
