"""psql 15 (Debian's postgresql-client) against pgwire: cases.tsv, one psql command per line, and
column_names.tsv, result column names, and arrays.tsv, lists as PostgreSQL arrays, on a server
holding the December file."""

import ast
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "adversarial"))
from harness import REFERENCE, SHOPFLOW, Server, check, main, read_cases  # noqa: E402


def expect_metrics(server, logins):
    """/metrics parses as Prometheus text and holds pgwire's, the process's and the build's figures,
    a status code on the request histogram and every rejection reason (at 0 too)."""
    server.request("GET", "/healthz")
    status, body, _ = server.request("GET", "/metrics")
    check(status == 200, f"/metrics: {status}")
    samples = {}
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    for name in ("process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds", "process_start_time_seconds",
                 "shopflow_pg_sessions", 'shopflow_pg_statements_total{outcome="failed"}'):
        check(name in samples, f"/metrics has no {name}")
    check(samples["shopflow_pg_logins_total"] >= logins, f"pgwire logins: {samples['shopflow_pg_logins_total']} < {logins}")
    check(samples['shopflow_pg_statements_total{outcome="run"}'] >= logins, "pgwire statements not counted")
    check(any(n.startswith("shopflow_build_info{version=") for n in samples), "no build info")
    for reason, n in (("malformed", 0), ("bad_debt", 0), ("non_positive_quantity", 70), ("non_positive_price", 203)):
        check(samples.get(f'shopflow_rejected_rows{{reason="{reason}"}}') == n, f"rejected rows of {reason}: {samples}")
    check(any('code="200"' in n for n in samples if n.startswith("shopflow_request_duration_seconds_count")), "no status code label")


def run():
    server = Server()
    try:
        subprocess.run([SHOPFLOW, "batch", REFERENCE, "--data", server.data], check=True, capture_output=True)
        cid, secret = server.add_client("analyst", "sql")
        server.start()
        dsn = f"host=127.0.0.1 port={server.pg_port} dbname=shopflow user={cid} sslmode=disable connect_timeout=10"
        failures = []
        cases = read_cases(os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases.tsv"))
        for lineno, (command, expected, *code) in cases:
            r = subprocess.run(["psql", "-X", dsn, "-c", command], capture_output=True, text=True, timeout=60,
                               env={**os.environ, "PGPASSWORD": secret})
            out = r.stdout + r.stderr
            where = f"cases.tsv:{lineno} ({command})"
            if r.returncode != int(code[0] if code else 0) or "ERROR" in out:
                failures.append(f"{where}: psql exited {r.returncode}: {out[-500:]}")
                continue
            for text in expected.replace("<USER>", "analyst").replace("<ID>", cid).split(" ; "):
                if text not in out:
                    failures.append(f"{where}: no \"{text}\" in: {out[-800:]}")
        # Column names as PostgreSQL gives them: psql -A's header line.
        names = read_cases(os.path.join(os.path.dirname(os.path.abspath(__file__)), "column_names.tsv"))
        for lineno, (query, header) in names:
            r = subprocess.run(["psql", "-X", "-A", dsn, "-c", query], capture_output=True, text=True, timeout=60,
                               env={**os.environ, "PGPASSWORD": secret})
            got = r.stdout.split("\n")[0]
            if r.returncode != 0 or got != header:
                failures.append(f"column_names.tsv:{lineno} ({query}): header {got!r}, expected {header!r} {r.stderr[-300:]}")
        # Lists as PostgreSQL arrays: psycopg2 parses text[] into Python lists.
        arrays = read_cases(os.path.join(os.path.dirname(os.path.abspath(__file__)), "arrays.tsv"))
        with server.pg("analyst") as con:
            for lineno, (query, expected) in arrays:
                cur = con.cursor()
                try:
                    cur.execute(query)
                    got = cur.fetchone()[0]
                except Exception as e:  # psycopg2's errors, reported with the case
                    got = e
                    con.rollback()
                if got != ast.literal_eval(expected):
                    failures.append(f"arrays.tsv:{lineno} ({query}): {got!r}, expected {expected}")
        check(not failures, "\n".join(failures))
        expect_metrics(server, logins=len(cases) + len(names) + 1)
        # The log: a line per pgwire session and per request, never a secret or a token.
        log = server.log_with("pg_session client=analyst", "request method=GET route=healthz status=200")
        check("pg_session client=analyst" in log and "request method=GET route=healthz status=200" in log,
              f"no session or request lines in the log: {log[-600:]}")
        check(secret not in log and "eyJ" not in log, "the log holds a secret or a token")
    finally:
        server.close()


if __name__ == "__main__":
    sys.argv = [sys.argv[0], "psql"]
    main({"psql": run})
