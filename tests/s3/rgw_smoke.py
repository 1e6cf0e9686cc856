"""scripts/s3/rgw.py brings up a real S3 server (Ceph's RADOS Gateway): a bucket, an object put,
read back and listed with SigV4 signatures (curl's, as libcurl will sign the lake's requests), a
wrong secret refused; `down` stops every daemon it started. Keys are sent percent-encoded (the
Hive layout's '=' as %3D, a prefix's '/' as %2F): libcurl 7.88 signs the URL as given, and S3 signs it
encoded."""

import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
RGW = ["/usr/bin/python3", os.path.join(ROOT, "scripts", "s3", "rgw.py")]


def check(ok, message):
    if not ok:
        print(f"FAILED: {message}")
        sys.exit(1)


def curl(s3, secret, *args):
    r = subprocess.run(["curl", "-s", "-w", "\n%{http_code}", "--aws-sigv4", f"aws:amz:{s3['region']}:s3",
                        "--user", f"{s3['access_key']}:{secret}", "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", *args],
                       capture_output=True, text=True, timeout=30)
    body, _, status = r.stdout.rpartition("\n")
    return int(status or 0), body


with tempfile.TemporaryDirectory() as tmp:
    folder = os.path.join(tmp, "rgw")
    try:
        up = subprocess.run(RGW + ["up", folder], capture_output=True, text=True, timeout=180)
        check(up.returncode == 0, f"rgw.py up: {up.stdout}{up.stderr}")
        s3 = json.loads(up.stdout)
        e, secret = s3["endpoint"], s3["secret_key"]
        check(curl(s3, secret, "-X", "PUT", f"{e}/lake")[0] == 200, "create bucket")
        payload = os.path.join(tmp, "part.parquet")
        with open(payload, "wb") as f:
            f.write(os.urandom(300_000))
        check(curl(s3, secret, "-T", payload, f"{e}/lake/transactions/year%3D2010/month%3D12/part.parquet")[0] == 200, "put object")
        status, body = curl(s3, secret, "-o", os.path.join(tmp, "back"), f"{e}/lake/transactions/year%3D2010/month%3D12/part.parquet")
        check(status == 200 and open(os.path.join(tmp, "back"), "rb").read() == open(payload, "rb").read(), f"get object: {status}")
        status, body = curl(s3, secret, f"{e}/lake?list-type=2&prefix=transactions%2F")
        check(status == 200 and "<Key>transactions/year=2010/month=12/part.parquet</Key>" in body, f"list: {status} {body[:300]}")
        status, body = curl(s3, "not-the-secret", f"{e}/lake?list-type=2")
        check(status == 403 and "SignatureDoesNotMatch" in body, f"a wrong secret: {status} {body[:200]}")
    finally:
        subprocess.run(RGW + ["down", folder], timeout=60)
    left = subprocess.run(["pgrep", "-f", folder], capture_output=True, text=True).stdout.split()
    alive = [p for p in left if os.path.exists(f"/proc/{p}") and open(f"/proc/{p}/stat").read().split()[2] != "Z"]
    check(not alive, f"daemons left running: {alive}")
print("S3.RadosGatewayAnswersSignedRequests: put, get, list, wrong secret refused")
