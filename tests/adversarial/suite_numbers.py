"""Every number is right (issue 13, section 3): money bounds (cases/money.tsv) through the stream
and a batch import alike, sums past 64 bits exact in every sink, and a property test: for every
customer of a generated file, each invoice summary of GET /v1/customers equals SQL over the warehouse."""

import csv
import io
import json
import os
import subprocess
import urllib.parse

from harness import SHOPFLOW, Server, cases, check

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
BIG_LINES = 20  # lines of 999,999,999,999,000 each in one invoice: the sum passes 2^63 thousandths


def money_csv(prefix, rows):
    out = io.StringIO()
    out.write(HEADER)
    for n, (qty, price, *_rest) in rows:
        out.write(f"{prefix}{n},M1,money case,{qty},2010-12-01 08:00:00,{price},90001,United Kingdom\n")
    for i in range(BIG_LINES):
        out.write(f"{prefix}BIG,B{i},big line,1000000,2010-12-01 09:00:00,999999999.999,90002,United Kingdom\n")
    return out.getvalue()


def run():
    server = Server()
    try:
        server.add_client("loader", "ingest")
        server.add_client("analyst", "sql")
        server.start()
        loader, analyst = server.token("loader"), server.token("analyst")
        reader = server.token("reader")
        rows = [(n, fields) for n, (lineno, fields) in enumerate(cases("money"))]
        flat = [(n, f) for n, f in rows]
        stream_body = money_csv("S", [(n, f) for n, f in flat]).encode()
        status, answer, _ = server.request("POST", "/v1/records", stream_body, {
            "Authorization": "Bearer " + loader, "Content-Type": "text/csv"})
        check(status == 200, f"POST: {status} {answer[:300]}")
        batch_file = os.path.join(server.tmp, "money.csv")
        with open(batch_file, "w") as f:
            f.write(money_csv("T", flat))
        done = subprocess.run([SHOPFLOW, "batch", batch_file, "--data", server.data], capture_output=True, text=True)
        check(done.returncode == 0, f"batch: {done.stdout} {done.stderr}")
        # Property data: a generated file, half streamed, half batch-imported.
        gen = os.path.join(server.tmp, "gen.csv")
        subprocess.run([SHOPFLOW, "gen", "--rows", "30000", "--seed", "13", "--out", gen], check=True, capture_output=True)
        with open(gen) as f:
            lines = f.read().splitlines(keepends=True)
        half = len(lines) // 2
        for a in range(1, half, 5000):
            body = (lines[0] + "".join(lines[a:min(half, a + 5000)])).encode()
            status, answer, _ = server.request("POST", "/v1/records", body, {"Authorization": "Bearer " + loader, "Content-Type": "text/csv"})
            check(status == 200, f"POST generated: {status} {answer[:200]}")
        second = os.path.join(server.tmp, "gen-second-half.csv")
        with open(second, "w") as f:
            f.write(lines[0] + "".join(lines[half:]))
        done = subprocess.run([SHOPFLOW, "batch", second, "--data", server.data], capture_output=True, text=True)
        check(done.returncode == 0, f"batch generated: {done.stdout} {done.stderr}")
        expected_total = (len(lines) - 1) + 2 * (len(rows) + BIG_LINES)
        wait_all(server, analyst, expected_total)

        failures = []
        for n, (qty, price, where, what) in flat:
            for prefix, path in (("S", "stream"), ("T", "batch")):
                inv = f"{prefix}{n}"
                if where == "transactions":
                    got = server.scalar(analyst, f"SELECT CAST(amount AS VARCHAR) FROM transactions WHERE invoice_no = '{inv}'")
                    if got != what:
                        failures.append(f"cases/money.tsv row {n + 1} ({path}): amount {got}, expected {what}")
                    status, body, _ = server.request("GET", "/v1/invoices/" + inv, headers={"Authorization": "Bearer " + reader})
                    if status != 200 or json.loads(body)["amount"] != json.loads(what):
                        failures.append(f"cases/money.tsv row {n + 1} ({path}): tables say {body[:200]}")
                else:
                    status, body = server.sql(analyst, f"SELECT reason, detail FROM rejected WHERE raw LIKE '{inv},%'")
                    got = json.loads(body)["rows"] if status == 200 else body
                    if not got or got[0][0] != "malformed" or what not in got[0][1]:
                        failures.append(f"cases/money.tsv row {n + 1} ({path}): rejected as {got}, expected malformed '{what}'")
        for prefix in ("S", "T"):
            total = server.scalar(analyst, f"SELECT CAST(sum(amount) AS VARCHAR) FROM transactions WHERE invoice_no = '{prefix}BIG'")
            check(total == f"{999999999999000 * BIG_LINES}.000", f"warehouse sum {total}")
            status, body, _ = server.request("GET", f"/v1/invoices/{prefix}BIG", headers={"Authorization": "Bearer " + reader})
            check(status == 200 and body.decode().count(f'"amount":{999999999999000 * BIG_LINES},') == 1,
                  f"tables' invoice total: {body[:200]}")
        status, body, _ = server.request("GET", "/v1/customers/90002", headers={"Authorization": "Bearer " + reader})
        check(f'"amount":{2 * 999999999999000 * BIG_LINES},' in body.decode(), f"customer total: {body[:300]}")
        check(not failures, "\n".join(failures))

        customers_match_sql(server, analyst, reader)
        check(server.stop() == 0, "serve did not stop cleanly: " + server.log())
    finally:
        server.close()


def wait_all(server, token, total):
    import time
    deadline = time.time() + 60
    q = "SELECT (SELECT count(*) FROM transactions) + (SELECT count(*) FROM cancellations) + (SELECT count(*) FROM rejected)"
    while time.time() < deadline:
        if server.scalar(token, q) == total:
            return server.wait_sinks_idle()
        time.sleep(0.1)
    raise AssertionError(f"the sinks did not reach {total} rows: {server.scalar(token, q)}")


def customers_match_sql(server, analyst, reader):
    """For every customer, GET /v1/customers/{id} equals the same aggregate over the warehouse."""
    status, body = server.sql(analyst, """
        SELECT customer_id, invoice_no, strftime(min(invoice_date), '%Y-%m-%d %H:%M:%S'), min(country), count(*),
               sum(quantity), CAST(sum(amount) AS VARCHAR)
        FROM (SELECT * FROM transactions UNION ALL SELECT * FROM cancellations)
        GROUP BY 1, 2 ORDER BY 1, 2""", "?max_rows=1000000")
    check(status == 200, body[:300])
    expected = {}
    for cid, inv, date, country, lines, qty, amount in json.loads(body)["rows"]:
        expected.setdefault(cid, {})[inv] = {"invoice_date": date, "country": country, "lines": lines, "quantity": qty,
                                             "amount": json.loads(amount.rstrip("0").rstrip(".") if "." in amount else amount)}
    check(len(expected) > 100, f"only {len(expected)} customers")
    import http.client
    con = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    mismatches = []
    for cid, invoices in expected.items():
        con.request("GET", "/v1/customers/" + urllib.parse.quote(cid, safe="") + "?page_size=1000",
                    headers={"Authorization": "Bearer " + reader})
        r = con.getresponse()
        doc = json.loads(r.read())
        got = {i["invoice_no"]: {k: i[k] for k in ("invoice_date", "country", "lines", "quantity", "amount")} for i in doc.get("invoices", [])}
        if got != invoices:
            diff = [(inv, got.get(inv), want) for inv, want in invoices.items() if got.get(inv) != want][:3]
            mismatches.append(f"customer {cid}: {diff}")
    con.close()
    check(not mismatches, f"{len(mismatches)} customers differ from SQL, e.g.\n" + "\n".join(mismatches[:5]))
