#!/usr/bin/python3
"""A free TCP port on 127.0.0.1 for a server about to start there (the tests' and benchmarks'
servers, scripts/local-cluster). Run as a program, it prints one.

The port lies below the kernel's ephemeral range (net.ipv4.ip_local_port_range), the range the
kernel takes the local port of every outgoing connection from. A port from that range (what
binding port 0 gives) can be handed to any client's connection in the moment before the server
binds it, and the server then fails with "Address already in use"; a port below it can only be
taken by a program that binds it by number.
"""

import random
import socket

LOWEST = 10000  # below this lie the ports of installed services (PostgreSQL 5432, Redis 6379, Kafka 9092)


def ephemeral_start():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def bindable(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_port():
    start = ephemeral_start()
    if start - LOWEST >= 1000:
        for _ in range(100):
            port = random.randrange(LOWEST, start)
            if bindable(port):
                return port
    with socket.socket() as s:  # no room below the ephemeral range: the kernel's pick
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    print(free_port())
