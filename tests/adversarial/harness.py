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
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from loopback_port import free_port  # noqa: E402

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


class Reference:
    """What `shopflow batch` stores of a file: the yardstick a streamed copy must equal, field by
    field. counts per warehouse table, rejected by reason, revenue, FINGERPRINT_SQL's values."""

    def __init__(self, path):
        self.path = path
        with tempfile.TemporaryDirectory(prefix="shopflow-reference-") as d:
            subprocess.run([SHOPFLOW, "batch", path, "--data", d], check=True, capture_output=True)

            def query(sql):
                out = subprocess.run([SHOPFLOW, "sql", sql, "--data", d, "--format", "json"], check=True, capture_output=True, text=True)
                return json.loads(out.stdout)
            self.counts = {t: query(f"SELECT count(*) AS n FROM {t}")[0]["n"] for t in ("transactions", "cancellations", "rejected")}
            self.rejected = {r["reason"]: r["n"] for r in query("SELECT reason, count(*) AS n FROM rejected GROUP BY 1")}
            self.revenue = query("SELECT CAST(sum(amount) AS VARCHAR) AS r FROM transactions")[0]["r"]
            self.fingerprints = {t: query(sql)[0]["fingerprint"] for t, sql in FINGERPRINT_SQL.items()}

    def total(self):
        return sum(self.counts.values())


_december = []


def december():
    """The December file's Reference, checked once against CONTRACT.md's figures."""
    if not _december:
        ref = Reference(REFERENCE)
        check(ref.counts == REFERENCE_COUNTS and ref.rejected == REFERENCE_REJECTED and ref.revenue == REFERENCE_REVENUE,
              f"a batch import of the December file disagrees with CONTRACT.md: {ref.counts} {ref.rejected} {ref.revenue}")
        _december.append(ref)
    return _december[0]


class Failure(AssertionError):
    pass


class Skip(Exception):
    """The suite cannot run on this machine (the message says why); ctest reports it skipped."""
    SKIP_RETURN_CODE = 77


def check(condition, message):
    if not condition:
        raise Failure(message)


def cases(suite):
    """Rows of cases/<suite>.tsv as (line number, fields) (blank lines and '#' comments skipped)."""
    return read_cases(os.path.join(HERE, "cases", suite + ".tsv"))


def read_cases(path):
    """Rows of a tab-separated file of cases as (line number, fields), skipping blanks and '#'."""
    out = []
    with open(path, newline="") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            out.append((lineno, line.split("\t")))
    return out


def segments(data, shard):
    """A log shard's segment files, oldest first."""
    d = os.path.join(data, "log", f"shard-{shard}")
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".seg"))


def flip_byte(path, fraction):
    """Flips one byte at `fraction` of a segment's data (not its preallocated zeros); returns where."""
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        data = f.read()
        end = len(data.rstrip(b"\0")) or size  # the active segment's preallocated zeros are not data
        at = min(end - 1, max(40, int(end * fraction)))
        f.seek(at)
        f.write(bytes([data[at] ^ 0x5A]))
    return at


class Tmpfs:
    """A tmpfs of `size_mb` MiB on a temp dir (Skip where it cannot be mounted). hold() keeps it full with ballast files until
    release(): space that the server frees (RocksDB reopening its log, say) is taken again, as
    another process filling the disk would."""

    def __init__(self, size_mb):
        self.dir = tempfile.mkdtemp(prefix="shopflow-diskfull-")
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", self.dir], capture_output=True, text=True)
        if r.returncode != 0:
            os.rmdir(self.dir)
            raise Skip(f"cannot mount a tmpfs to fill up (needs root or CAP_SYS_ADMIN): {r.stderr.strip()}")
        self.ballast = []
        self.holding = None

    def free_mb(self):
        st = os.statvfs(self.dir)
        return st.f_bavail * st.f_frsize / (1 << 20)

    def fill(self, leave_mb):
        """Writes ballast files (64 KiB, then single pages) until at most leave_mb MiB are free."""
        for size in (64 << 10, 4 << 10):
            while self.free_mb() - size / (1 << 20) >= leave_mb:
                path = os.path.join(self.dir, f"ballast-{len(self.ballast)}")
                self.ballast.append(path)
                try:
                    with open(path, "wb") as f:
                        f.write(b"\xa5" * size)
                except OSError:  # the server took the space first
                    break

    def hold(self, leave_mb):
        if self.holding:
            self.holding[0].set()
            self.holding[1].join()
        self.fill(leave_mb)
        stop = threading.Event()

        def keep_full():
            while not stop.wait(0.002):
                self.fill(leave_mb)
        thread = threading.Thread(target=keep_full, daemon=True)
        thread.start()
        self.holding = (stop, thread)

    def release(self):
        if self.holding:
            self.holding[0].set()
            self.holding[1].join()
            self.holding = None
        for path in self.ballast:
            if os.path.exists(path):
                os.remove(path)
        self.ballast = []

    def close(self):
        self.release()
        subprocess.run(["umount", "-l", self.dir])
        os.rmdir(self.dir)


class Server:
    """`shopflow serve` in a temp dir, with pgwire, stopped (SIGTERM) by stop() or on exit."""

    def __init__(self, extra_args=(), data=None, port=0):
        """port 0: any free port, anew at each start."""
        self.tmp = tempfile.mkdtemp(prefix="shopflow-adversarial-")
        self.data = data or os.path.join(self.tmp, "d")
        self.listen_port = port
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
            [SHOPFLOW, "serve", "--data", self.data, "--listen", f"127.0.0.1:{self.listen_port}", "--pg-listen", f"127.0.0.1:{self.pg_port}"]
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

    def log_with(self, *needles, seconds=5):
        """The log once every needle is in it, or as it is after `seconds` (a running server writes
        its lines in blocks, at most a second late)."""
        deadline = time.time() + seconds
        while True:
            log = self.log()
            if all(n in log for n in needles) or time.time() > deadline:
                return log
            time.sleep(0.1)

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

    def wait_caught_up(self, token, expected_total, timeout=60, rejected=None):
        """Waits until the warehouse holds expected_total rows and the lake all but the
        `rejected` ones (default: the December file's)."""
        rejected = REFERENCE_COUNTS["rejected"] if rejected is None else rejected
        deadline = time.time() + timeout
        q = ("SELECT (SELECT count(*) FROM transactions) + (SELECT count(*) FROM cancellations) + "
             "(SELECT count(*) FROM rejected), "
             "(SELECT count(*) FROM lake.transactions) + (SELECT count(*) FROM lake.cancellations)")
        last = None
        while time.time() < deadline:
            status, body = self.sql(token, q)
            if status == 200:
                last = json.loads(body)["rows"][0]
                if last[0] == expected_total and last[1] == expected_total - rejected:
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

    def expect_reference_sinks(self, token, sent_as_csv=True, reference=None):
        """Every sink holds the file of `reference` (default: the December file) exactly once:
        the warehouse's rows field by field (FINGERPRINT_SQL; rejected rows' raw text only if
        every row was sent as CSV, the batch import's format), the lake's counts, and the tables'
        lines of every invoice against the warehouse's."""
        ref = reference or december()
        for table, n in ref.counts.items():
            got = self.scalar(token, f"SELECT count(*) FROM {table}")
            check(got == n, f"warehouse {table}: {got} rows, expected {n}")
        check(self.scalar(token, "SELECT count(DISTINCT source) FROM transactions") == ref.counts["transactions"],
              "a transaction line is stored twice")
        revenue = self.scalar(token, "SELECT CAST(sum(amount) AS VARCHAR) FROM transactions")
        check(revenue == ref.revenue, f"revenue {revenue}, expected {ref.revenue}")
        status, body = self.sql(token, "SELECT reason, count(*) FROM rejected GROUP BY 1 ORDER BY 1")
        reasons = {r[0]: r[1] for r in json.loads(body)["rows"]} if status == 200 else body
        check(reasons == ref.rejected, f"rejected by reason: {reasons}, expected {ref.rejected}")
        for table, sql in FINGERPRINT_SQL.items():
            if table == "rejected" and not sent_as_csv:
                continue
            status, body = self.sql(token, sql)
            check(status == 200, f"{sql}: {status} {body[:300]}")
            got = json.loads(body)["rows"][0][0]
            check(got == ref.fingerprints[table], f"warehouse {table}: its rows differ from a batch import of the same file "
                                                  f"(fingerprint {got}, expected {ref.fingerprints[table]})")
        for table in ("transactions", "cancellations"):
            got = self.scalar(token, f"SELECT count(*) FROM lake.{table}")
            check(got == ref.counts[table], f"lake {table}: {got} rows, expected {ref.counts[table]}")
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
