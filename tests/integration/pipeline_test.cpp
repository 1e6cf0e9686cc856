// The stream pipeline without HTTP: rows appended to a real log reach all three sinks exactly
// once, also when the consumers are stopped and restarted midway.
#include <gtest/gtest.h>

#include "storage/data_dir.h"
#include "formats/record_source.h"
#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "pipeline/buffered_consumer.h"
#include "pipeline/clean_records.h"
#include "pipeline/idempotency.h"
#include "pipeline/ingest.h"
#include "pipeline/log_record.h"
#include "pipeline/pipeline.h"
#include "query/lake_views.h"
#include "query/query_engine.h"
#include "query/sql_service.h"
#include "stream/kafka/kafka_log.h"
#include "stream/kafka/rdkafka.h"
#include "stream/local_log.h"
#include "batch/importer.h"
#include "customer_rows.h"
#include "reference.h"
#include "test_support.h"

using namespace shopflow;
using namespace shopflow::test;
namespace fs = std::filesystem;

namespace {
std::vector<std::unique_ptr<SinkConsumer>> all_sinks(DataDir& dir) {
  std::vector<std::unique_ptr<SinkConsumer>> sinks;
  sinks.push_back(make_warehouse_consumer(dir));
  sinks.push_back(make_tables_consumer(dir.tables()));
  sinks.push_back(make_lake_consumer(dir, {.max_lines = 2000, .max_age_ms = 50, .compact_at_files = 4}));
  return sinks;
}

// Appends the reference file in requests of `per_request` rows; returns how many were appended.
size_t append_reference(Log& log, size_t per_request, size_t limit = SIZE_MAX) {
  OpenedSource src = open_record_file(reference_csv());
  std::vector<InputRow> rows;
  size_t n = 0;
  while (n < limit && src.source->read_batch(rows, std::min(per_request, limit - n))) {
    n += ingest_rows(log, rows, 1).appended;
  }
  return n;
}

std::string q(DuckConnection& con, const std::string& sql) { return con.query(sql).text(0, 0); }

void expect_reference_figures(DataDir& dir) {
  DuckConnection& con = dir.warehouse().connection();
  EXPECT_EQ(q(con, "SELECT count(*) FROM transactions"), text(kReferenceTransactions));
  EXPECT_EQ(q(con, "SELECT count(*) FROM cancellations"), text(kReferenceCancellations));
  EXPECT_EQ(q(con, "SELECT count(*) FROM rejected"), text(kReferenceRejected));
  EXPECT_EQ(q(con, "SELECT sum(amount) FROM transactions"), kReferenceRevenue);
  EXPECT_EQ(q(con, "SELECT count(DISTINCT source) FROM transactions"), text(kReferenceTransactions));
  std::string lake = dir.backends().lake.path.string();
  EXPECT_EQ(q(con, "SELECT count(*) || ' ' || sum(amount) || ' ' || count(DISTINCT source) FROM read_parquet('" + lake +
                       "/transactions/*/*/*.parquet')"), text(kReferenceTransactions) + " " + kReferenceRevenue + " " + text(kReferenceTransactions));
  EXPECT_EQ(q(con, "SELECT count(*) FROM read_parquet('" + lake + "/cancellations/*/*/*.parquet')"), text(kReferenceCancellations));
  EXPECT_EQ(dir.tables().invoice_lines("536365").size(), 7u);
  auto invoices = dir.tables().customer_invoices("17850");
  bool found = false;
  for (auto& s : invoices)
    if (s.invoice_no == "536365") {
      found = true;
      EXPECT_EQ(s.lines, 7);
      EXPECT_EQ(s.amount_milli, 139120);
    }
  EXPECT_TRUE(found);
}
} // namespace

TEST(Pipeline, StreamedReferenceFileReachesEverySinkOnce) {
  TempDir t;
  DataDir dir((t.path / "d").string(), "test");
  LocalLog log(t.path / "d" / "log", {.shards = 4});
  EXPECT_EQ(append_reference(log, 500), kReferenceRows);
  Pipeline pipeline(log, all_sinks(dir));
  pipeline.start();
  ASSERT_TRUE(pipeline.drain(60'000));
  pipeline.stop();
  expect_reference_figures(dir);
  // Small files were compacted: far fewer files than flushes (about 21 per shard).
  size_t files = 0;
  for (auto& e : fs::recursive_directory_iterator(dir.backends().lake.path / "transactions")) files += e.is_regular_file();
  EXPECT_LT(files, 4u * 5);
  // A crash between a compaction's rename and its deletes leaves covered files; the next start removes them.
  fs::path some;
  for (auto& e : fs::recursive_directory_iterator(dir.backends().lake.path / "transactions"))
    if (e.is_regular_file()) some = e.path();
  std::string name = some.filename().string(); // stream-<shard>-<first>-<last>.parquet
  size_t a = name.find('-', 7), b = name.find('-', a + 1);
  uint64_t first = std::stoull(name.substr(a + 1, b - a - 1));
  fs::path covered = some.parent_path() / (name.substr(0, a + 1) + std::to_string(first) + "-" + std::to_string(first) + ".parquet");
  fs::copy_file(some, covered);
  dir.lake().remove_stream_files_from(std::stoul(name.substr(7, a - 7)), UINT64_MAX);
  EXPECT_FALSE(fs::exists(covered));
  EXPECT_TRUE(fs::exists(some));
  expect_reference_figures(dir);
}

// An invoice's lines from the stream, from batch jobs and from a forced re-import add up to exact
// Customer-table rows: the stream adds its lines to the stored rows, a job adds its sums, and a
// forced re-import recomputes the rows of the invoices it replaces.
TEST(Pipeline, CustomerTableAddsUpStreamedAndImportedLinesOfOneInvoice) {
  TempDir t;
  // Rows [from, to) of the reference file as a file of their own.
  auto slice = [&](const std::string& name, size_t from, size_t to) {
    return write_reference_rows(t.path / name, [=](size_t row) { return row >= from && row < to; });
  };
  DataDir dir((t.path / "d").string(), "test");
  LocalLog log(t.path / "d" / "log", {.shards = 4});
  auto stream = [&](const std::string& file) {
    OpenedSource src = open_record_file(file);
    std::vector<InputRow> rows;
    while (src.source->read_batch(rows, 500)) ingest_rows(log, rows, 1);
    Pipeline pipeline(log, all_sinks(dir));
    pipeline.start();
    ASSERT_TRUE(pipeline.drain(60'000));
    pipeline.stop();
  };
  auto rows_agree = [&](const char* when) { expect_customer_rows_agree(dir, 300, when); };
  BatchImporter importer(dir);
  ImportOptions o;
  o.progress = false;
  stream(slice("a.csv", 0, 10000));
  rows_agree("streamed");
  const std::string job = slice("b.csv", 5000, 20000); // half of its invoices have streamed lines
  importer.import_file(job, o);
  rows_agree("then imported");
  stream(slice("c.csv", 15000, 25000)); // lines for the job's invoices
  rows_agree("then streamed again");
  o.force = true;
  EXPECT_EQ(importer.import_file(job, o).replaced_job, 1);
  rows_agree("then the job replaced");
}

namespace {
// A sink that records what reaches it, to see what a buffering consumer hands on and when.
class RecordingSink final : public SinkConsumer {
public:
  const char* name() const override { return "recording"; }
  uint64_t committed_offset(uint32_t shard) override { return committed[shard]; }
  void apply(const std::vector<CleanedBatch>& batches) override {
    applied.push_back(batches.size());
    for (const ShardRange& r : shard_ranges(batches)) committed[r.shard] = r.next_offset;
  }
  void discard_uncommitted() override { ++discards; }
  std::map<uint32_t, uint64_t> committed;
  std::vector<size_t> applied; // batches per apply()
  int discards = 0;
};

CleanedBatch batch_of(uint32_t shard, uint64_t first, size_t lines) {
  CleanedBatch b;
  b.shard = shard;
  b.first_offset = first;
  b.next_offset = first + lines;
  b.transactions = std::make_shared<LineColumns>(stream_source_prefix(shard));
  b.cancellations = std::make_shared<LineColumns>(stream_source_prefix(shard));
  CleanLine line{};
  for (size_t i = 0; i < lines; ++i) b.transactions->add(line, first + i);
  return b;
}
} // namespace

// A buffering consumer hands passes on together once max_lines wait, or on a flush once the oldest
// waited max_age_ms (at once when forced); a shard's batches then come in offset order and count
// as one range. Nothing buffered is reported stored, and a discard forgets it.
TEST(Pipeline, BufferedSinkHandsOnWhenFullOrDue) {
  auto owned = std::make_unique<RecordingSink>();
  RecordingSink& inner = *owned;
  auto sink = make_buffered_consumer(std::move(owned), {.max_lines = 100, .max_age_ms = 200});
  sink->apply({batch_of(0, 0, 40), batch_of(1, 0, 10)});
  sink->apply({batch_of(0, 40, 30)});
  sink->flush(false);
  EXPECT_TRUE(inner.applied.empty());
  EXPECT_EQ(sink->committed_offset(0), 0u); // buffered is not stored
  sink->apply({batch_of(0, 70, 20)});       // 100 lines: handed on
  EXPECT_EQ(inner.applied, std::vector<size_t>{4});
  EXPECT_EQ(sink->committed_offset(0), 90u);
  EXPECT_EQ(sink->committed_offset(1), 10u);

  sink->apply({batch_of(1, 10, 5)});
  sink->flush(false);
  EXPECT_EQ(inner.applied.size(), 1u); // not due yet
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  sink->flush(false);
  EXPECT_EQ(inner.applied, (std::vector<size_t>{4, 1}));
  EXPECT_EQ(sink->committed_offset(1), 15u);

  sink->apply({batch_of(1, 15, 5)});
  sink->flush(true);
  EXPECT_EQ(sink->committed_offset(1), 20u);
  sink->apply({batch_of(1, 20, 5)});
  sink->discard_uncommitted();
  EXPECT_EQ(inner.discards, 1);
  sink->flush(true);
  EXPECT_EQ(sink->committed_offset(1), 20u); // the discarded pass is read again from the log

  // Batches of a shard that do not follow each other are a bug, not data to store.
  EXPECT_THROW(shard_ranges({batch_of(0, 0, 5), batch_of(0, 6, 5)}), std::logic_error);
}

// Compaction merges runs of files next to each other in offset order and of one size class: a
// big file is not rewritten whenever small ones gather after it, every line stays once and in the
// log's order, and no merged file's range covers a file it did not merge (such a file is deleted
// as a finished compaction's input at the next start).
TEST(Pipeline, LakeCompactionMergesRunsOfOneSizeClass) {
  TempDir t;
  DataDir dir((t.path / "d").string(), "test");
  DuckConnection& con = dir.warehouse().connection();
  auto write = [&](uint64_t first, uint64_t last) {
    dir.lake().write_stream_file(con, "transactions", 201012, 0, first, last,
                                 "SELECT 'stream:0:' || i AS source, i AS n FROM range(" + std::to_string(first) + ", " +
                                     std::to_string(last + 1) + ") t(i)");
  };
  for (uint64_t f = 0; f < 50; f += 10) write(f, f + 9); // five small
  write(50, 1049);                                         // one big
  for (uint64_t f = 1050; f < 1080; f += 10) write(f, f + 9); // three small
  EXPECT_EQ(dir.lake().compact_stream_files(con, 0, 4), 5u); // the first five only
  const fs::path folder = dir.backends().lake.path / "transactions" / "year=2010" / "month=12";
  std::set<std::string> names;
  for (auto& e : fs::directory_iterator(folder)) names.insert(e.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{"stream-0-0-49.parquet", "stream-0-50-1049.parquet", "stream-0-1050-1059.parquet",
                                          "stream-0-1060-1069.parquet", "stream-0-1070-1079.parquet"}));
  write(1080, 1089);
  EXPECT_EQ(dir.lake().compact_stream_files(con, 0, 4), 4u);
  dir.lake().remove_stream_files_from(0, UINT64_MAX); // deletes covered files only
  const std::string all = "read_parquet('" + folder.string() + "/*.parquet')";
  EXPECT_EQ(q(con, "SELECT count(*) || ' ' || count(DISTINCT n) || ' ' || min(n) || ' ' || max(n) FROM " + all), "1090 1090 0 1089");
  // Within each merged file the lines are in the log's order.
  for (const char* file : {"stream-0-0-49.parquet", "stream-0-1050-1089.parquet"}) {
    const std::string one = "read_parquet('" + (folder / file).string() + "')";
    EXPECT_EQ(q(con, "SELECT bool_and(n = first + rn - 1) FROM (SELECT n, row_number() OVER () AS rn, min(n) OVER () AS first FROM " + one + ")"),
              "true") << file;
  }
}

// The shards flush in step, so their merges come due together: a flush that wrote files merges at
// most one shard's, the next ones the others' in turn, and a flush that wrote nothing merges none
// (a sink the pipeline reports caught up has no merge under way). Every line stays once.
TEST(Pipeline, LakeMergesOneShardPerFlushThatWrote) {
  TempDir t;
  DataDir dir((t.path / "d").string(), "test");
  auto lake = make_lake_consumer(dir, {.max_lines = 1'000'000, .max_age_ms = 0, .compact_at_files = 4});
  for (uint32_t s = 0; s < 4; ++s) lake->own(s);
  const fs::path folder = dir.backends().lake.path / "transactions";
  auto files_per_shard = [&] {
    std::vector<int> n(4);
    for (auto& e : fs::recursive_directory_iterator(folder))
      for (uint32_t s = 0; s < 4; ++s)
        n[s] += e.path().filename().string().starts_with("stream-" + std::to_string(s) + "-") && e.path().extension() == ".parquet";
    return n;
  };
  uint64_t next = 0;
  auto round = [&] { // ten lines on every shard, flushed: one file each
    std::vector<CleanedBatch> pass;
    for (uint32_t s = 0; s < 4; ++s) pass.push_back(batch_of(s, next, 10));
    next += 10;
    lake->apply(pass);
    lake->flush(true);
  };
  for (int i = 0; i < 3; ++i) round();
  EXPECT_EQ(files_per_shard(), (std::vector<int>{3, 3, 3, 3}));
  round(); // four files on every shard: all due
  EXPECT_EQ(files_per_shard(), (std::vector<int>{1, 4, 4, 4}));
  lake->flush(true);
  EXPECT_EQ(files_per_shard(), (std::vector<int>{1, 4, 4, 4}));
  round();
  EXPECT_EQ(files_per_shard(), (std::vector<int>{2, 1, 5, 5}));
  round();
  EXPECT_EQ(files_per_shard(), (std::vector<int>{3, 2, 1, 6}));
  round();
  EXPECT_EQ(files_per_shard(), (std::vector<int>{4, 3, 2, 1}));
  DuckConnection& con = dir.warehouse().connection();
  EXPECT_EQ(q(con, "SELECT count(*) || ' ' || count(DISTINCT source) FROM read_parquet('" + folder.string() + "/*/*/*.parquet')"), "280 280");
}

// A query over lake.* reads the lake's files as they were when it started: a merge finishing
// meanwhile deletes its inputs only after the query ends, and a query starting after the merge
// reads the merged file alone, not beside its inputs (which are still there).
TEST(Pipeline, LakeQueriesReadTheFilesTheyListedThroughAMerge) {
  TempDir t;
  DataDir dir((t.path / "d").string(), "test");
  DuckConnection& sink = dir.warehouse().connection();
  for (uint64_t first = 0; first < 40; first += 10)
    dir.lake().write_stream_file(sink, "transactions", 201012, 0, first, first + 9,
                                 "SELECT 'stream:0:' || i AS source, i AS n FROM range(" + std::to_string(first) + ", " +
                                     std::to_string(first + 10) + ") t(i)");
  const fs::path folder = dir.backends().lake.path / "transactions" / "year=2010" / "month=12";
  auto files = [&] { return std::distance(fs::directory_iterator(folder), fs::directory_iterator()); };
  LakeViews views(dir.warehouse().database(), dir.lake());
  DuckConnection before(dir.warehouse().database()), after(dir.warehouse().database());
  const std::string figures = "SELECT count(*) || ' ' || count(DISTINCT n) || ' ' || max(n) FROM lake.transactions";
  LakeHolds::Hold started_before = views.read_now(before);
  EXPECT_EQ(dir.lake().compact_stream_files(sink, 0, 4), 4u);
  EXPECT_EQ(files(), 5); // the merged file, and its inputs kept for the query started before
  LakeHolds::Hold started_after = views.read_now(after);
  EXPECT_EQ(q(after, figures), "40 40 39");
  EXPECT_EQ(q(before, figures), "40 40 39"); // its four files, still there
  started_before.end();
  EXPECT_EQ(files(), 1); // the query started after does not keep them
  EXPECT_EQ(q(after, figures), "40 40 39");
}

// A merge's inputs that a query still holds are no merge's inputs again: the next merge of the
// shard takes the live files only (the merged file and the newer ones), so no two live files
// hold the same lines and every query counts each line once.
TEST(Pipeline, LakeMergesLeaveTheInputsAQueryHoldsAlone) {
  TempDir t;
  DataDir dir((t.path / "d").string(), "test");
  DuckConnection& sink = dir.warehouse().connection();
  auto write = [&](uint64_t first) {
    dir.lake().write_stream_file(sink, "transactions", 201012, 0, first, first + 9,
                                 "SELECT 'stream:0:' || i AS source, i AS n FROM range(" + std::to_string(first) + ", " +
                                     std::to_string(first + 10) + ") t(i)");
  };
  for (uint64_t first = 0; first < 40; first += 10) write(first);
  LakeViews views(dir.warehouse().database(), dir.lake());
  DuckConnection held(dir.warehouse().database()), later(dir.warehouse().database());
  const std::string figures = "SELECT count(*) || ' ' || count(DISTINCT n) || ' ' || max(n) FROM lake.transactions";
  LakeHolds::Hold query = views.read_now(held);
  EXPECT_EQ(dir.lake().compact_stream_files(sink, 0, 4), 4u); // its inputs stay for `query`
  for (uint64_t first = 40; first < 80; first += 10) write(first);
  EXPECT_EQ(dir.lake().compact_stream_files(sink, 0, 4), 4u); // the four new files, not the held ones
  EXPECT_EQ(dir.lake().readable_files("transactions").size(), 2u);
  LakeHolds::Hold now = views.read_now(later);
  EXPECT_EQ(q(later, figures), "80 80 79");
  EXPECT_EQ(q(held, figures), "40 40 39");
  query.end();
  now.end();
  EXPECT_EQ(dir.lake().compact_stream_files(sink, 0, 2), 2u); // the two merged files, nothing else
  EXPECT_EQ(dir.lake().readable_files("transactions").size(), 1u);
  LakeHolds::Hold last = views.read_now(later);
  EXPECT_EQ(q(later, figures), "80 80 79");
}

// Queries over lake.* while streamed lines arrive and the lake merges its files all the time
// (every two files): each answer counts every line once, none fails, and counts never go back.
TEST(Pipeline, LakeQueriesDuringStreamingAndMergesCountEveryLineOnce) {
  TempDir t;
  DataDir dir((t.path / "d").string(), "test");
  LocalLog log(t.path / "d" / "log", {.shards = 4});
  std::vector<std::unique_ptr<SinkConsumer>> sinks;
  sinks.push_back(make_lake_consumer(dir, {.max_lines = 100, .max_age_ms = 0, .compact_at_files = 2}));
  Pipeline pipeline(log, std::move(sinks));
  pipeline.start();
  SqlService sql(dir.warehouse().database(), dir.lake(), dir.sql_answers_dir());
  auto run = [&](const std::string& statement) {
    SqlRequest request;
    request.sql = statement;
    return sql.run(request);
  };
  std::atomic<bool> appended{false};
  size_t answers = 0;
  std::thread queries([&] {
    long long last = 0;
    while (!appended) {
      SqlAnswer a = run("SELECT count(*) = count(DISTINCT source) AS once, count(*) AS lines FROM lake.transactions");
      ASSERT_EQ(a.status, 200u) << a.body;
      TextTable answer = text_table_from_sql_answer(a.body);
      ASSERT_EQ(answer.rows.size(), 1u);
      const long long lines = std::stoll(answer.rows[0][1].text.value_or("0"));
      if (lines > 0) {
        EXPECT_EQ(answer.rows[0][0].text, "true") << "lines counted twice at " << lines;
      }
      EXPECT_GE(lines, last);
      last = lines;
      ++answers;
    }
  });
  OpenedSource src = open_record_file(reference_csv());
  std::vector<InputRow> rows;
  while (src.source->read_batch(rows, 100)) { // about a second of streaming
    ingest_rows(log, rows, 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_TRUE(pipeline.drain(60'000));
  appended = true;
  queries.join();
  pipeline.stop();
  EXPECT_GT(answers, 10u);
  EXPECT_EQ(text_table_from_sql_answer(run("SELECT count(*) FROM lake.transactions").body).rows.at(0).at(0).text,
            text(kReferenceTransactions));
}

// The log keeps a row's raw text only when cleaning rejects the row; the rejected table still
// gets it, and a record without it (a row whose verdict changed) is described from its fields.
TEST(Pipeline, LogKeepsRawTextOnlyForRejectedRows) {
  TempDir t;
  LocalLog log(t.path / "d" / "log", {.shards = 4});
  EXPECT_EQ(append_reference(log, 500), kReferenceRows);
  size_t with_raw = 0, rows = 0;
  for (uint32_t s = 0; s < 4; ++s)
    for (const LogRecord& rec : log.read(s, 0, 100'000).records) {
      InputRow row;
      int64_t at = 0;
      ASSERT_TRUE(decode_log_row(rec.data, row, at));
      ++rows;
      with_raw += !row.raw.empty();
    }
  EXPECT_EQ(rows, kReferenceRows);
  EXPECT_EQ(with_raw, kReferenceRejected); // the reference file's rejected rows
  CleanedBatch b = clean_records(0, log.read(0, 0, 100'000).records);
  ASSERT_FALSE(b.rejected.empty());
  for (const RejectedRow& r : b.rejected) EXPECT_EQ(std::count(r.raw.begin(), r.raw.end(), ','), 7) << r.raw; // the CSV line

  InputRow bad;
  for (size_t f = 0; f < kFieldCount; ++f) bad.fields[f].text = "x";
  bad[Field::Quantity] = {"-3", FieldKind::Number};
  bad[Field::CustomerID] = {"", FieldKind::Null};
  bad.field_count = kFieldCount;
  bad.raw = "{\"not\":\"kept\"}";
  std::string record;
  encode_log_row(record, bad, 1, false);
  CleanedBatch described = clean_records(0, {LogRecord{7, 0, 7, record}});
  ASSERT_EQ(described.rejected.size(), 1u);
  EXPECT_EQ(described.rejected[0].raw, R"({"InvoiceNo":"x","StockCode":"x","Description":"x","Quantity":-3,"InvoiceDate":"x",)"
                                       R"("UnitPrice":"x","CustomerID":null,"Country":"x"})");
}

TEST(Pipeline, RestartedConsumersResumeWithoutLossOrDuplicates) {
  TempDir t;
  std::string data = (t.path / "d").string();
  {
    DataDir dir(data, "test");
    LocalLog log(fs::path(data) / "log", {.shards = 4});
    append_reference(log, 1000, 20000);
    Pipeline pipeline(log, all_sinks(dir), 3000);
    pipeline.start();
    std::this_thread::sleep_for(std::chrono::milliseconds(30)); // stop somewhere in the middle
    pipeline.stop();
  }
  DataDir dir(data, "test");
  LocalLog log(fs::path(data) / "log", {.shards = 4});
  // Append the rest of the file (rows 20001..).
  OpenedSource src = open_record_file(reference_csv());
  std::vector<InputRow> rows;
  size_t n = 0;
  while (src.source->read_batch(rows, 1000)) {
    std::vector<InputRow> rest;
    for (auto& r : rows)
      if (++n > 20000) rest.push_back(r);
    ingest_rows(log, rest, 1);
  }
  Pipeline pipeline(log, all_sinks(dir), 3000);
  pipeline.start();
  ASSERT_TRUE(pipeline.drain(60'000));
  pipeline.stop();
  expect_reference_figures(dir);
}

TEST(Pipeline, IdempotencyKeysSurviveARestartAndCompleteAPartialRequest) {
  TempDir t;
  std::string data = (t.path / "d").string();
  OpenedSource src = open_record_file(reference_csv());
  std::vector<InputRow> rows;
  ASSERT_TRUE(src.source->read_batch(rows, 300)); // several invoices over several shards
  uint64_t total_before = 0;
  {
    LocalLog log(fs::path(data) / "log", {.shards = 4});
    IdempotencyIndex keys;
    IngestOutcome first = ingest_rows(log, rows, 1, &keys, "req-1");
    EXPECT_EQ(first.appended, 300u);
    EXPECT_FALSE(first.replayed);
    IngestOutcome again = ingest_rows(log, rows, 1, &keys, "req-1");
    EXPECT_TRUE(again.replayed);
    EXPECT_EQ(again.appended, 0u);
    ASSERT_EQ(again.ranges.size(), first.ranges.size());
    for (size_t i = 0; i < first.ranges.size(); ++i) {
      EXPECT_EQ(again.ranges[i].first_offset, first.ranges[i].first_offset);
      EXPECT_EQ(again.ranges[i].last_offset, first.ranges[i].last_offset);
    }
    for (uint32_t s = 0; s < 4; ++s) total_before += log.end_offset(s);
    // A crash after appending only one shard's part of "req-2": simulate it by hand.
    std::string key_record, row;
    uint32_t shard = shard_for(rows[0], 4);
    uint32_t touched = 0;
    std::set<uint32_t> shards;
    for (auto& r : rows) shards.insert(shard_for(r, 4));
    touched = static_cast<uint32_t>(shards.size());
    ASSERT_GT(touched, 1u);
    encode_key_record(key_record, "req-2", "", touched);
    std::vector<std::string> encoded = {key_record};
    for (auto& r : rows)
      if (shard_for(r, 4) == shard) {
        row.clear();
        encode_log_row(row, r, 1, true);
        encoded.push_back(row);
      }
    log.append(shard, {encoded.begin(), encoded.end()});
  }
  LocalLog log(fs::path(data) / "log", {.shards = 4});
  IdempotencyIndex keys;
  size_t parts = keys.recover(log); // every part of req-1 and the one part of req-2
  EXPECT_EQ(parts, keys.find("req-1")->parts.size() + 1);
  IngestOutcome replay = ingest_rows(log, rows, 1, &keys, "req-1");
  EXPECT_TRUE(replay.replayed);
  IngestOutcome completed = ingest_rows(log, rows, 1, &keys, "req-2");
  EXPECT_FALSE(completed.replayed);
  size_t in_first_shard = 0;
  for (auto& r : rows) in_first_shard += shard_for(r, 4) == shard_for(rows[0], 4);
  EXPECT_EQ(completed.appended, 300u - in_first_shard); // only the missing shards
  EXPECT_TRUE(ingest_rows(log, rows, 1, &keys, "req-2").replayed);
  // Consumers see each row of req-2 once, and never the key records.
  DataDir dir(data, "test");
  Pipeline pipeline(log, all_sinks(dir));
  pipeline.start();
  ASSERT_TRUE(pipeline.drain(30'000));
  pipeline.stop();
  DuckConnection& con = dir.warehouse().connection();
  EXPECT_EQ(q(con, "SELECT (SELECT count(*) FROM transactions) + (SELECT count(*) FROM cancellations) + "
                   "(SELECT count(*) FROM rejected)"), "600");
}

// The log on a real Kafka cluster (one KRaft node started for these tests).
class OnKafka : public ::testing::Test {
protected:
  // A cluster that did not start fails each test (SetUp): thrown from SetUpTestSuite, googletest
  // would report the tests skipped, and ctest count them as such.
  static void SetUpTestSuite() {
    try {
      cluster_ = new KafkaCluster(1);
    } catch (const std::exception& e) {
      setup_error_ = e.what();
    }
  }
  void SetUp() override { ASSERT_NE(cluster_, nullptr) << "the Kafka cluster did not start: " << setup_error_; }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  // A log on a topic of its own.
  static std::unique_ptr<KafkaLog> open(const std::string& prefix, uint32_t shards, int timeout_ms = 30'000) {
    return std::make_unique<KafkaLog>(KafkaLogOptions{.servers = cluster_->bootstrap(), .prefix = prefix, .shards = shards,
                                                      .transactional_id = "test-" + prefix, .timeout_ms = timeout_ms});
  }
  // The end offset once the log has refreshed it (it does so every 100 ms).
  static uint64_t settled_end(Log& log, uint32_t shard, uint64_t expected) {
    for (int i = 0; i < 50 && log.end_offset(shard) != expected; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return log.end_offset(shard);
  }
  // A read from before the end may come back empty while its first fetch is on its way (Log::read):
  // these read again, as the pipeline's readers do, up to a deadline.
  static LogRead read_some(Log& log, uint32_t shard, uint64_t from, size_t max) {
    LogRead got = log.read(shard, from, max);
    for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
         got.next == from && std::chrono::steady_clock::now() < deadline;)
      got = log.read(shard, from, max);
    return got;
  }
  // Every record from `from` until the position passes `end`.
  static LogRead read_until(Log& log, uint32_t shard, uint64_t from, uint64_t end) {
    LogRead all{{}, from};
    while (all.next < end) {
      LogRead got = read_some(log, shard, all.next, 100);
      if (got.next == all.next) break; // the deadline passed: the caller's checks say what is missing
      for (auto& r : got.records) all.records.push_back(std::move(r));
      all.next = got.next;
    }
    return all;
  }
  static KafkaCluster* cluster_;
  static inline std::string setup_error_;
};
KafkaCluster* OnKafka::cluster_ = nullptr;

TEST_F(OnKafka, AppendsReadBackInOrderAndReadersReachTheEnd) {
  auto log = open("order", 3);
  EXPECT_EQ(log->shard_count(), 3u);
  std::vector<std::string> five = {"a", "b", "c", "", std::string(100'000, 'x')};
  AppendResult r = log->append(1, {five.begin(), five.end()});
  EXPECT_EQ(r.shard, 1u);
  EXPECT_EQ(r.last_offset - r.first_offset, 4u); // one transaction, one producer: consecutive
  AppendResult other = log->append(1, {"after"});
  EXPECT_GT(other.first_offset, r.last_offset);

  LogRead all = read_until(*log, 1, 0, other.last_offset + 1);
  ASSERT_EQ(all.records.size(), 6u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(all.records[i].data, five[i]);
  EXPECT_EQ(all.records[5].data, "after");
  for (size_t i = 1; i < all.records.size(); ++i) EXPECT_GT(all.records[i].offset, all.records[i - 1].offset);
  // Past the last transaction's marker: where a caught-up reader stands is the end.
  EXPECT_EQ(settled_end(*log, 1, all.next), all.next);
  LogRead none = log->read(1, all.next, 100);
  EXPECT_TRUE(none.records.empty());
  EXPECT_EQ(none.next, all.next);
  LogRead middle = read_some(*log, 1, all.records[2].offset, 2);
  ASSERT_EQ(middle.records.size(), 2u);
  EXPECT_EQ(middle.records[0].data, "c");
  EXPECT_EQ(log->start_offset(1), 0u);
  EXPECT_TRUE(log->read(0, 0, 10).records.empty());
  EXPECT_THROW(log->append(3, {"x"}), std::out_of_range);
}

// Records of an aborted transaction (a node that died midway, fenced when it came back) are
// never read, and readers still reach the end past them.
TEST_F(OnKafka, AbortedRecordsAreSkippedAndTheEndIsReached) {
  auto log = open("aborted", 1);
  log->append(0, {"before"});
  {
    kafka::Producer zombie({{"bootstrap.servers", cluster_->bootstrap()}}, "test-zombie", 30'000);
    std::vector<kafka::Delivered> delivered(2);
    zombie.begin();
    zombie.send(log->topic(), 0, "aborted-1", &delivered[0]);
    zombie.send(log->topic(), 0, "aborted-2", &delivered[1]);
    zombie.abort();
  }
  AppendResult after = log->append(0, {"after"});
  LogRead all = read_until(*log, 0, 0, after.last_offset + 1);
  std::vector<std::string> data;
  for (auto& r : all.records) data.push_back(r.data);
  EXPECT_EQ(data, (std::vector<std::string>{"before", "after"}));
  EXPECT_GT(all.next, after.last_offset);
  EXPECT_EQ(settled_end(*log, 0, all.next), all.next);
  // Aborted records at the very end too.
  {
    kafka::Producer zombie({{"bootstrap.servers", cluster_->bootstrap()}}, "test-zombie", 30'000);
    kafka::Delivered d;
    zombie.begin();
    zombie.send(log->topic(), 0, "aborted-3", &d);
    zombie.abort();
  }
  uint64_t end = log->fresh_end_offset(0);
  LogRead tail = read_until(*log, 0, all.next, end);
  EXPECT_TRUE(tail.records.empty());
  EXPECT_EQ(tail.next, end);
}

TEST_F(OnKafka, ConcurrentAppendsAreEachStoredOnceWithTheirOffsets) {
  auto log = open("concurrent", 4);
  constexpr int kThreads = 8, kRequests = 100;
  std::mutex mutex;
  std::map<std::string, std::pair<uint32_t, uint64_t>> acked; // record -> shard, offset range's first
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRequests; ++i) {
        std::string a = std::to_string(t) + ":" + std::to_string(i) + ":a", b = std::to_string(t) + ":" + std::to_string(i) + ":b";
        uint32_t s1 = (t + i) % 4, s2 = (t + i + 1) % 4;
        auto results = log->append_all({{s1, {a}}, {s2, {b}}});
        std::lock_guard lock(mutex);
        acked[a] = {results[0].shard, results[0].first_offset};
        acked[b] = {results[1].shard, results[1].first_offset};
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(log->queued_appends(), 0u); // every append answered
  size_t read = 0;
  for (uint32_t s = 0; s < 4; ++s) {
    LogRead all = read_until(*log, s, 0, log->fresh_end_offset(s));
    for (const LogRecord& rec : all.records) {
      ASSERT_TRUE(acked.count(rec.data)) << rec.data;
      EXPECT_EQ(acked[rec.data], std::make_pair(s, rec.offset)) << rec.data;
      ++read;
    }
    EXPECT_EQ(settled_end(*log, s, all.next), all.next);
  }
  EXPECT_EQ(read, size_t{kThreads} * kRequests * 2);
  EXPECT_LT(log->syncs(), uint64_t{kThreads} * kRequests); // transactions were shared
}

TEST_F(OnKafka, ATopicKeepsItsShardsAndUnreachableBrokersAreAClearError) {
  open("layout", 3);
  try {
    open("layout", 5);
    ADD_FAILURE() << "opened with another shard count";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("has 3 partitions (shards), not 5"), std::string::npos) << e.what();
  }
  auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(std::make_unique<KafkaLog>(KafkaLogOptions{.servers = "127.0.0.1:" + std::to_string(free_port()), .prefix = "none",
                                                          .transactional_id = "none", .timeout_ms = 2000}),
               std::runtime_error);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

// The December file through a Kafka log into all three sinks, then again from a new process's
// view: every row is stored once.
TEST_F(OnKafka, StreamedReferenceFileReachesEverySinkOnce) {
  TempDir t;
  DataDir dir((t.path / "d").string(), "test");
  {
    auto log = open("december", 4);
    EXPECT_EQ(append_reference(*log, 500), kReferenceRows);
    Pipeline pipeline(*log, all_sinks(dir));
    pipeline.start();
    ASSERT_TRUE(pipeline.drain(120'000));
    for (const auto& s : pipeline.status()) EXPECT_EQ(s.total_lag(), 0u) << s.name;
    pipeline.stop();
  }
  expect_reference_figures(dir);
  auto log = open("december", 4);
  Pipeline again(*log, all_sinks(dir));
  again.start();
  ASSERT_TRUE(again.drain(60'000));
  again.stop();
  expect_reference_figures(dir);
}
