"""The dashboard's HTTP API (cases.tsv) on a server holding the December file, then a damaged
saved-queries file: reported by name, never overwritten."""

import json
import os
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "adversarial"))
from harness import REFERENCE, SHOPFLOW, Server, check, main, read_cases  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def at(doc, path):
    """The value at a dotted path (numbers index arrays); KeyError if there is none."""
    for part in path.split("."):
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def expect(lineno, checks, status, body, headers):
    doc = json.loads(body) if body else None
    headers = {k.lower(): v for k, v in headers.items()}
    for c in checks.split(";") if checks != "-" else []:
        where = f"line {lineno}: {c}"
        if c.startswith("H:"):
            name, _, value = c[2:].partition("=")
            got = headers.get(name.lower())
            check(got == (None if value == "-" else value), f"{where}: header is {got!r}")
        elif c.startswith("error~"):
            check(c[6:] in doc.get("error", ""), f"{where}: error is {doc.get('error')!r}")
        elif "#=" in c:
            path, _, n = c.partition("#=")
            if n == "-":
                check(path.split(".")[0] not in doc, f"{where}: present")
                continue
            value = at(doc, path)
            value = value["rows"] if isinstance(value, dict) and "rows" in value else value
            check(len(value) == int(n), f"{where}: {len(value)} elements")
        else:
            path, _, want = c.partition("=")
            # Numbers are compared as their text (823746.140 keeps its scale).
            got = at(json.loads(body, parse_float=str, parse_int=str), path)
            want = json.loads(want, parse_float=str, parse_int=str)
            check(got == want, f"{where}: got {got!r}")


def run():
    server = Server()
    try:
        subprocess.run([SHOPFLOW, "batch", REFERENCE, "--data", server.data], check=True, capture_output=True)
        server.add_client("analyst", "read,sql")
        server.add_client("ingester", "ingest")
        server.start()
        tokens = {name: server.token(name) for name in ("analyst", "reader", "ingester")}
        analyst_id, analyst_secret = server.clients["analyst"]
        for lineno, (client, method, target, body, status, checks) in read_cases(os.path.join(HERE, "cases.tsv")):
            subst = lambda s: s.replace("<analyst>", analyst_id).replace("<LONG_NAME>", "n" * 101)
            target, checks = subst(target), subst(checks)
            raw = b"" if body == "-" else subst(body).replace("\\n", "\n").encode().replace(b"\\xff", b"\xff")
            headers = {"Content-Type": "application/x-www-form-urlencoded"} if target == "/oauth2/token" else {}
            if client in tokens:
                headers["Authorization"] = "Bearer " + tokens[client]
            elif client == "basic":
                headers["Authorization"] = "Basic " + __import__("base64").b64encode(f"{analyst_id}:wrong".encode()).decode()
            got_status, answer, got_headers = server.request(method, target, raw, headers)
            check(got_status == int(status), f"line {lineno}: {method} {target}: {got_status} {answer[:300]!r}, expected {status}")
            expect(lineno, checks, got_status, answer, got_headers)
            print(f"ok line {lineno}: {method} {target[:60]} -> {got_status}")

        # /metrics counts SQL requests by outcome: the dashboard's queries answered, a refused one.
        status, _, _ = server.request("POST", "/v1/sql", b"COPY transactions TO '/tmp/x.csv'", {"Authorization": "Bearer " + tokens["analyst"]})
        check(status == 403, f"COPY over /v1/sql: {status}")
        status, body, _ = server.request("GET", "/metrics")
        samples = dict(line.rsplit(" ", 1) for line in body.decode().splitlines() if line and not line.startswith("#"))
        for outcome in ("answered", "refused", "over_limit", "timed_out", "failed"):
            check(f'shopflow_sql_requests_total{{outcome="{outcome}"}}' in samples, f"/metrics has no SQL {outcome} count")
        check(float(samples['shopflow_sql_requests_total{outcome="answered"}']) >= 20, "dashboard queries not counted as answered SQL")
        check(float(samples['shopflow_sql_requests_total{outcome="refused"}']) >= 1, "a refused statement not counted")
        check(float(samples["shopflow_sql_seconds_total"]) > 0, "no SQL time counted")
        print("ok SQL metrics")

        # A damaged file is named in the answer and left as it was; the rest of the server works on.
        saved = os.path.join(server.data, "saved-queries.json")
        with open(saved, "w") as f:
            f.write("{\"queries\": [ {\"name\": ")
        auth = {"Authorization": "Bearer " + tokens["analyst"]}
        status, answer, _ = server.request("GET", "/v1/saved-queries", b"", auth)
        check(status == 500 and b"saved-queries.json is not a saved-queries file" in answer, f"damaged file: {status} {answer!r}")
        status, answer, _ = server.request("PUT", "/v1/saved-queries/x", b"SELECT 1", auth)
        check(status == 500, f"save over a damaged file: {status} {answer!r}")
        with open(saved) as f:
            check(f.read() == "{\"queries\": [ {\"name\": ", "the damaged file was overwritten")
        status, answer, _ = server.request("GET", "/v1/dashboard?only=kpis", b"", auth)
        check(status == 200, f"dashboard with a damaged saved-queries file: {status}")
        print("ok damaged saved-queries file")
        check(server.stop() == 0, "serve did not stop cleanly: " + server.log())
    finally:
        server.close()


main({"api": run})
