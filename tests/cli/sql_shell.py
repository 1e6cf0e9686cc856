"""`shopflow sql` as a shell: tests/cli/sql_shell.tsv as scripts (stdin, `sql -`, `--file`), and
once on a terminal (a pty): libedit's prompt answers and the history file is written."""

import os
import pty
import select
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "adversarial"))
from harness import REFERENCE, SHOPFLOW, check, main, read_cases  # noqa: E402


def terminal_session(data, home):
    """Runs the shell on a pty: a statement over two lines, then .quit. Returns what it printed."""
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["HOME"] = home
        os.execv(SHOPFLOW, [SHOPFLOW, "sql", "--data", data])
    out = b""

    def read_until(text, timeout=20):
        nonlocal out
        deadline = time.time() + timeout
        while text.encode() not in out and time.time() < deadline:
            if select.select([fd], [], [], 0.2)[0]:
                try:
                    out += os.read(fd, 65536)
                except OSError:
                    break
        check(text.encode() in out, f"the shell never printed {text!r}: {out.decode(errors='replace')[-500:]}")
    read_until("shopflow> ")
    os.write(fd, b"SELECT 41 + 1\r")
    read_until("...> ")
    os.write(fd, b"AS answer;\r")
    read_until("(1 row)")
    os.write(fd, b".quit\r")
    _, status = os.waitpid(pid, 0)
    check(os.waitstatus_to_exitcode(status) == 0, f"the shell exited {status}: {out.decode(errors='replace')[-300:]}")
    return out.decode(errors="replace")


def run():
    with tempfile.TemporaryDirectory(prefix="shopflow-sql-shell-") as tmp:
        data = os.path.join(tmp, "data")
        subprocess.run([SHOPFLOW, "batch", REFERENCE, "--data", data], check=True, capture_output=True)
        failures = []
        for lineno, (script, code, stdout, stderr) in read_cases(os.path.join(os.path.dirname(__file__), "sql_shell.tsv")):
            text = script.replace("\\n", "\n") + "\n"
            path = os.path.join(tmp, f"script-{lineno}.sql")
            with open(path, "w") as f:
                f.write(text)
            for how, args, stdin in (("stdin", [], text), ("sql -", ["-"], text), ("--file", ["--file", path], "")):
                r = subprocess.run([SHOPFLOW, "sql", "--data", data] + args, input=stdin, capture_output=True, text=True, timeout=60)
                where = f"sql_shell.tsv:{lineno} ({how})"
                if r.returncode != int(code):
                    failures.append(f"{where}: exit {r.returncode}, expected {code}: {r.stderr[-300:]}")
                for want, got in ((stdout, r.stdout), (stderr, r.stderr)):
                    for piece in ([] if want == "-" else want.split(" ; ")):
                        if piece not in got:
                            failures.append(f"{where}: no {piece!r} in {got[-400:]!r}")
            if "never" in script and "never" in r.stdout:
                failures.append(f"sql_shell.tsv:{lineno}: ran statements after .quit")
        out = terminal_session(data, tmp)
        if "answer" not in out or "42" not in out:
            failures.append(f"terminal: no answer in {out[-400:]!r}")
        history = os.path.join(tmp, ".shopflow_history")
        # libedit writes a space as \\040
        if not os.path.exists(history) or "answer;" not in open(history, errors="replace").read():
            failures.append("terminal: ~/.shopflow_history does not hold the statement")
        check(not failures, "\n".join(failures))


if __name__ == "__main__":
    sys.argv = [sys.argv[0], "sql shell"]
    main({"sql shell": run})
