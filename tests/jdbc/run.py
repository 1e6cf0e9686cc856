"""pgjdbc against pgwire: JdbcCheck.java run by the machine's JDK on a server holding the
December file (skipped, saying why, where there is no java)."""

import glob
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "adversarial"))
from harness import REFERENCE, SHOPFLOW, Server, Skip, check, main  # noqa: E402


def run():
    java = shutil.which("java")
    if not java:
        raise Skip("no java on PATH (the JDK runs the pgjdbc check)")
    jars = glob.glob(os.path.join(HERE, "..", "..", "third_party", "pgjdbc", "postgresql-*.jar"))
    check(jars, "no pgjdbc jar in third_party/pgjdbc (scripts/setup fetches it)")
    server = Server()
    try:
        subprocess.run([SHOPFLOW, "batch", REFERENCE, "--data", server.data], check=True, capture_output=True)
        cid, secret = server.add_client("bi", "sql")
        server.start()
        r = subprocess.run([java, "-cp", jars[0], os.path.join(HERE, "JdbcCheck.java"), str(server.pg_port), cid, secret],
                           capture_output=True, text=True, timeout=120)
        print(r.stdout, end="")
        check(r.returncode == 0, f"pgjdbc: {r.stderr[-1500:]}")
    finally:
        server.close()


if __name__ == "__main__":
    sys.argv = [sys.argv[0], "pgjdbc"]
    main({"pgjdbc": run})
