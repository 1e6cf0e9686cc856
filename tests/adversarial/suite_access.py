"""Nobody gets in where they don't belong (issue 13, section 4): raw HTTP attacks from
cases/access.tsv, a token-endpoint flood, a pgwire connection flood, SCRAM salts that do not tell
which users exist; the sinks stay exact (the December file, streamed first); every refusal is in
the log at once, without the token it refused (cases/refusals.tsv); a token's claims cannot add
lines to an answer's head (cases/header_injection.tsv)."""

import base64
import collections
import concurrent.futures
import json
import os
import re
import shutil
import socket
import struct
import time

from harness import SHOPFLOW, Server, cases, check


def raw(server, request):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(request)
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
                if b"\r\n\r\n" in data:
                    head, _, body = data.partition(b"\r\n\r\n")
                    length = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                    if length and len(body) >= length[0]:
                        break
        except socket.timeout:
            pass
    return int(data.split(b" ")[1]) if data else 0, data


def scram_salt(server, user):
    """The salt the server offers `user` in SCRAM's server-first message."""
    with socket.create_connection(("127.0.0.1", server.pg_port), timeout=10) as s:
        params = b"user\0" + user.encode() + b"\0database\0shopflow\0\0"
        s.sendall(struct.pack("!ii", 8 + len(params), 196608) + params)
        def message():
            head = s.recv(5, socket.MSG_WAITALL)
            n = struct.unpack("!i", head[1:])[0] - 4
            return head[:1], s.recv(n, socket.MSG_WAITALL) if n else b""
        kind, body = message()
        check(kind == b"R" and struct.unpack("!i", body[:4])[0] == 10, f"no SASL offer: {kind} {body}")
        first = b"n,,n=,r=fixednonce"
        payload = b"SCRAM-SHA-256\0" + struct.pack("!i", len(first)) + first
        s.sendall(b"p" + struct.pack("!i", 4 + len(payload)) + payload)
        kind, body = message()
        check(kind == b"R" and struct.unpack("!i", body[:4])[0] == 11, f"no server-first: {kind} {body}")
        return dict(part.split(b"=", 1) for part in body[4:].split(b","))[b"s"]


def run():
    web = None
    server = Server()
    try:
        web = os.path.join(server.tmp, "web")
        shutil.copytree(os.path.join(os.path.dirname(SHOPFLOW), "share", "shopflow", "web"), web)
        os.symlink("/etc/passwd", os.path.join(web, "outside.txt"))
        server.extra_args += ["--web-root", web, "--pg-max-connections", "32", "--pg-login-timeout", "2"]
        server.add_client("loader", "ingest")
        server.add_client("analyst", "sql")
        server.add_client("reader", "read")
        server.start()
        analyst, reader = server.token("analyst"), server.token("reader")
        total = server.stream_reference(server.token("loader"))
        server.wait_caught_up(analyst, total)
        host = f"127.0.0.1:{server.port}".encode()
        failures = []
        for lineno, (request, status, forbidden) in cases("access"):
            req = request.replace("\\r\\n", "\r\n").encode().replace(b"<HOST>", host).replace(b"<SQL>", analyst.encode()).replace(b"<READ>", reader.encode())
            got, data = raw(server, req)
            if got != int(status):
                failures.append(f"cases/access.tsv:{lineno}: {got}, expected {status}: {data[:200]}")
            if forbidden != "-" and forbidden.encode() in data:
                failures.append(f"cases/access.tsv:{lineno}: the answer holds {forbidden!r}")
        check(not failures, "\n".join(failures))

        # SCRAM: an unknown user's salt is as stable as a known one's, and differs per name.
        cid = server.clients["analyst"][0]
        check(scram_salt(server, cid) == scram_salt(server, cid), "a known user's salt changed")
        check(scram_salt(server, "nobody") == scram_salt(server, "nobody"), "an unknown user's salt changes per attempt")
        check(scram_salt(server, "nobody") != scram_salt(server, "nobody-else"), "unknown users share one salt")

        pipelined_answers_are_framed(server, reader)
        claims_cannot_add_header_lines(server, reader)
        token_flood(server, analyst)
        pg_flood(server, analyst)
        server.expect_reference_sinks(analyst)
        check(server.stop() == 0, "serve did not stop cleanly: " + server.log())
    finally:
        server.close()
    refusals_survive_a_kill()


def sql_p50(server, token, n=20):
    times = []
    for _ in range(n):
        t = time.time()
        status, body = server.sql(token, "SELECT count(*) FROM transactions")
        check(status == 200, body[:200])
        times.append(time.time() - t)
    return sorted(times)[n // 2]


def token_flood(server, analyst):
    """400 token requests with wrong secrets, 64 at a time: each is refused (401, 429 or 503) and
    SQL's median latency stays within a few times what it was."""
    before = sql_p50(server, analyst)
    cid = server.clients["analyst"][0]
    statuses = {}

    def bad_login(i):
        status, _, _ = server.request("POST", "/oauth2/token",
                                      f"grant_type=client_credentials&client_id={cid}&client_secret=wrong{i}".encode(),
                                      {"Content-Type": "application/x-www-form-urlencoded"})
        statuses[status] = statuses.get(status, 0) + 1

    with concurrent.futures.ThreadPoolExecutor(64) as pool:
        futures = [pool.submit(bad_login, i) for i in range(400)]
        during = sql_p50(server, analyst)
        for f in futures:
            f.result()
    check(set(statuses) <= {401, 429, 503}, f"token flood answers: {statuses}")
    check(statuses.get(429, 0) + statuses.get(503, 0) > 300, f"the flood was not limited: {statuses}")
    check(during < max(0.05, 5 * before), f"SQL p50 {during * 1000:.1f} ms during the flood, {before * 1000:.1f} ms before")
    time.sleep(3)  # the client's bucket refills: its real secret works again
    server.token("analyst")


def threads_of(pid):
    with open(f"/proc/{pid}/status") as f:
        return int([l for l in f if l.startswith("Threads:")][0].split()[1])


def pg_flood(server, analyst):
    """2,000 idle TCP connections to pgwire: refused beyond the cap without a thread each, HTTP
    unaffected, and once the login timeout passes a real client logs in."""
    base = threads_of(server.proc.pid)
    socks = []
    for _ in range(2000):
        try:
            socks.append(socket.create_connection(("127.0.0.1", server.pg_port), timeout=5))
        except OSError:
            break
    time.sleep(0.5)
    check(threads_of(server.proc.pid) <= base + 40, f"{threads_of(server.proc.pid)} threads with idle pgwire sockets (base {base})")
    t = time.time()
    status, _, _ = server.request("GET", "/healthz")
    check(status == 200 and time.time() - t < 1.0, f"HTTP under a pgwire flood: {status} in {time.time() - t:.2f} s")
    check(sql_p50(server, analyst, 5) < 1.0, "SQL under a pgwire flood")
    time.sleep(3)  # past --pg-login-timeout: the idle sockets are closed by the server
    con = server.pg("analyst")
    cur = con.cursor()
    cur.execute("SELECT count(*) FROM transactions")
    check(cur.fetchone()[0] == 41480, "pgwire after the flood")
    con.close()
    for s in socks:
        s.close()


def pipelined_answers_are_framed(server, reader):
    """Requests pipelined on one keep-alive connection, refused ones among them, get one answer
    each, in order, each framed by its Content-Length: no answer runs into the next."""
    sent = [("GET /healthz", None, 200), ("GET /v1/invoices/536365", None, 401),
            ("GET /v1/invoices/536365", reader, 200), ("GET /v1/invoices/536365", "x" + reader, 401),
            ("GET /v1/nothing-here", reader, 404), ("POST /v1/sql", reader, 403), ("GET /v1/invoices/536366", reader, 200)]
    host = f"127.0.0.1:{server.port}"
    data = b"".join(f"{line} HTTP/1.1\r\nHost: {host}\r\n".encode() +
                    (f"Authorization: Bearer {token}\r\n".encode() if token else b"") +
                    (b"Content-Length: 0\r\n" if line.startswith("POST") else b"") + b"\r\n"
                    for line, token, _ in sent)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(data)
        buffered = b""
        for line, _, status in sent:
            while b"\r\n\r\n" not in buffered:
                chunk = s.recv(65536)
                check(chunk, f"pipelined: the connection closed before the answer to {line}")
                buffered += chunk
            head, _, buffered = buffered.partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            length = [int(l.split(b":", 1)[1]) for l in lines[1:] if l.lower().startswith(b"content-length:")]
            check(len(length) == 1, f"pipelined {line}: {len(length)} Content-Length fields: {head!r}")
            while len(buffered) < length[0]:
                chunk = s.recv(65536)
                check(chunk, f"pipelined: the connection closed inside the answer to {line}")
                buffered += chunk
            body, buffered = buffered[:length[0]], buffered[length[0]:]
            got = int(lines[0].split(b" ")[1])
            check(lines[0].startswith(b"HTTP/1.1 ") and got == status, f"pipelined {line}: {lines[0]!r}, expected {status}")
            json.loads(body)  # every answer's body is whole JSON
            check(reader.encode() not in head + body, f"pipelined {line}: the answer holds the token")
        check(buffered == b"", f"pipelined: bytes after the last answer: {buffered[:200]!r}")


def claims_cannot_add_header_lines(server, token):
    """cases/header_injection.tsv: a claim with line breaks, quoted by the 401's WWW-Authenticate,
    neither adds a field nor starts a body: the head holds the server's fields only."""
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    def unb64(text):
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    def authenticate(head):
        return next(line.split(b":", 1)[1].strip() for line in head.split(b"\r\n") if line.lower().startswith(b"www-authenticate:"))

    parts = token.split(".")
    failures = []
    for lineno, (part, claim, appended) in cases("header_injection"):
        appended = appended.replace("\\r", "\r").replace("\\n", "\n")
        index = {"header": 0, "payload": 1}[part]
        doc = json.loads(unb64(parts[index]))
        doc[claim] = str(doc.get(claim, "")) + appended
        forged = parts[:]
        forged[index] = b64(json.dumps(doc).encode())
        status, data = raw(server, (f"GET /v1/invoices/536365 HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                                    f"Authorization: Bearer {'.'.join(forged)}\r\n\r\n").encode())
        head, _, body = data.partition(b"\r\n\r\n")
        names = sorted(line.split(b":", 1)[0].lower() for line in head.split(b"\r\n")[1:])
        if status != 401 or names != [b"content-length", b"content-type", b"server", b"www-authenticate"]:
            failures.append(f"cases/header_injection.tsv:{lineno}: {status}, fields {names}: {head[:300]!r}")
        elif b"\r" in head.replace(b"\r\n", b"") or b"\n" in head.replace(b"\r\n", b""):
            failures.append(f"cases/header_injection.tsv:{lineno}: a lone line break in the head: {head[:300]!r}")
        elif not re.fullmatch(rb'Bearer realm="shopflow", error="invalid_token", error_description="[\x20\x21\x23-\x5b\x5d-\x7e]*"',
                              authenticate(head)):
            failures.append(f"cases/header_injection.tsv:{lineno}: not RFC 6750's WWW-Authenticate: {authenticate(head)!r}")
        else:
            json.loads(body)  # the body is the server's JSON error, whole
    check(not failures, "\n".join(failures))


def refusals_survive_a_kill():
    """Every refused request of cases/refusals.tsv and every refused pgwire login or statement of
    cases/pg_refusals.tsv has its log line written when it is refused: a kill -9 right after them,
    while a block of info lines is still held, loses none (each refusal has a line of its own),
    and no line holds the token or password it refused."""
    import psycopg2
    server = Server()
    try:
        server.add_client("analyst", "sql")
        server.start()
        reader, analyst = server.token("reader"), server.token("analyst")
        forged = reader[:-8] + "AAAAAAAA"  # a valid token's shape, its signature broken
        for _ in range(50):  # info lines, held in the log's block
            server.request("GET", "/healthz")
        expected, failures = [], []
        for lineno, (method, path, credentials, body, status) in cases("refusals"):
            token = {"none": None, "forged": forged, "reader": reader, "analyst": analyst}[credentials]
            headers = {"Authorization": "Bearer " + token} if token else {}
            got, answer, _ = server.request(method, path, b"x" if body == "-" else body.encode(), headers)
            if got != int(status):
                failures.append(f"cases/refusals.tsv:{lineno}: {got}, expected {status}: {answer[:200]}")
            expected.append((f"cases/refusals.tsv:{lineno}", f"refused status={status} target={path}"))
        for lineno, (client, password, database, statement, error) in cases("pg_refusals"):
            user, secret = server.clients.get(client, (client, "x"))
            try:
                con = psycopg2.connect(host="127.0.0.1", port=server.pg_port, dbname=database, user=user,
                                       password=secret if password == "right" else "wrong", connect_timeout=10)
                try:
                    if statement == "-":
                        failures.append(f"cases/pg_refusals.tsv:{lineno}: {client}@{database} logged in")
                        continue
                    con.cursor().execute(statement)
                    failures.append(f"cases/pg_refusals.tsv:{lineno}: {statement!r} ran")
                    continue
                finally:
                    con.close()
            except psycopg2.Error as e:
                if error != "-" and error not in str(e):
                    failures.append(f"cases/pg_refusals.tsv:{lineno}: expected '{error}': {e}")
            # a login names the user it was given, a statement the client's name
            expected.append((f"cases/pg_refusals.tsv:{lineno}", f"refused protocol=pgwire user={client if statement != '-' else user}"))
        server.proc.kill()
        server.proc.wait(30)
        server.proc = None
        log = server.log()
        # Each refusal has a line of its own: as many lines as refusals expected to write them.
        wanted = collections.Counter(line for _, line in expected)
        for where, line in expected:
            if log.count(line) < wanted[line]:
                failures.append(f"{where}: {log.count(line)} of {wanted[line]} '{line}' lines in the log after a kill -9: {log[-600:]}")
        check(not failures, "\n".join(failures))
        secrets = [reader, analyst, forged] + [secret for _, secret in server.clients.values()]
        check(not any(s in log for s in secrets), "the log holds a token or a secret")
    finally:
        server.close()
