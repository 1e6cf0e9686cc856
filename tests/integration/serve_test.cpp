// `shopflow serve` end to end on loopback: real HTTP, the real log and all three sinks.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "api/http_server.h"
#include "client/http_client.h"
#include "notify/webhook.h"
#include "db/duckdb.h"
#include "storage/backend_urls.h"
#include "stream/kafka/rdkafka.h"
#include "customer_rows.h"
#include "reference.h"
#include "test_support.h"

using namespace shopflow;
using namespace shopflow::test;
namespace fs = std::filesystem;

namespace {
std::string scalar(DuckConnection& con, const std::string& sql) { return con.query(sql).text(0, 0); }

// Sends the reference CSV in requests of `rows_per_request` rows, each with the header line.
void send_reference(HttpClient& client, size_t rows_per_request) {
  std::string csv = read_file(reference_csv());
  size_t header_end = csv.find('\n') + 1;
  std::string header = csv.substr(0, header_end);
  size_t pos = header_end;
  while (pos < csv.size()) {
    size_t end = pos;
    for (size_t n = 0; n < rows_per_request && end < csv.size(); ++n) end = csv.find('\n', end) + 1;
    if (end == 0) end = csv.size();
    HttpResult r = client.request("POST", "/v1/records", header + csv.substr(pos, end - pos), {{"Content-Type", "text/csv"}});
    ASSERT_EQ(r.status, 200u) << r.body;
    pos = end;
  }
}

// Waits until /metrics shows no lag for any sink.
bool caught_up(HttpClient& client, int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string m = client.request("GET", "/metrics").body;
    bool lag = false;
    size_t at = 0;
    while ((at = m.find("shopflow_sink_lag_records{", at)) != std::string::npos) {
      size_t nl = m.find('\n', at);
      lag |= m.substr(m.rfind(' ', nl) + 1, nl - m.rfind(' ', nl) - 1) != "0";
      at = nl;
    }
    if (!lag) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}
} // namespace

TEST(Serve, StreamedReferenceFileGivesTheReferenceFiguresEverywhere) {
  TempDir t;
  fs::path data = t.path / "d";
  ServeProcess serve(data);
  HttpClient client("127.0.0.1", serve.port());
  send_reference(client, 1000);
  ASSERT_TRUE(caught_up(client, 60)) << serve.log();

  // An item with repeated lines returns every one of them.
  HttpResult item = client.request("GET", "/v1/invoices/536464/items/22866");
  HttpResult whole = client.request("GET", "/v1/invoices/536365");
  EXPECT_EQ(whole.status, 200u);
  EXPECT_EQ(json_at(whole.body, "line_count"), "7");
  EXPECT_EQ(json_at(whole.body, "amount"), "139.12");
  EXPECT_EQ(client.request("GET", "/v1/invoices/999999").status, 404u);
  HttpResult customer = client.request("GET", "/v1/customers/17850?page=1&page_size=2");
  EXPECT_EQ(customer.status, 200u);
  EXPECT_EQ(json_at(customer.body, "page_size"), "2");
  EXPECT_EQ(client.request("GET", "/v1/customers/17850?page=zero").status, 400u);
  EXPECT_EQ(client.request("GET", "/healthz").status, 200u);
  EXPECT_EQ(serve.stop(), 0) << serve.log();

  expect_reference_warehouse_and_lake(data);
  DuckDatabase db((data / "warehouse.duckdb").string(), {{"access_mode", "READ_ONLY"}});
  DuckConnection con(db);
  // The repeated item, checked against the warehouse.
  std::string lines = scalar(con, "SELECT count(*) FROM transactions WHERE invoice_no = '536464' AND stock_code = '22866'");
  EXPECT_GT(std::stoi(lines), 1);
  EXPECT_EQ(json_at(item.body, "line_count"), lines);
}

// Every backend in a place of its own (--log, --warehouse, --lake, --tables): the data dir
// records them, later commands use the record, and no other data dir may take them over.
TEST(Serve, BackendsOutsideTheDataDirAreRecordedAndKeptToIt) {
  TempDir t;
  fs::path data = t.path / "d", elsewhere = t.path / "shared";
  const std::string places = " --log " + (elsewhere / "log").string() + " --warehouse file://" + (elsewhere / "warehouse").string() +
                             " --lake " + (elsewhere / "lake").string() + " --tables " + (elsewhere / "tables").string();
  {
    ServeProcess serve(data, places);
    HttpClient client("127.0.0.1", serve.port());
    send_reference(client, 5000);
    ASSERT_TRUE(caught_up(client, 60)) << serve.log();
    EXPECT_EQ(serve.stop(), 0) << serve.log();
  }
  for (const char* embedded : {"log", "lake", "tables", "warehouse.duckdb"}) EXPECT_FALSE(fs::exists(data / embedded)) << embedded;
  for (const char* outside : {"log/SHARDS", "warehouse/warehouse.duckdb", "lake/OWNER", "tables/OWNER", "warehouse/OWNER"})
    EXPECT_TRUE(fs::exists(elsewhere / outside)) << outside;
  expect_reference_warehouse_and_lake(data); // through DIR/BACKENDS

  // Without the options, serve and sql use the recorded places.
  {
    ServeProcess serve(data);
    HttpClient client("127.0.0.1", serve.port());
    EXPECT_EQ(json_at(client.request("GET", "/v1/invoices/536365").body, "line_count"), "7");
    EXPECT_EQ(serve.stop(), 0) << serve.log();
  }
  RunResult sql = run_shopflow("sql \"SELECT count(*) FROM lake.transactions\" --format csv --data " + data.string());
  EXPECT_EQ(sql.out, "count_star()\n" + text(kReferenceTransactions) + "\n") << sql.err;

  // Another place for the same data dir, or the same places for another data dir: refused, and
  // what is stored stays as it was.
  RunResult moved = run_shopflow("batch " + reference_csv() + " --lake " + (t.path / "other").string() + " --data " + data.string());
  EXPECT_EQ(moved.exit_code, 1);
  EXPECT_NE(moved.err.find("--lake"), std::string::npos) << moved.err;
  EXPECT_NE(moved.err.find("BACKENDS"), std::string::npos) << moved.err;
  RunResult taken = run_shopflow("batch " + reference_csv() + places + " --data " + (t.path / "d2").string());
  EXPECT_EQ(taken.exit_code, 1);
  EXPECT_NE(taken.err.find("belongs to data dir " + fs::canonical(data).string()), std::string::npos) << taken.err;
  RunResult unknown = run_shopflow("batch " + reference_csv() + " --lake gs://bucket/lake --data " + (t.path / "d3").string());
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("scheme 'gs'"), std::string::npos) << unknown.err;
  EXPECT_FALSE(fs::exists(t.path / "d3"));
  expect_reference_warehouse_and_lake(data);
}

// Two serve nodes and a worker on one Kafka log: rows posted to either node are looked up on
// both (each keeps its own tables from the topic), and the worker's warehouse and lake hold
// every row once.
TEST(ServeOnKafka, NodesAndAWorkerShareOneLog) {
  KafkaCluster kafka(1);
  TempDir t;
  // Node a also runs the notifications (of every node's orders: it reads the whole log); a
  // France webhook on loopback records the order events it gets, each signature checked.
  std::mutex mutex;
  std::set<std::string> french_events;
  int bad_signatures = 0;
  HttpServerOptions hook_options;
  hook_options.port = 0;
  HttpServer hook(hook_options, [&](HttpRequest&& req, HttpServer::Reply reply) {
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    {
      std::lock_guard lock(mutex);
      if (!webhook_signature_valid(std::string(req["Shopflow-Signature"]), "0123456789abcdef", req.body(), now) ||
          json_text(req.body(), "country") != "France")
        ++bad_signatures;
      french_events.insert(std::string(req["Idempotency-Key"]));
    }
    HttpResponse res{boost::beast::http::status::no_content, req.version()};
    res.prepare_payload();
    reply(std::move(res));
  });
  hook.start();
  const std::string log = " --log kafka://" + kafka.bootstrap() + "/shop";
  ServeProcess a(t.path / "a", log + " --sinks tables,notify --notify-quiet-s 0.5"), b(t.path / "b", log + " --sinks tables");
  ASSERT_EQ(run_shopflow("notify add --id fr --filter 'country = France' --webhook http://127.0.0.1:" + std::to_string(hook.port()) +
                         "/fr --secret 0123456789abcdef --data " + (t.path / "a").string())
                .exit_code,
            0);
  ShopflowProcess worker(t.path / "w", "worker --data " + (t.path / "w").string() + log, "shopflow worker: storing");
  HttpClient to_a("127.0.0.1", a.port()), to_b("127.0.0.1", b.port());

  std::string csv = read_file(reference_csv());
  size_t header_end = csv.find('\n') + 1, pos = header_end;
  for (int request = 0; pos < csv.size(); ++request) {
    size_t end = pos;
    for (int n = 0; n < 2000 && end < csv.size(); ++n) end = csv.find('\n', end) + 1;
    HttpClient& node = request % 2 ? to_b : to_a;
    HttpResult r = node.request("POST", "/v1/records", csv.substr(0, header_end) + csv.substr(pos, end - pos), {{"Content-Type", "text/csv"}});
    ASSERT_EQ(r.status, 200u) << r.body;
    pos = end;
  }
  // An Idempotency-Key used on one node holds on the other: the retry appends nothing, another
  // body under it is refused.
  const std::string keyed = csv.substr(0, header_end) + "999001,85123A,KEYED ROW,2,12/1/2010 8:26,2.55,17850,United Kingdom\n";
  HttpResult first = to_a.request("POST", "/v1/records", keyed, {{"Content-Type", "text/csv"}, {"Idempotency-Key", "k-1"}});
  ASSERT_EQ(first.status, 200u) << first.body;
  HttpResult retry = to_b.request("POST", "/v1/records", keyed, {{"Content-Type", "text/csv"}, {"Idempotency-Key", "k-1"}});
  EXPECT_EQ(retry.status, 200u) << retry.body;
  EXPECT_EQ(retry.headers["idempotent-replayed"], "true") << retry.body << "\nnode a: " << a.log() << "\nnode b: " << b.log();
  HttpResult other = to_b.request("POST", "/v1/records", keyed + keyed.substr(header_end), {{"Content-Type", "text/csv"}, {"Idempotency-Key", "k-1"}});
  EXPECT_EQ(other.status, 422u) << other.body;
  ASSERT_TRUE(caught_up(to_a, 60)) << a.log();
  ASSERT_TRUE(caught_up(to_b, 60)) << b.log();
  // Acknowledged on a: visible on b within moments (the lag in /metrics may be a moment behind).
  std::string lines;
  for (int i = 0; i < 100 && (lines = json_at(to_b.request("GET", "/v1/invoices/999001").body, "line_count")) != "1"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(lines, "1");
  for (HttpClient* node : {&to_a, &to_b}) {
    std::string metrics = node->request("GET", "/metrics").body;
    EXPECT_NE(metrics.find("\nshopflow_log_queued_appends 0\n"), std::string::npos) << metrics.substr(0, 2000);
    HttpResult invoice = node->request("GET", "/v1/invoices/536365");
    EXPECT_EQ(json_at(invoice.body, "line_count"), "7");
    EXPECT_EQ(json_at(invoice.body, "amount"), "139.12");
    // What a node without the warehouse cannot answer is refused, naming where it is, rather
    // than answered from its empty local copy.
    EXPECT_EQ(metrics.find("shopflow_rejected_rows"), std::string::npos);
    for (auto [method, path, body] : {std::tuple{"POST", "/v1/sql", "SELECT count(*) FROM transactions"}, {"GET", "/v1/dashboard", ""}}) {
      HttpResult refused = node->request(method, path, body);
      EXPECT_EQ(refused.status, 503u) << path << ": " << refused.body;
      EXPECT_NE(json_at(refused.body, "error").find("this node keeps no warehouse"), std::string::npos) << refused.body;
    }
    HttpResult batch = node->request("POST", "/v1/admin/batch", R"({"files": []})");
    EXPECT_EQ(batch.status, 503u) << batch.body;
    EXPECT_NE(json_at(batch.body, "error").find("shopflow send"), std::string::npos) << batch.body;
  }
  EXPECT_EQ(worker.stop(), 0) << worker.log();
  {
    // The December file and the one keyed row, once.
    DuckDatabase db((t.path / "w" / "warehouse.duckdb").string(), {{"access_mode", "READ_ONLY"}});
    DuckConnection con(db);
    EXPECT_EQ(scalar(con, "SELECT count(*) FROM transactions"), text(kReferenceTransactions + 1));
    EXPECT_EQ(scalar(con, "SELECT count(*) FROM transactions WHERE invoice_no = '999001'"), "1");
    // Every French order of the log, whichever node took its lines, notified by node a.
    const size_t french = std::stoul(scalar(con, "SELECT (SELECT count(DISTINCT invoice_no) FROM transactions WHERE country = 'France') + "
                                                 "(SELECT count(DISTINCT invoice_no) FROM cancellations WHERE country = 'France')"));
    auto got = [&] {
      std::lock_guard lock(mutex);
      return french_events.size();
    };
    for (int i = 0; i < 300 && got() < french; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(got(), french);
    EXPECT_GT(french, 10u);
    std::lock_guard lock(mutex);
    EXPECT_EQ(bad_signatures, 0);
  }
  EXPECT_EQ(a.stop(), 0) << a.log();
  EXPECT_EQ(b.stop(), 0) << b.log();
  // Each serve node kept only its tables.
  EXPECT_EQ(settle_backends(t.path / "a", {}, false).log.kafka_prefix, "shop");
  EXPECT_FALSE(fs::exists(t.path / "a" / "lake" / "transactions"));
  // A batch import into one node's sinks would never reach the others'.
  for (const char* dir : {"a", "w"}) {
    RunResult batch = run_shopflow("batch " + reference_csv() + " --data " + (t.path / dir).string());
    EXPECT_EQ(batch.exit_code, 1) << batch.err;
    EXPECT_NE(batch.err.find("streams through a Kafka log shared with other nodes"), std::string::npos) << batch.err;
  }
}

// An existing topic of order records as an input: consumed into the log exactly once, also when
// the consuming node is killed -9 midway and started again.
TEST(ServeOnKafka, ASourceTopicIsConsumedExactlyOnce) {
  KafkaCluster kafka(1);
  TempDir t;
  RunResult gen = run_shopflow("gen --rows 30000 --seed 11 --format ndjson --out " + (t.path / "orders.ndjson").string());
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  RunResult reference = run_shopflow("batch " + (t.path / "orders.ndjson").string() + " --json --data " + (t.path / "ref").string());
  ASSERT_EQ(reference.exit_code, 0) << reference.err;
  // Every line a message, and two that are not order records.
  std::vector<std::string> messages;
  std::string lines = read_file(t.path / "orders.ndjson");
  for (size_t at = 0, nl; (nl = lines.find('\n', at)) != std::string::npos; at = nl + 1) messages.push_back(lines.substr(at, nl - at));
  messages.push_back("not json at all");
  messages.push_back("{\"InvoiceNo\": [1]}");
  kafka::Settings settings{{"bootstrap.servers", kafka.bootstrap()}};
  kafka::Admin(settings).create_topic("orders", 3, 1, {}, 30'000);
  {
    kafka::Producer producer(settings, "test-orders", 30'000);
    std::vector<kafka::Delivered> delivered(messages.size());
    producer.begin();
    for (size_t i = 0; i < messages.size(); ++i) producer.send("orders", static_cast<int32_t>(i % 3), messages[i], &delivered[i]);
    producer.commit();
  }

  const std::string args = "--log kafka://" + kafka.bootstrap() + "/shop --source kafka://" + kafka.bootstrap() + "/orders";
  auto stored = [](HttpClient& node) {
    HttpResult r = node.request("POST", "/v1/sql", "SELECT (SELECT count(*) FROM transactions) + (SELECT count(*) FROM cancellations) + "
                                                   "(SELECT count(*) FROM rejected)");
    return r.status == 200 ? std::stoull(json_at(r.body, "rows.0.0")) : 0;
  };
  {
    ServeProcess node(t.path / "d", args);
    HttpClient client("127.0.0.1", node.port());
    for (int i = 0; i < 400 && stored(client) < 5000; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    EXPECT_EQ(node.stop(9), 128 + 9); // midway, as far as the test can tell
  }
  ServeProcess node(t.path / "d", args);
  HttpClient client("127.0.0.1", node.port());
  // Generous deadlines: on a loaded machine the brokers' JVM and the node share two cores.
  for (int i = 0; i < 2400 && stored(client) < messages.size(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(caught_up(client, 120)) << node.log() << client.request("GET", "/healthz").body;
  EXPECT_EQ(stored(client), messages.size()) << node.log();
  EXPECT_EQ(node.stop(), 0) << node.log();

  DuckDatabase ref_db((t.path / "ref" / "warehouse.duckdb").string(), {{"access_mode", "READ_ONLY"}});
  DuckConnection ref(ref_db);
  DuckDatabase got_db((t.path / "d" / "warehouse.duckdb").string(), {{"access_mode", "READ_ONLY"}});
  DuckConnection got(got_db);
  for (const char* sql : {"SELECT count(*) || ' ' || sum(amount) FROM transactions", "SELECT count(*) || ' ' || sum(amount) FROM cancellations",
                          "SELECT count(DISTINCT invoice_no || stock_code || quantity || invoice_date) FROM transactions"})
    EXPECT_EQ(scalar(got, sql), scalar(ref, sql)) << sql;
  EXPECT_EQ(std::stoull(scalar(got, "SELECT count(*) FROM rejected")), std::stoull(scalar(ref, "SELECT count(*) FROM rejected")) + 2);
}

// With every broker gone, a node says so (/healthz 503, each broker down), refuses new rows
// rather than acknowledging what it cannot store, and SIGTERM still stops it within its drain
// timeout; a later node on the same cluster finds every acknowledged row.
TEST(ServeOnKafka, EveryBrokerGoneIsReportedAndStopsInTime) {
  KafkaCluster kafka(1);
  TempDir t;
  const std::string log = " --log kafka://" + kafka.bootstrap() + "/shop";
  auto node = std::make_unique<ServeProcess>(t.path / "a", log + " --drain-timeout 5");
  HttpClient client("127.0.0.1", node->port());
  std::string csv = read_file(reference_csv()).substr(0, 200'000);
  csv.resize(csv.rfind('\n') + 1);
  const std::string acked = json_at(client.request("POST", "/v1/records", csv, {{"Content-Type", "text/csv"}}).body, "accepted");
  ASSERT_GT(std::stoi(acked), 1000);
  ASSERT_TRUE(caught_up(client, 60)) << node->log();
  std::string health = client.request("GET", "/healthz").body;
  EXPECT_NE(health.find(R"("brokers":[{"id":"1","address":")"), std::string::npos) << health;
  EXPECT_NE(health.find(R"("up":true)"), std::string::npos) << health;

  kafka.kill(1);
  HttpResult down;
  for (int i = 0; i < 150 && (down = client.request("GET", "/healthz")).body.find(R"("up":false)") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(down.status, 503u) << down.body;
  EXPECT_EQ(json_at(down.body, "status"), "\"degraded\"") << down.body;
  EXPECT_NE(down.body.find(R"("up":false)"), std::string::npos) << down.body;
  EXPECT_EQ(down.body.find(R"("up":true)"), std::string::npos) << down.body;
  std::string metrics = client.request("GET", "/metrics").body;
  EXPECT_NE(metrics.find("\nshopflow_log_broker_up{broker=\"1\",address=\""), std::string::npos) << metrics.substr(0, 3000);
  EXPECT_NE(metrics.find("\"} 0\n"), std::string::npos);
  auto asked = std::chrono::steady_clock::now();
  HttpResult refused = client.request("POST", "/v1/records", csv.substr(0, csv.find('\n') + 1) + "999001,85123A,X,1,12/1/2010 8:26,2.55,17850,United Kingdom\n",
                                      {{"Content-Type", "text/csv"}});
  EXPECT_EQ(refused.status, 503u) << refused.body;
  EXPECT_NE(refused.body.find("no Kafka broker of " + kafka.bootstrap() + " answers"), std::string::npos) << refused.body;
  // At once, not after a transaction's timeout (30 s).
  EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::seconds(10));

  auto started = std::chrono::steady_clock::now();
  int code = node->stop();
  auto took = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count();
  EXPECT_LE(took, 20) << node->log();
  EXPECT_TRUE(code == 0 || code == 1) << code << node->log();

  kafka.restart();
  ServeProcess again(t.path / "b", log);
  HttpClient to_again("127.0.0.1", again.port());
  ASSERT_TRUE(caught_up(to_again, 60)) << again.log();
  EXPECT_EQ(json_at(to_again.request("GET", "/v1/invoices/536365").body, "line_count"), "7");
  // Every row acknowledged before the brokers went, and not the refused one.
  HttpResult sql = to_again.request("POST", "/v1/sql", "SELECT (SELECT count(*) FROM transactions) + (SELECT count(*) FROM cancellations) + "
                                                       "(SELECT count(*) FROM rejected), (SELECT count(*) FROM transactions WHERE invoice_no = '999001')");
  EXPECT_EQ(json_at(sql.body, "rows.0.0"), acked) << sql.body;
  EXPECT_EQ(json_at(sql.body, "rows.0.1"), "0") << sql.body;
}

// A batch damaged on a broker's disk (one byte flipped; Kafka's CRC no longer matches): the
// sinks store everything before it and stop there, saying so, rather than store the damaged
// rows or skip them.
TEST(ServeOnKafka, ADamagedBatchStopsTheSinksAtIt) {
  KafkaCluster kafka(1);
  TempDir t;
  const std::string log = " --log kafka://" + kafka.bootstrap() + "/shop --shards 1";
  const std::string header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n";
  {
    ServeProcess a(t.path / "a", log);
    HttpClient client("127.0.0.1", a.port());
    for (const char* description : {"BEFORE THE DAMAGE", "DAMAGED ROW", "AFTER THE DAMAGE"}) {
      HttpResult r = client.request("POST", "/v1/records", header + "536365,85123A," + description + ",6,12/1/2010 8:26,2.55,17850,United Kingdom\n",
                                    {{"Content-Type", "text/csv"}});
      ASSERT_EQ(r.status, 200u) << r.body;
    }
    ASSERT_EQ(a.stop(), 0) << a.log();
  }
  kafka.stop();
  fs::path segment = kafka.data_dir(1) / "shop.records-0" / "00000000000000000000.log";
  std::string bytes = read_file(segment);
  size_t at = bytes.find("DAMAGED ROW");
  ASSERT_NE(at, std::string::npos);
  bytes[at] = 'X';
  write_file(segment, bytes);
  kafka.restart();

  ServeProcess b(t.path / "b", log);
  HttpClient client("127.0.0.1", b.port());
  auto failing_sinks = [](const std::string& body) {
    size_t n = 0;
    for (size_t from = 0; (from = body.find("failed CRC", from)) != std::string::npos; ++from) ++n;
    return n;
  };
  HttpResult health;
  for (int i = 0; i < 150 && failing_sinks((health = client.request("GET", "/healthz")).body) < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(failing_sinks(health.body), 3u) << health.body; // the warehouse, the tables, the lake
  EXPECT_EQ(health.status, 503u) << health.body;
  EXPECT_NE(health.body.find(R"("state":"failing")"), std::string::npos) << health.body;
  EXPECT_NE(health.body.find("shop.records/0"), std::string::npos) << health.body;
  // The buffering sinks (warehouse, lake) store what they read before the damage too.
  for (const char* table : {"transactions", "lake.transactions"}) {
    HttpResult sql = client.request("POST", "/v1/sql", std::string("SELECT string_agg(description, '|' ORDER BY description) FROM ") + table);
    EXPECT_EQ(json_at(sql.body, "rows.0.0"), "\"BEFORE THE DAMAGE\"") << table << ": " << sql.body;
  }
  EXPECT_EQ(json_at(client.request("GET", "/v1/invoices/536365").body, "line_count"), "1");
}

// A worker needs a shared log.
TEST(ServeOnKafka, AWorkerOnTheEmbeddedLogIsRefused) {
  TempDir t;
  RunResult r = run_shopflow("worker --data " + (t.path / "w").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("a worker reads a log shared with serve nodes"), std::string::npos) << r.err;
  RunResult bad = run_shopflow("serve --sinks tables,nosuch --data " + (t.path / "s").string());
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown sink 'nosuch'"), std::string::npos) << bad.err;
}

TEST(Serve, BodiesOfEveryShapeAndClearErrors) {
  TempDir t;
  ServeProcess serve(t.path / "d", "--max-body 100000 --max-records 50");
  HttpClient client("127.0.0.1", serve.port());
  const char* rec = R"({"InvoiceNo":"536365","StockCode":"85123A","Description":"W","Quantity":6,"InvoiceDate":"2010-12-01 08:26:00","UnitPrice":2.55,"CustomerID":17850.0,"Country":"United Kingdom"})";
  // One object, an array, NDJSON, CSV, each with and without a Content-Type.
  EXPECT_EQ(json_at(client.request("POST", "/v1/records", rec).body, "accepted"), "1");
  EXPECT_EQ(json_at(client.request("POST", "/v1/records", rec, {{"Content-Type", "application/json"}}).body, "accepted"), "1");
  std::string array = std::string("[") + rec + "," + rec + ", {\"InvoiceNo\": 1}]";
  HttpResult r = client.request("POST", "/v1/records", array, {{"Content-Type", "application/json"}});
  EXPECT_EQ(json_at(r.body, "accepted"), "3");
  EXPECT_EQ(json_at(r.body, "malformed_count"), "1");
  EXPECT_NE(r.body.find("missing key StockCode"), std::string::npos) << r.body;
  std::string ndjson = std::string(rec) + "\n" + rec + "\n{broken\n";
  r = client.request("POST", "/v1/records", ndjson);
  EXPECT_EQ(json_at(r.body, "accepted"), "3");
  EXPECT_EQ(json_at(r.body, "format"), "\"ndjson\"");
  r = client.request("POST", "/v1/records", "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
                                              "536365,85123A,W,6,12/1/2010 8:26,2.55,17850,United Kingdom\n");
  EXPECT_EQ(json_at(r.body, "format"), "\"csv\"");
  // Errors that name the problem.
  r = client.request("POST", "/v1/records", "[{\"InvoiceNo\": 1,", {{"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.body.find("not valid JSON"), std::string::npos) << r.body;
  r = client.request("POST", "/v1/records", "{\"InvoiceNo\": ", {{"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.body.find("line 1"), std::string::npos) << r.body;
  r = client.request("POST", "/v1/records", "InvoiceNo,Price\n1,2\n", {{"Content-Type", "text/csv"}});
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.body.find("Price"), std::string::npos) << r.body;
  EXPECT_EQ(client.request("POST", "/v1/records", std::string(200000, ' ')).status, 413u);
  std::string many = "[";
  for (int i = 0; i < 51; ++i) many += std::string(i ? "," : "") + rec;
  r = client.request("POST", "/v1/records", many + "]");
  EXPECT_EQ(r.status, 413u);
  EXPECT_NE(r.body.find("at most 50"), std::string::npos) << r.body;
  EXPECT_EQ(client.request("GET", "/v1/records").status, 405u);
  EXPECT_EQ(client.request("GET", "/nowhere").status, 404u);
  ASSERT_TRUE(caught_up(client, 30));
  EXPECT_EQ(serve.stop(), 0) << serve.log();
  DuckDatabase db((t.path / "d" / "warehouse.duckdb").string(), {{"access_mode", "READ_ONLY"}});
  DuckConnection con(db);
  // Every record of every accepted body is stored: 1 + 1 + 3 + 3 + 1 = 9 (2 malformed).
  EXPECT_EQ(scalar(con, "SELECT (SELECT count(*) FROM transactions) + (SELECT count(*) FROM rejected)"), "9");
  EXPECT_EQ(scalar(con, "SELECT count(*) FROM rejected WHERE reason = 'malformed'"), "2");
}

TEST(Serve, SeedClientScriptsRunUnchanged) {
  TempDir t;
  ServeProcess serve(t.path / "d");
  // The seed's insert and query scripts, with only their URL changed (Python requests from Debian).
  std::string script = R"PY(
import json, sys, requests
url = sys.argv[1] + "/v1/compat/transactions"
record = {"InvoiceNo": "536365", "StockCode": "85123A", "Description": "WHITE HANGING HEART T-LIGHT HOLDER",
          "Quantity": 6, "InvoiceDate": 1291191960000, "UnitPrice": 2.55, "CustomerID": 17850.0,
          "Country": "United Kingdom"}
body = json.dumps(record).replace("/", "\\/")
r = requests.post(url, data=body)          # no Content-Type, as the seed's client sends it
assert r.status_code == 200, r.text
assert r.json()["statusCode"] == 200
import time
for _ in range(200):
    g = requests.get(url, params={"InvoiceNo": "536365", "StockCode": "85123A"})
    if g.status_code == 200:
        break
    time.sleep(0.05)
item = json.loads(g.json()["body"])
print(g.json()["body"])
assert item["Quantity"]["N"] == "6", item
assert item["Country"]["S"] == "United Kingdom", item
)PY";
  write_file(t.path / "seed_client.py", script);
  std::string cmd = "/usr/bin/python3 " + (t.path / "seed_client.py").string() + " " + serve.url() + " > " +
                    (t.path / "py.out").string() + " 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << read_file(t.path / "py.out");
  EXPECT_EQ(json_at(read_file(t.path / "py.out"), "UnitPrice.N"), "\"2.55\"");
  EXPECT_EQ(serve.stop(), 0) << serve.log();
}

TEST(MainJob, HalfStreamedHalfBatchedEqualsAPureBatchImport) {
  TempDir t;
  std::string data = (t.path / "main").string();
  RunResult job = run_shopflow("--once --rows 30000 --listen 127.0.0.1:0 --data " + data);
  ASSERT_EQ(job.exit_code, 0) << job.err;
  EXPECT_NE(job.out.find("Revenue by month"), std::string::npos);
  EXPECT_NE(job.out.find("Cancellation rate"), std::string::npos);
  std::string file = (t.path / "all.csv").string();
  ASSERT_EQ(run_shopflow("gen --rows 30000 --seed 1 --out " + file).exit_code, 0);
  ASSERT_EQ(run_shopflow("batch " + file + " --data " + (t.path / "pure").string()).exit_code, 0);
  auto signature = [](const std::string& dir) {
    DuckDatabase db(dir + "/warehouse.duckdb", {{"access_mode", "READ_ONLY"}});
    DuckConnection con(db);
    return scalar(con, "SELECT (SELECT count(*) || '/' || sum(amount) FROM transactions) || ' ' || "
                       "(SELECT count(*) || '/' || sum(amount) FROM cancellations) || ' ' || "
                       "(SELECT string_agg(reason || '=' || n, ',' ORDER BY reason) FROM "
                       "(SELECT reason, count(*) n FROM rejected GROUP BY ALL)) || ' ' || "
                       "(SELECT string_agg(m || ':' || r, ',' ORDER BY m) FROM (SELECT strftime(invoice_date, '%Y-%m') m, "
                       "sum(amount) r FROM transactions GROUP BY ALL))");
  };
  std::string pure = signature((t.path / "pure").string());
  EXPECT_EQ(signature(data), pure);
  auto customer_rows_agree = [&](const char* when) { // lines from the stream and a job
    DataDir dir(data, "test");
    expect_customer_rows_agree(dir, 100, when);
  };
  customer_rows_agree("after the first run");
  // The report printed by the main job is the pure import's report.
  RunResult report = run_shopflow("sql \"SELECT (SELECT count(*) FROM transactions) + (SELECT count(*) FROM cancellations)\" "
                                  "--format csv --data " + (t.path / "pure").string());
  std::string n = report.out.substr(report.out.find('\n') + 1);
  n.pop_back();
  EXPECT_NE(job.out.find(n), std::string::npos);
  // Running it again is idempotent.
  ASSERT_EQ(run_shopflow("--once --rows 30000 --listen 127.0.0.1:0 --data " + data).exit_code, 0);
  EXPECT_EQ(signature(data), pure);
  customer_rows_agree("after the second run");
}
