"""The lake read as a notebook reads it: pandas.read_parquet (pyarrow) and pyarrow.dataset with
Hive partitioning, of the December file both batch-imported and streamed (while the stream is
being written too), give CONTRACT.md's counts and revenue. Run with the venv scripts/setup makes
(third_party/venv: pyarrow and pandas from PyPI)."""

import decimal
import os
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "adversarial"))
from harness import REFERENCE, REFERENCE_COUNTS, REFERENCE_REVENUE, SHOPFLOW, Server, check, main  # noqa: E402

import pandas  # noqa: E402
import pyarrow.dataset as ds  # noqa: E402


def check_lake(lake, where):
    for table in ("transactions", "cancellations"):
        frame = pandas.read_parquet(os.path.join(lake, table), engine="pyarrow")
        check(len(frame) == REFERENCE_COUNTS[table], f"{where}: pandas reads {len(frame)} {table}, expected {REFERENCE_COUNTS[table]}")
        check({"year", "month", "invoice_no", "amount"} <= set(frame.columns), f"{where}: columns {list(frame.columns)}")
        dataset = ds.dataset(os.path.join(lake, table), format="parquet", partitioning="hive")
        check(dataset.count_rows() == REFERENCE_COUNTS[table], f"{where}: pyarrow.dataset counts {dataset.count_rows()} {table}")
    revenue = sum(pandas.read_parquet(os.path.join(lake, "transactions"), columns=["amount"])["amount"], decimal.Decimal(0))
    check(str(revenue) == REFERENCE_REVENUE, f"{where}: revenue {revenue}, expected {REFERENCE_REVENUE} (exact decimals)")
    december = pandas.read_parquet(os.path.join(lake, "transactions"), filters=[("year", "=", 2010), ("month", "=", 12)])
    check(len(december) == REFERENCE_COUNTS["transactions"], f"{where}: a partition filter reads {len(december)} rows")


def run():
    with tempfile.TemporaryDirectory(prefix="shopflow-lake-") as tmp:
        batch = os.path.join(tmp, "batch")
        subprocess.run([SHOPFLOW, "batch", REFERENCE, "--data", batch], check=True, capture_output=True)
        check_lake(os.path.join(batch, "lake"), "batch import")
    server = Server(["--lake-flush-ms", "50"])
    try:
        server.add_client("loader", "ingest")
        server.add_client("analyst", "sql")
        server.start()
        lake = os.path.join(server.data, "lake")
        reads, errors, done = [0], [], threading.Event()

        def read_while_written():  # a notebook reading while the stream writes: never a half file
            while not done.is_set():
                try:
                    for table in ("transactions", "cancellations"):
                        if os.path.isdir(os.path.join(lake, table)):
                            ds.dataset(os.path.join(lake, table), format="parquet", partitioning="hive").count_rows()
                    reads[0] += 1
                except Exception as e:  # noqa: BLE001
                    errors.append(repr(e))
        reader = threading.Thread(target=read_while_written)
        reader.start()
        total = server.stream_reference(server.token("loader"), batch_rows=500)
        server.wait_caught_up(server.token("analyst"), total)
        done.set()
        reader.join()
        check(not errors, f"reading the lake while it was written failed {len(errors)} times of {reads[0]}: {errors[:3]}")
        check_lake(lake, "stream")
    finally:
        server.close()


if __name__ == "__main__":
    sys.argv = [sys.argv[0], "lake"]
    main({"lake": run})
