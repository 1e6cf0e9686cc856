// Queries' holds on the lake's files (sinks/lake/lake_holds.h) on a real local folder: a file a
// merge retires stays while a query that began before the retirement runs, and goes when the
// last such query ends; queries that began after it do not keep it. Also built with
// ThreadSanitizer (the last test: readers and a merging writer at once).
#include <gtest/gtest.h>

#include <set>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

#include "sinks/lake/lake_holds.h"
#include "sinks/lake/local_folder/local_folder_store.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using namespace shopflow;
using shopflow::test::TempDir;

namespace {
struct Lake {
  TempDir dir;
  LocalFolderStore store{dir.path / "lake"};
  LakeHolds holds{store};
  void put(const std::string& key) { store.put(key, "bytes of " + key); }
  bool has(const std::string& key) const { return store.get(key).has_value(); }
};
} // namespace

TEST(LakeHolds, WithNoQueryARetiredFileGoesAtOnce) {
  Lake lake;
  lake.put("t/a.parquet");
  lake.holds.retire({"t/a.parquet", "t/never-written.parquet"});
  EXPECT_FALSE(lake.has("t/a.parquet"));
  EXPECT_EQ(lake.holds.waiting(), 0u);
}

TEST(LakeHolds, ARetiredFileStaysUntilTheQueriesBeforeItEnd) {
  Lake lake;
  for (const char* key : {"t/a", "t/b"}) lake.put(key);
  LakeHolds::Hold first = lake.holds.hold();
  lake.holds.retire({"t/a"});
  LakeHolds::Hold second = lake.holds.hold(); // began after a's retirement: does not keep it
  lake.holds.retire({"t/b"});
  EXPECT_TRUE(lake.has("t/a"));
  EXPECT_TRUE(lake.has("t/b"));
  EXPECT_EQ(lake.holds.waiting(), 2u);
  EXPECT_EQ(lake.holds.retired(), (std::set<std::string>{"t/a", "t/b"})); // out of listings while they wait
  first.end();
  EXPECT_FALSE(lake.has("t/a"));
  EXPECT_TRUE(lake.has("t/b")); // second began before b's retirement
  EXPECT_EQ(lake.holds.waiting(), 1u);
  LakeHolds::Hold moved = std::move(second);
  second.end(); // a moved-from hold holds nothing
  EXPECT_TRUE(lake.has("t/b"));
  moved = LakeHolds::Hold(); // ending by assignment
  EXPECT_FALSE(lake.has("t/b"));
  EXPECT_EQ(lake.holds.waiting(), 0u);
}

TEST(LakeHolds, TheLaterQueryEndingFirstKeepsTheFileForTheEarlierOne) {
  Lake lake;
  lake.put("t/a");
  LakeHolds::Hold early = lake.holds.hold();
  LakeHolds::Hold late = lake.holds.hold();
  lake.holds.retire({"t/a"});
  late.end();
  EXPECT_TRUE(lake.has("t/a"));
  early.end();
  EXPECT_FALSE(lake.has("t/a"));
}

// The protocol as the lake uses it: a writer puts each new file (a merge's output), makes it the
// one to read, and retires the one before; readers take a hold, pick the current file, and read it
// a little later. No reader may find its file gone, and nothing retired is left at the end.
TEST(LakeHolds, ReadersNeverFindTheFileTheyPickedGone) {
  Lake lake;
  std::mutex mutex;
  std::string current = "t/0";
  lake.put(current);
  std::atomic<bool> done{false};
  std::atomic<int> reads{0}, missing{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r)
    readers.emplace_back([&, r] {
      std::minstd_rand random(r);
      while (!done) {
        LakeHolds::Hold hold = lake.holds.hold();
        std::string picked;
        {
          std::lock_guard lock(mutex);
          picked = current;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(random() % 5000)); // longer than a put
        missing += !lake.has(picked);
        ++reads;
      }
    });
  for (int i = 1; i <= 200; ++i) {
    std::string next = "t/" + std::to_string(i), before;
    lake.put(next);
    {
      std::lock_guard lock(mutex);
      before = std::exchange(current, next);
    }
    lake.holds.retire({before});
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_GT(reads.load(), 30);
  EXPECT_EQ(missing.load(), 0);
  EXPECT_EQ(lake.holds.waiting(), 0u);
  std::vector<ObjectInfo> left = lake.store.list("t/");
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].key, "t/200");
}
