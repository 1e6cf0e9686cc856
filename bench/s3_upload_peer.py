"""The S3 server's own upload rate as another client gets it: pyarrow's S3 filesystem (the AWS
C++ SDK) writes COUNT copies of FILE as objects PREFIX/peer-<i>, one after another.
Prints "objects bytes seconds".   s3_upload_peer.py ENDPOINT BUCKET PREFIX FILE COUNT"""
import os
import sys
import time
from urllib.parse import urlparse

from pyarrow import fs

endpoint, bucket, prefix, path, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
u = urlparse(endpoint)
s3 = fs.S3FileSystem(access_key=os.environ["AWS_ACCESS_KEY_ID"], secret_key=os.environ["AWS_SECRET_ACCESS_KEY"],
                     endpoint_override=u.netloc, scheme=u.scheme, region=os.environ.get("AWS_REGION", "us-east-1"))
data = open(path, "rb").read()
took = 0.0
for i in range(count):
    start = time.perf_counter()
    with s3.open_output_stream(f"{bucket}/{prefix}/peer-{i}") as out:
        out.write(data)
    took += time.perf_counter() - start
print(count, len(data) * count, f"{took:.3f}")
