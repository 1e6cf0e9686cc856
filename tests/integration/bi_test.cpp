// BI access over the PostgreSQL wire protocol, with real clients from Debian: psql, psycopg2,
// psycopg 3 (the extended protocol) and psqlODBC through isql,
// against `serve --pg-listen` holding the December data.
#include <gtest/gtest.h>

#include "reference.h"
#include "test_support.h"

using namespace shopflow;
using namespace shopflow::test;
namespace fs = std::filesystem;

namespace {

struct Shell {
  int code;
  std::string out;
};
Shell shell(const fs::path& dir, const std::string& cmd) {
  fs::path out = dir / "shell.out";
  int rc = std::system((cmd + " > " + out.string() + " 2>&1").c_str());
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, read_file(out)};
}
} // namespace

TEST(Pgwire, PsqlPsycopgAndOdbcGetTheReferenceFigures) {
  TempDir t;
  fs::path data = t.path / "d";
  ASSERT_EQ(run_shopflow("batch " + reference_csv() + " --data " + data.string()).exit_code, 0);
  ClientCredentials analyst = add_client(data, "analyst", "sql");
  ClientCredentials reader = add_client(data, "reader", "read");
  uint16_t pg = free_port();
  ServeProcess serve(data, "--pg-listen 127.0.0.1:" + std::to_string(pg), 0, true);
  auto psql = [&](const ClientCredentials& c, const std::string& args) {
    return shell(t.path, "PGPASSWORD='" + c.secret + "' PGCONNECT_TIMEOUT=10 psql -X -A -t \"host=127.0.0.1 port=" + std::to_string(pg) +
                             " dbname=shopflow user=" + c.id + "\" " + args);
  };
  Shell figures = psql(analyst, "-c \"SELECT count(*), sum(amount) FROM transactions\" -c \"SELECT count(*) FROM cancellations; "
                                "SELECT reason, count(*) FROM rejected GROUP BY 1 ORDER BY 1\"");
  EXPECT_EQ(figures.code, 0) << figures.out;
  EXPECT_EQ(figures.out, text(kReferenceTransactions) + "|" + kReferenceRevenue + "\n" + text(kReferenceCancellations) + "\nnon_positive_price|" + text(kReferenceNonPositivePrice) + "\nnon_positive_quantity|" + text(kReferenceNonPositiveQuantity) + "\n");
  Shell lake = psql(analyst, "-c \"SELECT count(*) FROM lake.transactions\"");
  EXPECT_EQ(lake.out, text(kReferenceTransactions) + "\n");
  // psql's \d: its catalog queries, answered.
  Shell describe = psql(analyst, "-c '\\d transactions'");
  EXPECT_EQ(describe.code, 0) << describe.out;
  EXPECT_EQ(describe.out.find("year|bigint"), std::string::npos) << describe.out; // not the lake's view of that name
  EXPECT_NE(describe.out.find("unit_price|numeric(12,3)||not null|"), std::string::npos) << describe.out;
  EXPECT_NE(describe.out.find("invoice_date|timestamp without time zone||not null|"), std::string::npos) << describe.out;
  // Read-only without admin (SQLSTATE 25006), errors carry SQLSTATE, bad logins are refused.
  Shell write = psql(analyst, "-v VERBOSITY=verbose -c \"DELETE FROM transactions\"");
  EXPECT_NE(write.code, 0);
  EXPECT_NE(write.out.find("25006"), std::string::npos) << write.out;
  Shell syntax = psql(analyst, "-v VERBOSITY=verbose -c \"SELEC 1\"");
  EXPECT_NE(syntax.out.find("42601"), std::string::npos) << syntax.out;
  EXPECT_NE(psql({analyst.id, "wrong"}, "-c \"SELECT 1\"").out.find("password authentication failed"), std::string::npos);
  EXPECT_NE(psql(reader, "-c \"SELECT 1\"").out.find("lacks scope sql"), std::string::npos);

  write_file(t.path / "client.py", R"PY(
import sys, decimal, datetime, psycopg2
cid, secret, port = sys.argv[1:4]
con = psycopg2.connect(host="127.0.0.1", port=int(port), dbname="shopflow", user=cid, password=secret)
cur = con.cursor()
cur.execute("SELECT unit_price, invoice_date, quantity, customer_id FROM transactions "
            "WHERE invoice_no = %s AND stock_code = %s ORDER BY source LIMIT 1", ("536365", "85123A"))
price, when, qty, customer = cur.fetchone()
assert price == decimal.Decimal("2.550") and when == datetime.datetime(2010, 12, 1, 8, 26) and qty == 6, (price, when, qty)
cur.execute("SELECT %s::DECIMAL(12,3), %s::TIMESTAMP, %s::BIGINT, %s::BOOLEAN",
            (decimal.Decimal("12.345"), datetime.datetime(2010, 12, 24, 23, 59, 1), 2**40, True))
assert cur.fetchone() == (decimal.Decimal("12.345"), datetime.datetime(2010, 12, 24, 23, 59, 1), 2**40, True)
cur.execute("SELECT sum(amount) FROM transactions WHERE country = %s", ("United Kingdom",))
assert cur.fetchone()[0] == decimal.Decimal("748268.980")
con.commit()
# CancelRequest: a long query stops with SQLSTATE 57014.
import threading, time
threading.Timer(0.5, con.cancel).start()
try:
    cur.execute("SELECT count(*) FROM range(1000000000) a, range(1000) b")
    raise SystemExit("the query was not cancelled")
except psycopg2.errors.QueryCanceled:
    con.rollback()
cur.execute("SELECT 1")
assert cur.fetchone() == (1,)
# Concurrent sessions, each with its own connection, all answered correctly.
results = []
def session(i):
    c = psycopg2.connect(host="127.0.0.1", port=int(port), dbname="shopflow", user=cid, password=secret)
    k = c.cursor()
    for _ in range(5):
        k.execute("SELECT count(*) FROM transactions WHERE quantity > %s", (i,))
        results.append((i, k.fetchone()[0]))
    c.close()
threads = [threading.Thread(target=session, args=(i,)) for i in range(6)]
[t.start() for t in threads]
[t.join() for t in threads]
assert len(results) == 30, results
expected = {}
for i in range(6):
    cur.execute("SELECT count(*) FROM transactions WHERE quantity > %s", (i,))
    expected[i] = cur.fetchone()[0]
assert all(n == expected[i] for i, n in results), results
print("ok")
)PY");
  Shell py = shell(t.path, "/usr/bin/python3 " + (t.path / "client.py").string() + " " + analyst.id + " " + analyst.secret + " " +
                               std::to_string(pg));
  EXPECT_EQ(py.code, 0) << py.out;

  // psycopg 3 speaks the extended protocol: Parse/Bind/Describe/Execute/Sync, binary parameters,
  // and binary results when asked.
  write_file(t.path / "extended.py", R"PY(
import sys, decimal, datetime, psycopg
cid, secret, port = sys.argv[1:4]
con = psycopg.connect(host="127.0.0.1", port=int(port), dbname="shopflow", user=cid, password=secret)
cur = con.cursor()
cur.execute("SELECT %s::DECIMAL(12,3), %s::TIMESTAMP, %s::BIGINT, %s::BOOLEAN, %s::DOUBLE, %s::DATE",
            (decimal.Decimal("-12.345"), datetime.datetime(2010, 12, 24, 23, 59, 1), 2**40, True, 2.5, datetime.date(2010, 12, 9)))
assert cur.fetchone() == (decimal.Decimal("-12.345"), datetime.datetime(2010, 12, 24, 23, 59, 1), 2**40, True, 2.5,
                          datetime.date(2010, 12, 9))
b = con.cursor(binary=True)
b.execute("SELECT quantity, unit_price, invoice_date, CAST(invoice_date AS DATE), country, quantity > 5, amount::DOUBLE "
          "FROM transactions WHERE invoice_no = %s ORDER BY source LIMIT 1", ("536365",))
assert b.fetchone() == (6, decimal.Decimal("2.550"), datetime.datetime(2010, 12, 1, 8, 26), datetime.date(2010, 12, 1),
                        "United Kingdom", True, 15.3)
cur.execute("SELECT count(*) FROM transactions WHERE quantity > %s AND country = %s", (10, "United Kingdom"))
n = cur.fetchone()[0]
cur.execute("SELECT count(*) FROM transactions WHERE quantity > 10 AND country = 'United Kingdom'")
assert cur.fetchone()[0] == n and n > 0
try:
    cur.execute("DELETE FROM transactions WHERE invoice_no = %s", ("536365",))
    raise SystemExit("a read-only client deleted rows")
except psycopg.errors.ReadOnlySqlTransaction:
    con.rollback()
cur.execute("SELECT 1")
print("ok")
)PY");
  Shell extended = shell(t.path, "/usr/bin/python3 " + (t.path / "extended.py").string() + " " + analyst.id + " " + analyst.secret + " " +
                                     std::to_string(pg));
  EXPECT_EQ(extended.code, 0) << extended.out;

  // psqlODBC through unixODBC's isql (what Power BI and Tableau use on Windows).
  write_file(t.path / "odbcinst.ini", "[PostgreSQL Unicode]\nDriver = /usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so\n");
  // The credentials go in the DSN: a secret may begin with '-', which isql would take for an option.
  write_file(t.path / "odbc.ini", "[shopflow]\nDriver = PostgreSQL Unicode\nServername = 127.0.0.1\nPort = " + std::to_string(pg) +
                                      "\nDatabase = shopflow\nSSLmode = disable\nUsername = " + analyst.id +
                                      "\nPassword = " + analyst.secret + "\n");
  Shell odbc = shell(t.path, "echo 'SELECT count(*), sum(amount) FROM transactions' | ODBCSYSINI=" + t.path.string() + " ODBCINI=" +
                                 (t.path / "odbc.ini").string() + " isql -v -b -d, shopflow");
  EXPECT_EQ(odbc.code, 0) << odbc.out;
  EXPECT_NE(odbc.out.find(text(kReferenceTransactions) + "," + kReferenceRevenue), std::string::npos) << odbc.out;
  EXPECT_EQ(serve.stop(), 0) << serve.log();
}

TEST(Pgwire, TlsWhenTheServerHasACertificate) {
  TempDir t;
  fs::path data = t.path / "d";
  std::string cert = (t.path / "cert.pem").string(), key = (t.path / "key.pem").string();
  ASSERT_EQ(std::system(("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " +
                         key + " -out " + cert + " >/dev/null 2>&1").c_str()),
            0);
  ClientCredentials analyst = add_client(data, "analyst", "sql");
  uint16_t pg = free_port();
  ServeProcess serve(data, "--pg-listen 127.0.0.1:" + std::to_string(pg) + " --tls-cert " + cert + " --tls-key " + key, 0, true);
  auto psql = [&](const std::string& sslmode) {
    return shell(t.path, "PGPASSWORD='" + analyst.secret + "' PGCONNECT_TIMEOUT=10 psql -X -A -t \"host=127.0.0.1 port=" + std::to_string(pg) +
                             " dbname=shopflow user=" + analyst.id + " sslmode=" + sslmode + " sslrootcert=" + cert +
                             "\" -c 'SELECT 40 + 2' -c '\\conninfo'");
  };
  Shell verified = psql("verify-full");
  EXPECT_EQ(verified.code, 0) << verified.out;
  EXPECT_NE(verified.out.find("42\n"), std::string::npos) << verified.out;
  EXPECT_NE(verified.out.find("SSL connection"), std::string::npos) << verified.out;
  EXPECT_EQ(serve.stop(), 0) << serve.log();
}

// The analyst's dashboard in headless Chromium: sign-in errors and who is signed in, KPI tiles,
// filters, a drill-down, log/share views, PNG export, the console and saved queries, 420 px
// (tests/browser/dashboard.js checks each against the server's own SQL answers).
TEST(Dashboard, AnalystWorkflowInHeadlessChromium) {
  TempDir t;
  fs::path data = t.path / "d";
  ASSERT_EQ(run_shopflow("batch " + reference_csv() + " --data " + data.string()).exit_code, 0);
  ClientCredentials analyst = add_client(data, "analyst", "read,sql");
  ClientCredentials admin = add_client(data, "admin", "read,sql,admin");
  ServeProcess serve(data, "--sinks warehouse,tables,lake,notify", 0, true);
  // A subscription whose webhook is down, tried once: the admin's view shows the failure.
  const std::string on = " --data " + data.string();
  ASSERT_EQ(run_shopflow("notify add --id hook-down --webhook http://127.0.0.1:1/hook --secret 0123456789abcdef" + on).exit_code, 0);
  RunResult tried = run_shopflow("notify test hook-down" + on);
  EXPECT_NE(tried.out.find("\"delivered\":false"), std::string::npos) << tried.out << tried.err;
  // The screenshots stay in the test's output folder: build/Testing/dashboard/dashboard{,-420}.png.
  fs::path out = fs::path(SHOPFLOW_BUILD_DIR) / "Testing" / "dashboard";
  fs::create_directories(out);
  Shell browser = shell(t.path, "NODE_PATH=" + std::string(SHOPFLOW_SOURCE_DIR) + "/third_party/playwright/node_modules node " +
                                    SHOPFLOW_SOURCE_DIR + "/tests/browser/dashboard.js " + serve.url() + " " + analyst.id + " " +
                                    analyst.secret + " " + out.string() + " " + text(kReferenceTransactions) + " '£823,746.14' " + admin.id + " " + admin.secret + " hook-down");
  EXPECT_EQ(browser.code, 0) << browser.out;
  EXPECT_TRUE(fs::exists(out / "dashboard.png"));
  EXPECT_TRUE(fs::exists(out / "dashboard-420.png"));
  EXPECT_EQ(serve.stop(), 0) << serve.log();
}
