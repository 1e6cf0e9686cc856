"""Exit codes and leftovers of failing commands: tests/cli/exit_codes.tsv."""

import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "adversarial"))
from harness import REFERENCE, SHOPFLOW, check, main, read_cases  # noqa: E402


def run():
    with tempfile.TemporaryDirectory(prefix="shopflow-exit-codes-") as tmp:
        data = os.path.join(tmp, "data")
        subprocess.run([SHOPFLOW, "batch", REFERENCE, "--data", data], check=True, capture_output=True)
        subprocess.run([SHOPFLOW, "clients", "add", "someone", "--scopes", "read", "--data", data], check=True, capture_output=True)
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen()  # held, never accepted: a port another program uses
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            free = s.getsockname()[1]
        failures = []
        for n, (lineno, (command, code, says, absent)) in enumerate(read_cases(os.path.join(os.path.dirname(__file__), "exit_codes.tsv"))):
            folder = os.path.join(tmp, f"dir-{n}")
            os.mkdir(folder)
            subst = {"<DATA>": data, "<NEW>": os.path.join(tmp, f"new-{n}"), "<DIR>": folder, "<FILE>": REFERENCE,
                     "<PORT>": str(busy.getsockname()[1]), "<FREE>": str(free)}

            def fill(text):
                for k, v in subst.items():
                    text = text.replace(k, v)
                return text
            args = [fill(a) for a in shlex.split(command)]
            started = time.time()
            r = subprocess.run([SHOPFLOW] + args, capture_output=True, text=True, timeout=60)
            where = f"exit_codes.tsv:{lineno} (shopflow {command})"
            if r.returncode != int(code):
                failures.append(f"{where}: exit {r.returncode}, expected {code}: {r.stderr[-300:]}")
            text = fill(says)
            if says != "-" and text not in (r.stdout if int(code) == 0 else r.stderr):
                failures.append(f"{where}: does not say \"{text}\": {(r.stdout + r.stderr)[-300:]}")
            if absent != "-" and os.path.exists(fill(absent)):
                failures.append(f"{where}: left {fill(absent)} behind")
            if time.time() - started > 20:
                failures.append(f"{where}: took {time.time() - started:.0f} s")
        busy.close()
        check(not failures, "\n".join(failures))


if __name__ == "__main__":
    sys.argv = [sys.argv[0], "exit codes"]
    main({"exit codes": run})
