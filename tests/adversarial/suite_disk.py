"""Disk full (issue 13, section 2): cases/disk.tsv on a small tmpfs, then exact sinks; and the
dashboard's saved queries on a full disk."""

import json
import os
import signal
import time

from harness import REFERENCE, Failure, Server, Tmpfs, cases, check


def health(server):
    status, body, _ = server.request("GET", "/healthz")
    return status, json.loads(body)


def failing_parts(h):
    parts = ["log"] if h["log"]["state"] == "failing" else []
    return parts + [s["sink"] for s in h["sinks"] if s["state"] == "failing"]


def stream_with_retries(server, token, keyed, on_refusal):
    """POSTs the December file in batches of 1000 rows (keyed: each under a fixed Idempotency-Key);
    a 503 is retried after on_refusal(answer) (for up to 2 minutes). Without a key, a retry is
    only exact if "not stored" was true. Returns the data rows sent."""
    with open(REFERENCE, newline="", encoding="utf-8") as f:
        lines = f.read().splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    deadline = time.time() + 120
    for i in range(0, len(rows), 1000):
        body = (header + "".join(rows[i:i + 1000])).encode()
        while True:
            key = {"Idempotency-Key": f"disk-{i}"} if keyed else {}
            status, answer, headers = server.request("POST", "/v1/records", body, {
                "Authorization": "Bearer " + token, "Content-Type": "text/csv", **key})
            if status == 200:
                break
            check(status == 503 and "Retry-After" in headers, f"POST rows {i}..: {status} {answer[:300]}")
            error = json.loads(answer)["error"]
            check(error.startswith(("not stored", "stored only in part") if keyed else "not stored"),
                  f"503 without saying what was stored: {error}")
            on_refusal(error)
            check(time.time() < deadline, f"POST rows {i}.. still refused after 2 minutes: {error}")
            time.sleep(0.05)
    return len(rows)


def wait_for(what, predicate, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = predicate()
        if got:
            return got
        time.sleep(0.1)
    raise Failure(f"timed out waiting for {what}")


def run_case(lineno, free_mb, release, durability, shards, keyed):
    where = f"cases/disk.tsv:{lineno}"
    disk = Tmpfs(64)
    extra = ["--shards", shards, "--segment-mb", "1", "--durability", durability, "--drain-timeout", "2"]
    server = Server(extra, data=os.path.join(disk.dir, "d"))
    try:
        server.add_client("loader", "ingest")
        server.add_client("analyst", "sql")
        server.start()
        loader = server.token("loader")
        analyst = server.token("analyst")
        disk.hold(free_mb)
        seen = {"refused": 0, "failing": set()}

        def on_refusal(error):
            seen["refused"] += 1
            status, h = health(server)
            if status == 503:
                seen["failing"].update(failing_parts(h))
            # Released once ingest's failure was seen both in an answer and in /healthz.
            if release == "refused" and disk.holding and "log" in seen["failing"]:
                disk.release()

        total = stream_with_retries(server, loader, keyed == "keyed", on_refusal)
        if release == "refused":
            check(seen["refused"] > 0 and "log" in seen["failing"],
                  f"{where}: with {free_mb} MiB free no POST was refused and reported: {seen}")
        else:
            def stuck():
                status, h = health(server)
                parts = failing_parts(h)
                if status == 503 and parts:
                    check(h["status"] == "degraded", f"{where}: 503 but status {h['status']}")
                    return parts
            seen["failing"].update(wait_for("/healthz to report a failing sink", stuck))
            if release == "stop":
                disk.hold(0)  # no space at all: the sinks cannot finish while serve stops
                began = time.time()
                server.proc.send_signal(signal.SIGTERM)
                code = server.proc.wait(60)
                server.proc = None
                took = time.time() - began
                log = server.log()
                check(code == 1 and took < 30, f"{where}: SIGTERM with stuck sinks: exit {code} after {took:.1f} s")
                check("records not yet stored" in log and "the drain timed out" in log,
                      f"{where}: the stop did not say what it left: {log[-800:]}")
            disk.release()
            if release == "stop":
                server.start()
        server.wait_caught_up(analyst if release != "stop" else server.token("analyst"), total, timeout=120)
        status, h = wait_for("/healthz to be ok again", lambda: (lambda r: r if r[0] == 200 else None)(health(server)))
        check(h["status"] == "ok" and not failing_parts(h), f"{where}: /healthz after release: {h}")
        server.expect_reference_sinks(server.token("analyst"))
        print(f"{where}: {free_mb} MiB free, {release}, {keyed}: {seen['refused']} refusals, failing seen: {sorted(seen['failing'])}")
        # What the sinks stored after failing is intact on disk: a crash now loses nothing.
        server.stop(signal.SIGKILL)
        server.start()
        server.wait_sinks_idle()
        server.expect_reference_sinks(server.token("analyst"))
        check(server.stop() == 0, f"{where}: serve did not stop cleanly: {server.log()[-500:]}")
    except Exception as e:
        raise Failure(f"{where}: {type(e).__name__}: {e}\nserve's stderr ends with:\n{server.log()[-1500:]}") from e
    finally:
        server.close()
        disk.close()


def run():
    for lineno, (free_mb, release, durability, shards, keyed) in cases("disk"):
        run_case(lineno, float(free_mb), release, durability, shards, keyed)
    saved_queries_on_a_full_disk()


def saved_queries_on_a_full_disk():
    """A saved query that cannot be written on a full disk is refused, leaves the saved ones as
    they were (no torn file, no temporary left), names no absolute path, and works once space
    returns; nothing is lost across kill -9."""
    disk = Tmpfs(64)
    server = Server(data=os.path.join(disk.dir, "d"))
    try:
        server.add_client("analyst", "sql")
        server.start()
        auth = {"Authorization": "Bearer " + server.token("analyst")}
        status, _, _ = server.request("PUT", "/v1/saved-queries/kept", b"SELECT 1", auth)
        check(status == 201, f"first saved query: {status}")
        disk.hold(0)
        status, answer, _ = server.request("PUT", "/v1/saved-queries/more", b"SELECT 2" + b" " * 60_000, auth)
        check(status == 500 and b"saved queries unchanged" in answer and server.data.encode() not in answer,
              f"a saved query on a full disk: {status} {answer[:300]!r}")
        status, answer, _ = server.request("GET", "/v1/saved-queries", b"", auth)
        names = [q["name"] for q in json.loads(answer)["queries"]]
        check(status == 200 and names == ["kept"], f"saved queries after the refusal: {status} {names}")
        check(not [f for f in os.listdir(server.data) if f.startswith("saved-queries") and f != "saved-queries.json"],
              f"a temporary file was left: {os.listdir(server.data)}")
        disk.release()
        status, _, _ = server.request("PUT", "/v1/saved-queries/more", b"SELECT 2", auth)
        check(status == 201, f"a saved query once space returned: {status}")
        server.stop(signal.SIGKILL)
        server.start()
        auth = {"Authorization": "Bearer " + server.token("analyst")}
        status, answer, _ = server.request("GET", "/v1/saved-queries", b"", auth)
        check(sorted(q["name"] for q in json.loads(answer)["queries"]) == ["kept", "more"], f"after kill -9: {answer[:300]!r}")
        check(server.stop() == 0, "serve did not stop cleanly: " + server.log()[-500:])
        print("saved queries on a full disk: refused without a trace, kept across kill -9")
    finally:
        server.close()
        disk.close()
