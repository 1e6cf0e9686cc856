"""Idempotency-Key bound to the body (issue 13, section 2): cases/idempotency.tsv, then exact sinks."""

import json
import threading

from harness import REFERENCE, Server, cases, check


def load_rows():
    import csv
    with open(REFERENCE, newline="", encoding="utf-8") as f:
        lines = f.read().splitlines(keepends=True)
    with open(REFERENCE, newline="", encoding="utf-8") as f:
        records = list(csv.DictReader(f))
    return lines[0], lines[1:], records


def body(fmt, header, lines, records, lo, hi):
    if fmt == "csv":
        return (header + "".join(lines[lo:hi])).encode(), "text/csv"
    if fmt == "ndjson":
        return "".join(json.dumps(r) + "\n" for r in records[lo:hi]).encode(), "application/x-ndjson"
    return json.dumps(records[lo:hi]).encode(), "application/json"


def run():
    header, lines, records = load_rows()
    server = Server()
    try:
        server.add_client("loader", "ingest")
        server.add_client("analyst", "sql")
        server.start()
        token = server.token("loader")
        stored = {}      # key -> (first answer's JSON, its slice): what the key appended
        rows_stored = set()
        failures = []
        for lineno, fields in cases("idempotency"):
            where = f"cases/idempotency.tsv:{lineno}"
            if fields[0].startswith("@restart"):
                server.stop(9 if fields[0].split()[1] == "kill" else 15)
                server.start()
                token = server.token("loader")
                continue
            key, spans, fmt, parallel, expect = fields
            spans = [tuple(map(int, s.split("-"))) for s in spans.split(",")]
            allowed = set(map(int, expect.split("|")))
            answers = [None] * int(parallel)

            def post(i):
                lo, hi = spans[i % len(spans)]
                data, ctype = body(fmt, header, lines, records, lo, hi)
                status, answer, headers = server.request("POST", "/v1/records", data, {
                    "Authorization": "Bearer " + token, "Content-Type": ctype, "Idempotency-Key": key})
                answers[i] = (status, answer, headers, (lo, hi))

            threads = [threading.Thread(target=post, args=(i,)) for i in range(int(parallel))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            # The answer that appended first: replays may have finished before it in the list.
            answers.sort(key=lambda a: a[2].get("Idempotent-Replayed") == "true")
            for status, answer, headers, (lo, hi) in answers:
                if status not in allowed:
                    failures.append(f"{where}: {status} (expected {expect}): {answer[:200]}")
                    continue
                if status != 200:
                    continue
                doc = json.loads(answer)
                replayed = headers.get("Idempotent-Replayed") == "true"
                if key in stored:
                    first, span = stored[key]
                    if not replayed:
                        failures.append(f"{where}: key {key} appended a second time")
                    elif span != (lo, hi) or doc["accepted"] != first["accepted"] or doc["shards"] != first["shards"]:
                        failures.append(f"{where}: key {key}'s replay differs from its first answer: {doc} vs {first}")
                else:
                    if replayed:
                        failures.append(f"{where}: key {key} replayed an answer it never gave")
                    check(doc["accepted"] == hi - lo, f"{where}: accepted {doc['accepted']} of {hi - lo}")
                    stored[key] = (doc, (lo, hi))
                    overlap = rows_stored & set(range(lo, hi))
                    if overlap:
                        failures.append(f"{where}: rows {min(overlap)}.. stored under two keys (a broken case)")
                    rows_stored |= set(range(lo, hi))
        check(not failures, "\n".join(failures))
        # Every row not stored yet, under fresh keys; then the sinks hold the file exactly once.
        missing = [i for i in range(len(lines)) if i not in rows_stored]
        runs, start = [], None
        for prev, i in zip([None] + missing, missing):
            if start is None or i != prev + 1:
                if start is not None:
                    runs.append((start, prev + 1))
                start = i
        if start is not None:
            runs.append((start, missing[-1] + 1))
        for n, (lo, hi) in enumerate(runs):
            for a in range(lo, hi, 5000):
                data, ctype = body("csv", header, lines, records, a, min(hi, a + 5000))
                status, answer, _ = server.request("POST", "/v1/records", data, {
                    "Authorization": "Bearer " + token, "Content-Type": ctype, "Idempotency-Key": f"fill-{a}"})
                check(status == 200, f"fill {a}: {status} {answer[:200]}")
        analyst = server.token("analyst")
        server.wait_caught_up(analyst, len(lines))
        server.expect_reference_sinks(analyst, sent_as_csv=False)
        check(server.stop() == 0, "serve did not stop cleanly: " + server.log())
    finally:
        server.close()
