"""`shopflow sql` and `shopflow catalog` print the same while `shopflow serve` holds the data dir
(they go through its POST /v1/sql) as they do on the data dir alone."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "adversarial"))
from harness import REFERENCE, SHOPFLOW, Server, check, main  # noqa: E402

QUERIES = [
    "SELECT country, count(*) AS n, sum(amount) AS revenue, NULL AS nothing, 'a\"b,c' AS text FROM transactions "
    "GROUP BY 1 ORDER BY 2 DESC LIMIT 5",
    "SELECT * FROM daily_sales ORDER BY day",
    "SELECT year, month, count(*) FROM lake.transactions GROUP BY ALL ORDER BY ALL",
    "SELECT reason, detail, raw FROM rejected ORDER BY source LIMIT 3",
    "SELECT 1.5::DOUBLE AS d, 2::HUGEINT AS h, true AS b, DATE '2010-12-01' AS day, [1, 2] AS list",
]


def outputs(data):
    out = {}
    for i, q in enumerate(QUERIES):
        for fmt in ("table", "csv", "json"):
            r = subprocess.run([SHOPFLOW, "sql", q, "--data", data, "--format", fmt], capture_output=True, text=True)
            out[(i, fmt)] = (r.returncode, r.stdout)
    for fmt in ("table", "csv", "json"):
        r = subprocess.run([SHOPFLOW, "catalog", "--data", data, "--format", fmt], capture_output=True, text=True)
        out[("catalog", fmt)] = (r.returncode, r.stdout)
    r = subprocess.run([SHOPFLOW, "sql", "SELECT * FROM no_such_table", "--data", data], capture_output=True, text=True)
    out["error"] = (r.returncode, r.stderr)
    return out


def run():
    server = Server()
    try:
        subprocess.run([SHOPFLOW, "batch", REFERENCE, "--data", server.data], check=True, capture_output=True)
        alone = outputs(server.data)
        check(all(code == 0 for key, (code, _) in alone.items() if key != "error"), f"failed on the data dir alone: {alone}")
        server.start()
        serving = outputs(server.data)
        for key, want in alone.items():
            check(serving[key] == want, f"{key} while serving:\n{str(serving[key][1])[:1500]}\nalone:\n{str(want[1])[:1500]}")
    finally:
        server.close()


if __name__ == "__main__":
    sys.argv = [sys.argv[0], "cli"]
    main({"cli": run})
