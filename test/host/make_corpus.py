#!/usr/bin/env python3
"""make_corpus.py: write the seed corpus for fuzz_frames (valid and nearly valid frames, one per file) into a directory.

usage: make_corpus.py DIR
The frames come from test/netpeer.py's builders and test/test_robust.py's
fuzz templates and malformed kinds, so that the host fuzzer starts from the
same traffic the QEMU tests send; nothing binary is kept in the repository.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import netpeer  # noqa: E402
import test_robust  # noqa: E402

VARIANTS = 2   # frames per malformed kind


def seeds():
    yield from test_robust.fuzz_templates()
    # What the host fuzzer's own sockets answer: UDP port 7, ICMP id 0x4242.
    yield netpeer.ping_frame(0x4242, 1, b"to the ICMP socket", src="10.0.2.2")
    yield netpeer.eth(netpeer.ipv4(netpeer.PROTO_ICMP, netpeer.icmp_echo(
        0x4242, 2, b"reply for the socket", itype=netpeer.ICMP_ECHOREPLY)))
    r = netpeer.rng(1)
    for _, gen, _ in test_robust.MALFORMED:
        for _ in range(VARIANTS):
            raw = gen(r)
            if len(raw) <= 2048:
                yield raw


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_corpus.py DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    n = 0
    for n, raw in enumerate(seeds(), 1):
        with open(os.path.join(out, "seed-%03d" % n), "wb") as f:
            f.write(raw)
    print("make_corpus: %d frames in %s" % (n, out))


if __name__ == "__main__":
    main()
