#!/usr/bin/env python3
"""server.py: the host-side partner of xv6's nettests (reply server, senders, DNS responder) and of its TCP tools (HTTP, echo, sink).

Every socket is bound to 127.0.0.1; the guest reaches them as 10.0.2.2 through
QEMU's user-mode network, and the host reaches the guest's ports 2000 and 2001
through the hostfwd rules on FWDPORT and FWDPORT2.

Requests on the reply port (one UDP datagram each, first word is the command):
  txone BYTES   check BYTES against the txone pattern, answer "txone ok" or "txone bad: ..."
  ping BYTES    answer "pong BYTES"
  rxone TOKEN   send the same datagram into the guest through FWDPORT
  burst TOKEN   answer "burst TOKEN first", send "burst TOKEN 0" .. "burst TOKEN 256"
                into the guest through FWDPORT2, then answer "burst TOKEN last"
  noop          nothing (nettests uses it to fill the guest's transmit ring)
The DNS port answers A queries for lab.xv6-net.test with 10.0.2.99 and NXDOMAIN
for other names.

TCP, for the guest's fetch and tcp (each optional, one thread per connection):
  --http-port   HTTP/1.1 GET /bytes/N: N bytes of pattern_bytes() (fetch checks them)
  --echo-port   everything read is written back; closes after the client's FIN
  --sink-port   reads to the end, then answers "received N bytes, fnv1a X" and closes

    python3 server.py --port SERVERPORT --dns-port DNSPORT \\
        --fwd-port FWDPORT --fwd-port2 FWDPORT2 \\
        [--http-port HTTPPORT --echo-port ECHOPORT --sink-port SINKPORT] [-v]
"""

import argparse
import http.server
import selectors
import signal
import socket
import socketserver
import struct
import sys
import threading
import time

LOCALHOST = "127.0.0.1"
MAX_DATAGRAM = 65535
TXONE_LEN = 300                 # pattern bytes after "txone "; byte i is (i*31+7) mod 256
BURST_COUNT = 257
BURST_GROUP = 16                # datagrams sent back to back before a short pause,
BURST_PAUSE = 0.002             # so the host's socket buffers never overflow

DNS_NAME = "lab.xv6-net.test"
DNS_ANSWER = "10.0.2.99"        # only compared by the guest, never contacted
DNS_TTL = 60
DNS_TYPE_A = 1
DNS_CLASS_IN = 1
DNS_HEADER = struct.Struct("!HHHHHH")
DNS_FLAG_QR = 0x8000
DNS_FLAG_RD = 0x0100
DNS_FLAG_RA = 0x0080
DNS_RCODE_NXDOMAIN = 3
DNS_NAME_POINTER = 0xC00C       # compression pointer to the question's name


def txone_pattern():
    return bytes((i * 31 + 7) & 0xFF for i in range(TXONE_LEN))


# The HTTP side's contents: byte i is (7i + i div 251) mod 256, which
# repeats every 251 * 256 bytes; no run of it looks like another.
PATTERN_PERIOD = 251 * 256
_PERIOD = bytes((i * 7 + i // 251) & 0xFF for i in range(PATTERN_PERIOD))


def pattern_bytes(start, n):
    """n bytes of the pattern from offset start."""
    out = bytearray()
    while n > 0:
        off = start % PATTERN_PERIOD
        chunk = _PERIOD[off:off + n]
        out += chunk
        start += len(chunk)
        n -= len(chunk)
    return bytes(out)


def fnv1a(data, h=0x811C9DC5):
    """The guest tools' checksum (user/ulib.c), continued from h."""
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


class HttpHandler(http.server.BaseHTTPRequestHandler):
    """GET /bytes/N: N pattern bytes; anything else 404."""
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        parts = self.path.split("/")
        if len(parts) != 3 or parts[1] != "bytes" or not parts[2].isdigit():
            self.send_error(404)
            return
        n = int(parts[2])
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(n))
        self.end_headers()
        for off in range(0, n, 65536):
            self.wfile.write(pattern_bytes(off, min(65536, n - off)))

    def log_message(self, fmt, *args):
        if self.server.verbose:
            print("server.py: http: " + fmt % args, flush=True)


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(65536)
            if not data:
                break
            self.request.sendall(data)


class SinkHandler(socketserver.BaseRequestHandler):
    def handle(self):
        n, h = 0, 0x811C9DC5
        while True:
            data = self.request.recv(65536)
            if not data:
                break
            n += len(data)
            h = fnv1a(data, h)
        self.request.sendall(b"received %d bytes, fnv1a %x\n" % (n, h))


class TcpServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


class HttpServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def start_tcp(args):
    """The optional TCP services, each in a thread of its own."""
    started = []
    for port, make in ((args.http_port, lambda p: HttpServer((LOCALHOST, p), HttpHandler)),
                       (args.echo_port, lambda p: TcpServer((LOCALHOST, p), EchoHandler)),
                       (args.sink_port, lambda p: TcpServer((LOCALHOST, p), SinkHandler))):
        if port:
            srv = make(port)
            srv.verbose = args.verbose
            threading.Thread(target=srv.serve_forever, daemon=True).start()
            started.append(port)
    return started


class Stop(Exception):
    """Raised by the signal handler to leave the serving loop."""


class Server:
    def __init__(self, args):
        self.args = args
        self.reply = self.udp(args.port)
        self.dns = self.udp(args.dns_port)
        self.commands = {
            b"txone": self.txone,
            b"ping": self.ping,
            b"rxone": self.rxone,
            b"burst": self.burst,
            b"noop": lambda data, peer: None,
        }

    @staticmethod
    def udp(port):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((LOCALHOST, port))
        return s

    def log(self, text):
        if self.args.verbose:
            print("server.py: " + text, flush=True)

    # ---- reply port ----

    def handle_request(self):
        data, peer = self.reply.recvfrom(MAX_DATAGRAM)
        word = data.split(b" ", 1)[0]
        handler = self.commands.get(word)
        if handler is None:
            self.log(f"unknown request {data[:40]!r} from port {peer[1]}")
            self.reply.sendto(b"error: unknown request", peer)
            return
        handler(data, peer)

    def txone(self, data, peer):
        body = data[len(b"txone "):]
        expected = txone_pattern()
        if body == expected:
            answer = b"txone ok"
        elif len(body) != len(expected):
            answer = b"txone bad: %d pattern bytes, expected %d" % (len(body), len(expected))
        else:
            first = next(i for i in range(len(body)) if body[i] != expected[i])
            answer = b"txone bad: byte %d differs" % first
        # Printed even without -v: before the guest can receive, this line is
        # the only evidence that its transmit path works.
        print(f"server.py: txone: {len(data)} bytes from port {peer[1]}: {answer.decode()}",
              flush=True)
        self.reply.sendto(answer, peer)

    def ping(self, data, peer):
        self.log(f"ping: {len(data)} bytes from port {peer[1]}")
        self.reply.sendto(b"pong" + data[len(b"ping"):], peer)

    def rxone(self, data, peer):
        self.log(f"rxone: sending {data!r} to {LOCALHOST}:{self.args.fwd_port}")
        self.reply.sendto(data, (LOCALHOST, self.args.fwd_port))

    def burst(self, data, peer):
        token = data[len(b"burst "):]
        self.reply.sendto(b"burst %s first" % token, peer)
        target = (LOCALHOST, self.args.fwd_port2)
        for i in range(BURST_COUNT):
            self.reply.sendto(b"burst %s %d" % (token, i), target)
            if i % BURST_GROUP == BURST_GROUP - 1:
                time.sleep(BURST_PAUSE)
        self.reply.sendto(b"burst %s last" % token, peer)
        self.log(f"burst: {BURST_COUNT} datagrams to {LOCALHOST}:{self.args.fwd_port2}")

    # ---- DNS ----

    def handle_dns(self):
        data, peer = self.dns.recvfrom(MAX_DATAGRAM)
        answer = dns_answer(data)
        if answer is None:
            self.log(f"dns: ignoring a malformed query of {len(data)} bytes")
            return
        self.log(f"dns: {len(data)}-byte query answered with {len(answer)} bytes")
        self.dns.sendto(answer, peer)

    def serve(self):
        sel = selectors.DefaultSelector()
        sel.register(self.reply, selectors.EVENT_READ, self.handle_request)
        sel.register(self.dns, selectors.EVENT_READ, self.handle_dns)
        print(f"server.py: ready: requests on {LOCALHOST}:{self.args.port}, "
              f"DNS on {self.args.dns_port}, rxone to {self.args.fwd_port}, "
              f"burst to {self.args.fwd_port2}", flush=True)
        try:
            while True:
                for key, _ in sel.select():
                    key.data()
        finally:
            sel.close()
            self.reply.close()
            self.dns.close()


def parse_question(query):
    """(id, flags, name labels, qtype, qclass, end offset) of a one-question query, or None."""
    if len(query) < DNS_HEADER.size:
        return None
    qid, flags, qdcount, _, _, _ = DNS_HEADER.unpack_from(query)
    if flags & DNS_FLAG_QR or qdcount != 1:
        return None
    labels, off = [], DNS_HEADER.size
    while True:
        if off >= len(query):
            return None
        n = query[off]
        if n == 0:
            off += 1
            break
        if n & 0xC0 or off + 1 + n > len(query):
            return None
        labels.append(query[off + 1:off + 1 + n])
        off += 1 + n
    if off + 4 > len(query):
        return None
    qtype, qclass = struct.unpack_from("!HH", query, off)
    return qid, flags, labels, qtype, qclass, off + 4


def dns_answer(query):
    """The reply to a DNS query, or None when the query is not one we understand."""
    q = parse_question(query)
    if q is None:
        return None
    qid, flags, labels, qtype, qclass, end = q
    name = b".".join(labels).decode("ascii", "replace").lower()
    question = query[DNS_HEADER.size:end]
    rflags = DNS_FLAG_QR | (flags & DNS_FLAG_RD) | DNS_FLAG_RA
    if name != DNS_NAME:
        return DNS_HEADER.pack(qid, rflags | DNS_RCODE_NXDOMAIN, 1, 0, 0, 0) + question
    if qtype != DNS_TYPE_A or qclass != DNS_CLASS_IN:
        return DNS_HEADER.pack(qid, rflags, 1, 0, 0, 0) + question
    record = struct.pack("!HHHIH", DNS_NAME_POINTER, DNS_TYPE_A, DNS_CLASS_IN, DNS_TTL, 4)
    record += socket.inet_aton(DNS_ANSWER)
    return DNS_HEADER.pack(qid, rflags, 1, 1, 0, 0) + question + record


def port(text):
    value = int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is outside 1..65535")
    return value


def main():
    ap = argparse.ArgumentParser(description="Host side of xv6's nettests (127.0.0.1 only).")
    ap.add_argument("--port", type=port, required=True, help="reply port (SERVERPORT)")
    ap.add_argument("--dns-port", type=port, required=True, help="DNS responder port (DNSPORT)")
    ap.add_argument("--fwd-port", type=port, required=True,
                    help="host port forwarded to the guest's port 2000 (FWDPORT)")
    ap.add_argument("--fwd-port2", type=port, required=True,
                    help="host port forwarded to the guest's port 2001 (FWDPORT2)")
    ap.add_argument("--http-port", type=port, help="TCP: HTTP server of pattern bytes")
    ap.add_argument("--echo-port", type=port, help="TCP: echo")
    ap.add_argument("--sink-port", type=port, help="TCP: sink that reports what it got")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every request")
    args = ap.parse_args()

    def stop(signum, frame):
        raise Stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        tcp = start_tcp(args)
        if tcp:
            print("server.py: TCP on " + ", ".join(map(str, tcp)), flush=True)
        Server(args).serve()
    except OSError as e:
        sys.exit(f"server.py: cannot bind 127.0.0.1 ports {args.port}/{args.dns_port}: {e}")
    except Stop:
        print("server.py: stopped", flush=True)


if __name__ == "__main__":
    main()
