// The lake's stream manifests (lake/_stream/shard-<n>: the next offset not yet in the lake), and
// its local object store.
#include <gtest/gtest.h>

#include <filesystem>
#include <algorithm>
#include <atomic>
#include <fstream>
#include <functional>
#include <map>
#include <thread>
#include <random>

#include "db/duckdb.h"
#include "sinks/lake/lake_writer.h"
#include "sinks/lake/local_folder/local_folder_store.h"

namespace fs = std::filesystem;

namespace shopflow {

namespace {
struct TempLake {
  TempLake() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("shopflow-lake-" + std::to_string(rd()) + std::to_string(rd()));
  }
  ~TempLake() { fs::remove_all(path); }
  fs::path path;
};

const std::string kDecember = "transactions/year=2010/month=12/";
std::string december_stream_file(uint64_t first, uint64_t last) {
  return kDecember + "stream-0-" + std::to_string(first) + "-" + std::to_string(last) + ".parquet";
}

// A query's reader: lists `lake`'s transactions files over and over, each time under a hold,
// until stopped, and asks `check` what is wrong ("" if nothing) with the offset ranges of the
// listed December files of shard 0, sorted.
class ListingReader {
public:
  using Ranges = std::vector<std::pair<uint64_t, uint64_t>>;
  ListingReader(LakeWriter& lake, std::function<std::string(const Ranges&)> check)
      : thread_([this, &lake, check = std::move(check)] {
          while (!done_ && !failed_) {
            LakeHolds::Hold hold = lake.holds().hold();
            Ranges ranges;
            for (const std::string& key : lake.readable_files("transactions")) {
              uint64_t first = 0, last = 0;
              std::sscanf(key.c_str() + kDecember.size(), "stream-0-%lu-%lu.parquet", &first, &last);
              ranges.push_back({first, last});
            }
            std::sort(ranges.begin(), ranges.end());
            if (std::string bad = check(ranges); !bad.empty()) {
              bad_ = std::move(bad);
              failed_ = true;
            }
            ++listings_;
          }
        }) {}
  bool failed() const { return failed_; }
  // Stops it; what was wrong with the first listing that was wrong ("" if none), and how many
  // listings it made.
  std::pair<std::string, int> stop() {
    done_ = true;
    thread_.join();
    return {bad_, listings_};
  }

private:
  std::atomic<bool> done_{false}, failed_{false};
  std::atomic<int> listings_{0};
  std::string bad_; // set before failed_
  std::thread thread_; // last: starts once the members it uses exist
};
} // namespace

TEST(LakeManifest, MissingIsZeroAndWrittenIsReadBack) {
  TempLake t;
  LocalFolderStore store(t.path);
  LakeWriter lake(store);
  EXPECT_EQ(lake.stream_manifest(3), 0u);
  lake.set_stream_manifest(3, 18446744073709551615ull);
  EXPECT_EQ(lake.stream_manifest(3), 18446744073709551615ull);
  lake.set_stream_manifest(3, 42);
  EXPECT_EQ(lake.stream_manifest(3), 42u);
  EXPECT_EQ(store.list("_stream/").size(), 1u); // no temporary file left beside it
}

// A manifest read as 0 would rewrite the shard from the log's start and delete its files.
TEST(LakeManifest, OneThatDoesNotParseIsAnErrorNamingIt) {
  for (const char* text : {"", "\n", "12x\n", "-1\n", "99999999999999999999999\n", "12", " 12\n", "12\n13\n"}) {
    TempLake t;
    LocalFolderStore store(t.path);
    LakeWriter lake(store);
    fs::create_directories(t.path / "_stream");
    { std::ofstream(t.path / "_stream" / "shard-0", std::ios::binary) << text; }
    try {
      lake.stream_manifest(0);
      ADD_FAILURE() << "read \"" << text << "\" as a manifest";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("shard-0"), std::string::npos) << e.what();
    }
  }
}

} // namespace shopflow

namespace shopflow {

// The lake's local object store (sinks/lake/local_folder): keys, listing, scratch files.
TEST(LocalFolderStore, ObjectsByKey) {
  TempLake t;
  LocalFolderStore store(t.path);
  store.put("transactions/year=2010/month=12/stream-0-0-9.parquet", "a");
  store.put("transactions/year=2011/month=01/batch-1-0.parquet", "bb");
  store.put("cancellations/year=2010/month=12/stream-0-0-9.parquet", "c");
  std::filesystem::path scratch = store.scratch_file("transactions/year=2010/month=12/stream-0-10-19.parquet");
  { std::ofstream(scratch) << "half"; }
  auto keys = [&](std::string_view prefix) {
    std::string out;
    for (const ObjectInfo& o : store.list(prefix)) out += o.key + "=" + std::to_string(o.size) + " ";
    return out;
  };
  struct Case {
    const char *prefix, *listed; // scratch files are never listed
  };
  const Case cases[] = {
      {"transactions/", "transactions/year=2010/month=12/stream-0-0-9.parquet=1 transactions/year=2011/month=01/batch-1-0.parquet=2 "},
      {"transactions/year=2011", "transactions/year=2011/month=01/batch-1-0.parquet=2 "},
      {"cancel", "cancellations/year=2010/month=12/stream-0-0-9.parquet=1 "},
      {"_staging/", ""},
      {"nothing/here/", ""},
  };
  for (const Case& c : cases) EXPECT_EQ(keys(c.prefix), c.listed) << c.prefix;
  EXPECT_EQ(store.get("cancellations/year=2010/month=12/stream-0-0-9.parquet"), "c");
  EXPECT_EQ(store.get("cancellations/none"), std::nullopt);

  store.put_file(scratch, "transactions/year=2010/month=12/stream-0-10-19.parquet");
  EXPECT_EQ(store.get("transactions/year=2010/month=12/stream-0-10-19.parquet"), "half");
  store.move("transactions/year=2011/month=01/batch-1-0.parquet", "_staging/batch-1/x.parquet");
  EXPECT_EQ(keys("_staging/"), "_staging/batch-1/x.parquet=2 ");
  { std::ofstream(store.scratch_file("_staging/batch-1/y.parquet")) << "partial"; }
  store.remove_folder("_staging/");
  EXPECT_FALSE(fs::exists(t.path / "_staging"));
  { std::ofstream(store.scratch_file("transactions/year=2010/month=12/z.parquet")) << "left by a crash"; }
  { std::ofstream(store.scratch_file("transactions/year=2010/month=12/w.parquet")) << "another writer's"; }
  store.remove_scratch("transactions/", [](std::string_view key) { return key == "transactions/year=2010/month=12/z.parquet"; });
  EXPECT_FALSE(fs::exists(t.path / "transactions/year=2010/month=12/.z.parquet.tmp"));
  EXPECT_TRUE(fs::exists(t.path / "transactions/year=2010/month=12/.w.parquet.tmp"));
  store.remove("transactions/year=2010/month=12/stream-0-0-9.parquet");
  EXPECT_EQ(keys("transactions/"), "transactions/year=2010/month=12/stream-0-10-19.parquet=4 ");
}

// What a query over the lake reads: every table file but the inputs of a finished merge (stream
// files whose range another file of their shard and folder covers), nothing outside the table's
// year=/month= folders, no scratch file.
TEST(LakeFiles, ReadersSeeEveryFileButAFinishedMergesInputs) {
  TempLake t;
  LocalFolderStore store(t.path);
  LakeWriter lake(store);
  const std::string dec = "transactions/year=2010/month=12/", jan = "transactions/year=2011/month=01/";
  for (const std::string& key : {dec + "stream-0-0-9.parquet", dec + "stream-0-10-19.parquet", dec + "stream-0-0-19.parquet",
                                 dec + "stream-0-20-29.parquet", dec + "stream-1-0-9.parquet", jan + "stream-0-0-9.parquet",
                                 dec + "batch-3-0.parquet", dec + "notes.txt", std::string("transactions/year=2010/x.parquet"),
                                 std::string("cancellations/year=2010/month=12/stream-0-0-9.parquet")})
    store.put(key, "x");
  { std::ofstream(store.scratch_file(dec + "stream-0-30-39.parquet")) << "unfinished"; }
  EXPECT_EQ(lake.readable_files("transactions"),
            (std::vector<std::string>{dec + "batch-3-0.parquet", dec + "stream-0-0-19.parquet", dec + "stream-0-20-29.parquet",
                                      dec + "stream-1-0-9.parquet", jan + "stream-0-0-9.parquet"}));
  EXPECT_EQ(lake.readable_files("cancellations"), (std::vector<std::string>{"cancellations/year=2010/month=12/stream-0-0-9.parquet"}));
}

// A shard taken over (at start, or after a sink's failure) drops the files past its manifest at
// once (their names are written again) and retires a finished merge's inputs: a query that listed
// them before reads them to its end.
TEST(LakeFiles, TakingAShardOverRetiresAFinishedMergesInputs) {
  TempLake t;
  LocalFolderStore store(t.path);
  LakeWriter lake(store);
  const std::string dec = "transactions/year=2010/month=12/";
  for (const char* name : {"stream-0-0-9.parquet", "stream-0-10-19.parquet", "stream-0-0-19.parquet", "stream-0-20-29.parquet"})
    store.put(dec + name, "x");
  LakeHolds::Hold query = lake.holds().hold();
  lake.remove_stream_files_from(0, 20);
  EXPECT_FALSE(fs::exists(t.path / dec / "stream-0-20-29.parquet"));
  EXPECT_TRUE(fs::exists(t.path / dec / "stream-0-0-9.parquet")); // the query may read it still
  EXPECT_EQ(lake.readable_files("transactions"), std::vector<std::string>{dec + "stream-0-0-19.parquet"});
  query.end();
  EXPECT_FALSE(fs::exists(t.path / dec / "stream-0-0-9.parquet"));
  EXPECT_FALSE(fs::exists(t.path / dec / "stream-0-10-19.parquet"));
  EXPECT_EQ(lake.holds().waiting(), 0u);
}

namespace {
// Stages `files` files of a batch job as the importer does (their bytes do not matter here).
void stage_job(ObjectStore& store, int64_t job, int files) {
  for (int i = 0; i < files; ++i)
    store.put("_staging/batch-" + std::to_string(job) + "/transactions/year=2010/month=" + (i % 2 ? "11" : "12") + "/part-" +
                  std::to_string(i) + ".parquet",
              "x");
}
// The jobs whose files a listing holds, and how many of each.
std::map<std::string, int> jobs_in(const std::vector<std::string>& keys) {
  std::map<std::string, int> jobs;
  for (const std::string& key : keys) {
    std::string name = key.substr(key.rfind('/') + 1); // batch-<job>-<i>.parquet
    ++jobs[name.substr(0, name.find('-', 6))];
  }
  return jobs;
}
} // namespace

// A forced re-import's swap: readers list the old job's files or the new one's, never both nor a
// part; the old files stay for a query that listed them and go when it ends.
TEST(LakeFiles, AReimportedJobReplacesTheOldOneWholeForReaders) {
  TempLake t;
  LocalFolderStore store(t.path);
  LakeWriter lake(store);
  stage_job(store, 1, 4);
  lake.publish(1);
  EXPECT_EQ(jobs_in(lake.readable_files("transactions")), (std::map<std::string, int>{{"batch-1", 4}}));
  LakeHolds::Hold reading = lake.holds().hold();
  stage_job(store, 2, 3);
  lake.publish(2, 1);
  EXPECT_EQ(jobs_in(lake.readable_files("transactions")), (std::map<std::string, int>{{"batch-2", 3}}));
  EXPECT_TRUE(fs::exists(t.path / "transactions/year=2010/month=12/batch-1-0.parquet")); // the query reads it still
  reading.end();
  EXPECT_FALSE(fs::exists(t.path / "transactions/year=2010/month=12/batch-1-0.parquet"));
  EXPECT_FALSE(fs::exists(t.path / "_staging/batch-2"));
  EXPECT_EQ(lake.holds().waiting(), 0u);

  // While jobs of 20 files replace each other, every listing holds one whole job.
  stage_job(store, 3, 20);
  lake.publish(3, 2);
  std::atomic<bool> done{false};
  std::atomic<int> listings{0};
  std::string bad;
  std::thread reader([&] {
    while (!done) {
      LakeHolds::Hold hold = lake.holds().hold();
      auto jobs = jobs_in(lake.readable_files("transactions"));
      if (jobs.size() != 1 || jobs.begin()->second != 20) bad = "a listing held " + std::to_string(jobs.size()) + " jobs";
      ++listings;
    }
  });
  for (int64_t job = 4; job < 40; ++job) {
    stage_job(store, job, 20);
    lake.publish(job, job - 1);
  }
  done = true;
  reader.join();
  EXPECT_EQ(bad, "");
  EXPECT_GT(listings.load(), 10);
  EXPECT_EQ(jobs_in(lake.readable_files("transactions")), (std::map<std::string, int>{{"batch-39", 20}}));
}

// A listing that a merge's retirement overtakes: the merge puts its merged file and then retires
// its inputs, while a reader walks the folder and then leaves out the retired files. A walk that
// missed the merged file must keep the inputs (its hold keeps them on disk): no listing holds an
// offset twice, and none holds fewer offsets than the one before. (A walk may also return a file
// put while it ran without one put just before it: a later listing has both.)
TEST(LakeFiles, AListingAMergeOvertakesKeepsEveryLine) {
  TempLake t;
  LocalFolderStore store(t.path);
  LakeWriter lake(store);
  auto name = december_stream_file;
  uint64_t seen = 0;
  ListingReader reader(lake, [&](const ListingReader::Ranges& ranges) -> std::string {
    uint64_t offsets = 0, next = 0;
    for (auto [first, last] : ranges) {
      if (first < next) return "a listing holds offsets from " + std::to_string(first) + " twice";
      next = last + 1;
      offsets += last + 1 - first;
    }
    if (offsets < seen) return "a listing holds " + std::to_string(offsets) + " offsets after one held " + std::to_string(seen);
    seen = offsets;
    return "";
  });
  // Files of 10 offsets; every two merged into one (the merged file put first, then its inputs
  // retired, as compact_stream_files does), and every two merged files merged again.
  for (uint64_t first = 0; first < 40'000 && !reader.failed(); first += 40) {
    for (uint64_t half = first; half < first + 40; half += 20) {
      store.put(name(half, half + 9), "x");
      store.put(name(half + 10, half + 19), "x");
      store.put(name(half, half + 19), "x");
      lake.holds().retire({name(half, half + 9), name(half + 10, half + 19)});
    }
    store.put(name(first, first + 39), "x");
    lake.holds().retire({name(first, first + 19), name(first + 20, first + 39)});
  }
  auto [bad, listings] = reader.stop();
  EXPECT_EQ(bad, "");
  EXPECT_GT(listings, 10);
}

// Stream files appear in offset order, and a listing holds a prefix of them: a walk of the folder
// that a flush's file overtakes (put in a part of the folder the walk has read) must not list a
// later file of the shard without it. Files of 10 offsets, 600 there before, 300 more written
// while a reader lists.
TEST(LakeFiles, AListingHoldsEveryFileWrittenBeforeOneItHolds) {
  TempLake t;
  LocalFolderStore store(t.path);
  LakeWriter lake(store);
  uint64_t next = 0;
  for (; next < 6'000; next += 10) store.put(december_stream_file(next, next + 9), "x");
  DuckDatabase db("");
  DuckConnection con(db);
  ListingReader reader(lake, [](const ListingReader::Ranges& ranges) -> std::string {
    for (size_t i = 0; i < ranges.size(); ++i)
      if (ranges[i].first != 10 * i)
        return "a listing holds offsets from " + std::to_string(ranges[i].first) + " without those from " + std::to_string(10 * i);
    return "";
  });
  for (int i = 0; i < 300 && !reader.failed(); ++i, next += 10) lake.write_stream_file(con, "transactions", 201012, 0, next, next + 9, "SELECT 1 AS x");
  auto [bad, listings] = reader.stop();
  EXPECT_EQ(bad, "");
  EXPECT_GT(listings, 10);
}

// Listing while other files come and go (queries list the lake while merges delete): no error,
// and every file there all along is listed.
TEST(LocalFolderStore, ListsWhileFilesComeAndGo) {
  TempLake t;
  LocalFolderStore store(t.path);
  for (int i = 0; i < 50; ++i) store.put("transactions/year=2010/month=12/stay-" + std::to_string(i) + ".parquet", "x");
  std::atomic<bool> done{false};
  std::thread churn([&] {
    for (int i = 0; !done; ++i) {
      const fs::path f = t.path / "transactions/year=2010/month=12" / ("go-" + std::to_string(i % 50) + ".parquet");
      std::ofstream(f) << "x";
      fs::remove(f);
    }
  });
  int failures = 0;
  for (int i = 0; i < 300 && failures == 0; ++i) {
    try {
      std::vector<ObjectInfo> listed = store.list("transactions/");
      failures += std::count_if(listed.begin(), listed.end(), [](const ObjectInfo& o) { return o.key.find("/stay-") != std::string::npos; }) != 50;
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
      ++failures;
    }
  }
  done = true;
  churn.join();
  EXPECT_EQ(failures, 0);
}

TEST(LocalFolderStore, KeysNeverLeaveTheFolder) {
  TempLake t;
  LocalFolderStore store(t.path);
  for (const char* key : {"", "/etc/passwd", "../x", "a/../../x", "a/./b"})
    EXPECT_THROW(store.put(key, "x"), std::invalid_argument) << key;
}

} // namespace shopflow
