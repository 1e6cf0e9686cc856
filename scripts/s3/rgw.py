#!/usr/bin/python3
"""A real S3 server on loopback for tests and benchmarks: Ceph's RADOS Gateway (Debian's radosgw)
on a one-node Ceph cluster (1 monitor, 1 OSD keeping its objects in memory), in a folder of its
own. Starts in seconds; not for data you want to keep.

  rgw.py up DIR      start (idempotent); print {"endpoint", "region", "access_key", "secret_key"} as JSON
  rgw.py down DIR    stop exactly what `up` started

Clients sign with SigV4 (any region name) and must send x-amz-content-sha256, as S3 asks.
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from loopback_port import free_port  # noqa: E402

ACCESS_KEY, SECRET_KEY = "SHOPFLOWTESTKEY", "shopflow-test-secret"
DAEMONS = ("mon.a", "osd.0", "client.rgw.a")


def fail(message):
    print(f"s3/rgw.py: {message}", file=sys.stderr)
    sys.exit(1)


def run(folder, *cmd, timeout=60):
    r = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout, cwd=folder)
    if r.returncode != 0:
        fail(f"{' '.join(cmd)} failed: {r.stdout}{r.stderr}")
    return r.stdout


def pid_of(folder, name):
    try:
        pid = int(open(os.path.join(folder, "run", f"{name}.pid")).read())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def config(folder, state):
    return f"""[global]
fsid = {state['fsid']}
mon host = v2:127.0.0.1:{state['mon_port']}
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd objectstore = memstore
memstore device bytes = 4294967296
run dir = {folder}/run
admin socket = {folder}/run/$name.asok
log file = {folder}/log/$name.log
pid file = {folder}/run/$name.pid
mon data = {folder}/mon/$cluster-$id
osd data = {folder}/osd/$cluster-$id
keyring = {folder}/keyring
ms bind ipv6 = false
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:{state['rgw_port']}
rgw data = {folder}/rgw
"""


def up(folder):
    for tool in ("ceph-mon", "ceph-osd", "radosgw"):
        if not os.path.exists(f"/usr/bin/{tool}"):
            fail(f"no /usr/bin/{tool}: run scripts/setup (Debian packages ceph-mon, ceph-osd, radosgw)")
    state_file = os.path.join(folder, "rgw.json")
    state = json.load(open(state_file)) if os.path.exists(state_file) else None
    conf = os.path.join(folder, "ceph.conf")
    if state is None or all(pid_of(folder, d) is None for d in DAEMONS):
        # The OSD keeps objects in memory: a stopped cluster is made anew.
        subprocess.run(["rm", "-rf", folder], check=True)
        for sub in ("run", "log", "mon", "osd/ceph-0", "rgw"):
            os.makedirs(os.path.join(folder, sub))
        state = {"fsid": str(uuid.uuid4()), "mon_port": free_port(), "rgw_port": free_port()}
        open(conf, "w").write(config(folder, state))
        keyring = os.path.join(folder, "keyring")
        run(folder, "ceph-authtool", "--create-keyring", keyring, "--gen-key", "-n", "mon.", "--cap", "mon", "allow *")
        for name, caps in (("client.admin", ["mon", "allow *", "osd", "allow *", "mgr", "allow *"]),
                           ("osd.0", ["mon", "allow profile osd", "osd", "allow *", "mgr", "allow profile osd"]),
                           ("client.rgw.a", ["mon", "allow rw", "osd", "allow rwx"])):
            run(folder, "ceph-authtool", keyring, "--gen-key", "-n", name, *sum((["--cap", caps[i], caps[i + 1]] for i in range(0, len(caps), 2)), []))
        run(folder, "monmaptool", "--create", "--addv", "a", f"[v2:127.0.0.1:{state['mon_port']}]", "--fsid", state["fsid"], "monmap")
        run(folder, "ceph-mon", "-c", conf, "--mkfs", "-i", "a", "--monmap", "monmap", "--keyring", keyring)
        run(folder, "ceph-mon", "-c", conf, "-i", "a")
        run(folder, "ceph", "-c", conf, "osd", "create", timeout=30)
        run(folder, "ceph-osd", "-c", conf, "-i", "0", "--mkfs")
        run(folder, "ceph-osd", "-c", conf, "-i", "0")
        run(folder, "radosgw", "-c", conf, "-n", "client.rgw.a")
        endpoint = f"http://127.0.0.1:{state['rgw_port']}"
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(endpoint + "/", timeout=2).read()
                break
            except OSError:
                if time.time() > deadline:
                    fail(f"radosgw did not answer at {endpoint} within 60 s (see {folder}/log)")
                time.sleep(0.2)
        run(folder, "radosgw-admin", "-c", conf, "user", "create", "--uid=shopflow", "--display-name=shopflow",
            f"--access-key={ACCESS_KEY}", f"--secret={SECRET_KEY}")
        json.dump(state, open(state_file, "w"))
    return {"endpoint": f"http://127.0.0.1:{state['rgw_port']}", "region": "us-east-1", "access_key": ACCESS_KEY, "secret_key": SECRET_KEY}


def down(folder):
    for name in reversed(DAEMONS):
        pid = pid_of(folder, name)
        if pid is None:
            continue
        os.kill(pid, signal.SIGTERM)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                os.kill(pid, 0)
                if open(f"/proc/{pid}/stat").read().split()[2] == "Z":  # exited, not yet reaped
                    break
            except OSError:
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)


def main():
    args = sys.argv[1:]
    if len(args) != 2 or args[0] not in ("up", "down"):
        fail(__doc__)
    folder = os.path.abspath(args[1])
    if args[0] == "up":
        print(json.dumps(up(folder)))
    else:
        down(folder)


if __name__ == "__main__":
    main()
