"""serve --source: the December file as the seed client's JSON records (pandas' df.loc[i].to_json(),
as the seed sends them), one per message, produced to a topic by Kafka's own console producer;
a serve node consumes the topic into its Kafka log and lands CONTRACT.md's reference figures."""

import json
import os
import subprocess
import sys
import tempfile
import time

import pandas

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "adversarial"))
from harness import REFERENCE, REFERENCE_COUNTS, REFERENCE_REVENUE, Failure, Server, check  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
CLUSTER = [sys.executable if sys.executable.startswith("/usr/bin/") else "/usr/bin/python3", os.path.join(ROOT, "scripts", "kafka", "cluster.py")]
LIBS = os.path.join(ROOT, "third_party", "kafka", "libs", "*")


def kafka_tool(main_class, *args, stdin=None):
    r = subprocess.run(["java", "-Xmx256m", "-cp", LIBS, main_class] + list(args), stdin=stdin, capture_output=True, text=True)
    check(r.returncode == 0, f"{main_class} {' '.join(args)}: {r.stdout}{r.stderr}")


def run(tmp):
    state = json.loads(subprocess.run(CLUSTER + ["up", os.path.join(tmp, "kafka")], check=True, capture_output=True, text=True).stdout)
    servers = state["bootstrap"]
    try:
        kafka_tool("org.apache.kafka.tools.TopicCommand", "--bootstrap-server", servers, "--create", "--topic", "orders",
                   "--partitions", "3", "--replication-factor", "1")
        df = pandas.read_csv(REFERENCE, dtype={"InvoiceNo": str, "StockCode": str})
        records = os.path.join(tmp, "records.ndjson")
        with open(records, "w") as f:
            for i in range(len(df)):
                f.write(df.loc[i].to_json() + "\n")
        with open(records) as f:
            kafka_tool("org.apache.kafka.tools.ConsoleProducer", "--bootstrap-server", servers, "--topic", "orders", stdin=f)

        server = Server(["--log", f"kafka://{servers}/shop", "--source", f"kafka://{servers}/orders"])
        try:
            server.add_client("analyst", "sql")
            server.start()
            token = server.token("analyst")
            total = sum(REFERENCE_COUNTS.values())
            stored = 0
            deadline = time.time() + 180
            while time.time() < deadline:
                stored = int(server.scalar(token, "SELECT (SELECT count(*) FROM transactions) + (SELECT count(*) FROM cancellations)"
                                                  " + (SELECT count(*) FROM rejected)"))
                if stored >= total:
                    break
                time.sleep(0.5)
            check(stored == total, f"{stored} rows stored, expected {total}: {server.log()[-2000:]}")
            for table, n in REFERENCE_COUNTS.items():
                got = int(server.scalar(token, f"SELECT count(*) FROM {table}"))
                check(got == n, f"{table}: {got} rows, expected {n}")
            revenue = server.scalar(token, "SELECT sum(amount)::VARCHAR FROM transactions")
            check(revenue == REFERENCE_REVENUE, f"revenue {revenue}, expected {REFERENCE_REVENUE}")
            check(server.stop() == 0, "serve did not stop cleanly: " + server.log()[-2000:])
        finally:
            server.close()
    finally:
        subprocess.run(CLUSTER + ["down", os.path.join(tmp, "kafka")], capture_output=True)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="shopflow-kafka-source-") as tmp:
        try:
            run(tmp)
        except Failure as e:
            print(f"FAILED: {e}", file=sys.stderr)
            sys.exit(1)
    print("Kafka.SourceFromConsoleProducer: the reference figures landed once")
