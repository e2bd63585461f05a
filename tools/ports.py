#!/usr/bin/env python3
"""ports.py: before `make qemu`, `make qemu-gdb` or `make server`, check that their host ports are free.

    tools/ports.py TARGET PORTBASE NAME=PROTO:PORT ...

A port already in use (most often by another `make qemu` or `make server`
of yours, in another tree or terminal: the ports are derived from the user
id, so two of them collide) gets one line naming it and the way out,
PORTBASE=, instead of QEMU's "Could not set up host forwarding rule" or
Python's "Address already in use": on standard output, where the Makefile
takes it for its error.  Exit status 1 then, 0 if all are free.
"""

import errno
import socket
import sys


def in_use(proto, port):
    """Whether 127.0.0.1:port cannot be bound (tcp or udp) right now."""
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as s:
        if kind == socket.SOCK_STREAM:
            # As QEMU and server.py bind: a port in TIME_WAIT is free to them.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError as e:
            return e.errno == errno.EADDRINUSE
    return False


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__.strip().split("\n\n")[1].strip())
    target, base = argv[0], argv[1]
    for spec in argv[2:]:
        name, _, where = spec.partition("=")
        proto, _, port = where.partition(":")
        if in_use(proto, int(port)):
            print("make %s: port %s (%s, %s) is in use, most likely by another make qemu or "
                  "make server of yours; run this one with other ports: make %s PORTBASE=%d "
                  "(and the same PORTBASE for its make server or make qemu)"
                  % (target, port, name, proto, target, int(base) + 8))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
