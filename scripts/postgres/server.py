#!/usr/bin/python3
"""A PostgreSQL server (Debian's postgresql-15) on loopback for tests, benchmarks and
scripts/local-cluster, in a folder of its own.

  server.py up DIR [--port P] [--db NAME]   initialise (once) and start; print {"url", "reader_url", "port"} as JSON
  server.py down DIR                        stop it (fast shutdown)

The role `shopflow` (not a superuser) owns database NAME (default shop) and logs in without a
password over loopback (trust: a throwaway test server); `shopflow_reader` may only read what
`shopflow` creates there (for clients' SQL: serve --warehouse-reader); the superuser is `postgres`. Run as root, the server runs as the `postgres` user,
which owns DIR/data (PostgreSQL refuses to run as root).
"""

import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from loopback_port import free_port  # noqa: E402

BIN = "/usr/lib/postgresql/15/bin"


def fail(message):
    print(f"postgres/server.py: {message}", file=sys.stderr)
    sys.exit(1)


def as_server_user(cmd):
    return ["runuser", "-u", "postgres", "--"] + cmd if os.geteuid() == 0 else cmd


def run(cmd, what):
    r = subprocess.run(as_server_user(cmd), capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"{what} failed: {r.stdout}{r.stderr}")
    return r.stdout


def up(folder, port, db):
    if not os.path.exists(os.path.join(BIN, "postgres")):
        fail(f"no PostgreSQL 15 server in {BIN}: run scripts/setup (Debian package postgresql-15)")
    os.makedirs(folder, exist_ok=True)
    data = os.path.join(folder, "data")
    state_file = os.path.join(folder, "postgres.json")
    state = json.load(open(state_file)) if os.path.exists(state_file) else {}
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    if not os.path.exists(os.path.join(data, "PG_VERSION")):
        run([f"{BIN}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], "initdb")
    state["port"] = state.get("port") or port or free_port()
    status = subprocess.run(as_server_user([f"{BIN}/pg_ctl", "-D", data, "status"]), capture_output=True)
    if status.returncode != 0:
        options = (f"-p {state['port']} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c shared_buffers=64MB -c max_connections=50")
        run([f"{BIN}/pg_ctl", "-D", data, "-l", os.path.join(folder, "server.log"), "-w", "-t", "60", "-o", options, "start"], "pg_ctl start")
    url = f"postgresql://shopflow@127.0.0.1:{state['port']}/{db}"
    admin = f"postgresql://postgres@127.0.0.1:{state['port']}/postgres"

    def ask(sql):
        return subprocess.run(["psql", admin, "-tAc", sql], check=True, capture_output=True, text=True).stdout.strip()
    if ask("SELECT 1 FROM pg_roles WHERE rolname = 'shopflow'") != "1":
        ask("CREATE ROLE shopflow LOGIN")
    if ask("SELECT 1 FROM pg_roles WHERE rolname = 'shopflow_reader'") != "1":
        ask("CREATE ROLE shopflow_reader LOGIN")
    if ask(f"SELECT 1 FROM pg_database WHERE datname = '{db}'") != "1":
        ask(f'CREATE DATABASE "{db}" OWNER shopflow')
        in_db = f"postgresql://postgres@127.0.0.1:{state['port']}/{db}"
        subprocess.run(["psql", in_db, "-tAc", "ALTER DEFAULT PRIVILEGES FOR ROLE shopflow IN SCHEMA public GRANT SELECT ON TABLES TO shopflow_reader"],
                       check=True, capture_output=True, text=True)
    state["url"] = url
    state["reader_url"] = f"postgresql://shopflow_reader@127.0.0.1:{state['port']}/{db}"
    with open(state_file, "w") as f:
        json.dump(state, f)
    return state


def down(folder):
    data = os.path.join(folder, "data")
    if os.path.exists(os.path.join(data, "postmaster.pid")):
        subprocess.run(as_server_user([f"{BIN}/pg_ctl", "-D", data, "-m", "fast", "-w", "stop"]), capture_output=True)


def main():
    args = sys.argv[1:]
    if len(args) < 2 or args[0] not in ("up", "down"):
        fail(__doc__)
    folder = os.path.abspath(args[1])
    options = dict(zip(args[2::2], args[3::2]))
    if args[0] == "up":
        print(json.dumps(up(folder, int(options.get("--port", "0")), options.get("--db", "shop"))))
    else:
        down(folder)


if __name__ == "__main__":
    main()
