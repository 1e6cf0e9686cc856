"""What every adversarial suite shares: a real `shopflow serve` (access control on, pgwire on, free
loopback ports, a temp data dir), its clients, HTTP and PostgreSQL-protocol calls, the December
file streamed in, and the check that every sink holds exactly the reference figures.

Suites are data: each reads its cases from cases/<suite>.tsv (tab-separated, '#' comments), so
adding an attack is adding a line. Run by ctest as `python3 run.py SUITE`."""

import base64
import csv
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SHOPFLOW = os.environ["SHOPFLOW_BIN"]
SHARED_DATA = os.environ["SHOPFLOW_SHARED_DATA"]
REFERENCE = os.path.join(SHARED_DATA, "online_retail_2010-12.csv")

# CONTRACT.md's figures for the December file.
REFERENCE_COUNTS = {"transactions": 41480, "cancellations": 728, "rejected": 273}
REFERENCE_REJECTED = {"non_positive_price": 203, "non_positive_quantity": 70}
REFERENCE_REVENUE = "823746.140"

# One MD5 per warehouse table over every stored field but the line's identity and arrival time,
# in a fixed order: two stores hold the same rows exactly when their fingerprints agree.
LINE_FIELDS = "invoice_no, stock_code, description, quantity, invoice_date, unit_price, amount, customer_id, country, line_type"
FINGERPRINT_SQL = {
    table: f"SELECT md5(string_agg(l, chr(10) ORDER BY l)) AS fingerprint FROM (SELECT concat_ws('|', {fields}) AS l FROM {table})"
    for table, fields in (("transactions", LINE_FIELDS), ("cancellations", LINE_FIELDS), ("rejected", "raw, reason, detail"))
}
_reference_fingerprints = {}


def reference_fingerprints():
    """FINGERPRINT_SQL over the December file imported by `shopflow batch` (computed once)."""
    if not _reference_fingerprints:
        with tempfile.TemporaryDirectory(prefix="shopflow-reference-") as d:
            subprocess.run([SHOPFLOW, "batch", REFERENCE, "--data", d], check=True, capture_output=True)
            for table, sql in FINGERPRINT_SQL.items():
                out = subprocess.run([SHOPFLOW, "sql", sql, "--data", d, "--format", "json"], check=True, capture_output=True, text=True)
                _reference_fingerprints[table] = json.loads(out.stdout)[0]["fingerprint"]
    return _reference_fingerprints


class Failure(AssertionError):
    pass


class Skip(Exception):
    """The suite cannot run on this machine (the message says why); ctest reports it skipped."""
    SKIP_RETURN_CODE = 77


def check(condition, message):
    if not condition:
        raise Failure(message)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cases(suite):
    """Rows of cases/<suite>.tsv as lists of fields (blank lines and '#' comments skipped)."""
    out = []
    with open(os.path.join(HERE, "cases", suite + ".tsv"), newline="") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            out.append((lineno, line.split("\t")))
    return out


class Server:
    """`shopflow serve` in a temp dir, with pgwire, stopped (SIGTERM) by stop() or on exit."""

    def __init__(self, extra_args=(), data=None):
        self.tmp = tempfile.mkdtemp(prefix="shopflow-adversarial-")
        self.data = data or os.path.join(self.tmp, "d")
        self.pg_port = free_port()
        self.extra_args = list(extra_args)
        self.proc = None
        self.clients = {}

    def add_client(self, name, scopes):
        out = subprocess.run([SHOPFLOW, "clients", "add", name, "--scopes", scopes, "--data", self.data, "--json"],
                             check=True, capture_output=True, text=True).stdout
        c = json.loads(out)
        self.clients[name] = (c["client_id"], c["client_secret"])
        return self.clients[name]

    def start(self):
        if "reader" not in self.clients:
            self.add_client("reader", "read")
        self.out = open(os.path.join(self.tmp, "serve.out"), "w+")
        self.err_path = os.path.join(self.tmp, "serve.err")
        self.err = open(self.err_path, "a")
        self.proc = subprocess.Popen(
            [SHOPFLOW, "serve", "--data", self.data, "--listen", "127.0.0.1:0", "--pg-listen", f"127.0.0.1:{self.pg_port}"]
            + self.extra_args, stdout=self.out, stderr=self.err)
        deadline = time.time() + 60
        while time.time() < deadline:
            self.out.seek(0)
            text = self.out.read()
            if "listening on " in text:
                url = text.split("listening on ")[1].split()[0]
                self.port = int(url.rsplit(":", 1)[1])
                return self
            check(self.proc.poll() is None, f"serve exited with {self.proc.returncode}: {self.log()}")
            time.sleep(0.05)
        raise Failure("serve did not start: " + self.log())

    def log(self):
        with open(self.err_path) as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise Failure("serve did not stop within 2 minutes: " + self.log())
        code = self.proc.returncode if self.proc else None
        self.proc = None
        return code

    def close(self):
        self.stop(signal.SIGKILL)
        shutil.rmtree(self.tmp, ignore_errors=True)

    # HTTP ---------------------------------------------------------------------------------------
    def request(self, method, path, body=b"", headers=None, timeout=60):
        con = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            con.request(method, path, body=body, headers=headers or {})
            r = con.getresponse()
            return r.status, r.read(), dict(r.getheaders())
        finally:
            con.close()

    def token(self, name):
        cid, secret = self.clients[name]
        basic = base64.b64encode(f"{cid}:{secret}".encode()).decode()
        status, body, _ = self.request("POST", "/oauth2/token", b"grant_type=client_credentials",
                                       {"Authorization": "Basic " + basic, "Content-Type": "application/x-www-form-urlencoded"})
        check(status == 200, f"token for {name}: {status} {body[:200]}")
        return json.loads(body)["access_token"]

    def sql(self, token, text, query="", headers=None):
        status, body, _ = self.request("POST", "/v1/sql" + query, text.encode(), {"Authorization": "Bearer " + token, **(headers or {})})
        return status, body.decode("utf-8", "replace")

    def scalar(self, token, text):
        status, body = self.sql(token, text)
        check(status == 200, f"{text}: {status} {body[:300]}")
        return json.loads(body)["rows"][0][0]

    # pgwire -------------------------------------------------------------------------------------
    def pg(self, name, **kw):
        import psycopg2
        cid, secret = self.clients[name]
        return psycopg2.connect(host="127.0.0.1", port=self.pg_port, dbname="shopflow", user=cid, password=secret,
                                connect_timeout=10, **kw)

    # Data ---------------------------------------------------------------------------------------
    def stream_reference(self, token, batch_rows=5000):
        """POSTs the December file as CSV bodies of batch_rows rows, each under an Idempotency-Key."""
        with open(REFERENCE, newline="", encoding="utf-8") as f:
            lines = f.read().splitlines(keepends=True)
        header, rows = lines[0], lines[1:]
        for i in range(0, len(rows), batch_rows):
            body = (header + "".join(rows[i:i + batch_rows])).encode()
            status, answer, _ = self.request("POST", "/v1/records", body,
                                             {"Authorization": "Bearer " + token, "Content-Type": "text/csv",
                                              "Idempotency-Key": f"reference-{i}"})
            check(status == 200, f"POST rows {i}..: {status} {answer[:300]}")
        return len(rows)

    def wait_caught_up(self, token, expected_total, timeout=60):
        """Waits until the warehouse and the lake hold expected_total rows."""
        deadline = time.time() + timeout
        q = ("SELECT (SELECT count(*) FROM transactions) + (SELECT count(*) FROM cancellations) + "
             "(SELECT count(*) FROM rejected), "
             "(SELECT count(*) FROM lake.transactions) + (SELECT count(*) FROM lake.cancellations)")
        last = None
        while time.time() < deadline:
            status, body = self.sql(token, q)
            if status == 200:
                last = json.loads(body)["rows"][0]
                if last[0] == expected_total and last[1] == expected_total - REFERENCE_COUNTS["rejected"]:
                    return self.wait_sinks_idle()
            time.sleep(0.1)
        raise Failure(f"sinks did not catch up to {expected_total} rows: {last}")

    def wait_sinks_idle(self, timeout=60):
        """Waits until every sink (the tables too, which have no SQL face) has stored the whole log."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            status, body, _ = self.request("GET", "/metrics")
            lags = [int(l.rsplit(" ", 1)[1]) for l in body.decode().splitlines() if l.startswith("shopflow_sink_lag_records{")]
            if status == 200 and lags and not any(lags):
                return
            time.sleep(0.1)
        raise Failure("the sinks did not catch up with the log: " + body.decode()[:500])

    def expect_reference_sinks(self, token, sent_as_csv=True):
        """Every sink holds the December file exactly once: the warehouse's rows field by field
        (fingerprints against a batch import; rejected rows' raw text only if every row was sent
        as CSV, the batch import's format), the lake's counts, and the tables' lines of every
        invoice against the warehouse's."""
        for table, n in REFERENCE_COUNTS.items():
            got = self.scalar(token, f"SELECT count(*) FROM {table}")
            check(got == n, f"warehouse {table}: {got} rows, expected {n}")
        check(self.scalar(token, "SELECT count(DISTINCT source) FROM transactions") == REFERENCE_COUNTS["transactions"],
              "a transaction line is stored twice")
        revenue = self.scalar(token, "SELECT CAST(sum(amount) AS VARCHAR) FROM transactions")
        check(revenue == REFERENCE_REVENUE, f"revenue {revenue}, expected {REFERENCE_REVENUE}")
        status, body = self.sql(token, "SELECT reason, count(*) FROM rejected GROUP BY 1 ORDER BY 1")
        reasons = {r[0]: r[1] for r in json.loads(body)["rows"]} if status == 200 else body
        check(reasons == REFERENCE_REJECTED, f"rejected by reason: {reasons}, expected {REFERENCE_REJECTED}")
        for table, sql in FINGERPRINT_SQL.items():
            if table == "rejected" and not sent_as_csv:
                continue
            status, body = self.sql(token, sql)
            check(status == 200, f"{sql}: {status} {body[:300]}")
            got, want = json.loads(body)["rows"][0][0], reference_fingerprints()[table]
            check(got == want, f"warehouse {table}: its rows differ from a batch import of the same file "
                               f"(fingerprint {got}, expected {want})")
        for table in ("transactions", "cancellations"):
            got = self.scalar(token, f"SELECT count(*) FROM lake.{table}")
            check(got == REFERENCE_COUNTS[table], f"lake {table}: {got} rows, expected {REFERENCE_COUNTS[table]}")
        status, body = self.sql(token, "SELECT invoice_no, count(*) FROM (SELECT invoice_no FROM transactions UNION ALL "
                                       "SELECT invoice_no FROM cancellations) GROUP BY 1", "?max_rows=1000000")
        check(status == 200, body[:300])
        expected = {row[0]: row[1] for row in json.loads(body)["rows"]}
        read = self.token("reader")
        con = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        for invoice, lines in expected.items():
            con.request("GET", "/v1/invoices/" + urllib.parse.quote(invoice, safe=""), headers={"Authorization": "Bearer " + read})
            r = con.getresponse()
            got = json.loads(r.read())
            check(r.status == 200 and got["line_count"] == lines and len(got["lines"]) == lines,
                  f"tables: invoice {invoice} has {got.get('line_count')} lines, the warehouse {lines}")
        con.close()


def main(suites):
    """Runs run(server) of each suite module named on the command line; prints one line per case."""
    name = sys.argv[1]
    try:
        suites[name]()
    except Failure as e:
        print(f"FAILED: {e}", file=sys.stderr)
        sys.exit(1)
    except Skip as e:
        print(f"SKIPPED: {e}", file=sys.stderr)
        sys.exit(Skip.SKIP_RETURN_CODE)
    print(f"{name}: all cases passed")
