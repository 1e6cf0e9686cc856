#!/usr/bin/python3
"""The pandas peer of bench/batch_vs_peers.sh: the seed's Lambda logic on one CSV file.

Reads the CSV, drops cancellations (C...) and bad debt (A...), keeps Quantity > 0 and
UnitPrice > 0, fills a missing CustomerID with "Unknown", parses InvoiceDate, computes the amount,
and writes the rows partitioned by year/month. Debian 12 has neither pyarrow nor fastparquet, so
the partitions are written as CSV files (pandas cannot write Parquet here).
Prints the seconds taken.  usage: pandas_peer.py FILE.csv OUT_DIR
"""
import os
import sys
import time

import pandas as pd

start = time.perf_counter()
src, out = sys.argv[1], sys.argv[2]
df = pd.read_csv(src, dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": str})
inv = df["InvoiceNo"].str.strip()
clean = df[~inv.str.upper().str.startswith(("C", "A")) & (df["Quantity"] > 0) & (df["UnitPrice"] > 0)].copy()
clean["CustomerID"] = clean["CustomerID"].fillna("Unknown").str.replace(r"\.0$", "", regex=True)
clean["InvoiceDate"] = pd.to_datetime(clean["InvoiceDate"])
clean["Amount"] = clean["Quantity"] * clean["UnitPrice"]
clean["year"] = clean["InvoiceDate"].dt.year
clean["month"] = clean["InvoiceDate"].dt.month
for (year, month), part in clean.groupby(["year", "month"]):
    folder = os.path.join(out, "transactions", f"year={year}", f"month={month:02d}")
    os.makedirs(folder, exist_ok=True)
    part.drop(columns=["year", "month"]).to_csv(os.path.join(folder, "part-0.csv"), index=False)
print(f"{time.perf_counter() - start:.3f}")
