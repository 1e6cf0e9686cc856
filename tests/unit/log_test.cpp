// The local log: offsets, segments, recovery of torn and corrupt tails, group commit, retention.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>
#include <unistd.h>

#include "stream/crc32c.h"
#include "stream/local_log.h"
#include "temp_dir.h"
#include "stream/log_repair.h"
#include "stream/segment.h"

using namespace shopflow;
using shopflow::test::TempDir;
namespace fs = std::filesystem;

namespace {
std::vector<std::string_view> views(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

// `threads` threads each append `appends` one-record batches "<thread>:<i>" to shard `shard_of(thread)`.
template <class ShardOf> void append_concurrently(LocalLog& log, int threads, int appends, ShardOf shard_of) {
  std::vector<std::thread> running;
  for (int th = 0; th < threads; ++th)
    running.emplace_back([&, th] {
      for (int i = 0; i < appends; ++i) {
        std::vector<std::string> recs = {std::to_string(th) + ":" + std::to_string(i)};
        log.append(shard_of(th), views(recs));
      }
    });
  for (auto& t : running) t.join();
}

fs::path last_segment(const fs::path& shard_dir) {
  fs::path last;
  for (auto& e : fs::directory_iterator(shard_dir))
    if (e.path().extension() == ".seg" && e.path() > last) last = e.path();
  return last;
}
} // namespace

TEST(Crc32c, KnownVector) {
  EXPECT_EQ(crc32c(0, "123456789", 9), 0xE3069283u); // the standard check value
  EXPECT_EQ(crc32c(crc32c(0, "1234", 4), "56789", 5), 0xE3069283u);
  EXPECT_EQ(crc32c_portable(0, "123456789", 9), 0xE3069283u);
  std::string bytes;
  for (int i = 0; i < 1000; ++i) bytes.push_back(static_cast<char>(i * 131 + 7));
  for (size_t n : {0u, 1u, 7u, 8u, 9u, 63u, 1000u}) EXPECT_EQ(crc32c(5, bytes.data(), n), crc32c_portable(5, bytes.data(), n)) << n;
}

TEST(LocalLog, AppendsAndReadsWithConsecutiveOffsets) {
  TempDir t;
  LocalLog log(t.path, {.shards = 3});
  EXPECT_EQ(log.shard_count(), 3u);
  std::vector<std::string> a = {"one", "two", ""}, b = {"four"};
  AppendResult r1 = log.append(1, views(a));
  AppendResult r2 = log.append(1, views(b));
  EXPECT_EQ(r1.shard, 1u);
  EXPECT_EQ(r1.first_offset, 0u);
  EXPECT_EQ(r1.last_offset, 2u);
  EXPECT_EQ(r2.first_offset, 3u);
  EXPECT_EQ(log.end_offset(1), 4u);
  EXPECT_EQ(log.end_offset(0), 0u);
  auto all = log.read(1, 0, 100).records;
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[2].data, "");
  EXPECT_EQ(all[3].data, "four");
  EXPECT_EQ(all[3].offset, 3u);
  auto middle = log.read(1, 1, 2).records;
  ASSERT_EQ(middle.size(), 2u);
  EXPECT_EQ(middle[0].data, "two");
  EXPECT_TRUE(log.read(1, 4, 10).records.empty());
  EXPECT_TRUE(log.read(0, 0, 10).records.empty());
  EXPECT_THROW(log.append(3, views(b)), std::out_of_range);
}

TEST(LocalLog, RollsSegmentsAndReadsAcrossThem) {
  TempDir t;
  {
    LocalLog log(t.path, {.shards = 1, .segment_bytes = 200});
    for (int i = 0; i < 100; ++i) {
      std::vector<std::string> recs = {"record-" + std::to_string(i)};
      log.append(0, views(recs));
    }
  }
  size_t files = 0;
  for (auto& e : fs::directory_iterator(t.path / "shard-0")) files += e.path().extension() == ".seg";
  EXPECT_GT(files, 10u);
  LocalLog log(t.path, {.shards = 1, .segment_bytes = 200});
  EXPECT_EQ(log.end_offset(0), 100u);
  auto all = log.read(0, 37, 1000).records;
  ASSERT_EQ(all.size(), 63u);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].offset, 37 + i);
    EXPECT_EQ(all[i].data, "record-" + std::to_string(37 + i));
  }
}

TEST(LocalLog, RecoveryTruncatesATornTail) {
  TempDir t;
  {
    LocalLog log(t.path, {.shards = 1});
    for (int i = 0; i < 10; ++i) {
      std::vector<std::string> recs = {"batch-" + std::to_string(i), "second"};
      log.append(0, views(recs));
    }
  }
  fs::path seg = last_segment(t.path / "shard-0");
  auto size = fs::file_size(seg);
  fs::resize_file(seg, size - 5); // the last batch is torn
  {
    LocalLog log(t.path, {.shards = 1});
    EXPECT_EQ(log.end_offset(0), 18u);
    EXPECT_GT(log.truncated_bytes(), 0u);
    auto all = log.read(0, 0, 100).records;
    ASSERT_EQ(all.size(), 18u);
    EXPECT_EQ(all.back().data, "second");
    std::vector<std::string> recs = {"after recovery"};
    EXPECT_EQ(log.append(0, views(recs)).first_offset, 18u);
  }
  LocalLog log(t.path, {.shards = 1});
  EXPECT_EQ(log.read(0, 18, 1).records.at(0).data, "after recovery");
}

// A crash leaves the active segment preallocated: zeros after the last batch are not a tear.
TEST(LocalLog, PreallocatedTailSurvivesACrash) {
  TempDir t, crashed;
  {
    LocalLog log(t.path, {.shards = 1, .segment_bytes = 1 << 20});
    for (int i = 0; i < 10; ++i) {
      std::vector<std::string> recs = {"record-" + std::to_string(i)};
      log.append(0, views(recs));
    }
    // What a kill -9 leaves: the files as they are while the log is open.
    fs::copy(t.path, crashed.path, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  }
  EXPECT_EQ(fs::file_size(last_segment(crashed.path / "shard-0")), 1u << 20); // preallocated
  EXPECT_LT(fs::file_size(last_segment(t.path / "shard-0")), 1000u);         // trimmed at close
  {
    LocalLog log(crashed.path, {.shards = 1, .segment_bytes = 1 << 20});
    EXPECT_EQ(log.end_offset(0), 10u);
    EXPECT_EQ(log.truncated_bytes(), 0u);
    std::vector<std::string> recs = {"after the crash"};
    EXPECT_EQ(log.append(0, views(recs)).first_offset, 10u);
  }
  // A torn batch followed by zeros is a tear, and cut.
  fs::path seg = last_segment(crashed.path / "shard-0");
  auto size = fs::file_size(seg);
  fs::resize_file(seg, size - 3);
  fs::resize_file(seg, 1 << 20);
  LocalLog log(crashed.path, {.shards = 1, .segment_bytes = 1 << 20});
  EXPECT_EQ(log.end_offset(0), 10u);
  EXPECT_GT(log.truncated_bytes(), 0u);
  auto all = log.read(0, 0, 100).records;
  ASSERT_EQ(all.size(), 10u);
  EXPECT_EQ(all.back().data, "record-9");
}

// A corrupt batch with good ones after it is no torn tail: opening refuses (nothing is cut), the
// check names it, and the repair sets it aside and keeps every good batch at its offsets.
TEST(LocalLog, CorruptBatchStopsTheLogUntilRepaired) {
  TempDir t;
  {
    LocalLog log(t.path, {.shards = 1});
    for (int i = 0; i < 5; ++i) {
      std::vector<std::string> recs = {"payload-" + std::to_string(i)};
      log.append(0, views(recs));
    }
  }
  fs::path seg = last_segment(t.path / "shard-0");
  // Flip one payload byte of the third batch (each batch: 32-byte header + 4 + 9 bytes).
  int fd = ::open(seg.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  char c;
  off_t pos = 2 * 45 + 32 + 4 + 2;
  ASSERT_EQ(::pread(fd, &c, 1, pos), 1);
  c ^= 0x20;
  ASSERT_EQ(::pwrite(fd, &c, 1, pos), 1);
  ::close(fd);
  try {
    LocalLog log(t.path, {.shards = 1});
    FAIL() << "a corrupt log was opened";
  } catch (const LogCorruption& e) {
    EXPECT_NE(std::string(e.what()).find(seg.filename().string() + " is corrupt at byte 90"), std::string::npos) << e.what();
  }
  EXPECT_EQ(fs::file_size(seg), 5u * 45); // nothing was cut
  LogCheckReport check = check_log(t.path);
  ASSERT_EQ(check.bad.size(), 1u);
  EXPECT_EQ(check.bad[0].position, 90u);
  EXPECT_EQ(check.bad[0].first_offset, 2u);
  EXPECT_EQ(check.bad[0].records, 1u);
  EXPECT_EQ(repair_log(t.path).quarantined_records, 1u);
  EXPECT_TRUE(check_log(t.path).bad.empty());
  LocalLog log(t.path, {.shards = 1});
  EXPECT_EQ(log.end_offset(0), 5u);
  auto all = log.read(0, 0, 100).records;
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[1].data, "payload-1");
  EXPECT_TRUE(is_quarantined_record(all[2].data));
  EXPECT_EQ(all[3].data, "payload-3");
  EXPECT_EQ(all[4].data, "payload-4");
}

// The commit delay gathers concurrent appends into fuller syncs, and never delays a lone client.
TEST(LocalLog, CommitDelayOnlyUnderConcurrentLoad) {
  TempDir t;
  LocalLog log(t.path, {.shards = 1, .commit_delay_us = 100'000});
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) {
    std::vector<std::string> recs = {"alone-" + std::to_string(i)};
    log.append(0, views(recs));
  }
  // Delayed, 20 appends would take 2 s; each one alone takes a sync (about a millisecond).
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  uint64_t syncs_before = log.syncs();
  constexpr int kThreads = 16, kAppends = 10;
  append_concurrently(log, kThreads, kAppends, [](int) { return 0u; });
  EXPECT_EQ(log.end_offset(0), uint64_t(20 + kThreads * kAppends));
  // Every thread's next append joins the delayed sync: about one sync per round of 16.
  EXPECT_LE(log.syncs() - syncs_before, uint64_t(3 * kAppends));
}

TEST(LocalLog, GroupCommitCoversConcurrentAppends) {
  TempDir t;
  LocalLog log(t.path, {.shards = 2});
  constexpr int kThreads = 16, kAppends = 50;
  append_concurrently(log, kThreads, kAppends, [](int th) { return static_cast<uint32_t>(th % 2); });
  EXPECT_EQ(log.end_offset(0) + log.end_offset(1), uint64_t(kThreads * kAppends));
  EXPECT_LT(log.syncs(), uint64_t(kThreads * kAppends)); // one fdatasync covered several appends
  // Per shard, each thread's records are in its own order.
  for (uint32_t s = 0; s < 2; ++s) {
    std::map<std::string, int> last;
    for (auto& r : log.read(s, 0, 10000).records) {
      auto colon = r.data.find(':');
      int i = std::stoi(r.data.substr(colon + 1));
      std::string th = r.data.substr(0, colon);
      if (last.count(th)) {
        EXPECT_GT(i, last[th]);
      }
      last[th] = i;
    }
  }
}

TEST(LocalLog, ConcurrentAppendersRollingSegmentsLoseNothing) {
  TempDir t;
  constexpr int kThreads = 8, kAppends = 200;
  {
    // Small segments: appenders in different threads roll them while others write and sync.
    LocalLog log(t.path, {.shards = 1, .segment_bytes = 2048, .commit_delay_us = 0});
    append_concurrently(log, kThreads, kAppends, [](int) { return 0u; });
  }
  LocalLog log(t.path, {.shards = 1, .segment_bytes = 2048});
  ASSERT_EQ(log.end_offset(0), uint64_t(kThreads * kAppends));
  std::set<std::string> seen;
  uint64_t expected = 0;
  for (auto& r : log.read(0, 0, 100000).records) {
    EXPECT_EQ(r.offset, expected++);
    EXPECT_TRUE(seen.insert(r.data).second) << r.data << " twice";
  }
  EXPECT_EQ(seen.size(), size_t(kThreads * kAppends));
}

TEST(LocalLog, RetentionKeepsWhatConsumersHaveNotReached) {
  TempDir t;
  LocalLog log(t.path, {.shards = 1, .segment_bytes = 100, .retention_bytes = 300});
  for (int i = 0; i < 40; ++i) {
    std::string rec = std::to_string(i);
    rec.append(30, 'x');
    std::vector<std::string> recs = {rec};
    log.append(0, views(recs));
  }
  log.commit_offset("warehouse", 0, 10);
  log.apply_retention();
  EXPECT_LE(log.start_offset(0), 10u); // offset 10 not yet consumed: kept
  EXPECT_EQ(log.read(0, 10, 1).records.at(0).offset, 10u);
  log.commit_offset("warehouse", 0, 40);
  log.apply_retention();
  EXPECT_GT(log.start_offset(0), 30u); // everything consumed: trimmed to the size limit
  auto first = log.read(0, 0, 1).records; // reading before the start begins at the start
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].offset, log.start_offset(0));
  EXPECT_THROW(log.commit_offset("../evil", 0, 1), std::invalid_argument);
}

TEST(LocalLog, LeftoverTemporaryConsumerFilesNeverPinRetention) {
  TempDir t;
  auto fill = [](LocalLog& log) {
    for (int i = 0; i < 40; ++i) {
      std::string rec = std::to_string(i);
      rec.append(30, 'x');
      std::vector<std::string> recs = {rec};
      log.append(0, views(recs));
    }
  };
  {
    LocalLog log(t.path, {.shards = 1, .segment_bytes = 100, .retention_bytes = 300});
    fill(log);
    log.commit_offset("warehouse", 0, 40);
  }
  // What a save that died before its rename leaves: offsets 0, which as a consumer would keep
  // every segment forever; and one of the wrong size.
  std::filesystem::path consumers = std::filesystem::path(t.path) / "consumers";
  { std::ofstream(consumers / "warehouse.tmp", std::ios::binary) << std::string(8, '\0'); }
  { std::ofstream(consumers / "lake.tmp", std::ios::binary) << "xyz"; }
  LocalLog log(t.path, {.shards = 1, .segment_bytes = 100, .retention_bytes = 300});
  EXPECT_FALSE(std::filesystem::exists(consumers / "warehouse.tmp"));
  EXPECT_FALSE(std::filesystem::exists(consumers / "lake.tmp"));
  log.apply_retention();
  EXPECT_GT(log.start_offset(0), 30u);
}

TEST(LocalLog, AConsumerFileOfTheWrongSizeIsAnErrorNamingIt) {
  TempDir t;
  { LocalLog log(t.path, {.shards = 2}); }
  std::filesystem::path file = std::filesystem::path(t.path) / "consumers" / "warehouse";
  { std::ofstream(file, std::ios::binary) << std::string(8, '\0'); }
  try {
    LocalLog log(t.path, {.shards = 2});
    FAIL() << "opened with a consumer file of 8 bytes for 2 shards";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
  }
}

TEST(LocalLog, ShardCountIsFixedAtCreation) {
  TempDir t;
  { LocalLog log(t.path, {.shards = 4}); }
  try {
    LocalLog log(t.path, {.shards = 2});
    FAIL() << "opened with another shard count";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("has 4 shards, not 2"), std::string::npos);
  }
}

// Opening starts one syncer thread per shard; none may see the syncer list while it is still
// being built (under ASan a thread that did would read freed memory). Many shards, opened a few
// times, give the threads every chance.
TEST(LocalLog, OpensAndSyncsWithTheMostShards) {
  for (int round = 0; round < 4; ++round) {
    TempDir t;
    LocalLog log(t.path, {.shards = 256});
    std::vector<std::string> recs = {"r"};
    for (uint32_t s = 0; s < 256; s += 51) EXPECT_EQ(log.append(s, views(recs)).first_offset, 0u);
    EXPECT_EQ(log.read(1, 0, 10).records.size(), 0u);
    EXPECT_EQ(log.read(255, 0, 10).records.size(), 1u);
  }
}

TEST(LocalLog, ReadsManyBatchesAtOnceFromAnyOffset) {
  TempDir t;
  auto record = [](uint64_t offset) { return std::to_string(offset) + std::string(500, 'x'); };
  constexpr uint64_t kBatches = 3000, kRecords = 3 * kBatches; // about 4.5 MB: several reads' worth
  {
    LocalLog log(t.path, {.shards = 1, .durability = Durability::Async});
    for (uint64_t b = 0; b < kBatches; ++b) {
      std::vector<std::string> recs = {record(3 * b), record(3 * b + 1), record(3 * b + 2)};
      log.append(0, views(recs));
    }
  }
  LocalLog log(t.path, {.shards = 1});
  auto from_middle = log.read(0, 1, 5000).records; // starts inside the first batch
  ASSERT_EQ(from_middle.size(), 5000u);
  for (uint64_t i = 0; i < from_middle.size(); ++i) {
    EXPECT_EQ(from_middle[i].offset, 1 + i);
    EXPECT_EQ(from_middle[i].data, record(1 + i));
  }
  // Odd-sized reads end inside batches; every record comes exactly once, in order.
  uint64_t next = 0;
  for (auto part = log.read(0, next, 7).records; !part.empty(); part = log.read(0, next, 7).records)
    for (auto& r : part) {
      ASSERT_EQ(r.offset, next++);
      EXPECT_EQ(r.data, record(r.offset));
      EXPECT_EQ(r.batch_last, r.offset / 3 * 3 + 2);
    }
  EXPECT_EQ(next, kRecords);
  EXPECT_EQ(log.read(0, 0, kRecords + 10).records.size(), kRecords);
}

TEST(LocalLog, ReadersSeeOnlyDurableRecords) {
  TempDir t;
  std::vector<std::string> recs = {"a", "b"};
  {
    LocalLog log(t.path, {.shards = 1});
    log.append(0, views(recs));
    EXPECT_EQ(log.read(0, 0, 10).records.size(), 2u); // fsync: durable when append returns
  }
  {
    // Async, and no periodic sync within the test: appended, acknowledged, but not yet served.
    LocalLog log(t.path, {.shards = 1, .durability = Durability::Async, .async_sync_ms = 600'000});
    log.append(0, views(recs));
    EXPECT_EQ(log.end_offset(0), 4u);
    EXPECT_EQ(log.read(0, 0, 10).records.size(), 2u);
    EXPECT_TRUE(log.read(0, 2, 10).records.empty());
  }
  LocalLog log(t.path, {.shards = 1});
  EXPECT_EQ(log.read(0, 0, 10).records.size(), 4u); // synced at close
}

TEST(LocalLog, AsyncDurabilityStillReadsBack) {
  TempDir t;
  {
    LocalLog log(t.path, {.shards = 1, .durability = Durability::Async});
    std::vector<std::string> recs = {"a", "b"};
    for (int i = 0; i < 100; ++i) log.append(0, views(recs));
    // The answer comes in the appending thread, right after the write.
    bool answered = false;
    log.append_all_async({{0, views(recs)}}, [&](std::vector<AppendResult> r, std::exception_ptr e) {
      answered = !e && r.at(0).first_offset == 200;
    });
    EXPECT_TRUE(answered);
  }
  LocalLog log(t.path, {.shards = 1});
  EXPECT_EQ(log.end_offset(0), 202u); // synced at close
}
