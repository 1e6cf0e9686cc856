// The sinks' shared reader (pipeline/cleaned_reader.h) on a real local log: one read and clean for
// all sinks in step, a read of its own for a sink that is elsewhere, and every record to every
// sink exactly once and in order while records are appended. Also built with ThreadSanitizer.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <numeric>
#include <thread>

#include "pipeline/cleaned_reader.h"
#include "pipeline/log_record.h"
#include "stream/local_log.h"
#include "temp_dir.h"

using namespace shopflow;
using shopflow::test::TempDir;

namespace {
// Appends `count` rows to `shard` in batches of ten: rows with a positive quantity (transactions)
// and, every seventh, a zero quantity (rejected), so that both kinds of lines are counted.
void append_rows(Log& log, uint32_t shard, int count) {
  std::vector<std::string> records;
  for (int i = 0; i < count; ++i) {
    InputRow row;
    const std::string quantity = i % 7 ? "6" : "0";
    const std::string fields[kFieldCount] = {"536365", "85123A", "HEART", quantity, "12/1/2010 8:26", "2.55", "17850", "United Kingdom"};
    for (size_t f = 0; f < kFieldCount; ++f) row.fields[f] = {fields[f], f == 3 || f == 5 ? FieldKind::Number : FieldKind::Text};
    row.field_count = kFieldCount;
    encode_log_row(records.emplace_back(), row, 1, true);
    if (records.size() == 10 || i + 1 == count) {
      log.append(shard, {records.begin(), records.end()});
      records.clear();
    }
  }
}

// Every record number a batch covers (its lines' and rejected rows' sources, "stream:<shard>:<n>").
std::vector<uint64_t> record_numbers(const CleanedBatch& b) {
  std::vector<uint64_t> out;
  char buf[64];
  for (const LineColumns* lines : {b.transactions.get(), b.cancellations.get()})
    for (size_t r = 0; r < lines->size(); ++r) {
      std::string_view source = lines->source(r, buf);
      out.push_back(std::stoull(std::string(source.substr(source.rfind(':') + 1))));
    }
  for (const RejectedRow& r : b.rejected) out.push_back(std::stoull(r.source.substr(r.source.rfind(':') + 1)));
  std::sort(out.begin(), out.end());
  return out;
}
} // namespace

TEST(CleanedReader, SinksInStepShareEachReadAndOneElsewhereReadsItself) {
  TempDir t;
  LocalLog log(t.path / "log", {.shards = 1});
  append_rows(log, 0, 2000);
  CleanedReader reader(log, 3, 300, 900);
  // In step: the first sink reads, the two others take the same batch.
  uint64_t from = 0, batches = 0;
  while (auto first = reader.read(0, from)) {
    EXPECT_EQ(first->first_offset, from);
    EXPECT_EQ(reader.read(0, from), first);
    EXPECT_EQ(reader.read(0, from), first);
    from = first->next_offset;
    ++batches;
  }
  EXPECT_EQ(from, 2000u);
  EXPECT_EQ(batches, 7u);
  EXPECT_EQ(reader.reads_from_log(), batches + 1); // + the read that found nothing new
  // A sink far behind reads for itself (batches all sinks took are not kept) and gets the same records.
  uint64_t again = 0;
  std::vector<uint64_t> seen;
  while (auto b = reader.read(0, again)) {
    for (uint64_t n : record_numbers(*b)) {
      EXPECT_TRUE(n >= b->first_offset && n < b->next_offset) << n;
      seen.push_back(n);
    }
    EXPECT_FALSE(b->rejected.empty());
    again = b->next_offset;
  }
  std::vector<uint64_t> all(2000);
  std::iota(all.begin(), all.end(), 0);
  EXPECT_EQ(seen, all);
  EXPECT_EQ(reader.reads_from_log(), 2 * (batches + 1));
}

TEST(CleanedReader, EverySinkGetsEveryRecordOnceWhileRecordsAreAppended) {
  TempDir t;
  LocalLog log(t.path / "log", {.shards = 2});
  CleanedReader reader(log, 3, 64, 256);
  std::atomic<bool> appending{true};
  std::thread appender([&] {
    append_rows(log, 1, 3000);
    appending = false;
  });
  std::vector<std::vector<uint64_t>> seen(3);
  std::vector<std::thread> sinks;
  for (size_t i = 0; i < 3; ++i)
    sinks.emplace_back([&, i] {
      uint64_t next = 0;
      for (;;) {
        bool more = appending;
        auto b = reader.read(1, next);
        if (!b) {
          if (!more) return;
          std::this_thread::yield();
          continue;
        }
        EXPECT_EQ(b->first_offset, next);
        for (uint64_t n : record_numbers(*b)) seen[i].push_back(n);
        next = b->next_offset;
      }
    });
  appender.join();
  for (auto& s : sinks) s.join();
  std::vector<uint64_t> all(3000);
  std::iota(all.begin(), all.end(), 0);
  for (auto& s : seen) EXPECT_EQ(s, all);
}
