"""test_tcp.py: TCP tests: httpd from the host through slirp (curl, http.client), the guest's fetch and tcp against server.py, a real browser, and conformance through the raw-frame peer."""

import hashlib
import http.client
import os
import re
import sys
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time

import hostserver
import qemu
from run_tests import CARDS, test

sys.path.insert(0, qemu.REPO)
import server  # noqa: E402  (the pattern and checksum of server.py's TCP side)

SITE = ["index.html", "hello.txt", "style.css", "big.bin", "README.md"]
BIG = 16 << 20                 # bulk transfers each way
ECHO_BYTES = 1 << 20
KEEPALIVE_REQUESTS = 100
CLIENTS = 50
HTTP_TIMEOUT = 60              # per request
# QEMU's forwarded port listens with a backlog of 1 and slirp accepts one
# connection per main-loop pass, so 50 clients on one forward measure QEMU
# (the host drops their SYNs and final ACKs), not the guest: each client
# has a forward of its own, and a source port of its own.  (slirp keeps the
# host client's port, and the host may give two clients of two forwards the
# same one: the guest then saw two connections with one 4-tuple.)  What
# slirp still delays is noted, not checked.
CLIENT_TIMEOUT = 130
FIRST_WAIT = 7                 # past httpd's 5 s idle timeout, within its first-request limit
SINK_PORT = 2002               # guest port of the bulk tests, forwarded like port 80


def letters(n):
    """What `tcp -n N` sends (user/tcp.c, pattern())."""
    period = 26 * 251
    one = bytes(ord("a") + (i * 7 + i // 251) % 26 for i in range(period))
    return (one * (n // period + 1))[:n]


def fnv1a(data):
    return server.fnv1a(data)


def web_netdev(web, sink, clients=()):
    """slirp with the guest's port 80 and SINK_PORT reachable from 127.0.0.1;
    each port in clients is one more forward to port 80."""
    return ("user,id=net0,hostfwd=tcp:127.0.0.1:%d-:80,hostfwd=tcp:127.0.0.1:%d-:%d"
            % (web, sink, SINK_PORT) +
            "".join(",hostfwd=tcp:127.0.0.1:%d-:80" % p for p in clients))


def start_httpd(t, make_vars):
    t.boot(make_vars)
    t.send("httpd &\n")
    t.wait_for(r"httpd: listening on port 80", 10)


def http_get(port, path, method="GET", conn=None, headers=None, timeout=HTTP_TIMEOUT):
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request(method, path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    if conn is None:
        c.close()
    return r, body


def raw_request(port, data):
    """Send data as is; the whole reply, until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=HTTP_TIMEOUT) as s:
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out
            out += chunk


def site_file(name):
    with open(os.path.join(qemu.REPO, "site" if name != "README.md" else "", name), "rb") as f:
        return f.read()


def check_site(t, port):
    t.step("every site file, by http.client and curl, SHA-256 compared")
    for name in SITE:
        want = hashlib.sha256(site_file(name)).hexdigest()
        r, body = http_get(port, "/" + name)
        t.check(r.status == 200 and hashlib.sha256(body).hexdigest() == want,
                "http.client /%s: status %d, %d bytes, sha256 differs" % (name, r.status, len(body)))
        res = subprocess.run(["curl", "-sS", "--max-time", str(HTTP_TIMEOUT),
                              "http://127.0.0.1:%d/%s" % (port, name)], stdout=subprocess.PIPE)
        t.check(res.returncode == 0 and hashlib.sha256(res.stdout).hexdigest() == want,
                "curl /%s: status %d, sha256 differs" % (name, res.returncode))
    r, body = http_get(port, "/")
    t.check(r.status == 200 and body == site_file("index.html"), "/ is not index.html")
    t.check(r.getheader("Content-Type", "").startswith("text/html"), "index.html not text/html")


def check_errors(t, port):
    t.step("404, 400, 405, 501, 414, HEAD")
    r, body = http_get(port, "/no-such-file")
    t.check(r.status == 404 and b"404" in body, "missing file: %d" % r.status)
    r, body = http_get(port, "/", method="POST")
    t.check(r.status == 405 and r.getheader("Allow") == "GET, HEAD", "POST: %d" % r.status)
    r, body = http_get(port, "/", method="DELETE")
    t.check(r.status == 405 and r.getheader("Allow") == "GET, HEAD", "DELETE: %d" % r.status)
    out = raw_request(port, b"BREW / HTTP/1.1\r\n\r\n")
    t.check(out.startswith(b"HTTP/1.1 501 "), "an unknown method (RFC 9110 15.6.2 asks for 501): %r"
            % out[:40])
    out = raw_request(port, b"GARBAGE\r\n\r\n")
    t.check(out.startswith(b"HTTP/1.1 400 "), "a bad request line: %r" % out[:40])
    out = raw_request(port, b"BLAH \x00\xff nonsense\r\n\r\n")
    t.check(out.startswith(b"HTTP/1.1 400 "), "a request line with a NUL and a non-ASCII byte: %r"
            % out[:40])
    out = raw_request(port, b"GET /" + b"a" * 2000 + b" HTTP/1.1\r\n\r\n")
    t.check(out.startswith(b"HTTP/1.1 414 "), "a 2000-byte path: %r" % out[:40])
    out = raw_request(port, b"GET / HTTP/1.1\r\n" + b"X-Filler: yyyyyyyy\r\n" * 400 + b"\r\n")
    t.check(out.startswith(b"HTTP/1.1 400 "), "an 8 KB head: %r" % out[:40])
    r, body = http_get(port, "/big.bin", method="HEAD")
    t.check(r.status == 200 and body == b"" and
            int(r.getheader("Content-Length")) == len(site_file("big.bin")),
            "HEAD /big.bin: %d, %d body bytes" % (r.status, len(body)))


def check_keepalive(t, port):
    t.step("keep-alive: %d requests on one connection" % KEEPALIVE_REQUESTS)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
    want = site_file("hello.txt")
    c.connect()
    first = c.sock
    ok = 0
    for i in range(KEEPALIVE_REQUESTS):
        r, body = http_get(port, "/hello.txt", conn=c)
        ok += r.status == 200 and body == want and c.sock is first
    c.close()
    t.check(ok == KEEPALIVE_REQUESTS, "keep-alive: %d of %d right on the first connection"
            % (ok, KEEPALIVE_REQUESTS))


def check_first_request(t, port):
    t.step("a first request %d s after the connection opened (httpd's idle timeout is 5 s)"
           % FIRST_WAIT)
    with socket.create_connection(("127.0.0.1", port), timeout=HTTP_TIMEOUT) as s:
        time.sleep(FIRST_WAIT)
        s.sendall(b"GET /hello.txt HTTP/1.0\r\n\r\n")
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionError as e:
                chunk, out = b"", out + repr(e).encode()
            if not chunk:
                break
            out += chunk
    t.check(out.startswith(b"HTTP/1.1 200 ") and out.endswith(site_file("hello.txt")),
            "a request %d s after connecting: %r" % (FIRST_WAIT, out[:60]))


def check_clients(t, ports):
    t.step("%d clients at once, each through a forward of its own" % CLIENTS)
    want = site_file("index.html")
    results = []
    sources = qemu.free_ports(len(ports), "tcp")
    base = quiet_counters(t)
    t.check(base.get("tcp_tcbs_in_use") == 1, "control blocks before the clients: %s (the "
            "listener is 1)" % base.get("tcp_tcbs_in_use"))

    stalled = []

    def one(port, source):
        begun = time.monotonic()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT,
                                       source_address=("127.0.0.1", source))
        try:
            r, body = http_get(port, "/index.html", conn=c)
            results.append(r.status == 200 and body == want)
        except Exception as e:      # counted as a failure below
            results.append(repr(e))
        if time.monotonic() - begun > 1:
            stalled.append(time.monotonic() - begun)

    started = time.monotonic()
    threads = [threading.Thread(target=one, args=ps) for ps in zip(ports, sources)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    took = time.monotonic() - started
    bad = [r for r in results if r is not True]
    t.check(not bad, "%d of %d clients failed: %s" % (len(bad), CLIENTS, bad[:3]))
    t.step("the guest's side: every client accepted, no SYN dropped, no RST sent")
    c = quiet_counters(t, base)
    for name, want in (("tcp_conn_accepted", CLIENTS), ("tcp_rst_sent", 0),
                       ("tcp_syn_dropped", 0), ("tcp_accept_queue_full", 0)):
        t.check(c.get(name, 0) - base.get(name, 0) == want, "%s moved by %d during the %d clients,"
                " want %d" % (name, c.get(name, 0) - base.get(name, 0), CLIENTS, want))
    for name in ("tcp_tcbs_in_use", "mbufs_in_use", "free_pages"):
        t.check(c.get(name) == base.get(name), "%s after the clients: %s, before: %s"
                % (name, c.get(name), base.get(name)))
    t.note("%d concurrent clients served in %.1f s; %d waited over 1 s on the host side "
           "(slirp), the longest %.1f s" % (CLIENTS, took, len(stalled), max(stalled, default=0)))


QUIET = ("tcp_tcbs_in_use", "mbufs_in_use", "free_pages")


def quiet_counters(t, base=None, within=10):
    """The guest's counters once it is quiet, or after `within` seconds: the
    closes done (only the listener's control block left, an HTTP/1.0 close
    leaves TIME_WAIT for 2 s) and mbufs and free pages steady (a frame just
    handled holds an mbuf a moment); with base, all three as in base."""
    deadline = time.monotonic() + within
    last = None
    while True:
        c = guest_counters(t)
        now = [c.get(k) for k in QUIET]
        want = [base.get(k) for k in QUIET] if base else [1] + (last or [None, None])[1:]
        if now == want or time.monotonic() > deadline:
            return c
        last = now
        time.sleep(0.5)


def check_bulk(t, sink):
    t.step("16 MiB upload into the guest's `tcp -s -l %d`" % SINK_PORT)
    t.send("tcp -s -n 0 -l %d &\n" % SINK_PORT)
    time.sleep(1)
    data = letters(BIG)
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", sink), timeout=HTTP_TIMEOUT) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        t.check(s.recv(10) == b"", "the sink sent something back")
    took = time.monotonic() - started
    t.wait_for(r"tcp: received %d bytes, fnv1a %x" % (BIG, fnv1a(data)), 60)
    t.note("upload: %d MiB in %.1f s" % (BIG >> 20, took))

    t.step("16 MiB download from the guest's `tcp -n %d -l %d`" % (BIG, SINK_PORT))
    t.send("tcp -s -n %d -l %d &\n" % (BIG, SINK_PORT))
    time.sleep(1)
    got = bytearray()
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", sink), timeout=HTTP_TIMEOUT) as s:
        s.shutdown(socket.SHUT_WR)
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            got += chunk
    took = time.monotonic() - started
    t.check(bytes(got) == data, "download: %d bytes, not the %d sent" % (len(got), BIG))
    t.wait_for(r"tcp: received 0 bytes", 30)
    t.note("download: %d MiB in %.1f s" % (BIG >> 20, took))


def guest_counters(t):
    out = t.run("ifconfig", 20)
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"\b(\w+)[ =:]+(\d+)\b", out)}


@test("tcp-http", "httpd through slirp: curl and http.client, errors, keep-alive, a late first request, "
      "50 clients (a forward each) counted on the guest's side, 16 MiB each way")
def tcp_http(t):
    t.need("curl", "curl")
    web, sink, *clients = qemu.free_ports(2 + CLIENTS, "tcp")
    start_httpd(t, {"NETDEV": web_netdev(web, sink, clients)})
    check_site(t, web)
    check_errors(t, web)
    check_keepalive(t, web)
    check_first_request(t, web)
    check_clients(t, clients)
    check_bulk(t, sink)
    time.sleep(3)        # past TIME_WAIT
    c = guest_counters(t)
    t.check(c.get("tcp_tcbs_in_use") == 1, "control blocks left: %s (the listener is 1)"
            % c.get("tcp_tcbs_in_use"))
    t.note("retransmit timeouts %s, fast retransmits %s, out of order %s"
           % (c.get("tcp_rexmit_timeouts"), c.get("tcp_fast_rexmits"), c.get("tcp_rx_ooo")))


@test("tcp-guest", "the guest's fetch (16 MiB) and tcp (1 MiB echo) against server.py")
def tcp_guest(t):
    srv = hostserver.HostServer(os.path.join(t.logdir or tempfile.gettempdir(), "tcp-guest.server.log"),
                                tcp=True)
    try:
        srv.wait_ready()
        t.boot(srv.make_vars())
        want = server.fnv1a(server.pattern_bytes(0, BIG))
        out = t.run("fetch -s http://10.0.2.2:%d/bytes/%d" % (srv.ports["HTTPPORT"], BIG), 300)
        t.expect(out, r"^fetch: status 200, %d bytes, fnv1a %x$" % (BIG, want), "fetch of 16 MiB")
        out = t.run("fetch -s http://10.0.2.2:%d/nothing" % srv.ports["HTTPPORT"], 30)
        t.expect(out, r"^fetch: status 404, ", "fetch of a missing page")
        out = t.run("tcp -s -n %d 10.0.2.2 %d" % (ECHO_BYTES, srv.ports["ECHOPORT"]), 120)
        t.expect(out, r"^tcp: received %d bytes, fnv1a %x$" % (ECHO_BYTES, fnv1a(letters(ECHO_BYTES))),
                 "tcp echo of 1 MiB")
        port = qemu.free_port("tcp")   # nobody listens there
        out = t.run("tcp 10.0.2.2 %d" % port, 30)
        t.expect(out, r"^tcp: connect to port %d failed: connection refused$" % port,
                 "connect to a closed port")
        out = t.run("fetch http://10.0.2.99:%d/" % srv.ports["HTTPPORT"], 10)   # refused, never sent
        t.expect(out, r"may talk only to 10\.0\.2\.2", "fetch refuses other hosts")
    finally:
        srv.stop()


# ---- a real browser ---------------------------------------------------------------------

COUNTER_RE = re.compile(r'<td class="n" id="(\w+)">(\d+)</td>')


@test("tcp-browser", "headless Chromium loads / and /net in a network namespace of its own: counters, the card's rings (virtio-net: its two queues, their indexes, the descriptors the card holds); screenshot", cards=CARDS)
def tcp_browser(t):
    t.need("chromium", "chromium")
    t.need("unshare", "util-linux")
    t.need("ip", "iproute2")
    t.check(os.geteuid() == 0, "unshare --net needs root (CI runs as root)")
    out = tempfile.mkdtemp(prefix="tcp-browser-")
    try:
        cmd = ["unshare", "--net", "--", sys.executable,
               os.path.join(qemu.REPO, "test", "browser.py"), out] + ([t.nic] if t.nic else [])
        t.step("$ " + " ".join(cmd))
        res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             universal_newlines=True, timeout=600)
        t.step(res.stdout[-3000:])
        t.check(res.returncode == 0, "browser.py failed (status %d)" % res.returncode)

        def read(name):
            with open(os.path.join(out, name), errors="replace") as f:
                return f.read()

        index = read("index.dom")
        t.check("<h1>xv6-net</h1>" in index and 'href="/net"' in index,
                "the index page as Chromium rendered it: %r" % index[:300])
        loads = [dict(COUNTER_RE.findall(read(n))) for n in ("net1.dom", "net2.dom")]
        for i, c in enumerate(loads):
            t.check({"rx_packets", "tx_packets", "tcp_rx_segs", "tcp_conn_accepted"} <= set(c),
                    "load %d of /net: counters missing (%d found)" % (i + 1, len(c)))
        moved = [k for k in loads[0] if loads[1].get(k) != loads[0][k]]
        t.check("tcp_rx_segs" in moved and "tcp_conn_accepted" in moved,
                "counters that changed between the two loads: %s" % moved)
        net = read("net1.dom")
        if t.nic == "virtio":
            # A quiet link: the card holds every receive descriptor (256 green
            # cells) and no transmit slot it has not handed back.
            heads = re.findall(r"<h3>(Transmit|Receive) queue: (\d+) [^<]*avail-&gt;idx = (\d+), "
                               r"used-&gt;idx = (\d+)</h3>", net)
            t.check([h[0] for h in heads] == ["Transmit", "Receive"],
                    "/net does not draw virtio-net's two queues: %r" % heads)
            tables = re.findall(r"<table class=\"?ring\"?>(.*?)</table>", net, re.S)
            held = [len(re.findall(r'<td class="dd"', tb)) for tb in tables]
            rx_avail, rx_used = int(heads[1][2]), int(heads[1][3])
            t.step("/net: %s; cells the card holds: %s" % (heads, held))
            t.check(len(tables) == 2 and held[1] == (rx_avail - rx_used) % 65536 > 200,
                    "the receive queue's held cells (%s) do not match avail->idx - used->idx "
                    "(%d - %d)" % (held, rx_avail, rx_used))
        else:
            t.check("Receive ring" in net and "Transmit ring" in net, "/net shows no rings")
        with open(os.path.join(out, "net.png"), "rb") as f:
            png = f.read()
        t.check(png.startswith(b"\x89PNG") and len(png) > 10000,
                "no screenshot (%d bytes)" % len(png))
        logs = os.path.join(qemu.REPO, "test", "logs")
        os.makedirs(logs, exist_ok=True)
        shot = "%s-net.png" % t.name
        shutil.copyfile(os.path.join(out, "net.png"), os.path.join(logs, shot))
        t.note("/net rendered with %d counters, %d changed between loads; screenshot "
               "test/logs/%s" % (len(loads[1]), len(moved), shot))
    finally:
        shutil.rmtree(out, ignore_errors=True)


# ---- conformance through the raw-frame peer ---------------------------------------------

import netpeer as wire                                    # noqa: E402
from netpeer import TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN   # noqa: E402
import test_robust                                        # noqa: E402

MSS_OPT = b"\x02\x04"


class Conn:
    """Our end (10.0.2.2:sport) of a connection to the guest's port dport."""

    def __init__(self, peer, sport, dport, iss=100000):
        self.peer, self.sport, self.dport = peer, sport, dport
        self.snd = iss          # our next sequence number
        self.rcv = 0            # the guest's next one: what we acknowledge

    def send(self, flags, data=b"", seq=None, ack=None, win=65535, options=b"", note=None):
        s = self.snd if seq is None else seq
        self.peer.send(wire.tcp_frame(self.sport, self.dport, s, self.rcv if ack is None else ack,
                                      flags, data, win=win, options=options), note=note)
        if seq is None:
            self.snd += len(data) + bool(flags & (TCP_SYN | TCP_FIN))

    def expect(self, cond, what, timeout=10):
        return self.peer.expect(lambda f: f.tcp is not None and f.tcp["sport"] == self.dport
                                and f.tcp["dport"] == self.sport and cond(f.tcp, f),
                                timeout, what)

    def connect(self, mss=1460, win=65535, tries=4):
        """The handshake; like any client, send the SYN again if it goes
        unanswered (a full backlog drops it)."""
        for i in range(tries):
            self.send(TCP_SYN, options=MSS_OPT + mss.to_bytes(2, "big"), win=win, seq=self.snd)
            try:
                f = self.expect(lambda c, f: c["flags"] & (TCP_SYN | TCP_ACK) == TCP_SYN | TCP_ACK,
                                "SYN-ACK from port %d" % self.dport, 2 if i < tries - 1 else 10)
                break
            except wire.PeerError:
                if i == tries - 1:
                    raise
        self.snd += 1
        self.rcv = f.tcp["seq"] + 1
        self.send(TCP_ACK, win=win)
        return f

    def receive(self, n, win=65535, what="data"):
        """n bytes of data from the guest, each segment acknowledged; the segments."""
        got, segs = b"", []
        while len(got) < n:
            f = self.expect(lambda c, f: len(f.payload) > 0 and c["seq"] == self.rcv,
                            "%s at %d (%d of %d bytes)" % (what, self.rcv, len(got), n))
            segs.append(f)
            got += f.payload
            self.rcv += len(f.payload)
            self.send(TCP_ACK, win=win)
        return got, segs

    def expect_fin(self):
        f = self.expect(lambda c, f: c["flags"] & TCP_FIN and c["seq"] == self.rcv, "the guest's FIN")
        self.rcv += 1
        return f


def tcp_listen(w, cmd, port):
    w.background(cmd % port, "")
    time.sleep(0.5)


def conform_handshake(t, w):
    peer = w.peer
    t.step("handshake: our MSS 1000 is honoured, the guest's 1460 is offered")
    tcp_listen(w, "tcp -s -n 5000 -l %d", 7001)
    c = Conn(peer, 40001, 7001)
    f = c.connect(mss=1000)
    t.check(f.tcp["mss"] == 1460 and f.tcp["ack"] == 100001 and f.tcp["csum_ok"],
            "SYN-ACK: %s" % f.summary())
    got, segs = c.receive(5000)
    t.check(got == letters(5000), "5000 bytes arrived wrong")
    t.check(max(len(s.payload) for s in segs) <= 1000, "a segment above our MSS of 1000: %s"
            % [len(s.payload) for s in segs])
    t.step("FIN from the guest first, then ours: the guest ends in TIME_WAIT")
    c.expect_fin()
    c.send(TCP_ACK)
    c.send(TCP_FIN | TCP_ACK)
    f = c.expect(lambda t_, f: t_["flags"] & TCP_ACK and t_["ack"] == c.snd, "the ACK of our FIN")
    w.guest.wait_for("tcp: received 0 bytes", 10)
    t.step("port reuse: a new SYN from the same port, above the old sequence, reopens it")
    tcp_listen(w, "tcp -s -n 10 -l %d", 7001)
    c2 = Conn(peer, 40001, 7001, iss=c.snd + 100000)
    c2.connect()
    got, _ = c2.receive(10)
    c2.expect_fin()
    c2.send(TCP_FIN | TCP_ACK)
    c2.expect(lambda t_, f: t_["ack"] == c2.snd, "the ACK of our FIN (reused port)")
    t.check(got == letters(10), "reused port: wrong data")


def conform_closed_port(t, w):
    t.step("SYN to a closed port: RST")
    c = Conn(w.peer, 40002, 7999, iss=5555)
    c.send(TCP_SYN)
    f = c.expect(lambda t_, f: t_["flags"] & TCP_RST, "a RST")
    t.check(f.tcp["flags"] & TCP_ACK and f.tcp["ack"] == 5556 and f.tcp["csum_ok"],
            "RST: %s" % f.summary())


def conform_reorder(t, w):
    t.step("out of order: a duplicate ACK at once, then one ACK for both")
    tcp_listen(w, "tcp -s -n 0 -l %d", 7002)
    c = Conn(w.peer, 40003, 7002)
    c.connect()
    c.expect_fin()
    data = bytes(range(256)) * 8
    start = c.snd
    c.send(TCP_ACK | TCP_PSH, data[1000:2000], seq=start + 1000)
    f = c.expect(lambda t_, f: t_["flags"] & TCP_ACK, "a duplicate ACK")
    t.check(f.tcp["ack"] == start, "after a segment past a hole: ack %d, want %d"
            % (f.tcp["ack"] - start, 0))
    c.send(TCP_ACK | TCP_PSH, data[:1000], seq=start)
    f = c.expect(lambda t_, f: t_["ack"] == start + 2000, "the ACK of both segments", 5)
    c.snd = start + 2000
    c.send(TCP_FIN | TCP_ACK)
    w.guest.wait_for(r"tcp: received 2000 bytes, fnv1a %x" % fnv1a(data[:2000]), 10)
    c.expect(lambda t_, f: t_["ack"] == c.snd, "the ACK of our FIN")


def conform_rexmit(t, w):
    t.step("withheld ACK: the same segment again after 1, 2, 4 s")
    tcp_listen(w, "tcp -s -n 1000 -l %d", 7003)
    c = Conn(w.peer, 40004, 7003)
    c.connect()
    first = c.expect(lambda t_, f: len(f.payload) > 0, "data")
    times = [time.monotonic()]
    for i in range(3):
        c.expect(lambda t_, f: t_["seq"] == first.tcp["seq"] and len(f.payload) > 0,
                 "retransmission %d" % (i + 1), 20)
        times.append(time.monotonic())
    gaps = [b - a for a, b in zip(times, times[1:])]
    t.step("gaps %s" % ["%.2f" % g for g in gaps])
    t.check(all(b > 1.6 * a for a, b in zip(gaps, gaps[1:])) and 0.7 < gaps[0] < 1.5,
            "retransmission gaps do not double from 1 s: %s" % gaps)
    c.send(TCP_RST, seq=c.snd)


def conform_persist(t, w):
    t.step("zero window: probes with growing gaps, then the transfer resumes")
    tcp_listen(w, "tcp -s -n 20000 -l %d", 7004)
    c = Conn(w.peer, 40005, 7004)
    c.connect(win=1460)
    c.receive(1460, win=0, what="one segment, then the window shuts")
    times = []
    for i in range(3):
        f = c.expect(lambda t_, f: len(f.payload) > 0, "probe %d" % (i + 1), 15)
        t.check(len(f.payload) <= 1, "a probe of %d bytes" % len(f.payload))
        times.append(time.monotonic())
        c.send(TCP_ACK, win=0)
    gaps = [b - a for a, b in zip(times, times[1:])]
    t.check(gaps[1] > 1.5 * gaps[0], "probe gaps do not grow: %s" % gaps)
    c.send(TCP_ACK, win=65535, note="the window opens")
    got, _ = c.receive(20000 - 1460, what="data after the window opened")
    t.check(got == letters(20000)[1460:], "the transfer did not resume right")
    c.expect_fin()
    c.send(TCP_FIN | TCP_ACK)


def conform_rst(t, w):
    t.step("RST: out of window -> challenge ACK; exact -> connection reset")
    tcp_listen(w, "tcp -s -n 0 -l %d", 7005)
    c = Conn(w.peer, 40006, 7005)
    c.connect()
    c.expect_fin()
    c.send(TCP_ACK)
    c.send(TCP_RST, seq=c.snd + 100)
    f = c.expect(lambda t_, f: t_["flags"] == TCP_ACK, "a challenge ACK")
    t.check(f.tcp["ack"] == c.snd, "challenge ACK acks %d, want %d" % (f.tcp["ack"], c.snd))
    c.send(TCP_RST, seq=c.snd + 70000)
    c.send(TCP_RST, seq=c.snd)
    w.guest.wait_for("tcp: receive failed after 0 bytes: connection reset by peer", 10)


def conform_simultaneous(t, w):
    t.step("simultaneous close: our FIN crosses the guest's")
    tcp_listen(w, "tcp -s -n 0 -l %d", 7006)
    c = Conn(w.peer, 40007, 7006)
    c.connect()
    fin = c.expect(lambda t_, f: t_["flags"] & TCP_FIN, "the guest's FIN")
    c.send(TCP_FIN | TCP_ACK, ack=fin.tcp["seq"])      # not acking it: FINs cross
    f = c.expect(lambda t_, f: t_["ack"] == c.snd, "the ACK of our FIN (CLOSING)")
    c.rcv = fin.tcp["seq"] + 1
    c.send(TCP_ACK)
    w.guest.wait_for("tcp: received 0 bytes", 10)
    t.check(not f.tcp["flags"] & TCP_RST, "a RST in a simultaneous close")


SYNQ_MAX = 64           # kernel/tcp.c's TCP_SYNQ_MAX
SYNACK_LIFE = 31        # a half-open connection's SYN-ACK retries: 1+2+4+8+16 s


def conform_flood(t, w):
    t.step("SYN flood: 300 SYNs, at most %d half-open, memory bounded; a real client is accepted "
           "once they give up" % SYNQ_MAX)
    tcp_listen(w, "tcp -s -n 0 -l %d", 7007)
    base = w.counters()
    flood = [wire.tcp_frame(20000 + i, 7007, 7777 * i, 0, TCP_SYN) for i in range(300)]
    after = w.send_paced(flood, "SYN flood")
    t.check(after["tcp_tcbs_in_use"] - base["tcp_tcbs_in_use"] <= SYNQ_MAX,
            "control blocks after the flood: %d (before %d)"
            % (after["tcp_tcbs_in_use"], base["tcp_tcbs_in_use"]))
    t.check(after["free_pages"] >= base["free_pages"] - 8, "pages used by the flood: %d"
            % (base["free_pages"] - after["free_pages"]))
    dropped = after["tcp_syn_dropped"] - base["tcp_syn_dropped"]
    t.check(dropped == 300 - SYNQ_MAX, "SYNs dropped: %d of 300, want %d" % (dropped, 300 - SYNQ_MAX))
    # Like any client, it sends its SYN again until the listener has room.
    c = Conn(w.peer, 40008, 7007)
    c.connect(tries=SYNACK_LIFE // 2 + 6)
    c.expect_fin()
    c.send(TCP_ACK | TCP_PSH, b"hello")
    c.send(TCP_FIN | TCP_ACK)
    w.guest.wait_for("tcp: received 5 bytes", 10)


BURST = 100


def conform_syn_burst(t, w):
    t.step("a burst of %d SYNs to httpd: SYN-ACKs, or silence answered on retry; never a RST"
           % BURST)
    w.background("httpd", "httpd: listening on port 80")
    base = w.counters()
    pending = {42000 + i: 3000000 * i for i in range(BURST)}   # port: our ISN
    answered, resets, rounds = 0, 0, 0
    while pending and rounds < 4:
        rounds += 1
        start = w.peer.count()
        w.peer.send_many([wire.tcp_frame(p, 80, iss, 0, TCP_SYN, options=MSS_OPT + b"\x05\xb4")
                          for p, iss in pending.items()], "%d SYNs" % len(pending))
        time.sleep(1.5)
        for f in map(wire.Frame, w.peer.frames_since(start)):
            if f.tcp is None or f.tcp["sport"] != 80 or not 42000 <= f.tcp["dport"] < 42000 + BURST:
                continue
            port = f.tcp["dport"]
            if f.tcp["flags"] & TCP_RST:
                resets += 1
            elif f.tcp["flags"] & (TCP_SYN | TCP_ACK) == TCP_SYN | TCP_ACK and port in pending:
                # Complete the handshake, then let go at once.
                iss = pending.pop(port)
                w.peer.send(wire.tcp_frame(port, 80, iss + 1, f.tcp["seq"] + 1, TCP_ACK))
                w.peer.send(wire.tcp_frame(port, 80, iss + 1, 0, TCP_RST))
                answered += 1
    after = w.counters()
    t.check(resets == 0 and after["tcp_rst_sent"] == base["tcp_rst_sent"],
            "RSTs to the burst: %d seen, %d counted" % (resets, after["tcp_rst_sent"] -
                                                         base["tcp_rst_sent"]))
    # The first SYNQ_MAX get SYN-ACKs at once; the rest, dropped, on their first retry.
    t.check(answered == BURST and rounds <= 2, "SYN-ACKs for %d of %d clients after %d rounds"
            " (a SYN queue of %d answers all on the first retry)"
            % (answered, BURST, rounds, SYNQ_MAX))
    t.note("SYN burst: %d SYNs, %d SYN-ACKs in %d rounds; %d dropped at first (SYN queue of %d)"
           % (BURST, answered, rounds, after["tcp_syn_dropped"] - base["tcp_syn_dropped"], SYNQ_MAX))


def conform_key(t, w):
    t.step("the ISN key comes from virtio-rng, not from timing")
    t.check(re.search(r"^virtio-rng: slot \d: 16 bytes for TCP's sequence-number key", w.guest.text,
                      re.M), "the kernel took no key from virtio-rng: %s" % w.guest.tail(5))


@test("tcp-conform", "TCP through the raw-frame peer: handshake/MSS, RST, reordering, RTO, persist, "
      "RST rules, closes, TIME_WAIT reuse, SYN flood, SYN burst, ISN key")
def tcp_conform(t):
    with wire.Peer(log=t.step) as peer:
        w = test_robust.booted(t, peer)
        w.start_stats()
        for case in (conform_key, conform_handshake, conform_closed_port, conform_reorder,
                     conform_rexmit, conform_persist, conform_rst, conform_simultaneous,
                     conform_flood, conform_syn_burst):
            peer.mark()
            case(t, w)
        time.sleep(3)
        c = w.counters()
        t.check(c["tcp_tcbs_in_use"] <= 1, "control blocks left: %d" % c["tcp_tcbs_in_use"])


# ---- malformed segments and a fuzz through the raw-frame peer ----------------------------

LISTEN_PORT = 80     # httpd, listening throughout
TCP_FUZZ_SEGMENTS = 20000
TCP_FUZZ_SEED = 20261201
# Past the longest a fuzzed connection can live: a half-open one's SYN-ACK
# retries (31 s), or one that reached httpd, with its 20 s first-request limit.
FUZZ_SETTLE_SECONDS = 45


def _segment(r, **kw):
    """A valid segment to the listener or a closed port, random fields."""
    flags = kw.pop("flags", r.choice((TCP_SYN, TCP_ACK, TCP_ACK | TCP_PSH, TCP_FIN | TCP_ACK,
                                       TCP_RST, TCP_RST | TCP_ACK, r.randrange(256))))
    return wire.tcp_frame(kw.pop("sport", r.randrange(1, 65536)),
                          kw.pop("dport", r.choice((LISTEN_PORT, LISTEN_PORT, 81, 7))),
                          r.getrandbits(32), r.getrandbits(32), flags,
                          kw.pop("data", bytes(r.randrange(0, 100))), **kw)


def _tcp_set(raw, at, value, fix=True):
    """raw with TCP header bytes at `at` replaced, and the TCP checksum made right."""
    seg_at = 14 + 20
    raw = raw[:seg_at + at] + value + raw[seg_at + at + len(value):]
    if not fix:
        return raw
    seg = raw[seg_at:]
    pseudo = raw[26:34] + struct.pack("!BBH", 0, wire.PROTO_TCP, len(seg))
    seg = seg[:16] + b"\0\0" + seg[18:]
    return raw[:seg_at] + seg[:16] + struct.pack("!H", wire.checksum(pseudo + seg)) + seg[18:]


TCP_MALFORMED = [
    ("bad TCP checksum", lambda r: _tcp_set(_segment(r), 16, b"\x12\x34", fix=False),
     {"tcp_rx_bad_checksum"}),
    ("data offset under 5 words", lambda r: _tcp_set(_segment(r), 12, bytes([r.randrange(5) << 4])),
     {"tcp_rx_bad_header"}),
    ("data offset past the segment", lambda r: _tcp_set(_segment(r, data=b""), 12, b"\xf0"),
     {"tcp_rx_bad_header"}),
    ("segment shorter than a header",
     lambda r: wire.eth(wire.ipv4(wire.PROTO_TCP, bytes(r.randrange(20)))), {"tcp_rx_bad_header"}),
    ("source port 0", lambda r: _segment(r, sport=0), {"tcp_rx_bad_header"}),
    ("destination port 0", lambda r: _segment(r, dport=0), {"tcp_rx_bad_header"}),
    ("to the subnet broadcast",
     lambda r: _segment(r, dst=wire.SUBNET_BCAST, dst_mac=wire.BCAST_MAC), {"tcp_rx_bad_header"}),
    ("options with a zero length, to the listener",
     lambda r: _segment(r, dport=LISTEN_PORT, flags=TCP_SYN, options=b"\x02\x00\x05\xb4"),
     {"tcp_rx_segs"}),
    ("RST to a closed port", lambda r: _segment(r, dport=81, flags=TCP_RST),
     {"tcp_rx_segs", "tcp_rx_no_port"}),
]


def tcp_templates(r):
    return [_segment(r) for _ in range(40)] + [
        _segment(r, dport=LISTEN_PORT, flags=TCP_SYN, options=b"\x02\x04\x05\xb4\x01\x03\x03\x07")]


def tcp_fuzz_stream(seed, count):
    r = wire.rng(seed)
    templates = tcp_templates(r)
    names, funcs, weights = zip(*test_robust.MUTATORS)
    for _ in range(count):
        if r.random() < 0.3:
            yield "valid segment", _segment(r)
        else:
            i = r.choices(range(len(funcs)), weights)[0]
            yield names[i], funcs[i](r, templates)


@test("tcp-fuzz", "malformed TCP segments counted as predicted, then 20,000 fuzzed segments; no leak")
def tcp_fuzz(t):
    r = wire.rng(TCP_FUZZ_SEED)
    with wire.Peer(log=t.step) as peer:
        w = test_robust.booted(t, peer)
        w.start_stats()
        w.background("httpd", "httpd: listening on port 80")
        w.model.tcp_ports.add(LISTEN_PORT)
        base = before = w.baseline()
        for name, gen, where in TCP_MALFORMED:
            t.step("kind: %s -> %s" % (name, ", ".join(sorted(where))))
            after = w.send_paced([gen(r) for _ in range(20)], name)
            # (udp_rx_packets: the stats queries themselves)
            moved = set(k for k, v in test_robust.delta(before, after, wire.MODEL_COUNTERS).items()
                        if v and k not in ("rx_packets", "ip_rx_packets", "udp_rx_packets"))
            t.check(moved == where, "%s: counters moved %s, want %s" % (name, moved, where))
            test_robust.check_model(t, w, before, after, name)
            before = after

        t.step("%d fuzzed segments (seed %d)" % (TCP_FUZZ_SEGMENTS, TCP_FUZZ_SEED))
        start = time.monotonic()
        kinds = test_robust.send_stream(w, tcp_fuzz_stream(TCP_FUZZ_SEED, TCP_FUZZ_SEGMENTS),
                                        TCP_FUZZ_SEGMENTS)
        time.sleep(0.5)
        after = w.counters()
        test_robust.check_model(t, w, before, after, "tcp fuzz")
        t.check(w.host_dropped() == 0, "the host dropped %s frames" % w.host_dropped())
        # Half-open connections from the fuzz give up after their SYN-ACK
        # retries (31 s); they hold no page meanwhile, but a connection that
        # reached httpd keeps its worker busy until its first-request limit.
        end = w.settle(base, "after the TCP fuzz", FUZZ_SETTLE_SECONDS)
        t.step("the listener still serves a real client")
        c = Conn(peer, 41000, LISTEN_PORT)
        c.connect(tries=SYNACK_LIFE // 2 + 6)
        c.send(TCP_ACK | TCP_PSH, b"GET /hello.txt HTTP/1.0\r\n\r\n")
        got, _ = c.receive(len(b"HTTP/1.1 200 OK"), what="the response")
        t.check(got.startswith(b"HTTP/1.1 200 OK"), "response: %r" % got[:40])
        c.send(TCP_RST, seq=c.snd)
        t.note("%d malformed kinds and %d fuzzed segments (%s) in %.0f s; segments %d, "
               "mbufs %d and free pages %d as before" % (
                   len(TCP_MALFORMED), TCP_FUZZ_SEGMENTS,
                   ", ".join("%s %d" % kv for kv in sorted(kinds.items())),
                   time.monotonic() - start, after["tcp_rx_segs"] - base["tcp_rx_segs"],
                   end["mbufs_in_use"], end["free_pages"]))
