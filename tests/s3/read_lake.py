"""Reads a shopflow lake on S3 the way a notebook does: pyarrow's own S3 filesystem (from PyPI),
Hive partitioning, no shopflow code. Prints one JSON object of figures per table:
  {"transactions": {"rows", "distinct_sources", "amount", "partitions"}, "cancellations": {...}}

  read_lake.py ENDPOINT BUCKET PREFIX      (keys from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)
"""
import json
import os
import sys
from urllib.parse import urlparse

import pyarrow.compute as pc
import pyarrow.dataset as ds
from pyarrow import fs


def main():
    endpoint, bucket, prefix = sys.argv[1:4]
    u = urlparse(endpoint)
    s3 = fs.S3FileSystem(access_key=os.environ["AWS_ACCESS_KEY_ID"], secret_key=os.environ["AWS_SECRET_ACCESS_KEY"],
                         endpoint_override=u.netloc, scheme=u.scheme, region=os.environ.get("AWS_REGION", "us-east-1"))
    out = {}
    for table in ("transactions", "cancellations"):
        data = ds.dataset(f"{bucket}/{prefix.strip('/')}/{table}", filesystem=s3, format="parquet", partitioning="hive")
        t = data.to_table(columns=["source", "amount", "year", "month"])
        out[table] = {
            "rows": t.num_rows,
            "distinct_sources": len(pc.unique(t["source"])),
            "amount": str(pc.sum(t["amount"]).as_py()),
            "partitions": sorted({f"{y}-{m:02d}" for y, m in zip(t["year"].to_pylist(), t["month"].to_pylist())}),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
