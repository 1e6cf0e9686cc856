"""Content identity across send and batch (issue 13, section 3): cases/identity.tsv."""

import hashlib
import json
import subprocess
import time

from harness import REFERENCE, REFERENCE_COUNTS, SHOPFLOW, Server, cases, check


def partial_send(send_cmd, batch_rows, seconds):
    """A `shopflow send --batch batch_rows` killed (-9) after `seconds`, sending two batches a second."""
    proc = subprocess.Popen(send_cmd + ["--batch", str(batch_rows), "--concurrency", "1", "--rate", str(2 * batch_rows)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(seconds)
    check(proc.poll() is None, "the partial send ended by itself")
    proc.kill()
    proc.wait()
    return 0, ""


def start_with_clients(server, *clients):
    """Adds the (name, scopes) clients and starts the server; returns the first one's id and secret."""
    first = [server.add_client(name, scopes) for name, scopes in clients][0]
    server.start()
    return first


def run():
    failures = []
    for lineno, (steps, exits, copies) in cases("identity"):
        where = f"cases/identity.tsv:{lineno} ({steps})"
        server = Server()
        try:
            cid, secret = start_with_clients(server, ("loader", "ingest"), ("admin", "admin,sql"), ("analyst", "sql"))
            url = f"http://127.0.0.1:{server.port}"
            send = [SHOPFLOW, "send", REFERENCE, "--url", url, "--client-id", cid, "--client-secret", secret, "--retry-for", "5"]
            outcomes = []
            for step in steps.split():
                kind, _, args = step.partition(":")
                if kind == "partial":
                    n, seconds = args.split(":")
                    outcomes.append(partial_send(send, int(n), float(seconds)))
                    continue
                extra = [a.replace("=", " ", 1).split(" ") for a in args.split(",")] if args else []
                extra = [x for pair in extra for x in pair]
                if kind == "send":
                    cmd = send
                else:
                    cmd = [SHOPFLOW, "batch", REFERENCE, "--data", server.data]
                r = subprocess.run(cmd + extra, capture_output=True, text=True, timeout=300)
                outcomes.append((r.returncode, r.stdout + r.stderr))
            for i, ((code, text), want) in enumerate(zip(outcomes, map(int, exits.split()))):
                if code != want:
                    failures.append(f"{where}: step {i + 1} exited {code}, expected {want}: {text[-400:]}")
                elif want == 1 and not ("shopflow send" in text or "shopflow batch as job" in text):
                    failures.append(f"{where}: step {i + 1}'s refusal does not name the first import: {text[-400:]}")
            analyst = server.token("analyst")
            total = int(copies) * sum(REFERENCE_COUNTS.values())
            server.wait_caught_up(analyst, total) if copies == "1" else server.wait_sinks_idle()
            got = server.scalar(analyst, "SELECT count(*) FROM transactions")
            if got != int(copies) * REFERENCE_COUNTS["transactions"]:
                failures.append(f"{where}: {got} transactions, expected {copies} copies of the file")
            elif copies == "1":
                server.expect_reference_sinks(analyst)
            # Each batch step was handed to the server: /metrics counts it under one outcome.
            _, metrics, _ = server.request("GET", "/metrics")
            handed = sum(float(line.rsplit(" ", 1)[1]) for line in metrics.decode().splitlines() if line.startswith("shopflow_batch_files_total{"))
            batches = sum(1 for step in steps.split() if step.startswith("batch"))
            if handed != batches:
                failures.append(f"{where}: /metrics counts {handed} handed-over batch files, expected {batches}")
            check(server.stop() == 0, f"{where}: serve did not stop cleanly: {server.log()[-500:]}")
        finally:
            server.close()
    failures += another_client_cannot_complete()
    check(not failures, "\n".join(failures))


def another_client_cannot_complete():
    """A client may not mark another's send complete: that would make a send that never happened
    look done, and the real one send nothing."""
    server = Server()
    try:
        cid, secret = start_with_clients(server, ("loader", "ingest"), ("intruder", "ingest"), ("analyst", "sql"))
        data = open(REFERENCE, "rb").read()
        sha = hashlib.sha256(data).hexdigest()
        loader = {"Authorization": "Bearer " + server.token("loader"), "Content-Type": "application/json"}
        status, body, _ = server.request("POST", "/v1/files", json.dumps(
            {"sha256": sha, "file": REFERENCE, "bytes": len(data), "batch_rows": 500}).encode(), loader)
        check(status == 200, f"register: {status} {body[:200]}")
        intruder = {"Authorization": "Bearer " + server.token("intruder"), "Content-Type": "application/json"}
        status, body, _ = server.request("POST", f"/v1/files/{sha}/complete", b'{"rows_acked": 42481}', intruder)
        out = [] if status == 403 else [f"another client completed the send: {status} {body[:200]}"]
        r = subprocess.run([SHOPFLOW, "send", REFERENCE, "--url", f"http://127.0.0.1:{server.port}", "--client-id", cid,
                            "--client-secret", secret], capture_output=True, text=True, timeout=300)
        if r.returncode != 0 or "already sent" in r.stdout:
            out.append(f"the real send after the attempt: exit {r.returncode}: {r.stdout[-300:]}")
        server.wait_caught_up(server.token("analyst"), sum(REFERENCE_COUNTS.values()))
        server.expect_reference_sinks(server.token("analyst"))
        return out
    finally:
        server.close()
