"""The main job always says how to sign in to the dashboard: the demo client's id and secret,
kept in DIR/demo-client.json (0600), the same on every run, and a new secret after
`shopflow clients rotate demo`; the printed credentials get a token from `serve`."""

import os
import re
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "adversarial"))
from harness import SHOPFLOW, Server, check, main  # noqa: E402


def main_job(data):
    r = subprocess.run([SHOPFLOW, "--data", data, "--rows", "3000", "--listen", "127.0.0.1:0", "--once"],
                       capture_output=True, text=True, timeout=300)
    check(r.returncode == 0, f"main job exited {r.returncode}: {r.stderr[-500:]}")
    m = re.search(r"client id (\S+), secret (\S+) \(kept in (\S+)\)", r.stdout)
    check(m is not None, f"the main job did not say how to sign in: {r.stdout[-600:]}")
    return m.group(1), m.group(2), m.group(3)


def run():
    with tempfile.TemporaryDirectory(prefix="shopflow-main-job-") as tmp:
        data = os.path.join(tmp, "d")
        first = main_job(data)
        check(first[2] == os.path.join(data, "demo-client.json"), f"kept in {first[2]}")
        check(stat.S_IMODE(os.stat(first[2]).st_mode) == 0o600, "demo-client.json is not 0600")
        check(main_job(data) == first, "a second run printed other credentials")
        subprocess.run([SHOPFLOW, "clients", "rotate", "demo", "--data", data], check=True, capture_output=True)
        rotated = main_job(data)
        check(rotated[0] == first[0] and rotated[1] != first[1], "after rotate: not the same id with a new secret")
        server = Server(data=data)
        try:
            server.clients["demo"] = rotated[:2]
            server.start()
            server.token("demo")  # the printed secret works
        finally:
            server.close()


if __name__ == "__main__":
    sys.argv = [sys.argv[0], "main job"]
    main({"main job": run})
