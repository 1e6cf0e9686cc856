"""Torture: loops of kill -9, a full disk and a corrupted log segment against `shopflow serve`
while `shopflow send` streams a generated file through it; at the end every sink must equal a
batch import of the same file (counts, revenue, every field of every row, the tables' lines),
and again after one more kill -9. Prints how many of each it survived.

Run by bench/torture.sh, which sets SHOPFLOW_BIN and SHOPFLOW_SHARED_DATA."""

import argparse
import itertools
import json
import os
import random
import signal
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "adversarial"))
from harness import SHOPFLOW, Failure, Reference, Server, Skip, Tmpfs, check, flip_byte, free_port, segments  # noqa: E402

SHARDS = 2


def consumer_floor(data, shard):
    """The lowest offset of `shard` that some sink has not stored (DIR/log/consumers/<sink>: u64 per shard)."""
    folder = os.path.join(data, "log", "consumers")
    floor = None
    for name in os.listdir(folder):
        if name.endswith(".tmp"):
            continue
        raw = open(os.path.join(folder, name), "rb").read()
        offsets = struct.unpack(f"<{len(raw) // 8}Q", raw)
        floor = offsets[shard] if floor is None else min(floor, offsets[shard])
    return floor or 0


def stored_segment(data):
    """A sealed segment every sink has stored entirely (its successor starts at or below every
    sink's offset), or None. Corrupting one loses nothing: `log repair` sets the bad batch aside."""
    candidates = []
    for shard in range(SHARDS):
        segs = segments(data, shard)
        floor = consumer_floor(data, shard)
        for seg, successor in zip(segs, segs[1:]):
            if int(os.path.basename(successor).split(".")[0]) <= floor:
                candidates.append(seg)
    return random.choice(candidates) if candidates else None


def healthz(server):
    try:
        status, body, _ = server.request("GET", "/healthz", timeout=5)
        return status, json.loads(body)
    except (OSError, ValueError):
        return 0, {}


def wait_until(what, predicate, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise Failure(f"timed out after {timeout} s waiting for {what}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10, help="how long the send (and the torture) lasts")
    ap.add_argument("--rows", type=int, default=300_000, help="rows of the generated file")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    random.seed(args.seed)
    tmp = tempfile.mkdtemp(prefix="shopflow-torture-")
    orders = os.path.join(tmp, "orders.csv")
    subprocess.run([SHOPFLOW, "gen", "--rows", str(args.rows), "--seed", str(args.seed), "--dirty-rate", "0.01", "--out", orders],
                   check=True, capture_output=True)
    reference = Reference(orders)
    try:
        disk = Tmpfs(2048)
        data = os.path.join(disk.dir, "d")
    except Skip as e:
        print(f"torture: no disk-full rounds: {e}", file=sys.stderr)
        disk, data = None, os.path.join(tmp, "d")
    # A fixed port: the send keeps its URL across restarts.
    server = Server(["--shards", str(SHARDS), "--segment-mb", "1", "--drain-timeout", "10"], data=data, port=free_port())
    survived = {"kill -9": 0, "disk full": 0, "corruption": 0}
    skipped = 0
    try:
        cid, secret = server.add_client("loader", "ingest")
        server.add_client("analyst", "sql")
        server.start()
        rate = max(1000, int(args.rows / (args.minutes * 60)))
        send = subprocess.Popen([SHOPFLOW, "send", orders, "--url", f"http://127.0.0.1:{server.port}", "--client-id", cid,
                                 "--client-secret", secret, "--rate", str(rate), "--retry-for", "3600", "--json"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        actions = itertools.cycle(["kill -9", "disk full", "corruption"] if disk else ["kill -9", "corruption"])
        started = time.time()
        while send.poll() is None:
            action = next(actions)
            time.sleep(random.uniform(0.5, 3))
            if action == "kill -9":
                server.stop(signal.SIGKILL)
                server.start()
            elif action == "disk full":
                disk.hold(0)
                wait_until("/healthz to report the full disk", lambda: healthz(server)[0] == 503 or send.poll() is not None, 30)
                time.sleep(random.uniform(0.5, 3))
                disk.release()
                wait_until("/healthz to be ok again", lambda: healthz(server)[0] == 200, 120)
            else:
                server.stop(signal.SIGTERM)
                seg = stored_segment(data)
                if seg is None:
                    skipped += 1
                    server.start()
                    continue
                at = flip_byte(seg, random.random())
                refused = subprocess.run([SHOPFLOW, "serve", "--data", data, "--listen", "127.0.0.1:0", "--shards", str(SHARDS)],
                                         capture_output=True, text=True, timeout=120)
                check(refused.returncode != 0 and os.path.basename(seg) in refused.stderr,
                      f"serve started on {seg} with byte {at} flipped: {refused.stderr[-300:]}")
                repaired = subprocess.run([SHOPFLOW, "log", "repair", "--data", data], capture_output=True, text=True)
                check(repaired.returncode == 0, f"log repair: {repaired.stdout} {repaired.stderr}")
                server.start()
            survived[action] += 1
            print(f"torture: {time.time() - started:6.0f} s  survived {survived}, {skipped} corruption rounds skipped", flush=True)
        out, err = send.communicate()
        check(send.returncode == 0, f"send exited {send.returncode}: {out} {err[-500:]}")
        summary = json.loads(out)
        check(summary["acked"] == args.rows and summary["failed"] == 0, f"send: {summary}")
        analyst = server.token("analyst")
        server.wait_caught_up(analyst, reference.total(), timeout=600, rejected=reference.counts["rejected"])
        server.expect_reference_sinks(analyst, reference=reference)
        server.stop(signal.SIGKILL)
        server.start()
        server.wait_sinks_idle(timeout=600)
        server.expect_reference_sinks(server.token("analyst"), reference=reference)
        check(server.stop() == 0, "serve did not stop cleanly: " + server.log()[-500:])
        print(f"torture: survived {survived['kill -9']} kill -9, {survived['disk full']} disk-full rounds and "
              f"{survived['corruption']} corrupted segments ({skipped} rounds found no stored segment to corrupt) in "
              f"{(time.time() - started) / 60:.1f} min while {args.rows} rows were sent ({summary['retries']} retried requests); "
              f"every sink equals a batch import of the file, also after a last kill -9")
    except Failure as e:
        print(f"torture: FAILED: {e}\nserve's stderr ends with:\n{server.log()[-2000:]}", file=sys.stderr)
        sys.exit(1)
    finally:
        server.close()
        if disk:
            disk.close()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
