"""Log corruption is not a torn tail (issue 13, section 2): cases/log.tsv."""

import os
import subprocess

from harness import SHOPFLOW, Server, cases, check, flip_byte, segments, REFERENCE_COUNTS


def run():
    failures = []
    for lineno, (segment, where, expect) in cases("log"):
        server = Server(["--shards", "1", "--segment-mb", "1"])
        try:
            server.add_client("loader", "ingest")
            server.add_client("analyst", "sql")
            server.start()
            total = server.stream_reference(server.token("loader"), batch_rows=1000)
            analyst = server.token("analyst")
            server.wait_caught_up(analyst, total)
            check(server.stop() == 0, "serve did not stop cleanly")
            segs = segments(server.data, 0)
            check(len(segs) >= 3, f"only {len(segs)} segments")
            target = segs[0] if segment == "first" else segs[-1]
            at = flip_byte(target, float(where))
            where_ = f"cases/log.tsv:{lineno} ({segment} segment, byte {at})"
            refused = subprocess.run([SHOPFLOW, "serve", "--data", server.data, "--listen", "127.0.0.1:0", "--shards", "1"],
                                     capture_output=True, text=True, timeout=60)
            if refused.returncode == 0 or os.path.basename(target) not in refused.stderr or "corrupt at byte" not in refused.stderr:
                failures.append(f"{where_}: serve did not refuse naming the file: {refused.returncode} {refused.stderr[-300:]}")
                continue
            checked = subprocess.run([SHOPFLOW, "log", "check", "--data", server.data], capture_output=True, text=True)
            if checked.returncode != 1 or os.path.basename(target) not in checked.stdout:
                failures.append(f"{where_}: log check: {checked.returncode} {checked.stdout}")
            repaired = subprocess.run([SHOPFLOW, "log", "repair", "--data", server.data], capture_output=True, text=True)
            if repaired.returncode != 0 or "set aside" not in repaired.stdout:
                failures.append(f"{where_}: log repair: {repaired.returncode} {repaired.stdout} {repaired.stderr}")
            again = subprocess.run([SHOPFLOW, "log", "check", "--data", server.data], capture_output=True, text=True)
            if again.returncode != 0:
                failures.append(f"{where_}: log check after repair: {again.stdout}")
            server.start()
            analyst = server.token("analyst")
            server.expect_reference_sinks(analyst)
            # New rows after the repair are stored too: the end did not move below the sinks.
            body = ("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n" +
                    "".join(f"990{i:03d},X,after repair,1,2011-01-01 10:00:00,1.00,1,France\n" for i in range(100))).encode()
            status, answer, _ = server.request("POST", "/v1/records", body,
                                               {"Authorization": "Bearer " + server.token("loader"), "Content-Type": "text/csv"})
            check(status == 200, f"POST after repair: {status} {answer[:200]}")
            server.wait_sinks_idle()
            got = server.scalar(analyst, "SELECT count(*) FROM transactions WHERE description = 'after repair'")
            if got != 100:
                failures.append(f"{where_}: {got} of 100 rows posted after the repair are stored")
            got = server.scalar(analyst, "SELECT count(*) FROM transactions")
            if got != REFERENCE_COUNTS["transactions"] + 100:
                failures.append(f"{where_}: {got} transactions in all")
            check(server.stop() == 0, "serve did not stop cleanly: " + server.log())
        finally:
            server.close()
    check(not failures, "\n".join(failures))
