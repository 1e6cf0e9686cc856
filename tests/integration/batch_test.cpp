// `shopflow batch` end to end: real DuckDB, RocksDB and Parquet files in temp data dirs.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>

#include "batch/importer.h"
#include "core/timestamp.h"
#include "db/duckdb.h"
#include "util/json_writer.h"
#include "formats/record_source.h"
#include "customer_rows.h"
#include "reference.h"
#include "test_support.h"

using namespace shopflow;
using namespace shopflow::test;
namespace fs = std::filesystem;

extern char** environ;

namespace {

// One number from a query on a closed data dir's warehouse (opened read-only) or on the lake.
std::string scalar(DuckConnection& con, const std::string& sql) { return con.query(sql).text(0, 0); }

struct ReadOnlyWarehouse {
  explicit ReadOnlyWarehouse(const fs::path& dir)
      : db((dir / "warehouse.duckdb").string(), {{"access_mode", "READ_ONLY"}}), con(db) {}
  DuckDatabase db;
  DuckConnection con;
};

// Everything that must be equal between two imports of the same data, whatever its shape.
std::string signature(const fs::path& dir) {
  ReadOnlyWarehouse w(dir);
  std::string sig;
  for (const char* t : {"transactions", "cancellations"})
    sig += scalar(w.con, std::string("SELECT count(*) || '/' || sum(amount) || '/' || sum(quantity) || '/' || "
                                     "count(DISTINCT invoice_no) || '/' || sum(hash(invoice_no, stock_code, description, "
                                     "quantity, invoice_date, unit_price, customer_id, country, line_type, amount)) FROM ") + t) + ";";
  sig += scalar(w.con, "SELECT string_agg(reason || '=' || n, ',' ORDER BY reason) FROM (SELECT reason, count(*) n FROM rejected GROUP BY reason)");
  return sig;
}

// Rewrites the reference CSV in the seed client's shape: "12/1/2010 8:26" dates, integer CustomerID.
std::string to_seed_csv(const std::string& path) {
  OpenedSource src = open_record_file(path);
  std::vector<InputRow> rows;
  std::string out = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n";
  auto quote = [](std::string_view s) {
    if (s.find_first_of(",\"\n") == std::string_view::npos) return std::string(s);
    std::string q = "\"";
    for (char c : s) { if (c == '"') q += '"'; q += c; }
    return q + "\"";
  };
  while (src.source->read_batch(rows, 4096)) {
    for (auto& r : rows) {
      int64_t us = *parse_timestamp_us(r[Field::InvoiceDate].text);
      int64_t secs = us / 1'000'000;
      EXPECT_EQ(secs % 60, 0) << "the seed's date format has no seconds";
      CivilDate d = civil_from_days(secs / 86400);
      int64_t sod = secs % 86400;
      std::string id(r[Field::CustomerID].text);
      if (id.size() > 2 && id.substr(id.size() - 2) == ".0") id.resize(id.size() - 2);
      out += quote(r[Field::InvoiceNo].text) + "," + quote(r[Field::StockCode].text) + "," + quote(r[Field::Description].text) +
             "," + std::string(r[Field::Quantity].text) + "," + std::to_string(d.month) + "/" + std::to_string(d.day) + "/" +
             std::to_string(d.year) + " " + std::to_string(sod / 3600) + ":" + (sod / 60 % 60 < 10 ? "0" : "") +
             std::to_string(sod / 60 % 60) + "," + std::string(r[Field::UnitPrice].text) + "," + id + "," +
             quote(r[Field::Country].text) + "\n";
    }
  }
  return out;
}

// The same rows as pandas' to_json() would write them, one object per line.
std::string to_ndjson(const std::string& path) {
  OpenedSource src = open_record_file(path);
  std::vector<InputRow> rows;
  std::string out;
  while (src.source->read_batch(rows, 4096)) {
    for (auto& r : rows) {
      auto text_or_null = [&](Field f) {
        return r[f].text.empty() ? std::string("null") : json_string(r[f].text);
      };
      std::string invoice(r[Field::InvoiceNo].text);
      bool numeric = invoice.find_first_not_of("0123456789") == std::string::npos;
      out += "{\"InvoiceNo\":" + (numeric ? invoice : text_or_null(Field::InvoiceNo)) +
             ",\"StockCode\":" + text_or_null(Field::StockCode) + ",\"Description\":" + text_or_null(Field::Description) +
             ",\"Quantity\":" + std::string(r[Field::Quantity].text) +
             ",\"InvoiceDate\":" + std::to_string(*parse_timestamp_us(r[Field::InvoiceDate].text) / 1000) +
             ",\"UnitPrice\":" + std::string(r[Field::UnitPrice].text) +
             ",\"CustomerID\":" + (r[Field::CustomerID].text.empty() ? std::string("null") : std::string(r[Field::CustomerID].text)) +
             ",\"Country\":" + text_or_null(Field::Country) + "}\n";
    }
  }
  return out;
}

class ReferenceImport : public ::testing::Test {
protected:
  // An import that failed fails each test (SetUp): failing in SetUpTestSuite, googletest would
  // report the tests skipped, and ctest count them as such.
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    RunResult r = run_shopflow("batch " + reference_csv() + " --data " + data().string() + " --json");
    if (r.exit_code == 0) json_ = new std::string(r.out);
    else setup_error_ = "exit code " + std::to_string(r.exit_code) + ": " + r.err;
  }
  void SetUp() override { ASSERT_NE(json_, nullptr) << "the reference import failed: " << setup_error_; }
  static void TearDownTestSuite() {
    delete dir_;
    delete json_;
  }
  static fs::path data() { return dir_->path / "data"; }
  static TempDir* dir_;
  static std::string* json_;
  static inline std::string setup_error_;
};
TempDir* ReferenceImport::dir_ = nullptr;
std::string* ReferenceImport::json_ = nullptr;

} // namespace

TEST_F(ReferenceImport, SummaryHasTheReferenceCounts) {
  const std::vector<std::string> parts = {
      "\"rows_read\":" + text(kReferenceRows), "\"transactions\":" + text(kReferenceTransactions),
      "\"cancellations\":" + text(kReferenceCancellations), "\"rejected\":" + text(kReferenceRejected),
      "\"non_positive_quantity\":" + text(kReferenceNonPositiveQuantity), "\"non_positive_price\":" + text(kReferenceNonPositivePrice),
      "\"malformed\":0", "\"bad_debt\":0"};
  for (const std::string& part : parts)
    EXPECT_NE(json_->find(part), std::string::npos) << part << " in " << *json_;
}

TEST_F(ReferenceImport, WarehouseHoldsTheReferenceFigures) {
  ReadOnlyWarehouse w(data());
  EXPECT_EQ(scalar(w.con, "SELECT count(*) FROM transactions"), text(kReferenceTransactions));
  EXPECT_EQ(scalar(w.con, "SELECT count(*) FROM cancellations"), text(kReferenceCancellations));
  EXPECT_EQ(scalar(w.con, "SELECT count(*) FROM rejected"), text(kReferenceRejected));
  EXPECT_EQ(scalar(w.con, "SELECT count(*) FROM rejected WHERE reason = 'non_positive_quantity'"), "70");
  EXPECT_EQ(scalar(w.con, "SELECT count(*) FROM rejected WHERE reason = 'non_positive_price'"), "203");
  EXPECT_EQ(scalar(w.con, "SELECT sum(amount) FROM transactions"), kReferenceRevenue);
  EXPECT_EQ(scalar(w.con, "SELECT count(DISTINCT invoice_no) FROM transactions"), "1559");
  // Rows without CustomerID / Description, counted over every destination (rejected rows by their raw text).
  EXPECT_EQ(scalar(w.con, "SELECT (SELECT count(*) FROM transactions WHERE customer_id = 'Unknown') + "
                          "(SELECT count(*) FROM cancellations WHERE customer_id = 'Unknown') + "
                          "(SELECT count(*) FROM rejected WHERE regexp_matches(raw, ',,[^,]*$'))"), "15631");
  EXPECT_EQ(scalar(w.con, "SELECT (SELECT count(*) FROM transactions WHERE description IS NULL) + "
                          "(SELECT count(*) FROM cancellations WHERE description IS NULL) + "
                          "(SELECT count(*) FROM rejected WHERE regexp_matches(raw, '^[^,]*,[^,]*,,'))"), "125");
  // Exact decimals and cleaned identities.
  EXPECT_EQ(scalar(w.con, "SELECT typeof(unit_price) || ' ' || typeof(amount) FROM transactions LIMIT 1"), "DECIMAL(12,3) DECIMAL(18,3)");
  EXPECT_EQ(scalar(w.con, "SELECT customer_id || ' ' || source || ' ' || line_type || ' ' || invoice_date FROM transactions "
                          "WHERE source = 'batch:1:1'"), "17850 batch:1:1 product 2010-12-01 08:26:00");
  EXPECT_EQ(scalar(w.con, "SELECT count(*) FROM transactions WHERE customer_id LIKE '%.0'"), "0");
  EXPECT_EQ(scalar(w.con, "SELECT min(invoice_no) FROM cancellations"), "C536379");
  // The lines' unique identities are stored as they are (line_schema.h), in both tables.
  EXPECT_EQ(scalar(w.con, "SELECT string_agg(DISTINCT compression, ',') FROM (SELECT * FROM pragma_storage_info('transactions') UNION ALL "
                          "SELECT * FROM pragma_storage_info('cancellations')) WHERE column_name = 'source' AND segment_type = 'VARCHAR'"),
            "Uncompressed");
  // The views answer.
  EXPECT_EQ(scalar(w.con, "SELECT sum(amount) FROM invoices WHERE NOT cancelled"), kReferenceRevenue);
  EXPECT_EQ(scalar(w.con, "SELECT sum(revenue) FROM daily_sales"), kReferenceRevenue);
  EXPECT_EQ(scalar(w.con, "SELECT count(*) > 800 FROM customers"), "true");
  EXPECT_EQ(scalar(w.con, "SELECT count(*) FROM product_sales WHERE stock_code = 'POST'"), "0");
}

TEST_F(ReferenceImport, LakeReadByDuckDbDirectlyHasTheSameFigures) {
  DuckDatabase db(":memory:");
  DuckConnection con(db);
  std::string lake = (data() / "lake").string();
  auto q = [&](const std::string& table, const std::string& what) {
    return scalar(con, "SELECT " + what + " FROM read_parquet('" + lake + "/" + table +
                           "/*/*/*.parquet', hive_partitioning = true)");
  };
  EXPECT_EQ(q("transactions", "count(*)"), text(kReferenceTransactions));
  EXPECT_EQ(q("transactions", "sum(amount)"), kReferenceRevenue);
  EXPECT_EQ(q("transactions", "count(DISTINCT invoice_no)"), "1559");
  EXPECT_EQ(q("cancellations", "count(*)"), text(kReferenceCancellations));
  EXPECT_EQ(q("transactions", "string_agg(DISTINCT year || '-' || month, ',')"), "2010-12");
  EXPECT_TRUE(fs::exists(data() / "lake/transactions/year=2010/month=12"));
  EXPECT_EQ(scalar(con, "SELECT string_agg(DISTINCT compression, ',') FROM parquet_metadata('" + lake +
                            "/transactions/*/*/*.parquet')"), "ZSTD");
  EXPECT_TRUE(fs::is_empty(data() / "lake/_staging"));
}

TEST_F(ReferenceImport, TablesKeepEveryLine) {
  std::string invoice, code, lines, quantity;
  {
    ReadOnlyWarehouse w(data());
    DuckResult r = w.con.query("SELECT invoice_no, stock_code, count(*), sum(quantity) FROM transactions "
                               "GROUP BY ALL HAVING count(*) > 1 ORDER BY 3 DESC, 1, 2 LIMIT 1");
    ASSERT_EQ(r.row_count(), 1u);
    invoice = r.text(0, 0), code = r.text(1, 0), lines = r.text(2, 0), quantity = r.text(3, 0);
  }
  DataDir dir(data().string(), "test");
  auto item = dir.tables().invoice_lines(invoice, &code);
  ASSERT_EQ(std::to_string(item.size()), lines) << invoice << "/" << code;
  int64_t total = 0;
  for (auto& l : item) total += l.quantity;
  EXPECT_EQ(std::to_string(total), quantity);

  auto whole = dir.tables().invoice_lines("536365");
  EXPECT_EQ(whole.size(), 7u);
  auto invoices = dir.tables().customer_invoices("17850");
  ASSERT_FALSE(invoices.empty());
  DuckResult expected = dir.warehouse().connection().query(
      "SELECT count(DISTINCT invoice_no) FROM (SELECT invoice_no FROM transactions WHERE customer_id = '17850' "
      "UNION ALL SELECT invoice_no FROM cancellations WHERE customer_id = '17850')");
  EXPECT_EQ(invoices.size(), size_t(expected.int64(0, 0)));
  for (auto& s : invoices) {
    if (s.invoice_no == "536365") {
      EXPECT_EQ(s.lines, 7);
      EXPECT_EQ(s.amount_milli, 139120);
      EXPECT_EQ(s.country, "United Kingdom");
    }
  }
}

// Every invoice's and every customer's lookup gives what the warehouse holds: lookups scan by an
// invoice's or a customer's key prefix, skipping files by their prefix filters, and invoice
// numbers that are prefixes of others ("C536379" beside "536379", "53637" of "536370") stay apart.
TEST_F(ReferenceImport, EveryInvoiceAndCustomerLooksUpWhatTheWarehouseHolds) {
  DataDir dir(data().string(), "test");
  const std::string lines = "(SELECT invoice_no, customer_id, quantity FROM transactions UNION ALL "
                            "SELECT invoice_no, customer_id, quantity FROM cancellations)";
  DuckResult invoices = dir.warehouse().connection().query("SELECT invoice_no, count(*), sum(quantity) FROM " + lines + " GROUP BY ALL");
  ASSERT_GT(invoices.row_count(), 1000u);
  for (size_t r = 0; r < invoices.row_count(); ++r) {
    std::vector<InvoiceLine> found = dir.tables().invoice_lines(invoices.text(0, r));
    int64_t quantity = 0;
    for (const InvoiceLine& l : found) quantity += l.quantity;
    ASSERT_EQ(std::to_string(found.size()) + " " + std::to_string(quantity), invoices.text(1, r) + " " + invoices.text(2, r)) << invoices.text(0, r);
  }
  for (const char* absent : {"53636", "5363650", "C5363", ""}) EXPECT_TRUE(dir.tables().invoice_lines(absent).empty()) << absent;
  DuckResult customers = dir.warehouse().connection().query("SELECT customer_id, count(DISTINCT invoice_no) FROM " + lines + " GROUP BY ALL");
  ASSERT_GT(customers.row_count(), 500u);
  for (size_t r = 0; r < customers.row_count(); ++r)
    ASSERT_EQ(std::to_string(dir.tables().customer_invoices(customers.text(0, r)).size()), customers.text(1, r)) << customers.text(0, r);
  EXPECT_TRUE(dir.tables().customer_invoices("1785").empty());
}

TEST_F(ReferenceImport, SqlAndCatalogCommands) {
  RunResult r = run_shopflow("sql \"SELECT count(*) AS n, sum(amount) AS revenue FROM lake.transactions\" --format csv --data " + data().string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "n,revenue\n" + text(kReferenceTransactions) + "," + kReferenceRevenue + "\n");
  r = run_shopflow("sql \"SELECT country, sum(amount) AS revenue FROM transactions GROUP BY 1 ORDER BY 2 DESC LIMIT 1\" --format json --data " + data().string());
  EXPECT_EQ(r.out, "[{\"country\":\"United Kingdom\",\"revenue\":748268.980}]\n");
  r = run_shopflow("sql \"SELEC nonsense\" --data " + data().string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("SQL error"), std::string::npos);
  r = run_shopflow("sql \"DELETE FROM transactions\" --data " + data().string());
  EXPECT_EQ(r.exit_code, 1); // read-only
  r = run_shopflow("catalog --data " + data().string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const std::string& part : std::vector<std::string>{"warehouse.transactions", "lake.transactions", "daily_sales", "DECIMAL(12,3)", "year=2010", text(kReferenceTransactions)})
    EXPECT_NE(r.out.find(part), std::string::npos) << part;
  r = run_shopflow("sql \"SELECT 1\" --data " + (dir_->path / "nowhere").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no warehouse"), std::string::npos);
}

TEST(Batch, SeedShapeAndNdjsonGiveIdenticalResults) {
  TempDir t;
  write_file(t.path / "seed.csv", to_seed_csv(reference_csv()));
  write_file(t.path / "pandas.ndjson", to_ndjson(reference_csv()));
  for (const char* name : {"ref", "seed", "ndjson"}) {
    std::string file = std::string(name) == "ref" ? reference_csv() : std::string(name) == "seed" ? (t.path / "seed.csv").string() : (t.path / "pandas.ndjson").string();
    RunResult r = run_shopflow("batch " + file + " --data " + (t.path / name).string());
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::string ref = signature(t.path / "ref");
  EXPECT_NE(ref.find(text(kReferenceTransactions) + "/" + kReferenceRevenue), std::string::npos) << ref;
  EXPECT_EQ(signature(t.path / "seed"), ref);
  EXPECT_EQ(signature(t.path / "ndjson"), ref);
}

TEST(Batch, DirtyLinesAllLandInRejectedAsMalformed) {
  TempDir t;
  for (const char* format : {"csv", "ndjson"}) {
    std::string file = (t.path / (std::string("dirty.") + format)).string();
    RunResult g = run_shopflow(std::string("gen --rows 100000 --dirty-rate 0.01 --seed 7 --format ") + format + " --out " + file);
    ASSERT_EQ(g.exit_code, 0) << g.err;
    uint64_t dirty = std::stoull(g.err.substr(g.err.find('(') + 1));
    EXPECT_GT(dirty, 800u);
    std::string data = (t.path / format).string();
    RunResult r = run_shopflow("batch " + file + " --json --data " + data);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json_at(r.out, "rejected_by_reason.malformed"), std::to_string(dirty));
    ReadOnlyWarehouse w(data);
    EXPECT_EQ(scalar(w.con, "SELECT count(*) FROM rejected WHERE reason = 'malformed'"), std::to_string(dirty));
    EXPECT_EQ(scalar(w.con, "SELECT (SELECT count(*) FROM transactions) + (SELECT count(*) FROM cancellations) + "
                            "(SELECT count(*) FROM rejected) = (SELECT sum(rows_read) FROM imports)"), "true");
    EXPECT_EQ(scalar(w.con, "SELECT count(*) FROM imports WHERE rows_read = transactions + cancellations + rejected AND "
                            "rejected = rejected_malformed + rejected_bad_debt + rejected_non_positive_quantity + "
                            "rejected_non_positive_price"), "1");
    EXPECT_EQ(scalar(w.con, "SELECT count(*) FROM rejected WHERE detail = ''"), "0");
  }
}

TEST(Batch, ImportIsIdempotentAndForceReplaces) {
  TempDir t;
  std::string data = (t.path / "d").string();
  ASSERT_EQ(run_shopflow("batch " + reference_csv() + " --data " + data).exit_code, 0);
  std::string before = signature(data);
  RunResult again = run_shopflow("batch " + reference_csv() + " --data " + data);
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_NE(again.out.find("already imported as job 1"), std::string::npos) << again.out;
  EXPECT_EQ(signature(data), before);
  RunResult forced = run_shopflow("batch " + reference_csv() + " --force --json --data " + data);
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_EQ(json_at(forced.out, "replaced_job"), "1");
  EXPECT_EQ(signature(data), before);
  size_t files = 0;
  for (auto& e : fs::recursive_directory_iterator(fs::path(data) / "lake/transactions")) {
    if (!e.is_regular_file()) continue;
    ++files;
    EXPECT_EQ(e.path().filename().string().rfind("batch-2-", 0), 0u) << e.path();
  }
  EXPECT_GT(files, 0u);
  DataDir dir(data, "test");
  EXPECT_EQ(dir.tables().invoice_lines("536365").size(), 7u);
  EXPECT_FALSE(dir.tables().has_job(1));
  EXPECT_TRUE(dir.tables().has_job(2));
}

// A job's lines add to the Customer-table rows that lines of other jobs (and the stream) hold for
// the same invoices; a forced re-import recomputes the rows of the invoices it replaces.
TEST(Batch, CustomerTableAddsUpOverlappingJobsAndReplacements) {
  TempDir t;
  std::string data = (t.path / "d").string();
  // Two more files whose invoices overlap the reference file's: its first rows, and every third row.
  const std::string head = write_reference_rows(t.path / "head.csv", [](size_t row) { return row < 5000; });
  const std::string thirds = write_reference_rows(t.path / "thirds.csv", [](size_t row) { return row % 3 == 0; });
  auto check = [&](const std::string& after) {
    DataDir dir(data, "test");
    expect_customer_rows_agree(dir, 1000, after);
  };
  for (const std::string& file : {reference_csv(), head, thirds}) {
    RunResult r = run_shopflow("batch " + file + " --data " + data);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    check(file);
  }
  for (const std::string& file : {head, reference_csv()}) {
    RunResult r = run_shopflow("batch " + file + " --force --data " + data);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    check("forced " + file);
  }
}

TEST(Batch, AFileThatFailsHalfwayLeavesNothing) {
  TempDir t;
  std::string data = (t.path / "d").string();
  {
    DataDir dir(data, "test");
    BatchImporter importer(dir);
    ImportOptions o;
    o.progress = false;
    o.fail_after_rows = 20000;
    EXPECT_THROW(importer.import_file(reference_csv(), o), std::runtime_error);
    DuckConnection& con = dir.warehouse().connection();
    for (const char* table : {"transactions", "cancellations", "rejected", "imports"})
      EXPECT_EQ(scalar(con, std::string("SELECT count(*) FROM ") + table), "0") << table;
    EXPECT_TRUE(dir.tables().invoice_lines("536365").empty());
    for (auto& e : fs::recursive_directory_iterator(fs::path(data) / "lake")) EXPECT_FALSE(e.is_regular_file()) << e.path();
    o.fail_after_rows = 0;
    FileSummary s = importer.import_file(reference_csv(), o);
    EXPECT_EQ(s.transactions, kReferenceTransactions);
  }
  EXPECT_NE(signature(data).find(text(kReferenceTransactions) + "/" + kReferenceRevenue), std::string::npos);
}

TEST(Batch, RecoveryFinishesACommittedJob) {
  TempDir t;
  std::string data = (t.path / "d").string();
  ASSERT_EQ(run_shopflow("batch " + reference_csv() + " --data " + data).exit_code, 0);
  // Simulate a crash after the warehouse commit: tables lost their marker and lines, lake files
  // are back in staging.
  fs::remove_all(fs::path(data) / "tables");
  fs::path staged = fs::path(data) / "lake/_staging/batch-1/transactions/year=2010/month=12";
  fs::create_directories(staged);
  for (auto& e : fs::directory_iterator(fs::path(data) / "lake/transactions/year=2010/month=12"))
    fs::rename(e.path(), staged / ("part-" + e.path().filename().string().substr(8)));
  fs::create_directories(fs::path(data) / "lake/_staging/batch-9/transactions"); // an uncommitted job's leftovers
  DataDir dir(data, "test");
  EXPECT_EQ(dir.tables().invoice_lines("536365").size(), 7u);
  EXPECT_TRUE(dir.tables().has_job(1));
  EXPECT_FALSE(fs::exists(fs::path(data) / "lake/_staging"));
  DuckResult r = dir.warehouse().connection().query("SELECT count(*) FROM read_parquet('" + data + "/lake/transactions/*/*/*.parquet')");
  EXPECT_EQ(r.int64(0, 0), 41480);
}

TEST(Batch, OneWriterPerDataDir) {
  TempDir t;
  std::string data = (t.path / "d").string();
  DataDir holder(data, "shopflow batch held-by-test");
  RunResult r = run_shopflow("batch " + reference_csv() + " --data " + data);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("is in use by pid " + std::to_string(::getpid()) + ": shopflow batch held-by-test"), std::string::npos) << r.err;
}

TEST(Batch, BadInputGetsAClearError) {
  TempDir t;
  write_file(t.path / "bad.csv", "InvoiceNo,Price\n1,2\n");
  RunResult r = run_shopflow("batch " + (t.path / "bad.csv").string() + " --data " + (t.path / "d").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown column \"Price\""), std::string::npos) << r.err;
  r = run_shopflow("batch " + (t.path / "missing.csv").string() + " --data " + (t.path / "d").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("missing.csv"), std::string::npos) << r.err;
  r = run_shopflow("gen --rows ten");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--rows"), std::string::npos) << r.err;
  r = run_shopflow("gen --dirty-rate 2");
  EXPECT_NE(r.exit_code, 0);
}

TEST(Batch, WatchedInboxImportsEachFileOnce) {
  TempDir t;
  fs::path inbox = t.path / "inbox";
  fs::create_directories(inbox);
  std::string data = (t.path / "d").string();
  std::string bin = SHOPFLOW_BIN;
  std::vector<std::string> args = {bin, "batch", "--watch", inbox.string(), "--interval", "0.2", "--data", data, "--json"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, (t.path / "watch.out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, (t.path / "watch.err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid;
  ASSERT_EQ(posix_spawn(&pid, bin.c_str(), &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);

  fs::copy_file(reference_csv(), inbox / "december.csv");
  write_file(inbox / "broken.csv", "InvoiceNo,Bogus\n1,2\n");
  write_file(inbox / ".hidden.csv", "ignored");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline &&
         !(fs::exists(inbox / "done/december.csv") && fs::exists(inbox / "failed/broken.csv.reason")))
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // The same content again is recognised and not imported twice.
  fs::copy_file(reference_csv(), inbox / "december-again.csv");
  while (std::chrono::steady_clock::now() < deadline && !fs::exists(inbox / "done/december-again.csv"))
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_file(t.path / "watch.err");
  EXPECT_TRUE(fs::exists(inbox / "done/december.csv"));
  EXPECT_TRUE(fs::exists(inbox / "done/december-again.csv"));
  EXPECT_TRUE(fs::exists(inbox / "failed/broken.csv"));
  EXPECT_NE(read_file(inbox / "failed/broken.csv.reason").find("unknown column"), std::string::npos);
  EXPECT_TRUE(fs::exists(inbox / ".hidden.csv"));
  std::string out = read_file(t.path / "watch.out");
  EXPECT_TRUE(any_json_line(out, "transactions", text(kReferenceTransactions))) << out;
  EXPECT_TRUE(any_json_line(out, "skipped", "true")) << out;
  EXPECT_NE(signature(data).find(text(kReferenceTransactions) + "/" + kReferenceRevenue), std::string::npos);
}
