#!/usr/bin/python3
"""An SMTP server (Debian's python3-aiosmtpd) on loopback for tests and benchmarks, in a folder of
its own: STARTTLS required (a self-signed certificate made here, DIR/ca.pem for clients to trust)
and AUTH required (PLAIN or LOGIN, after STARTTLS) as USER with PASSWORD.

  server.py up DIR [--user U --password P]   start it; print {"port", "ca_file", "user", "password"} as JSON
  server.py down DIR                         stop it

Every message accepted is written as DIR/mail/NNNNNN.json, decoded by Python's email package (not
by shopflow's code): {"mail_from", "rcpt_tos", "auth_user", "tls", "subject", "message_id",
"text", "html", "raw_bytes"}. Written to a temporary name and renamed: a reader sees whole files.
"""

import asyncio
import email
import email.policy
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from loopback_port import free_port  # noqa: E402


def fail(message):
    print(f"smtp/server.py: {message}", file=sys.stderr)
    sys.exit(1)


def serve(folder, port, user, password):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    mail = os.path.join(folder, "mail")
    os.makedirs(mail, exist_ok=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(os.path.join(folder, "ca.pem"), os.path.join(folder, "key.pem"))

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login.decode() == user and auth_data.password.decode() == password
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    class Handler:
        count = 0

        async def handle_DATA(self, server, session, envelope):
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            parts = {"text/plain": "", "text/html": ""}
            for part in message.walk():
                if part.get_content_type() in parts and not part.is_multipart():
                    parts[part.get_content_type()] = part.get_content()
            Handler.count += 1
            record = {
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "auth_user": session.auth_data.login.decode() if session.auth_data else None,
                "tls": session.ssl is not None,
                "subject": str(message["Subject"]),
                "message_id": str(message["Message-ID"]),
                "text": parts["text/plain"],
                "html": parts["text/html"],
                "raw_bytes": len(envelope.content),
            }
            path = os.path.join(mail, f"{Handler.count:06d}.json")
            with open(path + ".tmp", "w") as f:
                json.dump(record, f)
            os.rename(path + ".tmp", path)
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                            auth_required=True, auth_require_tls=True, authenticator=authenticate)
    controller.start()
    signal.signal(signal.SIGTERM, lambda *_: (controller.stop(), sys.exit(0)))
    while True:
        time.sleep(3600)


def up(folder, user, password):
    os.makedirs(folder, exist_ok=True)
    state_file = os.path.join(folder, "smtp.json")
    ca, key = os.path.join(folder, "ca.pem"), os.path.join(folder, "key.pem")
    if not os.path.exists(ca):
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", ca, "-days", "2",
                            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"openssl could not make the certificate: {r.stderr}")
    port = free_port()
    log = open(os.path.join(folder, "server.log"), "ab")
    child = subprocess.Popen([sys.executable, os.path.abspath(__file__), "serve", folder, str(port), user, password],
                             stdout=log, stderr=log, start_new_session=True)
    deadline = time.time() + 20
    while time.time() < deadline:
        if child.poll() is not None:
            fail(f"the server exited: {open(os.path.join(folder, 'server.log')).read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(100).startswith(b"220"):
                    break
        except OSError:
            time.sleep(0.1)
    else:
        child.kill()
        fail("the server did not answer within 20 s")
    state = {"port": port, "ca_file": ca, "user": user, "password": password, "pid": child.pid, "mail": os.path.join(folder, "mail")}
    json.dump(state, open(state_file, "w"))
    print(json.dumps(state))


def down(folder):
    state_file = os.path.join(folder, "smtp.json")
    if not os.path.exists(state_file):
        return
    pid = json.load(open(state_file))["pid"]
    try:
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            os.kill(pid, 0)
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.remove(state_file)


def main(argv):
    if len(argv) >= 6 and argv[1] == "serve":
        return serve(argv[2], int(argv[3]), argv[4], argv[5])
    if len(argv) < 3 or argv[1] not in ("up", "down"):
        fail("usage: server.py up DIR [--user U --password P] | down DIR")
    folder = os.path.abspath(argv[2])
    if argv[1] == "down":
        return down(folder)
    opts = dict(zip(argv[3::2], argv[4::2]))
    up(folder, opts.get("--user", "shop"), opts.get("--password", "smtp-secret-1"))


if __name__ == "__main__":
    main(sys.argv)
