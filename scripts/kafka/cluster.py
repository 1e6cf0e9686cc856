#!/usr/bin/python3
"""A Kafka cluster on loopback for tests and scripts/local-cluster: N KRaft nodes, each a broker
and a controller (the N are the controller quorum), in a folder of its own.

  cluster.py up DIR [--brokers N] [--heap-mb M]   start (idempotent: a running cluster is kept)
  cluster.py down DIR                             stop exactly the nodes DIR's state names
  cluster.py status DIR                           each node: running or not
  cluster.py kill DIR N                           SIGKILL node N (a fault drill)
  cluster.py restart DIR                          start the nodes that are not running

DIR/cluster.json holds the state: the bootstrap servers, and per node its id, ports, pid and log.
`up`, `status` and `restart` print that state as JSON on stdout. Kafka's jars come from
third_party/kafka/libs (scripts/setup fetches them from Maven Central).
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from loopback_port import free_port  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
LIBS = os.environ.get("SHOPFLOW_KAFKA_LIBS", os.path.join(HERE, "..", "..", "third_party", "kafka", "libs"))
START_TIMEOUT_S = 90


def fail(message):
    print(f"cluster.py: {message}", file=sys.stderr)
    sys.exit(1)


def java(args):
    return ["java", "-cp", os.path.join(LIBS, "*")] + args


def running(pid):
    """Whether `pid` is a live broker (not a zombie, not a reused pid)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            if f.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                return False
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read()
    except (OSError, IndexError):
        return False
    return not cmdline or b"kafka.Kafka" in cmdline  # empty: exec has not finished yet


def state_path(folder):
    return os.path.join(folder, "cluster.json")


def load(folder):
    try:
        with open(state_path(folder)) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def save(folder, state):
    tmp = state_path(folder) + ".tmp"
    with open(tmp, "w") as f:
        json.dump(state, f, indent=2)
    os.replace(tmp, state_path(folder))


def properties(node, state):
    n = len(state["nodes"])
    voters = ",".join(f"{m['id']}@127.0.0.1:{m['controller_port']}" for m in state["nodes"])
    replicas = min(3, n)
    return "\n".join([
        "process.roles=broker,controller",
        f"node.id={node['id']}",
        f"controller.quorum.voters={voters}",
        f"listeners=PLAINTEXT://127.0.0.1:{node['port']},CONTROLLER://127.0.0.1:{node['controller_port']}",
        f"advertised.listeners=PLAINTEXT://127.0.0.1:{node['port']}",
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        f"log.dirs={node['data']}",
        "auto.create.topics.enable=false",
        f"offsets.topic.replication.factor={replicas}",
        "offsets.topic.num.partitions=4",
        f"transaction.state.log.replication.factor={replicas}",
        f"transaction.state.log.min.isr={min(2, n)}",
        "transaction.state.log.num.partitions=4",
        "group.initial.rebalance.delay.ms=0",
        # Small and quick: a test cluster, not a production one.
        "num.network.threads=2",
        "num.io.threads=2",
        "log.segment.bytes=67108864",
        "",
    ])


def start_node(folder, state, node, heap_mb):
    log = open(node["log"], "ab")
    env = dict(os.environ, KAFKA_HEAP_OPTS="")
    cmd = ["java", f"-Xmx{heap_mb}m", f"-Xms{min(heap_mb, 128)}m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
           "-Djava.awt.headless=true", f"-Dlog4j2.configurationFile={os.path.join(HERE, 'log4j2.properties')}",
           "-cp", os.path.join(LIBS, "*"), "kafka.Kafka", node["config"]]
    p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    node["pid"] = p.pid


def wait_started(state, nodes, port_clash_ok=False):
    """Waits for `nodes` to start; True if one exited because its port was taken meanwhile (only
    when `port_clash_ok`: the caller then starts the cluster again on other ports)."""
    deadline = time.time() + START_TIMEOUT_S
    for node in nodes:
        while True:
            with open(node["log"], "rb") as f:
                f.seek(node.get("log_from", 0))
                if b"Kafka Server started" in f.read():
                    break
            if not running(node["pid"]):
                with open(node["log"], "rb") as f:
                    f.seek(node.get("log_from", 0))
                    log = f.read()
                if port_clash_ok and b"Address already in use" in log:
                    return True
                tail = log[-2000:].decode(errors="replace")
                fail(f"node {node['id']} exited while starting; its log ends:\n{tail}")
            if time.time() > deadline:
                fail(f"node {node['id']} did not start within {START_TIMEOUT_S} s (log: {node['log']})")
            time.sleep(0.2)
    return False


def assign_ports(state):
    """Free loopback ports for every node, and the configs and bootstrap list that name them. A
    port is free when chosen: something else (another test's connection) may take it before the
    broker binds it."""
    for node in state["nodes"]:
        node["port"], node["controller_port"] = free_port(), free_port()
    for node in state["nodes"]:
        with open(node["config"], "w") as f:
            f.write(properties(node, state))
    state["bootstrap"] = ",".join(f"127.0.0.1:{n['port']}" for n in state["nodes"])


def up(folder, brokers, heap_mb):
    if not os.path.isdir(LIBS):
        fail(f"no Kafka jars in {LIBS}: run scripts/setup")
    os.makedirs(folder, exist_ok=True)
    state = load(folder)
    if state and len(state["nodes"]) != brokers:
        fail(f"{folder} holds a cluster of {len(state['nodes'])} nodes, not {brokers}: `down` it and remove the folder first")
    fresh = not state
    if fresh:
        state = {"cluster_id": None, "nodes": []}
        for i in range(1, brokers + 1):
            d = os.path.join(folder, f"node-{i}")
            os.makedirs(d, exist_ok=True)
            state["nodes"].append({"id": i, "port": 0, "controller_port": 0, "pid": 0,
                                   "data": os.path.join(d, "data"), "config": os.path.join(d, "server.properties"),
                                   "log": os.path.join(d, "broker.log")})
        out = subprocess.run(java(["kafka.tools.StorageTool", "random-uuid"]), capture_output=True, text=True, check=True)
        state["cluster_id"] = out.stdout.strip().splitlines()[-1]
        assign_ports(state)
        for node in state["nodes"]:
            r = subprocess.run(java([f"-Dlog4j2.configurationFile={os.path.join(HERE, 'log4j2.properties')}",
                                     "kafka.tools.StorageTool", "format", "-t", state["cluster_id"], "-c", node["config"]]),
                               capture_output=True, text=True)
            if r.returncode != 0:
                fail(f"formatting node {node['id']} failed: {r.stdout}{r.stderr}")
        save(folder, state)
    # A new cluster's nodes that lost their ports before binding them start again on others (its
    # clients learn the ports from what this returns); a known cluster keeps its ports.
    for attempt in range(3):
        started = start_missing(folder, state, heap_mb)
        if not wait_started(state, started, port_clash_ok=fresh and attempt < 2):
            return state
        down(folder)
        state = load(folder)
        assign_ports(state)
        save(folder, state)
    return state


def start_missing(folder, state, heap_mb):
    started = []
    for node in state["nodes"]:
        if node["pid"] and running(node["pid"]):
            continue
        node["log_from"] = os.path.getsize(node["log"]) if os.path.exists(node["log"]) else 0
        start_node(folder, state, node, heap_mb)
        started.append(node)
    save(folder, state)
    return started


def down(folder):
    state = load(folder)
    if not state:
        return
    alive = [n for n in state["nodes"] if n["pid"] and running(n["pid"])]
    for n in alive:
        os.kill(n["pid"], signal.SIGTERM)
    deadline = time.time() + 30
    for n in alive:
        while running(n["pid"]) and time.time() < deadline:
            time.sleep(0.1)
        if running(n["pid"]):
            os.kill(n["pid"], signal.SIGKILL)
    for n in state["nodes"]:
        n["pid"] = 0
    save(folder, state)


def status(state):
    for n in state["nodes"]:
        n["running"] = bool(n["pid"]) and running(n["pid"])
    return state


def main():
    args = sys.argv[1:]
    if len(args) < 2 or args[0] not in ("up", "down", "status", "kill", "restart"):
        fail(__doc__)
    command, folder = args[0], os.path.abspath(args[1])
    options = dict(zip(args[2::2], args[3::2]))
    brokers = int(options.get("--brokers", "1"))
    heap_mb = int(options.get("--heap-mb", "256"))
    if command == "up":
        print(json.dumps(status(up(folder, brokers, heap_mb))))
    elif command == "down":
        down(folder)
    else:
        state = load(folder)
        if not state:
            fail(f"no cluster in {folder}")
        if command == "kill":
            node = next((n for n in state["nodes"] if str(n["id"]) == args[2]), None) if len(args) > 2 else None
            if not node:
                fail(f"no node {args[2] if len(args) > 2 else '(none given)'} in {folder}")
            if node["pid"] and running(node["pid"]):
                os.kill(node["pid"], signal.SIGKILL)
                while running(node["pid"]):
                    time.sleep(0.05)
        elif command == "restart":
            wait_started(state, start_missing(folder, state, heap_mb))
        print(json.dumps(status(state)))


if __name__ == "__main__":
    main()
