"""psql 15 (Debian's postgresql-client) against pgwire: cases.tsv, one psql command per line, on a
server holding the December file."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "adversarial"))
from harness import REFERENCE, SHOPFLOW, Server, check, main, read_cases  # noqa: E402


def run():
    server = Server()
    try:
        subprocess.run([SHOPFLOW, "batch", REFERENCE, "--data", server.data], check=True, capture_output=True)
        cid, secret = server.add_client("analyst", "sql")
        server.start()
        dsn = f"host=127.0.0.1 port={server.pg_port} dbname=shopflow user={cid} sslmode=disable connect_timeout=10"
        failures = []
        for lineno, (command, expected, *code) in read_cases(os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases.tsv")):
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
        check(not failures, "\n".join(failures))
    finally:
        server.close()


if __name__ == "__main__":
    sys.argv = [sys.argv[0], "psql"]
    main({"psql": run})
