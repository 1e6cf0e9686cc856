"""scripts/local-cluster under faults: 3 Kafka brokers (replication 3, min.insync.replicas 2), 2 serve
nodes behind HAProxy, 1 worker.
1. The December file is sent through HAProxy while one broker, one serve node and the worker
   are killed -9 and restarted. At the end the worker's warehouse and lake hold CONTRACT.md's figures
   once, and a repeated item's lookup gives all its lines on either node.
2. Keyed requests are posted to one node, which is killed -9 at once (between its append and its
   answer, or before or after). The same requests are then retried on the other node, and each
   key's rows are stored once.
3. A broker is killed and stays down: the nodes report it (/metrics, /healthz) and still take
   rows; once it is back they report it up and every shard fully replicated."""

import base64
import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "adversarial"))
from harness import REFERENCE, REFERENCE_COUNTS, REFERENCE_REVENUE, SHOPFLOW, Failure, check  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
LOCAL_CLUSTER = ["/usr/bin/python3", os.path.join(ROOT, "scripts", "local-cluster")]


def cluster(*args, folder):
    r = subprocess.run(LOCAL_CLUSTER + list(args) + ["--dir", folder], capture_output=True, text=True)
    check(r.returncode == 0, f"local-cluster {' '.join(args)}: {r.stdout}{r.stderr}")
    return r.stdout


def request(port, method, path, body=b"", headers=None, timeout=30):
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        con.request(method, path, body=body, headers=headers or {})
        r = con.getresponse()
        return r.status, r.read()
    finally:
        con.close()


def token(port, client_id, secret):
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    status, body = request(port, "POST", "/oauth2/token", b"grant_type=client_credentials",
                           {"Authorization": "Basic " + basic, "Content-Type": "application/x-www-form-urlencoded"})
    check(status == 200, f"token: {status} {body[:200]}")
    return json.loads(body)["access_token"]


def sql(folder, text):
    r = subprocess.run([SHOPFLOW, "sql", text, "--format", "csv", "--data", os.path.join(folder, "worker")], capture_output=True, text=True)
    check(r.returncode == 0, f"{text}: {r.stderr}")
    return r.stdout.splitlines()[1]


def run(folder):
    cluster("up", folder=folder)
    state = json.load(open(os.path.join(folder, "state.json")))
    lb, nodes = state["lb_port"], [n["port"] for n in state["nodes"]]
    admin = state["admin"]
    bearer = {"Authorization": "Bearer " + token(lb, admin["client_id"], admin["client_secret"])}

    # 1. The December file through the load balancer, with faults.
    sent = {}

    def send():
        sent["run"] = subprocess.run([SHOPFLOW, "send", REFERENCE, "--url", f"http://127.0.0.1:{lb}", "--client-id", admin["client_id"],
                                      "--client-secret", admin["client_secret"], "--batch", "300", "--retry-for", "120"],
                                     capture_output=True, text=True)
    sender = threading.Thread(target=send)
    sender.start()
    time.sleep(2)
    cluster("kill", "broker", "2", folder=folder)
    time.sleep(3)
    cluster("restart", folder=folder)
    cluster("kill", "node", "1", folder=folder)
    time.sleep(3)
    cluster("restart", folder=folder)
    cluster("kill", "worker", folder=folder)  # mid-pass: its sinks go on from the offsets they stored
    time.sleep(2)
    cluster("restart", folder=folder)
    sender.join()
    r = sent["run"]
    check(r.returncode == 0, f"send: {r.stdout}{r.stderr}")

    # 2. Keyed requests whose node dies at once, retried on the other node.
    with open(REFERENCE) as f:
        lines = f.read().splitlines(keepends=True)
    keyed_rows = 0
    for attempt in range(4):
        rows = [f"9{attempt:02d}{i:03d},85123A,DRILL ROW,1,12/9/2010 9:00,1.00,17850,United Kingdom\n" for i in range(50)]
        body = (lines[0] + "".join(rows)).encode()
        headers = {**bearer, "Content-Type": "text/csv", "Idempotency-Key": f"drill-{attempt}"}
        first = threading.Thread(target=lambda: request_quietly(nodes[0], body, headers))
        first.start()
        time.sleep(random.uniform(0, 0.05))
        cluster("kill", "node", "1", folder=folder)
        first.join()
        for _ in range(100):  # as a client retries: 409 while the key's first request is in flight, 503
            status, answer = request(nodes[1], "POST", "/v1/records", body, headers)
            if status not in (409, 503):
                break
            time.sleep(0.2)
        check(status == 200, f"retry of drill-{attempt} on node 2: {status} {answer[:300]}")
        keyed_rows += len(rows)
        cluster("restart", folder=folder)
    cluster("drain", folder=folder)

    # A repeated item's lines on either node.
    for port in nodes:
        status, body = request(port, "GET", "/v1/invoices/536464/items/22866", headers=bearer)
        check(status == 200, f"GET the repeated item on :{port}: {status} {body[:200]}")
        item_lines = json.loads(body)["line_count"]
    # 3. A broker gone for good: the nodes report it, and keep serving on the others.
    cluster("kill", "broker", "3", folder=folder)
    broker_state(nodes[0], bearer, up=False)
    row = "990001,85123A,DRILL ROW,1,12/9/2010 9:00,1.00,17850,United Kingdom\n"
    status, _ = request(nodes[0], "POST", "/v1/records", (lines[0] + row).encode(), {**bearer, "Content-Type": "text/csv"})
    check(status == 200, f"a POST with broker 3 down: {status}")
    keyed_rows += 1
    cluster("restart", folder=folder)
    broker_state(nodes[0], bearer, up=True)
    cluster("drain", folder=folder)
    cluster("down", folder=folder)

    expected = dict(REFERENCE_COUNTS)
    got = {t: int(sql(folder, f"SELECT count(*) FROM {t}")) for t in expected}
    expected["transactions"] += keyed_rows
    check(got == expected, f"worker's warehouse: {got}, expected {expected}")
    revenue = sql(folder, "SELECT sum(amount) - (SELECT coalesce(sum(amount), 0) FROM transactions WHERE description = 'DRILL ROW') FROM transactions")
    check(revenue == REFERENCE_REVENUE, f"revenue {revenue}, expected {REFERENCE_REVENUE}")
    drill = sql(folder, "SELECT count(*) || ' ' || count(DISTINCT invoice_no) FROM transactions WHERE description = 'DRILL ROW'")
    check(drill == f"{keyed_rows} {keyed_rows}", f"drill rows: {drill}, expected each of {keyed_rows} once")
    lake = sql(folder, "SELECT count(*) FROM lake.transactions")
    check(int(lake) == expected["transactions"], f"lake.transactions: {lake}, expected {expected['transactions']}")
    repeated = sql(folder, "SELECT count(*) FROM transactions WHERE invoice_no = '536464' AND stock_code = '22866'")
    check(int(repeated) == item_lines and item_lines > 1, f"repeated item: {item_lines} lines on the nodes, {repeated} in the warehouse")


def broker_state(port, bearer, up):
    """Waits until the node's /metrics and /healthz show broker 3 up (or down, its shards short
    of replicas); the node stays healthy either way."""
    deadline = time.monotonic() + 60
    while True:
        _, metrics = request(port, "GET", "/metrics", headers=bearer)
        flag = re.search(rb'^shopflow_log_broker_up\{broker="3",address="[^"]+"\} ([01])$', metrics, re.M)
        short = re.findall(rb'^shopflow_log_shard_in_sync_replicas\{shard="\d+"\} ([0-9]+)$', metrics, re.M)
        status, health = request(port, "GET", "/healthz")
        health = json.loads(health)
        brokers = {b["id"]: b["up"] for b in health["log"]["brokers"]}
        under = health["log"]["under_replicated_shards"]
        # Healthy again too: reads and appends go to the partitions' new leaders.
        if flag and flag.group(1) == (b"1" if up else b"0") and brokers.get("3") is up and bool(under) is not up and \
                all((int(n) == 3) is up for n in short) and status == 200 and health["status"] == "ok":
            return
        check(time.monotonic() < deadline, f"broker 3 up={up} not reported (or the node not healthy) within 60 s: {status} {health}\n"
                                           f"{flag.group(0) if flag else metrics[:1500]}")
        time.sleep(0.5)


def request_quietly(port, body, headers):
    try:
        request(port, "POST", "/v1/records", body, headers, timeout=10)
    except OSError:
        pass  # the node died: the answer is lost, as a client would see it


def out_of_time(signum, frame):
    raise Failure("the drill took more than 8 minutes")


if __name__ == "__main__":
    folder = tempfile.mkdtemp(prefix="shopflow-cluster-drill-")
    # Within ctest's 10 minutes, so that the cluster is always taken down below.
    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(480)
    try:
        run(folder)
    except Failure as e:
        print(f"FAILED: {e}", file=sys.stderr)
        subprocess.run(LOCAL_CLUSTER + ["down", "--dir", folder], capture_output=True)
        sys.exit(1)
    finally:
        subprocess.run(["rm", "-rf", folder])
    print("Kafka.ClusterDrill: every row once through broker and node kills")
