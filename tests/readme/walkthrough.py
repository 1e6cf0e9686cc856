"""Runs the README's walkthrough block as it stands (bash -e, HOME a temp dir, its two ports
moved to free ones) and checks what each step printed: a new user's first hour, kept working."""

import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from loopback_port import free_port  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def fail(message):
    print("FAILED: " + message, file=sys.stderr)
    sys.exit(1)


def main():
    readme = open(os.path.join(ROOT, "README.md")).read()
    section = readme.split("## Walkthrough", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    if len(blocks) != 1:
        fail(f"the walkthrough has {len(blocks)} sh blocks, expected 1")
    script = blocks[0].replace("8080", str(free_port())).replace("5433", str(free_port()))
    home = tempfile.mkdtemp(prefix="shopflow-walkthrough-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(HOME=home, PATH=os.environ["PATH"])
    r = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    out, err = r.stdout, r.stderr
    print(out)
    if r.returncode != 0:
        fail(f"the walkthrough exited {r.returncode}:\n{err[-3000:]}")
    # Each step's answer, as printed (the generated rows are the same for every run of gen).
    expected = [
        ("batch", r"transactions\s+\d{5}"),
        ("sql", r"United Kingdom\s+\d+\s+\d+\.\d{3}"),
        ("catalog", r"warehouse\.transactions\s+base table\s+11\s+\d+"),
        ("clients add", r"client_id:\s+sf_"),
        ("send", r"the server stores \d+ as transactions, \d+ as cancellations, \d+ rejected"),
        ("send --wait", r"stored by every sink \d+\.\d+ s after the start"),
        ("invoice lookup", r'"InvoiceNo":"536365"|"invoice_no":"536365"'),
        ("customer lookup", r"14531"),
        ("dashboard", r"dashboard: http://127\.0\.0\.1:\d+/  client id: sf_"),
        ("psql \\dt", r"transactions\s*\|\s*table"),
        ("psql query", r"United Kingdom\s*\|"),
    ]
    for step, pattern in expected:
        if not re.search(pattern, out):
            fail(f"step '{step}': nothing like /{pattern}/ in the output")
        print(f"ok {step}")
    # After send --wait, the count holds the batch's transactions and the sent ones.
    stored = re.search(r"the server stores (\d+) as transactions", out).group(1)
    counts = [int(n) for n in re.findall(r"^\s*(\d+)\s*$", out, re.M)]
    batch = int(re.search(r"transactions\s+(\d+)", out).group(1))
    if batch + int(stored) not in counts:
        fail(f"sql after send: no count of {batch} + {stored} in {counts}")
    print("ok sql through the server")
    # Nothing alarming on stderr, and the server's log has no error.
    if re.search(r"\berror\b", err, re.I):
        fail("stderr holds an error:\n" + err[-2000:])
    log = open(os.path.join(home, "shop-serve.log")).read()
    if re.search(r"\berror\b|\bERROR\b", log):
        fail("the server logged an error:\n" + log[-2000:])
    print("walkthrough: all steps passed")


main()
