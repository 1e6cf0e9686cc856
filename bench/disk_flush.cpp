// The floor under every fsync-durability figure: how fast this disk makes an append durable, as
// the log does it (a preallocated file, pwrite at its end, fdatasync), with one file and with one
// file per shard synced side by side (the log's default: 4 shards, each with its own syncer).
// An answer with fsync durability waits for at least one such sync, and the shards' syncs share
// the disk, so these rates bound how many syncs per second the log can get at all.
// usage: disk_flush DIR [SECONDS_PER_CASE]   (DIR on the disk the log uses; files are removed)
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "util/percentile.h"

using Clock = std::chrono::steady_clock;

namespace {

struct Result {
  std::vector<double> latencies_us; // one per write + fdatasync
  double seconds = 0;               // how long they took in all
};

// Appends `bytes` per sync to DIR/flush-<n>.tmp for `seconds`.
Result run_file(const std::string& dir, int n, size_t bytes, double seconds) {
  std::string path = dir + "/flush-" + std::to_string(n) + ".tmp";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::perror(path.c_str());
    std::exit(1);
  }
  constexpr off_t kFileBytes = 256ll << 20;
  ::fallocate(fd, 0, 0, kFileBytes); // as the log's segments; where it fails, appends grow the file
  std::string data(bytes, 'x');
  Result r;
  off_t pos = 0;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  while (Clock::now() < end && pos + static_cast<off_t>(bytes) <= kFileBytes) {
    auto t0 = Clock::now();
    if (::pwrite(fd, data.data(), bytes, pos) != static_cast<ssize_t>(bytes) || ::fdatasync(fd) != 0) {
      std::perror(path.c_str());
      std::exit(1);
    }
    r.latencies_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    pos += static_cast<off_t>(bytes);
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(fd);
  ::unlink(path.c_str());
  return r;
}

void report(const std::string& dir, int files, size_t bytes, double seconds) {
  std::vector<Result> results(static_cast<size_t>(files));
  std::vector<std::thread> threads;
  for (int i = 0; i < files; ++i) threads.emplace_back([&, i] { results[static_cast<size_t>(i)] = run_file(dir, i, bytes, seconds); });
  for (auto& t : threads) t.join();
  std::vector<double> all;
  double rate = 0; // syncs per second, over the files
  for (auto& r : results) {
    all.insert(all.end(), r.latencies_us.begin(), r.latencies_us.end());
    rate += static_cast<double>(r.latencies_us.size()) / r.seconds;
  }
  std::printf("%d file%s %5zu-byte appends: %5.0f syncs/s in all, each p50 %4.0f us p99 %5.0f us\n", files, files == 1 ? ", " : "s,",
              bytes, rate, shopflow::percentile(all, 0.5), shopflow::percentile(all, 0.99));
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: disk_flush DIR [SECONDS_PER_CASE]\n");
    return 2;
  }
  std::string dir = argv[1];
  double seconds = argc > 2 ? std::atof(argv[2]) : 2;
  if (seconds <= 0) {
    std::fprintf(stderr, "disk_flush: SECONDS_PER_CASE must be a positive number, not \"%s\"\n", argv[2]);
    return 2;
  }
  // 300 bytes: one record, as in (a); 32 KiB: a shard's share of a 500-record batch, as in (b).
  for (size_t bytes : {size_t{300}, size_t{32} << 10})
    for (int files : {1, 4}) report(dir, files, bytes, seconds);
}
