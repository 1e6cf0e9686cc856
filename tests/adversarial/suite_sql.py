"""SQL sandbox (issue 13, section 1): cases/sql.tsv over POST /v1/sql and over pgwire, then the
limits pgwire adds (statement_timeout, a client that hangs up), then exact sinks; and queries
over the lake while it takes in streamed lines and merges its files."""

import json
import os
import threading
import time

from harness import Failure, Server, cases, check

SECRETS = ("PRIVATE KEY", "root:x:0:0")


def run():
    server = Server(["--sql-timeout-ms", "30000"])
    try:
        server.add_client("analyst", "sql")
        server.add_client("root", "sql,admin")
        server.add_client("loader", "ingest")
        server.start()
        tokens = {"sql": server.token("analyst"), "admin": server.token("root")}
        total = server.stream_reference(server.token("loader"))
        server.wait_caught_up(tokens["sql"], total)
        key = os.path.join(server.data, "auth", "signing-key.pem")
        check(os.path.exists(key), f"no token key at {key}: the cases read the wrong file")
        canary = os.path.join(server.tmp, "canary")
        pg = {"sql": server.pg("analyst"), "admin": server.pg("root")}
        for con in pg.values():
            con.autocommit = True
        failures = []
        for lineno, (scope, http_status, sqlstate, sql, *limits) in cases("sql"):
            limits = limits[0] if limits else ""
            sql = sql.replace("<DIR>", server.data).replace("<KEY>", key).replace("<CANARY>", canary).replace("\\n", "\n")
            where = f"cases/sql.tsv:{lineno} ({scope}) {sql[:80]!r}"
            params = [p for p in limits.split("&") if p and p != "format=parquet"]
            accept = {"Accept": "application/vnd.apache.parquet"} if "format=parquet" in limits else {}
            status, body = server.sql(tokens[scope], sql, "?" + "&".join(params) if params else "", accept)
            if status != int(http_status):
                failures.append(f"{where}: HTTP {status}, expected {http_status}: {body[:300]}")
            answer = ""
            if sqlstate != "-":
                got_state, answer = run_pg(pg[scope], sql, limits)
                if got_state not in sqlstate.split("|"):
                    failures.append(f"{where}: pgwire {got_state}, expected {sqlstate}: {answer[:300]}")
            for text in (body, answer):
                for secret in SECRETS:
                    if secret in text:
                        failures.append(f"{where}: the answer holds {secret!r}")
            for leftover in (canary, canary + ".csv", canary + ".duckdb", canary + ".json"):
                if os.path.exists(leftover):
                    failures.append(f"{where}: {leftover} was created")
            planted = os.path.join(server.data, "lake", "transactions", "planted.parquet")
            if os.path.exists(planted):
                failures.append(f"{where}: a file was planted in the lake")
        check(not failures, "\n".join(failures))

        # pgwire: SET statement_timeout lowers the server's default, and a hung-up client's query stops.
        cur = pg["sql"].cursor()
        cur.execute("SET statement_timeout = '200ms'")
        cur.execute("SHOW statement_timeout")
        check(cur.fetchone()[0] == "200ms", "SHOW statement_timeout")
        started = time.time()
        try:
            cur.execute("SELECT count(*) FROM range(1000000000) a, range(1000) b")
            raise Failure("statement_timeout did not stop the query")
        except Failure:
            raise
        except Exception as e:
            check(getattr(e, "pgcode", None) == "57014", f"statement_timeout: {e}")
        check(time.time() - started < 2.5, f"statement_timeout 200ms took {time.time() - started:.1f}s")
        cur.execute("SELECT 1")
        check(cur.fetchone() == (1,), "the session goes on after a timeout")
        for con in pg.values():
            con.close()
        hung_up_query_stops(server)
        server.expect_reference_sinks(tokens["sql"])
        check(server.stop() == 0, "serve did not stop cleanly: " + server.log())
    finally:
        server.close()
    lake_queries_while_streaming()


def lake_queries_while_streaming():
    """A pgwire session opened on an empty lake and POST /v1/sql query lake.transactions while the
    December file streams in and the lake writes a file per shard every 20 ms, merging every 2:
    each answer counts every line once (no merge's inputs beside its output), none fails (no file
    gone under a query), counts never go back, and the last one is the reference count. And each
    answer holds of every shard a prefix of its lines: below the highest offset of a shard that
    both the lake and the warehouse hold, the lake has every line the warehouse has (no listing
    holds a later file of a shard without an earlier one)."""
    server = Server(["--lake-flush-ms", "20", "--lake-merge-files", "2"])
    try:
        server.add_client("analyst", "sql")
        server.add_client("loader", "ingest")
        server.start()
        token = server.token("analyst")
        pg = server.pg("analyst")
        pg.autocommit = True
        query = "SELECT count(*) - count(DISTINCT source), count(*) FROM lake.transactions"
        stream_lines = "SELECT split_part(source, ':', 2) AS shard, CAST(split_part(source, ':', 3) AS BIGINT) AS off FROM {} WHERE source LIKE 'stream:%'"
        prefix_query = (f"WITH l AS ({stream_lines.format('lake.transactions')}), w AS ({stream_lines.format('transactions')}), "
                        "upto AS (SELECT shard, least(lm, wm) AS o FROM (SELECT shard, max(off) AS lm FROM l GROUP BY shard) "
                        "JOIN (SELECT shard, max(off) AS wm FROM w GROUP BY shard) USING (shard)) "
                        "SELECT (SELECT count(*) FROM w JOIN upto USING (shard) WHERE off <= o), "
                        "(SELECT count(*) FROM l JOIN upto USING (shard) WHERE off <= o), (SELECT count(*) FROM w)")
        streamed = []
        loader = threading.Thread(target=lambda: streamed.append(server.stream_reference(server.token("loader"), 100)))
        loader.start()
        answers, last, failures, compared = 0, 0, [], 0
        while True:
            done = not loader.is_alive()
            cur = pg.cursor()
            try:
                cur.execute(query)
                over_pg = cur.fetchone()
            except Exception as e:  # psycopg2.Error
                failures.append(f"pgwire: {e}")
                break
            status, body = server.sql(token, query)
            if status != 200:
                failures.append(f"HTTP {status}: {body[:300]}")
                break
            over_http = tuple(json.loads(body)["rows"][0])
            status, body = server.sql(token, prefix_query)
            if status != 200:
                failures.append(f"HTTP {status}: {body[:300]}")
                break
            in_warehouse, in_lake, warehouse_lines = json.loads(body)["rows"][0]
            if in_lake != in_warehouse:
                failures.append(f"HTTP: below the offsets both hold, the lake has {in_lake} lines and the warehouse {in_warehouse}")
            compared = max(compared, in_lake)
            for where, (twice, lines) in (("pgwire", over_pg), ("HTTP", over_http)):
                if twice != 0:
                    failures.append(f"{where}: {twice} of {lines} lines counted twice")
                if lines < last:
                    failures.append(f"{where}: {lines} lines after {last}")
                last = max(last, lines)
            answers += 1
            if failures or (done and last == 41480 and warehouse_lines == 41480):
                break
            if done and answers > 2000:
                failures.append(f"the lake holds {last} lines, not 41480")
                break
        loader.join()
        check(streamed == [42481], f"streaming failed: {streamed}")
        check(not failures, "\n".join(failures[:10]))
        check(answers > 5, f"only {answers} answers while streaming")
        check(compared == 41480, f"the prefix check compared at most {compared} lines, not 41480")
        pg.close()
        check(server.stop() == 0, "serve did not stop cleanly: " + server.log())
    finally:
        server.close()


def run_pg(con, sql, limits):
    """Runs one case over pgwire: its SQLSTATE ("ok" when it ran) and its answer or error."""
    cur = con.cursor()
    timeout = [v.split("=")[1] for v in limits.split("&") if v.startswith("timeout_ms=")]
    cur.execute(f"SET statement_timeout = {timeout[0] if timeout else 0}")
    try:
        cur.execute(sql)
        return "ok", repr(cur.fetchall()) if cur.description else ""
    except Exception as e:  # psycopg2.Error carries the SQLSTATE
        return getattr(e, "pgcode", None) or type(e).__name__, str(e)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def hung_up_query_stops(server):
    """A pgwire client that hangs up mid-query: the server stops the query at once (not after
    --sql-timeout-ms), seen as the server's CPU going idle."""
    import socket
    con = server.pg("analyst")
    con.autocommit = True

    def long_query():
        try:
            con.cursor().execute("SELECT count(*) FROM range(1000000000) a, range(100000) b")
        except Exception:
            pass

    t = threading.Thread(target=long_query)
    t.start()
    # Running: the server takes CPU (on a machine busy with other work, maybe not at once).
    began = cpu_seconds(server.proc.pid)
    deadline = time.time() + 10
    while cpu_seconds(server.proc.pid) - began < 0.5 and time.time() < deadline:
        time.sleep(0.1)
    check(cpu_seconds(server.proc.pid) - began >= 0.5, "the long query is not running")
    socket.socket(fileno=os.dup(con.fileno())).shutdown(socket.SHUT_RDWR)
    t.join(10)
    time.sleep(0.5)  # the watchdog looks at the socket every 100 ms
    idle = cpu_seconds(server.proc.pid)
    time.sleep(1.0)
    used = cpu_seconds(server.proc.pid) - idle
    check(used < 0.3, f"the hung-up client's query still runs ({used:.2f} s of CPU in 1 s)")
    con.close()
