"""test_tcp.py: TCP tests: httpd from the host through slirp (curl, http.client), the guest's fetch and tcp against server.py, a real browser, and conformance through the raw-frame peer."""

import hashlib
import http.client
import os
import re
import sys
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import hostserver
import qemu
from run_tests import test

sys.path.insert(0, qemu.REPO)
import server  # noqa: E402  (the pattern and checksum of server.py's TCP side)

SITE = ["index.html", "hello.txt", "style.css", "big.bin", "README.md"]
BIG = 16 << 20                 # bulk transfers each way
ECHO_BYTES = 1 << 20
KEEPALIVE_REQUESTS = 100
CLIENTS = 50
HTTP_TIMEOUT = 60              # per request
# QEMU's forwarded port listens with a backlog of 1: when many clients
# connect at once, the host drops SYNs and Linux sends them again after
# 1, 2, 4, 8, 16, 32 s.  Such a client waits up to a minute before the
# guest ever sees it.
CLIENT_TIMEOUT = 130
SINK_PORT = 2002               # guest port of the bulk tests, forwarded like port 80
CURL_INSTALL = "apt-get install -y curl"
CHROMIUM_INSTALL = "apt-get install -y chromium"


def need_tool(t, name, install):
    if shutil.which(name) is None:
        t.check(False, "%s is not installed: %s" % (name, install))


def letters(n):
    """What `tcp -n N` sends (user/tcp.c, pattern())."""
    period = 26 * 251
    one = bytes(ord("a") + (i * 7 + i // 251) % 26 for i in range(period))
    return (one * (n // period + 1))[:n]


def fnv1a(data):
    return server.fnv1a(data)


def web_netdev(web, sink):
    """slirp with the guest's port 80 and SINK_PORT reachable from 127.0.0.1."""
    return ("user,id=net0,hostfwd=tcp:127.0.0.1:%d-:80,hostfwd=tcp:127.0.0.1:%d-:%d"
            % (web, sink, SINK_PORT))


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
    t.step("404, 400, 405, 414, HEAD")
    r, body = http_get(port, "/no-such-file")
    t.check(r.status == 404 and b"404" in body, "missing file: %d" % r.status)
    r, body = http_get(port, "/", method="POST")
    t.check(r.status == 405 and r.getheader("Allow") == "GET, HEAD", "POST: %d" % r.status)
    out = raw_request(port, b"GARBAGE\r\n\r\n")
    t.check(out.startswith(b"HTTP/1.1 400 "), "a bad request line: %r" % out[:40])
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


def check_clients(t, port):
    t.step("%d clients at once" % CLIENTS)
    want = site_file("index.html")
    results = []

    stalled = []

    def one():
        begun = time.monotonic()
        try:
            r, body = http_get(port, "/index.html", timeout=CLIENT_TIMEOUT)
            results.append(r.status == 200 and body == want)
        except Exception as e:      # counted as a failure below
            results.append(repr(e))
        if time.monotonic() - begun > 1:
            stalled.append(time.monotonic() - begun)

    started = time.monotonic()
    threads = [threading.Thread(target=one) for _ in range(CLIENTS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    bad = [r for r in results if r is not True]
    t.check(not bad, "%d of %d clients failed: %s" % (len(bad), CLIENTS, bad[:3]))
    t.note("%d concurrent clients served in %.1f s; %d waited over 1 s (QEMU's backlog of 1), "
           "the longest %.1f s" % (CLIENTS, time.monotonic() - started, len(stalled),
                                   max(stalled, default=0)))


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


@test("tcp-http", "httpd through slirp: curl and http.client, errors, keep-alive, 50 clients, 16 MiB each way")
def tcp_http(t):
    need_tool(t, "curl", CURL_INSTALL)
    web, sink = qemu.free_ports(2, "tcp")
    start_httpd(t, {"NETDEV": web_netdev(web, sink)})
    check_site(t, web)
    check_errors(t, web)
    check_keepalive(t, web)
    check_clients(t, web)
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
        out = t.run("fetch http://10.0.2.3:%d/" % srv.ports["HTTPPORT"], 10)
        t.expect(out, r"may talk only to 10\.0\.2\.2", "fetch refuses other hosts")
    finally:
        srv.stop()
