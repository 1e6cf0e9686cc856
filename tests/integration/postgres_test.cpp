// The warehouse on PostgreSQL (a real server started by the test, scripts/postgres/server.py).
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

#include "batch/importer.h"
#include "client/http_client.h"
#include "db/duckdb.h"
#include "db/postgres/postgres.h"
#include "query/report.h"
#include "sinks/lake/s3/s3_store.h"
#include "reference.h"
#include "test_support.h"

using namespace shopflow;
using namespace shopflow::test;
namespace fs = std::filesystem;

namespace {

// "transactions cancellations rejected revenue" in the PostgreSQL warehouse.
std::string pg_figures(const std::string& url) {
  PgConnection con(url);
  PgResult r = con.query("SELECT (SELECT count(*) FROM transactions) || ' ' || (SELECT count(*) FROM cancellations) || ' ' || "
                         "(SELECT count(*) FROM rejected) || ' ' || (SELECT coalesce(sum(amount), 0) FROM transactions)");
  return std::string(r.text(0, 0));
}

// The reference figures as pg_figures() gives them.
std::string reference_figures() {
  return text(kReferenceTransactions) + " " + text(kReferenceCancellations) + " " + text(kReferenceRejected) + " " + kReferenceRevenue;
}

// pg_figures() once they are the reference figures (or after a minute: what they are then).
std::string figures_once_stored(const std::string& url) {
  std::string got;
  for (int i = 0; i < 600 && (got = pg_figures(url)) != reference_figures(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return got;
}

} // namespace

// The December file through a serve node into a worker whose warehouse is PostgreSQL, the worker
// killed -9 twice midway: PostgreSQL ends with the reference figures, each row once, in the same
// tables and types as the embedded warehouse.
TEST(WarehouseOnPostgres, StreamedOnceThroughWorkerKills) {
  KafkaCluster kafka(1);
  PostgresServer pg;
  TempDir t;
  const std::string log = " --log kafka://" + kafka.bootstrap() + "/shop";
  ServeProcess node(t.path / "a", log + " --sinks tables");
  const std::string worker_args = "worker --data " + (t.path / "w").string() + log + " --warehouse " + pg.url();
  auto worker = std::make_unique<ShopflowProcess>(t.path / "w", worker_args, "shopflow worker: storing");
  HttpClient client("127.0.0.1", node.port());

  stream_reference(client, 1000, [&](int request) {
    if (request == 10 || request == 25) { // mid-pass: its last COPY may be in flight
      EXPECT_EQ(worker->stop(SIGKILL), 128 + SIGKILL);
      worker = std::make_unique<ShopflowProcess>(t.path / "w", worker_args, "shopflow worker: storing");
    }
  });
  const std::string expected = reference_figures();
  std::string got = figures_once_stored(pg.url());
  EXPECT_EQ(got, expected) << worker->log();
  EXPECT_EQ(worker->stop(), 0) << worker->log();
  EXPECT_EQ(pg_figures(pg.url()), expected); // and nothing more once drained

  // shopflow sql on the worker's data dir asks PostgreSQL.
  RunResult counted = run_shopflow("sql --data " + (t.path / "w").string() + " --format csv \"SELECT count(*) AS n FROM cancellations\"");
  EXPECT_EQ(counted.out, "n\n" + text(kReferenceCancellations) + "\n") << counted.err;

  PgConnection con(pg.url());
  // Each line once: sources are unique.
  EXPECT_EQ(con.query("SELECT count(*) - count(DISTINCT source) FROM transactions").text(0, 0), "0");
  // The embedded warehouse's column types.
  PgResult types = con.query("SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) "
                             "FROM information_schema.columns WHERE table_name = 'transactions'");
  EXPECT_EQ(types.text(0, 0), "invoice_no character varying, stock_code character varying, description character varying, "
                              "quantity integer, invoice_date timestamp without time zone, unit_price numeric, "
                              "customer_id character varying, country character varying, line_type character varying, "
                              "amount numeric, source character varying");
  // Values as they were cleaned: a line of invoice 536365 and a negative cancellation amount.
  EXPECT_EQ(con.query("SELECT invoice_date || ' ' || unit_price || ' ' || amount FROM transactions "
                      "WHERE invoice_no = '536365' AND stock_code = '85123A'").text(0, 0),
            "2010-12-01 08:26:00 2.550 15.300");
  PgResult cancelled = con.query("SELECT min(amount) < 0, max(amount) < 0 FROM cancellations");
  EXPECT_EQ(std::string(cancelled.text(0, 0)) + std::string(cancelled.text(0, 1)), "tt");
  // The views answer in PostgreSQL's dialect too.
  EXPECT_EQ(con.query("SELECT sum(revenue) FROM daily_sales").text(0, 0), kReferenceRevenue);
  EXPECT_EQ(con.query("SELECT lines FROM invoices WHERE invoice_no = '536365' AND NOT cancelled").text(0, 0), "7");

  // Every analytics query (the dashboard's, the report's) gives the same answer on PostgreSQL as
  // on the embedded warehouse holding the same rows, filtered or not.
  RunResult batch = run_shopflow("batch " + reference_csv() + " --data " + (t.path / "embedded").string());
  ASSERT_EQ(batch.exit_code, 0) << batch.err;
  DuckDatabase duck((t.path / "embedded" / "warehouse.duckdb").string(), {{"access_mode", "READ_ONLY"}});
  DuckConnection duck_con(duck);
  const std::vector<AnalyticsFilter> filters = {{}, {"2010-12-05", "2010-12-08", "France"}, {"2010-12-01", std::nullopt, std::nullopt}};
  for (const AnalyticsQuery& q : analytics_queries()) {
    for (const AnalyticsFilter& filter : filters) {
      std::vector<std::optional<std::string>> params = filter.params(q);
      DuckPrepared prepared(duck_con, q.sql);
      for (size_t i = 0; i < prepared.param_count(); ++i) {
        if (params[i]) prepared.bind_text(i, *params[i]);
        else prepared.bind_null(i);
      }
      DuckResult on_duck = prepared.execute();
      PgResult on_pg = con.query(q.sql, params);
      std::string duck_rows, pg_rows;
      auto add = [](std::string& rows, size_t column, std::string_view value) {
        if (column) rows += '|';
        rows += value;
      };
      for (size_t r = 0; r < on_duck.row_count(); ++r, duck_rows += '\n')
        for (size_t c = 0; c < on_duck.column_count(); ++c) add(duck_rows, c, on_duck.is_null(c, r) ? "NULL" : on_duck.text(c, r));
      for (size_t r = 0; r < on_pg.rows(); ++r, pg_rows += '\n')
        for (size_t c = 0; c < on_pg.columns(); ++c) add(pg_rows, c, on_pg.is_null(r, c) ? "NULL" : on_pg.text(r, c));
      EXPECT_EQ(pg_rows, duck_rows) << q.name << " " << (filter.country ? *filter.country : "(all)");
      EXPECT_GT(on_duck.row_count(), 0u) << q.name;
    }
  }

  // A serve node with the warehouse in PostgreSQL (its sink in the worker) answers /v1/sql and the
  // dashboard from it, under the embedded warehouse's policy and limits.
  // Once as the warehouse's own role, once as a role that may only read (--warehouse-reader).
  for (const std::string& reader : {std::string(), pg.reader_url()}) {
    SCOPED_TRACE(reader.empty() ? "as the owner" : "as " + reader);
    ServeProcess b(t.path / (reader.empty() ? "b" : "b-reader"),
                   log + " --sinks tables --warehouse " + pg.url() + (reader.empty() ? "" : " --warehouse-reader " + reader));
    HttpClient to_b("127.0.0.1", b.port());
    HttpResult sql = to_b.request("POST", "/v1/sql", "SELECT count(*) AS n, sum(amount) AS revenue, true AS yes, NULL AS nothing FROM transactions");
    ASSERT_EQ(sql.status, 200u) << sql.body;
    EXPECT_EQ(sql.body, R"({"columns":[{"name":"n","type":"BIGINT"},{"name":"revenue","type":"DECIMAL"},{"name":"yes","type":"BOOLEAN"},)"
                        R"({"name":"nothing","type":"VARCHAR"}],"rows":[[)" + text(kReferenceTransactions) + "," + kReferenceRevenue +
                            R"(,true,null]],"row_count":1})");
    HttpResult as_csv = to_b.request("POST", "/v1/sql?max_rows=3", "SELECT invoice_no, stock_code FROM transactions ORDER BY 1, 2 LIMIT 2",
                                     {{"Accept", "text/csv"}});
    EXPECT_EQ(as_csv.body, "invoice_no,stock_code\n536365,21730\n536365,22752\n") << as_csv.body;
    HttpResult filtered = to_b.request("GET", "/v1/dashboard?from=2010-12-05&to=2010-12-08&country=France");
    EXPECT_EQ(filtered.status, 200u) << filtered.body;
    for (const AnalyticsQuery& q : analytics_queries())
      EXPECT_NE(filtered.body.find("\"" + std::string(q.name) + "\":{\"columns\""), std::string::npos) << q.name << ": " << filtered.body;
    HttpResult dashboard = to_b.request("GET", "/v1/dashboard?only=kpis");
    EXPECT_NE(dashboard.body.find("\"rows\":[[" + kReferenceRevenue + ",1559,"), std::string::npos) << dashboard.body;
    struct Refused {
      std::string sql, query;
      unsigned status;
      std::string says;
    };
    for (const Refused& r : std::vector<Refused>{
             {"SELECT * FROM transactions", "?max_rows=10", 413, "more than max_rows 10 rows"},
             {"SELECT pg_sleep(3)", "?timeout_ms=200", 408, "200 ms"},
             {"CREATE TABLE mine (x int)", "", 403, ""},
             {"DELETE FROM transactions", "", 403, "statement 1 is DELETE"},
             {"SELECT nosuch FROM transactions", "", 400, R"(column \"nosuch\" does not exist)"},
             // What a client's SQL must not reach through PostgreSQL: the server's files, other
             // roles, COPY to or from anywhere; each refused with nothing changed.
             {"SELECT pg_read_file('/etc/passwd')", "", 403, "permission denied"},
             {"SELECT pg_ls_dir('.')", "", 403, "permission denied"},
             {"COPY transactions TO STDOUT", "", 403, "COPY"},
             {"SET ROLE postgres", "", 403, "SET"},
             {"SELECT nextval('nosuch_seq')", "", 400, "does not exist"},
         }) {
      HttpResult answer = to_b.request("POST", "/v1/sql" + r.query, r.sql);
      EXPECT_EQ(answer.status, r.status) << r.sql << ": " << answer.body;
      EXPECT_NE(answer.body.find(r.says), std::string::npos) << r.sql << ": " << answer.body;
    }
    if (!reader.empty()) { // the sink's sessions are out of a reader's reach
      HttpResult kill = to_b.request("POST", "/v1/sql", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'shopflow'");
      EXPECT_EQ(kill.status, 403u) << kill.body;
      EXPECT_NE(kill.body.find("must be a member of the role whose process is being terminated"), std::string::npos) << kill.body;
    }
    EXPECT_EQ(to_b.request("POST", "/v1/sql", "SELECT 1", {{"Accept", "application/vnd.apache.parquet"}}).status, 400u);
    EXPECT_EQ(to_b.request("POST", "/v1/admin/batch", R"({"files": []})").status, 503u);
    EXPECT_EQ(pg_figures(pg.url()), expected); // nothing written by the refused statements
  }
  // A superuser role would hand clients the server's files: refused.
  std::string superuser = pg.url();
  superuser.replace(superuser.find("shopflow@"), 9, "postgres@");
  RunResult su = run_shopflow("serve --insecure-no-auth --listen 127.0.0.1:0 --sinks tables --data " + (t.path / "su").string() + log +
                              " --warehouse " + superuser);
  EXPECT_EQ(su.exit_code, 1);
  EXPECT_NE(su.err.find("is a superuser"), std::string::npos) << su.err;

  // A reader role that may write the sinks' tables (here the owner itself) is refused.
  RunResult owner_as_reader = run_shopflow("serve --insecure-no-auth --listen 127.0.0.1:0 --sinks tables --data " + (t.path / "r").string() +
                                           log + " --warehouse " + pg.url() + " --warehouse-reader " + pg.url());
  EXPECT_EQ(owner_as_reader.exit_code, 1);
  EXPECT_NE(owner_as_reader.err.find("given in --warehouse-reader may write the warehouse's table"), std::string::npos) << owner_as_reader.err;

  // A server that does not answer is named.
  RunResult down = run_shopflow("worker --data " + (t.path / "w2").string() + log + " --warehouse postgresql://shopflow@127.0.0.1:1/shop");
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.err.find("cannot connect to PostgreSQL: connection to server at \"127.0.0.1\", port 1 failed"), std::string::npos) << down.err;
}

// What PostgreSQL cannot be given is refused, naming what is wrong, before anything is written.
TEST(WarehouseOnPostgres, BadUrlsAreRefusedNamingWhatIsWrong) {
  TempDir t;
  struct Case {
    std::string args, error;
  };
  for (const Case& c : std::vector<Case>{
           {"--warehouse postgresql://u:secret@127.0.0.1:5432/shop", "no password in the URL"},
           {"--warehouse postgresql://127.0.0.1:5432", "no /DB"},
           {"--lake postgresql://u@127.0.0.1:5432/shop", "PostgreSQL holds the warehouse only"},
       }) {
    RunResult r = run_shopflow("worker --data " + (t.path / "w").string() + " " + c.args);
    EXPECT_NE(r.exit_code, 0) << c.args;
    EXPECT_NE(r.err.find(c.error), std::string::npos) << c.args << ": " << r.err;
  }
}

// Both loaders against the server's own reading of what they send: money at every magnitude and
// sign, timestamps around PostgreSQL's epoch, text with every UTF-8 width and with quotes,
// backslashes and SQL in it, NULL.
TEST(WarehouseOnPostgres, LoadedValuesReadBackAsEncoded) {
  PostgresServer pg;
  PgConnection con(pg.url());
  struct Case {
    int64_t milli;
    int64_t unix_us;
    const char* s;
    int32_t i;
    const char* expected; // n|ts|s|i as PostgreSQL prints them
  };
  const std::vector<Case> cases = {
      {0, 946'684'800'000'000, "", 0, "0.000|2000-01-01 00:00:00||0"},
      {1, 946'684'799'999'999, "a", 1, "0.001|1999-12-31 23:59:59.999999|a|1"},
      {-1, 1'291'191'960'000'000, "é€😀", -1, "-0.001|2010-12-01 08:26:00|é€😀|-1"},
      {10'000'000, 0, "x", 2147483647, "10000.000|1970-01-01 00:00:00|x|2147483647"},
      {9'999'999, -86'400'000'000, "y", -2147483647, "9999.999|1969-12-31 00:00:00|y|-2147483647"},
      {123'456'789'012'345, 4'102'444'800'000'000, "z", 7, "123456789012.345|2100-01-01 00:00:00|z|7"},
      {-999'999'999'999'999'999, 1'000'000, "w", 8, "-999999999999999.999|1970-01-01 00:00:01|w|8"},
      {100'000'000'000'000, 1, "v", 9, "100000000000.000|1970-01-01 00:00:00.000001|v|9"},
      {-1'500, -1, "it's \\ $1 '); DROP TABLE t; --", 10, "-1.500|1969-12-31 23:59:59.999999|it's \\ $1 '); DROP TABLE t; --|10"},
  };
  // Binary COPY, and multi-row INSERTs of text parameters (Redshift's way; 4 rows a statement, so
  // that several statements run), store the same values.
  auto load = [&](auto& into) {
    auto& e = into.encoder();
    for (const Case& c : cases) {
      e.row(5);
      e.numeric(c.milli, 3);
      e.numeric(c.milli % 1'000'000'000'000, 3);
      e.timestamp_us(c.unix_us);
      e.text(c.s);
      e.int32(c.i);
      into.row_done();
    }
    e.row(5);
    for (int f = 0; f < 5; ++f) e.null();
    into.row_done();
    into.finish();
  };
  for (const char* loader : {"copy", "insert"}) {
    SCOPED_TRACE(loader);
    con.execute("DROP TABLE IF EXISTS t; CREATE TABLE t (n numeric(18,3), p numeric(12,3), ts timestamp, s varchar, i integer)");
    if (std::string_view(loader) == "copy") {
      PgCopyIn copy(con, "COPY t FROM STDIN (FORMAT binary)");
      load(copy);
    } else {
      PgInsertIn insert(con, "INSERT INTO t", 4);
      load(insert);
    }
    PgResult r = con.query("SELECT coalesce(n || '|' || ts || '|' || s || '|' || i, 'null'), p FROM t");
    ASSERT_EQ(r.rows(), cases.size() + 1);
    for (size_t i = 0; i < cases.size(); ++i) EXPECT_EQ(r.text(i, 0), cases[i].expected) << "case " << i;
    EXPECT_EQ(r.text(cases.size(), 0), "null");
    EXPECT_TRUE(r.is_null(cases.size(), 1));
  }
  // A value the column cannot hold is the server's error, naming it.
  con.copy_begin("COPY t (p) FROM STDIN (FORMAT binary)");
  PgCopyEncoder big;
  big.row(1);
  big.numeric(1'000'000'000'000, 3); // 10^9 in numeric(12,3)
  big.finish();
  con.copy_put(big.data());
  try {
    con.copy_end();
    ADD_FAILURE() << "an overflowing value was taken";
  } catch (const PgError& error) {
    EXPECT_EQ(error.sqlstate, "22003") << error.what();
    EXPECT_NE(std::string(error.what()).find("numeric field overflow"), std::string::npos) << error.what();
  }
}

// Two serve nodes storing the same log into one PostgreSQL warehouse at once (serve nodes share
// no shards: both store every one): each pass commits only over offsets no one stored, so every
// row lands once.
TEST(WarehouseOnPostgres, TwoWritersNeverStoreARowTwice) {
  KafkaCluster kafka(1);
  PostgresServer pg;
  TempDir t;
  // With COPY and ON CONFLICT (PostgreSQL), and with Redshift's way (multi-row INSERTs; the
  // offsets by UPDATE and INSERT ... WHERE NOT EXISTS in a SERIALIZABLE transaction).
  for (const char* load_param : {"", "?load=insert"}) {
    const std::string load = load_param;
    SCOPED_TRACE("warehouse " + pg.url() + load);
    PgConnection(pg.url()).execute("DROP TABLE IF EXISTS transactions, cancellations, rejected, imports, stream_offsets CASCADE");
    const std::string name = load.empty() ? "copy" : "insert";
    const std::string log = " --log kafka://" + kafka.bootstrap() + "/shop-" + name;
    ServeProcess node(t.path / (name + "-a"), log + " --sinks tables");
    std::vector<std::unique_ptr<ServeProcess>> workers;
    for (const char* worker : {"-w1", "-w2"})
      workers.push_back(std::make_unique<ServeProcess>(t.path / (name + worker), log + " --sinks warehouse --warehouse '" + pg.url() + load + "'"));
    HttpClient client("127.0.0.1", node.port());
    stream_reference(client, 500);
    const std::string expected = reference_figures();
    std::string got = figures_once_stored(pg.url());
    EXPECT_EQ(got, expected) << workers[0]->log() << workers[1]->log();
    for (auto& w : workers) EXPECT_EQ(w->stop(), 0) << w->log();
    EXPECT_EQ(pg_figures(pg.url()), expected);
    PgConnection con(pg.url());
    EXPECT_EQ(con.query("SELECT count(*) - count(DISTINCT source) FROM transactions").text(0, 0), "0");
  }
}

// The load path for Amazon Redshift (no COPY ... FROM STDIN there): a worker whose warehouse URL
// says load=insert stores the December file with multi-row INSERTs, each row once, through a
// kill -9; the URL is recorded as given and libpq never sees shopflow's own parameter.
TEST(WarehouseOnPostgres, InsertLoadForRedshiftStoresEveryRowOnce) {
  KafkaCluster kafka(1);
  PostgresServer pg;
  TempDir t;
  const std::string log = " --log kafka://" + kafka.bootstrap() + "/shop";
  ServeProcess node(t.path / "a", log + " --sinks tables");
  const std::string warehouse = pg.url() + "?load=insert";
  auto start_worker = [&] {
    return std::make_unique<ShopflowProcess>(t.path / "w", "worker --sinks warehouse --data " + (t.path / "w").string() + log +
                                                                " --warehouse '" + warehouse + "'", "shopflow worker: storing");
  };
  auto worker = start_worker();
  HttpClient client("127.0.0.1", node.port());
  stream_reference(client, 2000, [&](int request) {
    if (request != 6) return;
    EXPECT_EQ(worker->stop(SIGKILL), 128 + SIGKILL);
    worker = start_worker();
  });
  EXPECT_EQ(figures_once_stored(pg.url()), reference_figures()) << worker->log();
  EXPECT_EQ(worker->stop(), 0) << worker->log();
  PgConnection con(pg.url());
  EXPECT_EQ(con.query("SELECT count(*) - count(DISTINCT source) FROM transactions").text(0, 0), "0");
  EXPECT_NE(read_file(t.path / "w" / "BACKENDS").find("warehouse=" + warehouse + "\n"), std::string::npos) << read_file(t.path / "w" / "BACKENDS");
}

// The issue's must-show: two workers share the PostgreSQL warehouse and the S3 lake (each shard
// of each sink stored by one of them at a time); the December file is streamed while one worker is
// killed -9 twice. At the end PostgreSQL and the lake on S3 (read by pyarrow, as a notebook does,
// and by DuckDB) hold the reference figures, each row once; psql gives the report the embedded
// warehouse gives for the same rows.
TEST(WarehouseOnPostgres, WorkersShareTheShardsThroughKills) {
  KafkaCluster kafka(1);
  PostgresServer pg;
  S3Server s3;
  TempDir t;
  const std::string log = " --log kafka://" + kafka.bootstrap() + "/shop";
  const std::string lake = s3.lake_url("shop-lake", "december");
  ServeProcess node(t.path / "a", log + " --sinks tables");
  auto start_worker = [&](const char* name) {
    return std::make_unique<ShopflowProcess>(t.path / name, "worker --sinks warehouse,lake --listen 127.0.0.1:0 --data " + (t.path / name).string() +
                                                                log + " --warehouse " + pg.url() + " --lake '" + lake + "'",
                                             "shopflow worker: storing");
  };
  // The shards a worker's /metrics says it owns for `sink`, e.g. "0,2".
  auto owned = [](ShopflowProcess& worker, const std::string& sink = "warehouse") {
    std::string out = worker.out();
    size_t at = out.rfind("status on http://127.0.0.1:");
    if (at == std::string::npos) return std::string("?");
    HttpClient c("127.0.0.1", static_cast<uint16_t>(std::stoi(out.substr(at + 27))));
    std::string metrics = c.request("GET", "/metrics").body, shards;
    for (int s = 0; s < 4; ++s)
      if (metrics.find("shopflow_sink_shard_owned{sink=\"" + sink + "\",shard=\"" + std::to_string(s) + "\"} 1") != std::string::npos)
        shards += (shards.empty() ? "" : ",") + std::to_string(s);
    return shards;
  };
  // A status address in use is an error naming it, not a crash of a half-started worker.
  RunResult busy = run_shopflow("worker --sinks warehouse --listen 127.0.0.1:" + std::to_string(node.port()) + " --data " +
                                (t.path / "w0").string() + log + " --warehouse " + pg.url());
  EXPECT_EQ(busy.exit_code, 1) << busy.err;
  EXPECT_NE(busy.err.find("127.0.0.1:" + std::to_string(node.port())), std::string::npos) << busy.err;
  std::unique_ptr<ShopflowProcess> w1 = start_worker("w1"), w2 = start_worker("w2");
  auto split = [&] { // two shards each, different ones, for both sinks
    for (const char* sink : {"warehouse", "lake"}) {
      std::string a = owned(*w1, sink), b = owned(*w2, sink);
      if (a.size() != 3 || b.size() != 3 || a == b) return false;
    }
    return true;
  };
  for (int i = 0; i < 300 && !split(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(split()) << owned(*w1) << " / " << owned(*w2) << "\n" << w1->log() << w2->log();

  HttpClient client("127.0.0.1", node.port());
  stream_reference(client, 1000, [&](int request) {
    if (request != 8 && request != 24) return;
    EXPECT_EQ(w1->stop(SIGKILL), 128 + SIGKILL);
    if (request == 8) { // the survivor takes every shard once the group notices (session timeout)
      for (int i = 0; i < 300 && (owned(*w2) != "0,1,2,3" || owned(*w2, "lake") != "0,1,2,3"); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      EXPECT_EQ(owned(*w2), "0,1,2,3") << w2->log();
      EXPECT_EQ(owned(*w2, "lake"), "0,1,2,3") << w2->log();
    }
    w1 = start_worker("w1");
  });
  const std::string expected = reference_figures();
  std::string got = figures_once_stored(pg.url());
  EXPECT_EQ(got, expected) << w1->log() << w2->log();

  // The lake on S3, as pyarrow's S3 filesystem reads it (Hive partitions, no shopflow code).
  const std::string reader = std::string(SHOPFLOW_SOURCE_DIR) + "/third_party/venv/bin/python " + SHOPFLOW_SOURCE_DIR +
                             "/tests/s3/read_lake.py " + s3.endpoint() + " shop-lake december";
  const std::string lake_expected = "{\"transactions\": {\"rows\": " + text(kReferenceTransactions) + ", \"distinct_sources\": " +
                                    text(kReferenceTransactions) + ", \"amount\": \"" + kReferenceRevenue + "\", \"partitions\": [\"2010-12\"]}, " +
                                    "\"cancellations\": {\"rows\": " + text(kReferenceCancellations) + ", \"distinct_sources\": " +
                                    text(kReferenceCancellations);
  RunResult lake_read;
  for (int i = 0; i < 100; ++i) {
    lake_read = run_command(reader);
    if (lake_read.exit_code == 0 && lake_read.out.starts_with(lake_expected)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(lake_read.out.starts_with(lake_expected)) << lake_read.out << lake_read.err << w1->log() << w2->log();

  for (int i = 0; i < 300 && !split(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(split()) << owned(*w1) << " / " << owned(*w2);
  EXPECT_EQ(w1->stop(), 0) << w1->log();
  EXPECT_EQ(w2->stop(), 0) << w2->log();
  EXPECT_EQ(pg_figures(pg.url()), expected);
  PgConnection con(pg.url());
  EXPECT_EQ(con.query("SELECT count(*) - count(DISTINCT source) FROM transactions").text(0, 0), "0");

  // DuckDB reads the same lake through httpfs, as shopflow's own SQL does.
  {
    S3Store store(resolve_s3_settings(parse_s3_url(lake)), t.path / "scratch");
    DuckDatabase db(":memory:");
    DuckConnection duck(db);
    store.open_for(duck);
    EXPECT_EQ(duck.query("SELECT count(*) || ' ' || count(DISTINCT source) || ' ' || sum(amount) FROM read_parquet(" +
                         sql_literal(store.read_location("transactions/*/*/*.parquet")) + ")").text(0, 0),
              text(kReferenceTransactions) + " " + text(kReferenceTransactions) + " " + kReferenceRevenue);
    // Nothing unfinished is left: no scratch upload, no file beyond a shard's manifest.
    EXPECT_EQ(store.client().unfinished_uploads(store.client().settings().at.prefix).size(), 0u);
  }

  // psql, PostgreSQL's own client, prints the main job's report queries as the embedded
  // warehouse holding the same rows answers them.
  RunResult batch = run_shopflow("batch " + reference_csv() + " --data " + (t.path / "embedded").string());
  ASSERT_EQ(batch.exit_code, 0) << batch.err;
  DuckDatabase embedded((t.path / "embedded" / "warehouse.duckdb").string(), {{"access_mode", "READ_ONLY"}});
  DuckConnection embedded_con(embedded);
  for (const AnalyticsQuery& q : analytics_queries()) {
    if (!q.in_report) continue;
    write_file(t.path / "report.sql", q.filtered ? "PREPARE q AS " + q.sql + ";\nEXECUTE q(NULL, NULL, NULL);\n" : q.sql + ";\n");
    RunResult psql = run_command("psql -X -q -A -t -F '|' -v ON_ERROR_STOP=1 '" + pg.url() + "' -f " + (t.path / "report.sql").string());
    ASSERT_EQ(psql.exit_code, 0) << q.name << ": " << psql.err;
    DuckPrepared prepared(embedded_con, q.sql);
    for (size_t i = 0; i < prepared.param_count(); ++i) prepared.bind_null(i);
    DuckResult on_duck = prepared.execute();
    std::string duck_rows;
    for (size_t r = 0; r < on_duck.row_count(); ++r, duck_rows += '\n')
      for (size_t c = 0; c < on_duck.column_count(); ++c) {
        if (c) duck_rows += '|';
        if (!on_duck.is_null(c, r)) duck_rows += on_duck.text(c, r);
      }
    EXPECT_EQ(psql.out, duck_rows) << q.name;
    EXPECT_GT(on_duck.row_count(), 0u) << q.name;
  }
}

// Batch imports into a PostgreSQL warehouse (a data dir with the embedded log): all or nothing per
// file in one PostgreSQL transaction with its imports row; the same content once, or replaced
// with --force; the lake and the tables as with DuckDB; after a crash past the commit, recovery
// finishes the lake and derives the tables from PostgreSQL; the Redshift way (load=insert) too,
// through the command line.
TEST(WarehouseOnPostgres, BatchImportsAllOrNothingPerFile) {
  PostgresServer pg;
  TempDir t;
  const std::string data = (t.path / "d").string();
  {
    DataDir dir(data, "test", {.warehouse = pg.url()});
    BatchImporter importer(dir);
    ImportOptions o;
    o.progress = false;
    o.fail_after_rows = 20000;
    EXPECT_THROW(importer.import_file(reference_csv(), o), std::runtime_error);
    EXPECT_EQ(pg_figures(pg.url()), "0 0 0 0");
    PgConnection con(pg.url());
    EXPECT_EQ(con.query("SELECT count(*) FROM imports").text(0, 0), "0");
    EXPECT_TRUE(dir.tables().invoice_lines("536365").empty());
    for (auto& e : fs::recursive_directory_iterator(fs::path(data) / "lake")) EXPECT_FALSE(e.is_regular_file()) << e.path();

    o.fail_after_rows = 0;
    FileSummary s = importer.import_file(reference_csv(), o);
    EXPECT_EQ(s.job, 1);
    EXPECT_EQ(s.transactions, kReferenceTransactions);
    EXPECT_EQ(pg_figures(pg.url()), reference_figures());
    EXPECT_EQ(con.query("SELECT job || ' ' || rows_read || ' ' || transactions || ' ' || rejected_bad_debt FROM imports").text(0, 0),
              "1 " + text(kReferenceTransactions + kReferenceCancellations + kReferenceRejected) + " " + text(kReferenceTransactions) + " " +
                  std::to_string(s.rejected_by_reason[static_cast<size_t>(RejectReason::BadDebt)]));
    EXPECT_EQ(dir.tables().invoice_lines("536365").size(), 7u);
    EXPECT_EQ(dir.tables().customer_invoices("17850").empty(), false);
    EXPECT_TRUE(importer.import_file(reference_csv(), o).skipped);
    // --force replaces job 1's rows, lake files and lines with job 2's, in one transaction; a
    // forced import that fails leaves job 1 whole.
    o.force = true;
    o.fail_after_rows = 30000;
    EXPECT_THROW(importer.import_file(reference_csv(), o), std::runtime_error);
    EXPECT_EQ(pg_figures(pg.url()), reference_figures());
    EXPECT_EQ(con.query("SELECT string_agg(job::text, ',') FROM imports").text(0, 0), "1");
    EXPECT_EQ(dir.tables().invoice_lines("536365").size(), 7u);
    EXPECT_TRUE(dir.tables().has_job(1));
    o.fail_after_rows = 0;
    FileSummary forced = importer.import_file(reference_csv(), o);
    EXPECT_EQ(forced.job, 2);
    EXPECT_EQ(forced.replaced_job, 1);
    EXPECT_EQ(pg_figures(pg.url()), reference_figures());
    EXPECT_EQ(con.query("SELECT string_agg(job::text, ',') FROM imports").text(0, 0), "2");
    EXPECT_EQ(con.query("SELECT count(*) FROM transactions WHERE source LIKE 'batch:1:%'").text(0, 0), "0");
    EXPECT_EQ(dir.tables().invoice_lines("536365").size(), 7u);
    EXPECT_FALSE(dir.tables().has_job(1));
    EXPECT_TRUE(dir.tables().has_job(2));
    for (auto& e : fs::directory_iterator(fs::path(data) / "lake/transactions/year=2010/month=12"))
      EXPECT_TRUE(e.path().filename().string().starts_with("batch-2-")) << e.path();
  }
  // A crash after the commit: the tables lost their lines and marker, the lake files are back in
  // staging. Opening the data dir finishes both, the tables from PostgreSQL's rows.
  fs::remove_all(fs::path(data) / "tables");
  fs::path staged = fs::path(data) / "lake/_staging/batch-2/transactions/year=2010/month=12";
  fs::create_directories(staged);
  for (auto& e : fs::directory_iterator(fs::path(data) / "lake/transactions/year=2010/month=12"))
    fs::rename(e.path(), staged / ("part-" + e.path().filename().string().substr(8)));
  {
    DataDir dir(data, "test");
    EXPECT_TRUE(dir.tables().has_job(2));
    EXPECT_EQ(dir.tables().invoice_lines("536365").size(), 7u);
    EXPECT_FALSE(fs::exists(fs::path(data) / "lake/_staging"));
    DuckResult r = dir.warehouse().connection().query("SELECT count(*) FROM read_parquet('" + data + "/lake/transactions/*/*/*.parquet')");
    EXPECT_EQ(r.int64(0, 0), kReferenceTransactions);
    EXPECT_EQ(dir.warehouse().connection().query("SELECT count(*) FROM transactions").int64(0, 0), 0); // the copy was rolled back
  }
  // The command line, the Redshift way, into a warehouse made anew.
  PgConnection(pg.url()).execute("DROP TABLE IF EXISTS transactions, cancellations, rejected, imports, stream_offsets CASCADE");
  RunResult cli = run_shopflow("batch " + reference_csv() + " --json --data " + (t.path / "e").string() + " --warehouse '" + pg.url() + "?load=insert'");
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_NE(cli.out.find("\"transactions\":" + text(kReferenceTransactions)), std::string::npos) << cli.out;
  EXPECT_EQ(pg_figures(pg.url()), reference_figures());
  RunResult sql = run_shopflow("sql --data " + (t.path / "e").string() + " --format csv \"SELECT count(*) FROM imports\"");
  EXPECT_NE(sql.out.find("\n1\n"), std::string::npos) << sql.out << sql.err;
}
