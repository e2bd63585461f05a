#!/usr/bin/env python3
"""test_robust.py: robustness of the network stack: conformance, malformed frames, fuzzing, floods, socket-call abuse, the packet path on the host.

The guest's e1000 is wired to test/netpeer.py (QEMU's dgram backend), which
plays 10.0.2.2 and sends whatever a test wants.  In the guest, `netstress`
(user/netstress.c) runs the servers: `stats` answers a datagram with every
network counter, which is both how the tests read counters without the
console and a barrier (its answer means every frame sent before it has gone
through the stack); `echo` echoes; `sink` holds a socket it never reads.
netpeer.Model predicts, frame by frame, which receive counters a frame moves;
the tests compare that with what the guest counted.

`make fuzz N=1000000` runs the long fuzz:  python3 test/test_robust.py fuzz N [SEED]
"""

import collections
import os
import re
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netpeer as wire  # noqa: E402
import qemu  # noqa: E402
from netpeer import (ETH_ARP, ETH_IP, GUEST_IP, GUEST_MAC, PEER_IP, PEER_MAC,  # noqa: E402
                     BCAST_MAC, SUBNET_BCAST, PROTO_ICMP, PROTO_TCP, PROTO_UDP,
                     ICMP_ECHOREPLY, arp_frame, checksum, eth, icmp_echo,
                     ipv4, ping_frame, udp, udp_frame)
from run_tests import CARDS, REPO, Failure, test  # noqa: E402

STATS_PORT = 9999          # netstress stats
ECHO_PORT = 7              # netstress echo
SINK_PORT = 4000           # netstress sink (and 4001, its go-ahead)
SYSCALL_PORT = 5000        # netstress syscalls (and 5001)
BLAST_PORT = 6000          # where netstress blast sends, on the peer
QUERY_SPORT = 30000        # our port for stats queries
STATS_MAX_PARTS = 4        # datagrams of one stats answer (netstress.c, STATS_PART)

# A socket's queue limit, as the kernel defines it.
SOCK_QMAX = int(re.search(r"#define SOCK_QUEUE_MAX (\d+)",
                          open(os.path.join(REPO, "kernel", "netinfo.h")).read()).group(1))
TX_RING_SIZE = 32          # bounds the mbufs a busy transmitter holds
MALFORMED_EACH = 100       # frames per malformed kind
FUZZ_FRAMES = 20000
FUZZ_SEED = 20240611
FLOOD_SECONDS = 10.0
BLAST_FRAMES = 20000
BLAST_LEN = 100
SKB_OVERHEAD = 1024        # what the host kernel adds to each queued datagram
SETTLE_SECONDS = 15        # for held datagrams to be given up (ARP: 5 s)
LEASE_WAIT = 15            # for the guest's DHCP exchange at boot (it starts after ~1 s)


# ---- a guest wired to the peer ---------------------------------------------------

class Wire:
    """A booted guest, its peer, and the netstress servers in it."""

    def __init__(self, guest, peer, step, run, card):
        self.guest, self.peer, self.step, self._run = guest, peer, step, run
        self.card = card            # the Makefile's NIC
        self.queries = 0
        self.quiet = False          # no transcript line per counter reading
        self.budget = socket_budget()
        # The guest's DHCP exchange with the peer ends before anything is
        # counted: its frames would move the counters under the tests.
        if not peer.leased.wait(LEASE_WAIT):
            raise Failure("the guest's DHCP client got no lease from the peer in %ds" % LEASE_WAIT)
        self.model = peer.model = wire.Model(udp_ports=(STATS_PORT,), card=card)

    def run(self, cmd, timeout=30):
        return self._run(cmd, timeout)

    def background(self, cmd, ready):
        self.step("$ %s &" % cmd)
        self.guest.send(cmd + " &\n")
        self.guest.wait_for(ready, 15)

    def start_stats(self):
        self.background("netstress stats %d" % STATS_PORT, "stats on %d" % STATS_PORT)

    def start_echo(self):
        self.background("netstress echo %d" % ECHO_PORT, "echo on %d" % ECHO_PORT)
        self.model.udp_ports.add(ECHO_PORT)

    def send_paced(self, frames, what):
        """Send frames in batches small enough that QEMU's socket buffer can
        hold a whole batch even if QEMU reads none of it for a while; a
        counter reading after each batch waits until the guest took it in.
        The last reading is returned."""
        batch, cost, last = [], 0, None
        for raw in frames:
            if batch and cost + 2 * len(raw) + SKB_OVERHEAD > self.budget:
                self.peer.send_many(batch, None if self.quiet else what)
                last = self.counters()
                batch, cost = [], 0
            batch.append(raw)
            cost += 2 * len(raw) + SKB_OVERHEAD
        if batch:
            self.peer.send_many(batch, None if self.quiet else what)
            last = self.counters()
        return last

    def host_dropped(self):
        """Frames the host threw away because QEMU's socket buffer was full."""
        return host_drops(self.peer.qemu_port)

    def baseline(self):
        """Counters once ARP has settled: the first answer from the stats
        server makes the guest resolve 10.0.2.2, whose ARP reply reaches it
        only after it counted."""
        self.counters()
        return self.counters()

    def counters(self, timeout=30, retry=2.0):
        """Every network counter, read through the stats server; the answer
        also means all frames sent before the query went through the stack."""
        deadline = time.monotonic() + timeout
        while True:
            self.queries += 1
            tag = b"q%d" % self.queries
            self.peer.send(udp_frame(QUERY_SPORT, STATS_PORT, tag))
            tally = self.peer.tally_now()
            try:
                payload = b""
                for part in range(STATS_MAX_PARTS):
                    head = tag + b" %d\n" % part
                    f = self.peer.expect(lambda f: f.udp is not None and f.udp["sport"] == STATS_PORT
                                         and f.payload.startswith(head),
                                         min(retry, max(0.1, deadline - time.monotonic())),
                                         "stats answer %s part %d" % (tag.decode(), part), quiet=True)
                    payload += f.payload[len(head):]
                    if payload.endswith(b"end\n"):
                        break
                if not self.quiet:
                    self.step("   counters read (%s)" % tag.decode())
                values = parse_stats(payload)
                values["_parts"] = part + 1   # datagrams per answer
                # What the model predicts for the frames the guest had taken
                # in when it counted: up to and including this query.
                values["_tally"] = tally
                return values
            except wire.PeerError:
                if time.monotonic() > deadline:
                    raise Failure("the stats server did not answer within %ds" % timeout)

    def settle(self, base, what, seconds=SETTLE_SECONDS):
        """Wait until mbufs in use and free pages are back at base; the last
        counters.  Held datagrams are given up after a few seconds."""
        deadline = time.monotonic() + seconds
        while True:
            c = self.counters()
            if c["mbufs_in_use"] == base["mbufs_in_use"] and c["free_pages"] == base["free_pages"]:
                return c
            if time.monotonic() > deadline:
                raise Failure("%s: leak: mbufs in use %d (baseline %d), free pages %d (baseline %d)"
                              % (what, c["mbufs_in_use"], base["mbufs_in_use"],
                                 c["free_pages"], base["free_pages"]))
            time.sleep(0.5)


def parse_stats(payload):
    """Counter lines "name value" up to "end", from the parts of an answer
    (each part's "TAG PART" line already stripped)."""
    lines = payload.decode(errors="replace").split("\n")
    values = {}
    for line in lines:
        if line == "end":
            return values
        name, _, value = line.partition(" ")
        values[name] = int(value)
    raise Failure("truncated stats answer: %r" % payload[:80])


def delta(before, after, names=None):
    names = names or [k for k in after if not k.startswith("_")]
    return {k: after[k] - before.get(k, 0) for k in names if after[k] != before.get(k, 0)}


def socket_budget():
    """Bytes of frames to have in flight towards QEMU at most: a third of
    the default socket receive buffer, which QEMU's socket has."""
    try:
        with open("/proc/sys/net/core/rmem_default") as f:
            return int(f.read()) // 3
    except (OSError, ValueError):
        return 64 << 10


def host_drops(port):
    """Datagrams the host dropped for the UDP socket bound to 127.0.0.1:port
    (its receive buffer was full), from /proc/net/udp; None if unknown."""
    want = "0100007F:%04X" % port
    try:
        with open("/proc/net/udp") as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                if cols[1] == want:
                    return int(cols[-1])
    except OSError:
        pass
    return None


def kernel_constant(path, name):
    with open(os.path.join(REPO, path)) as f:
        m = re.search(r"^#define\s+%s\s+(\d+)" % name, f.read(), re.M)
    if not m:
        raise Failure("no #define %s in %s" % (name, path))
    return int(m.group(1))


def booted(t, peer):
    """Boot a guest attached to peer; a Wire for it."""
    g = t.boot(make_vars=peer.make_vars())
    return Wire(g, peer, t.step, t.run, t.nic or "e1000")


def not_stats(frames):
    """The frames (parsed) that are not the stats server's answers."""
    parsed = (wire.Frame(raw) for raw in frames)
    return [f for f in parsed if not (f.udp and f.udp["sport"] == STATS_PORT)]


def check_model(t, w, before, after, what):
    """Between two counter readings, the receive counters moved exactly as
    the model predicts for the frames sent in between."""
    want = after["_tally"] - before["_tally"]
    got = delta(before, after, wire.MODEL_COUNTERS)
    for name in set(want) | set(got):
        t.check(want.get(name, 0) == got.get(name, 0),
                "%s: counter %s moved by %d, the model predicts %d (all moves: %s; predicted: %s;"
                " frames the host dropped before QEMU read them: %s)"
                % (what, name, got.get(name, 0), want.get(name, 0), got, dict(want),
                   w.host_dropped()))


@test("robust-model", "the frame model follows QEMU's version: its e1000 pads runts and takes 1522 bytes before 8.1, neither from 8.1; virtio-net the same in both (no QEMU run)")
def model_versions(t):
    runt = GUEST_MAC + b"\x52\x55\x0a\x00"   # 10 bytes: padded, its EtherType is 0
    def big(n):   # an n-byte UDP frame to a closed port
        return udp_frame(5555, 4444, bytes(n - 42))
    old, new = (7, 2), (10, 0)
    cases = [  # (card, QEMU version, frame, what, predicted counters)
        ("e1000", old, runt, "10-byte runt", ["rx_packets", "eth_rx_bad_type"]),
        ("e1000", new, runt, "10-byte runt", ["rx_packets", "eth_rx_runt"]),
        ("virtio", old, runt, "10-byte runt", ["rx_packets", "eth_rx_runt"]),
        ("virtio", new, runt, "10-byte runt", ["rx_packets", "eth_rx_runt"]),
    ]
    passes = ["rx_packets", "ip_rx_packets", "udp_rx_packets", "udp_rx_no_port"]
    for card in ("e1000", "virtio"):
        for version in (old, new):
            limit = 1518 if (card, version) == ("e1000", new) else 1522
            for n in (1518, 1519, 1522, 1523):
                cases.append((card, version, big(n), "%d-byte frame" % n,
                              passes if n <= limit else ["rx_oversize"]))
    for card, version, raw, what, want in cases:
        got = wire.Model(card=card, qemu=version).predict(raw)
        t.step("%s on QEMU %d.%d, %s: %s" % (card, version[0], version[1], what, got))
        t.check(got == want, "%s on QEMU %d.%d, %s: the model predicts %s, want %s"
                % (card, version[0], version[1], what, got, want))
    for line, want in (("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u16)", (7, 2)),
                       ("QEMU emulator version 8.2.2 (Debian 1:8.2.2+ds-0ubuntu1.4)", (8, 2)),
                       ("QEMU emulator version 10.0.3 (Debian 1:10.0.3+ds-0+deb13u1)", (10, 0))):
        t.check(wire.parse_qemu_version(line + "\nCopyright (c) 2003-2025") == want,
                "%r read as %s, want %s" % (line, wire.parse_qemu_version(line), want))
    here = wire.qemu_version()
    t.check(wire.Model().card_pads == (here < (8, 1)),
            "the default model does not follow the installed QEMU %d.%d" % here)
    t.note("%d predictions for QEMU 7.2 and 10.0; the installed QEMU is %d.%d, so its e1000 %s"
           % (len(cases), here[0], here[1], "pads runts, takes 1522 bytes" if here < (8, 1)
              else "passes runts as they are, takes 1518 bytes"))


# ---- conformance ---------------------------------------------------------------

def check_ip_out(t, f, proto, what):
    ip = f.ip
    t.check(f.dst == PEER_MAC and f.src == GUEST_MAC, "%s: MACs %s -> %s"
            % (what, wire.mac_str(f.src), wire.mac_str(f.dst)))
    t.check(ip["version"] == 4 and ip["hlen"] == 20 and ip["proto"] == proto,
            "%s: IPv4 header %s" % (what, ip))
    t.check(ip["csum_ok"], "%s: bad IPv4 header checksum" % what)
    t.check(ip["src"] == GUEST_IP and ip["dst"] == PEER_IP, "%s: addresses %s" % (what, ip))
    t.check(ip["ttl"] == 64, "%s: TTL %d, want 64" % (what, ip["ttl"]))
    t.check(ip["off"] & (wire.IP_MF | wire.IP_OFFMASK) == 0, "%s: sent as a fragment" % what)
    t.check(len(f.raw) >= wire.ETH_MINFRAME, "%s: %d-byte frame, under 60" % (what, len(f.raw)))
    t.check(not any(f.padding), "%s: padding not zero" % what)


@test("robust-conform", "a raw-frame peer checks ARP, ICMP echo, UDP echo, padding, options, fragments", cards=CARDS)
def conform(t):
    with wire.Peer(log=t.step) as peer:
        w = booted(t, peer)
        w.start_stats()
        w.start_echo()
        base = w.counters()

        t.step("ARP: the guest resolved 10.0.2.2 itself before its first answer")
        # DHCP, broadcast from its own port, needs no ARP and comes first.
        req = [f for f in map(wire.Frame, peer.frames_since(0)) if wire.parse_dhcp(f) is None][0]
        t.check(req.arp is not None and req.arp["op"] == 1, "the guest's first frame after DHCP "
                "is not an ARP request: %s" % req.summary())
        t.check(req.dst == BCAST_MAC and req.src == GUEST_MAC and req.arp["sha"] == GUEST_MAC
                and req.arp["sip"] == GUEST_IP and req.arp["tip"] == PEER_IP
                and req.arp["tha"] == b"\0" * 6 and len(req.raw) == 60,
                "the guest's ARP request: %s %s" % (req.summary(), req.arp))

        t.step("ARP: a broadcast request for 10.0.2.15 is answered")
        peer.send(arp_frame(1))
        f = peer.expect(lambda f: f.arp and f.arp["op"] == 2, 5, "an ARP reply")
        a = f.arp
        t.check(f.dst == PEER_MAC and f.src == GUEST_MAC and f.type == ETH_ARP,
                "ARP reply Ethernet header: %s" % f.summary())
        t.check((a["hrd"], a["pro"], a["hln"], a["pln"]) == (1, ETH_IP, 6, 4),
                "ARP reply format fields %s" % a)
        t.check(a["sha"] == GUEST_MAC and a["sip"] == GUEST_IP, "ARP reply sender %s" % a)
        t.check(a["tha"] == PEER_MAC and a["tip"] == PEER_IP, "ARP reply target %s" % a)
        t.check(len(f.raw) == 60 and not any(f.raw[42:]), "ARP reply: 60 bytes, zero padding")

        t.step("ARP: a unicast request is answered too; one for another host is not")
        peer.send(arp_frame(1, dst_mac=GUEST_MAC))
        peer.expect(lambda f: f.arp and f.arp["op"] == 2 and f.arp["tha"] == PEER_MAC, 5,
                    "an ARP reply to a unicast request")
        peer.send(arp_frame(1, tip="10.0.2.99"))
        peer.expect_nothing(lambda f: f.arp is not None and f.arp["op"] == 2, 0.5, "ARP reply")

        t.step("ICMP: an echo request is answered")
        data = bytes(range(56))
        peer.send(ping_frame(0x1234, 7, data))
        f = peer.expect(lambda f: f.icmp_type == ICMP_ECHOREPLY, 5, "an echo reply")
        check_ip_out(t, f, PROTO_ICMP, "echo reply")
        c = f.icmp
        t.check(c["code"] == 0 and c["id"] == 0x1234 and c["seq"] == 7, "echo reply fields %s" % c)
        t.check(c["csum_ok"], "echo reply: bad ICMP checksum")
        t.check(f.payload == data, "echo reply payload differs")
        first_id = f.ip["ident"]

        t.step("ICMP: a TTL-1 request and one with IP options are answered without options")
        peer.send(ping_frame(0x1234, 8, b"ttl", ttl=1))
        f = peer.expect(lambda f: f.icmp_type == ICMP_ECHOREPLY, 5, "an echo reply to TTL 1")
        t.check(f.icmp["seq"] == 8 and f.ip["ttl"] == 64, "reply to TTL 1: %s" % f.summary())
        t.check(f.ip["ident"] != first_id, "two datagrams with IP id %d" % first_id)
        options = b"\x01\x01\x01\x00"   # NOP NOP NOP end-of-options
        peer.send(ping_frame(0x1234, 9, b"options", options=options))
        f = peer.expect(lambda f: f.icmp_type == ICMP_ECHOREPLY, 5, "an echo reply to IP options")
        check_ip_out(t, f, PROTO_ICMP, "reply to a request with options")
        t.check(f.icmp["seq"] == 9 and f.payload == b"options", "reply to options: %s" % f.summary())

        t.step("UDP: the echo server returns payloads intact, with correct checksums")
        for payload in (b"x", b"", bytes(range(256)) * 5 + b"tail", b"y" * 1472):
            peer.send(udp_frame(5555, ECHO_PORT, payload))
            f = peer.expect(lambda f: f.udp is not None and f.udp["sport"] == ECHO_PORT, 5,
                            "the echo of %d bytes" % len(payload))
            check_ip_out(t, f, PROTO_UDP, "UDP echo of %d bytes" % len(payload))
            u = f.udp
            t.check(u["dport"] == 5555 and u["length"] == 8 + len(payload),
                    "UDP echo header %s" % u)
            t.check(u["csum"] != 0 and u["csum_ok"], "UDP echo: checksum %#x wrong or absent"
                    % u["csum"])
            t.check(f.payload == payload, "UDP echo of %d bytes: payload differs" % len(payload))
        peer.send(eth(ipv4(PROTO_UDP, udp(5556, ECHO_PORT, b"opt"), options=options)))
        f = peer.expect(lambda f: f.udp is not None and f.udp["dport"] == 5556, 5,
                        "the echo of a datagram with IP options")
        t.check(f.payload == b"opt" and f.ip["hlen"] == 20, "echo with options: %s" % f.summary())
        peer.send(eth(ipv4(PROTO_UDP, udp(5557, ECHO_PORT, b"nosum", csum=0))))
        f = peer.expect(lambda f: f.udp is not None and f.udp["dport"] == 5557, 5,
                        "the echo of a datagram without a checksum (0)")
        t.check(f.payload == b"nosum" and f.udp["csum"] != 0 and f.udp["csum_ok"],
                "echo of a datagram without a checksum: %s" % f.summary())

        t.step("dropped, and counted: fragments, another host's MAC or address, broadcast ping,"
               " a closed port")
        before = w.counters()
        start = peer.count()
        sent = [udp_frame(5558, ECHO_PORT, b"frag", off=wire.IP_MF),
                udp_frame(5558, ECHO_PORT, b"frag", off=100),
                ping_frame(1, 1, b"mac", dst_mac=bytes.fromhex("525400999999")),
                ping_frame(1, 2, b"addr", dst="10.0.2.99"),
                ping_frame(1, 3, b"bcast", dst=SUBNET_BCAST, dst_mac=BCAST_MAC),
                udp_frame(5558, 4444, b"closed")]
        for raw in sent:
            peer.send(raw)
        after = w.counters()
        time.sleep(0.5)
        answers = not_stats(peer.frames_since(start))
        t.check(not answers, "the guest answered a frame it must drop: %s"
                % (answers[0].summary() if answers else ""))
        d = delta(before, after)
        for name, n in (("ip_rx_fragments", 2), ("ip_rx_not_ours", 1), ("icmp_rx_other", 1),
                        ("udp_rx_no_port", 1)):
            t.check(d.get(name, 0) == n, "%s moved by %d, want %d" % (name, d.get(name, 0), n))
        check_model(t, w, before, after, "conformance drops")
        end = w.settle(base, "after conformance")
        t.check(end["arp_requests_sent"] == 1 and peer.arp_answered == 1,
                "the guest sent %d ARP requests for 10.0.2.2, want 1 (later sends hit the cache)"
                % end["arp_requests_sent"])


# ---- the ARP cache under spoofed on-link sources ------------------------------------
# Every echo reply to an on-link address wants a cache entry.  Spoofed
# sources (10.0.2.100 and up, never a real slirp address) must neither lose
# what waits for the gateway nor push the gateway out.

SPOOF_FIRST = 100          # 10.0.2.100
SPOOFS = 16                # per round: twice the guest's cache


def spoof_ip(i):
    return "10.0.2.%d" % (SPOOF_FIRST + i)


def spoofed_pings(first, n):
    """Echo requests from n made-up on-link hosts, each with its own MAC."""
    return [eth(ipv4(PROTO_ICMP, icmp_echo(0x5300, i, b"spoof"), src=spoof_ip(i)),
                src=b"\x52\x55" + wire.aton(spoof_ip(i)))
            for i in range(first, first + n)]


def arp_requests_for(frames, addrs):
    return [f for f in map(wire.Frame, frames)
            if f.arp and f.arp["op"] == 1 and f.arp["tip"] in addrs]


@test("robust-arp-evict", "spoofed on-link pings: the gateway stays cached, its held datagram is sent", cards=CARDS)
def arp_evict(t):
    spoofed = {spoof_ip(i) for i in range(2 * SPOOFS)}
    with wire.Peer(log=t.step, answer_arp=False) as peer:
        w = booted(t, peer)
        w.start_stats()

        t.step("a datagram waits for 10.0.2.2 while %d spoofed pings arrive" % SPOOFS)
        peer.send(udp_frame(QUERY_SPORT, STATS_PORT, b"held"))
        peer.expect(lambda f: f.arp and f.arp["op"] == 1 and f.arp["tip"] == PEER_IP, 10,
                    "the guest's ARP request for 10.0.2.2")
        peer.send_many(spoofed_pings(0, SPOOFS), "pings from %s and up" % spoof_ip(0))
        peer.send(arp_frame(2, dst_mac=GUEST_MAC, tha=GUEST_MAC), note="the late ARP answer")
        try:
            peer.expect(lambda f: f.udp is not None and f.udp["sport"] == STATS_PORT
                        and f.payload.startswith(b"held "), 5, "the held stats answer")
        except wire.PeerError:
            raise Failure("the datagram held for 10.0.2.2 was lost to spoofed pings")
        peer.answer_arp = True

        t.step("%d more spoofed pings once 10.0.2.2 is known" % SPOOFS)
        before = w.counters()
        peer.send_many(spoofed_pings(SPOOFS, SPOOFS), "pings from %s and up" % spoof_ip(SPOOFS))
        after = w.counters()
        check_model(t, w, before, after, "spoofed pings")
        gateway = arp_requests_for(peer.frames_since(0), {PEER_IP})
        t.check(len(gateway) == 1, "the guest asked for 10.0.2.2 %d times, want once: spoofed"
                " pings pushed it out of the cache" % len(gateway))
        asked = arp_requests_for(peer.frames_since(0), spoofed)
        t.check(all(f.dst == BCAST_MAC for f in asked), "an ARP request not broadcast")
        t.check(len(asked) + after["arp_cache_full"] == 2 * SPOOFS and after["arp_cache_full"] > 0,
                "%d spoofed pings: the guest asked for %d sources and counted %d replies in"
                " arp_cache_full; want every reply either asked for or counted, some counted"
                % (2 * SPOOFS, len(asked), after["arp_cache_full"]))

        t.step("the replies that waited for the spoofed sources are given up and counted")
        deadline = time.monotonic() + SETTLE_SECONDS
        while w.counters()["arp_hold_drops"] != len(asked):
            if time.monotonic() > deadline:
                raise Failure("arp_hold_drops is %d, want %d (one reply per source asked for)"
                              % (w.counters()["arp_hold_drops"], len(asked)))
            time.sleep(0.5)
        t.note("%d spoofed pings: %d sources asked for, %d replies dropped for want of an entry"
               % (2 * SPOOFS, len(asked), after["arp_cache_full"]))


# ---- malformed frames, kind by kind ------------------------------------------------
# Each kind: a name, a generator of one variant (from a seeded random.Random),
# and the drop counters its frames may land in (or a function of the card's
# model giving them).  QEMU's e1000 before 8.1 pads frames under 60 bytes with
# zeros, which is why a truncated frame can land in a counter further down
# the stack than the header it cuts (netpeer.e1000_receive).

def _ip_frame(r, payload_len=100):
    return udp_frame(5555, ECHO_PORT, bytes(r.randrange(256) for _ in range(payload_len)))


def _small_udp(r):
    return udp_frame(5555, ECHO_PORT, bytes(r.randrange(256) for _ in range(r.randrange(0, 16))))


def _set(raw, at, value):
    return raw[:at] + value + raw[at + len(value):]


def _fix_ip_sum(raw):
    hlen = (raw[14] & 0xF) * 4
    hdr = _set(raw[14:14 + hlen], 10, b"\0\0")
    return _set(raw, 24, struct.pack("!H", checksum(hdr)))


def _ip_field(r, at, value, fix=True, frame=None):
    raw = _set(frame or _small_udp(r), 14 + at, value)
    return _fix_ip_sum(raw) if fix else raw


def _arp_with(r, **fields):
    op = r.choice((1, 2))
    return arp_frame(op, dst_mac=r.choice((BCAST_MAC, GUEST_MAC)), **fields)


def _udp_len(r):
    raw = _small_udp(r)
    n = len(raw) - 34
    bad = r.choice([v for v in (0, 1, 7, n - 1, n + 1, 0xFFFF) if v != n])
    return _fix_udp_sum(_set(raw, 38, struct.pack("!H", bad)))


def _fix_udp_sum(raw):
    """Recompute the UDP checksum over what the IP header says is the datagram."""
    ip = raw[14:34]
    seg = raw[34:14 + struct.unpack("!H", ip[2:4])[0]]
    pseudo = ip[12:20] + struct.pack("!BBH", 0, PROTO_UDP, len(seg))
    seg = _set(seg, 6, b"\0\0")
    return _set(raw, 40, struct.pack("!H", checksum(pseudo + seg) or 0xFFFF))


def _short_total(r):
    """IPv4 total length shorter than the frame by 1-7: the rest looks like
    Ethernet padding, and then the UDP length disagrees."""
    raw = _ip_frame(r, r.randrange(40, 200))
    total = len(raw) - 14 - r.randrange(1, 8)
    return _ip_field(r, 2, struct.pack("!H", total), frame=raw)


def _bad_ip_sum(r):
    raw = _small_udp(r)
    good = struct.unpack("!H", raw[24:26])[0]
    return _set(raw, 24, struct.pack("!H", good ^ r.randrange(1, 0x10000)))


def _fragment(r):
    off = r.randrange(1, 0x2000) | (wire.IP_MF if r.random() < 0.5 else 0)
    if r.random() < 0.3:
        off = wire.IP_MF   # the first fragment
    return _ip_field(r, 6, struct.pack("!H", off))


def _bad_udp_sum(r):
    raw = _small_udp(r)
    good = struct.unpack("!H", raw[40:42])[0]
    bad = good ^ r.randrange(1, 0x10000)
    if bad in (0, 0xFFFF) or (good == 0xFFFF and bad == 0):
        bad = good ^ 0x0101   # 0 means "no checksum"; 0xFFFF and 0 are the same sum
    return _set(raw, 40, struct.pack("!H", bad))


def _zero_udp(r):
    if r.random() < 0.5:
        return _fix_udp_sum(_set(_small_udp(r), 38, b"\0\0"))
    return eth(ipv4(PROTO_UDP, bytes(r.randrange(256) for _ in range(r.randrange(0, 8)))))


MALFORMED = [
    ("runt frame (6-12 bytes; QEMU's e1000 before 8.1 pads it, virtio-net and later e1000s do not)",
     lambda r: GUEST_MAC + bytes(r.randrange(256) for _ in range(r.randrange(0, 7))),
     lambda model: {"eth_rx_bad_type"} if model.card_pads else {"eth_rx_runt"}),
    ("unknown EtherType",
     lambda r: eth(bytes(46), etype=r.choice((0x86DD, 0x8100, 0x88CC, 0x0000, 0x0801,
                                              0x0805, 0x0807, r.randrange(0x0900, 0x10000)))),
     {"eth_rx_bad_type"}),
    ("oversized frame (1523-4000 bytes)",
     lambda r: _ip_frame(r, r.randrange(1523, 4000) - 42), {"rx_oversize"}),
    ("frame of 1519-1522 bytes to a closed port (QEMU's e1000 from 8.1 drops it as oversized)",
     lambda r: udp_frame(5555, r.randrange(10000, 20000), bytes(r.randrange(1519, 1523) - 42)),
     lambda model: {"rx_oversize"} if model.maxframe < 1519 else {"udp_rx_no_port"}),
    ("truncated inside the IPv4 header",
     lambda r: _ip_frame(r)[:14 + r.randrange(0, 20)],
     {"ip_rx_bad_header", "ip_rx_bad_length"}),
    ("truncated after the IPv4 header, in the UDP header, or in the data",
     lambda r: _ip_frame(r)[:r.randrange(34, 142)], {"ip_rx_bad_length"}),
    ("truncated ICMP echo",
     lambda r: ping_frame(1, 1, bytes(100))[:r.randrange(34, 142)], {"ip_rx_bad_length"}),
    ("truncated ARP (short fields read as zeros)",
     lambda r: arp_frame(1)[:14 + r.randrange(0, 28)], {"arp_rx_bad", "arp_rx_ignored"}),
    ("IPv4 version not 4",
     lambda r: _ip_field(r, 0, bytes([r.choice((0, 1, 5, 6, 15)) << 4 | 5])),
     {"ip_rx_bad_header"}),
    ("IHL under 5", lambda r: _ip_field(r, 0, bytes([0x40 | r.randrange(0, 5)]), fix=False),
     {"ip_rx_bad_header"}),
    ("IHL past the end of the frame",
     lambda r: _ip_field(r, 0, bytes([0x40 | r.randrange(12, 16)]), fix=False),
     {"ip_rx_bad_header"}),
    ("total length past the end of the frame",
     lambda r: _ip_field(r, 2, struct.pack("!H", r.randrange(47, 0x10000))),
     {"ip_rx_bad_length"}),
    ("total length under the header length",
     lambda r: _ip_field(r, 2, struct.pack("!H", r.randrange(0, 20))), {"ip_rx_bad_length"}),
    ("total length shorter than the frame (UDP length then disagrees)",
     _short_total, {"udp_rx_bad_length"}),
    ("bad IPv4 header checksum", _bad_ip_sum, {"ip_rx_bad_checksum"}),
    ("fragment (more-fragments bit or an offset)", _fragment, {"ip_rx_fragments"}),
    ("IPv4 for another address",
     lambda r: _ip_field(r, 16, bytes([10, 0, 2, r.choice((3, 16, 99, 254))])),
     {"ip_rx_not_ours"}),
    ("unknown IP protocol",
     lambda r: _ip_field(r, 9, bytes([r.choice((0, 2, 41, 58, 132, 255))])),
     {"ip_rx_bad_proto"}),
    ("bad UDP checksum", _bad_udp_sum, {"udp_rx_bad_checksum"}),
    ("UDP length field disagrees with IPv4", _udp_len, {"udp_rx_bad_length"}),
    ("zero-length UDP (length field 0) or IPv4 payload under a UDP header",
     _zero_udp, {"udp_rx_bad_length"}),
    ("UDP to a closed port",
     lambda r: udp_frame(5555, r.randrange(10000, 20000), b"closed"), {"udp_rx_no_port"}),
    ("bad ICMP checksum",
     lambda r: _set(ping_frame(1, 1, b"abcdef"), 36, struct.pack("!H", r.randrange(1, 0x10000))),
     {"icmp_rx_bad"}),
    ("ICMP shorter than its header",
     lambda r: eth(ipv4(PROTO_ICMP, bytes([8, 0, 0xF7, 0xFF])[:r.randrange(0, 5)])),
     {"icmp_rx_bad"}),
    ("ICMP other than echo (or echo with a code)",
     lambda r: eth(ipv4(PROTO_ICMP, icmp_echo(1, 1, b"x", itype=r.choice((3, 5, 11, 13, 8)),
                                              code=r.choice((1, 2, 3))))),
     {"icmp_rx_other"}),
    ("echo reply that no socket waits for",
     lambda r: eth(ipv4(PROTO_ICMP, icmp_echo(r.randrange(0x10000), 1, b"late",
                                              itype=ICMP_ECHOREPLY))),
     {"icmp_rx_no_sock"}),
    ("ARP with a wrong hardware length",
     lambda r: _arp_with(r, hln=r.choice((0, 1, 5, 7, 255))), {"arp_rx_bad"}),
    ("ARP with a wrong protocol length",
     lambda r: _arp_with(r, pln=r.choice((0, 3, 5, 16, 255))), {"arp_rx_bad"}),
    ("ARP with a wrong hardware or protocol type",
     lambda r: _arp_with(r, **r.choice(({"hrd": 6}, {"hrd": 0}, {"pro": 0x86DD}, {"pro": 0}))),
     {"arp_rx_bad"}),
    ("ARP with an unknown operation",
     lambda r: arp_frame(r.choice((0, 3, 4, 8, 0xFFFF))), {"arp_rx_bad"}),
    ("ARP from a group address or from 0.0.0.0",
     lambda r: _arp_with(r, **r.choice(({"sha": b"\x01\0\x5e\0\0\x01"}, {"sha": BCAST_MAC},
                                        {"sip": "0.0.0.0"}))),
     {"arp_rx_bad"}),
    ("ARP request for another host",
     lambda r: arp_frame(1, tip="10.0.2.%d" % r.choice((1, 3, 16, 99))), {"arp_rx_ignored"}),
    ("frame for another MAC (the e1000 filters it, virtio-net passes it on)",
     lambda r: ping_frame(1, 1, b"x", dst_mac=bytes([0x52, 0x54, 0, r.randrange(256), 0x34, 0x57])),
     lambda model: set() if model.card_filters else {"eth_rx_not_ours"}),
]

# Counters that count frames going through, not frames dropped.
PASSING = {"rx_packets", "ip_rx_packets", "udp_rx_packets"}


@test("robust-malformed", "malformed frames of 33 kinds, 100 each: dropped, counted where they belong", cards=CARDS)
def malformed(t):
    r = wire.rng(FUZZ_SEED)
    figures = []
    with wire.Peer(log=t.step) as peer:
        w = booted(t, peer)
        w.start_stats()
        w.start_echo()
        base = before = w.baseline()
        for name, gen, where in MALFORMED:
            if callable(where):
                where = where(w.model)
            t.step("kind: %s -> %s" % (name, ", ".join(sorted(where)) or "nothing"))
            frames = [gen(r) for _ in range(MALFORMED_EACH)]
            start = peer.count()
            after = w.send_paced(frames, name)
            moved = {k: v for k, v in delta(before, after, wire.MODEL_COUNTERS).items()
                     if k not in PASSING}
            t.check(set(moved) <= where and sum(moved.values()) == (len(frames) if where else 0),
                    "%s: drop counters moved %s, want %d in %s"
                    % (name, moved, len(frames), sorted(where)))
            check_model(t, w, before, after, name)
            answers = not_stats(peer.frames_since(start))
            t.check(not answers, "%s: the guest answered: %s" % (name, answers[0].summary()
                                                                 if answers else ""))
            figures.append(len(frames))
            before = after
        t.check(w.host_dropped() == 0, "the host dropped %s frames before QEMU read them"
                % w.host_dropped())
        end = w.settle(base, "after the malformed frames")
        t.check(end["rx_desc_errors"] == end["rx_no_mbuf"] == 0, "driver drops: %s" % end)
        t.note("%d kinds, %d frames, every one dropped and counted as predicted"
               % (len(figures), sum(figures)))


# ---- fuzzing ---------------------------------------------------------------------------
# A seeded stream of random frames and of mutations of valid ones.  Frames
# are never empty (QEMU would stop listening) and dst MACs mostly pass the
# device's filter, so that most of them reach the stack.

def fuzz_templates():
    """Valid frames to mutate."""
    options = b"\x01\x01\x01\x00"
    return [
        udp_frame(5001, ECHO_PORT, b"fuzz echo payload"),
        udp_frame(5002, 4444, b"to a closed port"),
        udp_frame(5003, ECHO_PORT, b""),
        eth(ipv4(PROTO_UDP, udp(5004, ECHO_PORT, b"no checksum", csum=0))),
        eth(ipv4(PROTO_UDP, udp(5005, ECHO_PORT, b"opts"), options=options)),
        udp_frame(5006, ECHO_PORT, bytes(range(256)) * 5),
        ping_frame(0x4242, 1, b"fuzz ping 0123456789"),
        ping_frame(0x4243, 2, b"bcast", dst=SUBNET_BCAST, dst_mac=BCAST_MAC),
        eth(ipv4(PROTO_ICMP, icmp_echo(0x77, 3, b"reply", itype=ICMP_ECHOREPLY))),
        arp_frame(1),
        arp_frame(2, dst_mac=GUEST_MAC, tha=GUEST_MAC),
        arp_frame(1, tip="10.0.2.77"),
        wire.tcp_frame(5007, 80, 1000, 0, wire.TCP_SYN, options=b"\x02\x04\x05\xb4"),
        wire.tcp_frame(5008, 4444, 2000, 3000, wire.TCP_ACK | wire.TCP_PSH, b"tcp data"),
    ]


def _fix_sums(raw):
    """Make the IPv4, UDP, TCP and ICMP checksums right again where the headers
    allow it, so that a mutation reaches the checks behind them."""
    if len(raw) < 34 or raw[12:14] != b"\x08\x00":
        return raw
    hlen = (raw[14] & 0xF) * 4
    if hlen < 20 or 14 + hlen > len(raw):
        return raw
    raw = _fix_ip_sum(raw)
    total = struct.unpack("!H", raw[16:18])[0]
    end = 14 + total
    if total < hlen + 8 or end > len(raw):
        return raw
    seg = raw[14 + hlen:end]
    if raw[23] == PROTO_UDP:
        pseudo = raw[26:34] + struct.pack("!BBH", 0, PROTO_UDP, len(seg))
        sumat, s = 6, checksum(pseudo + _set(seg, 6, b"\0\0")) or 0xFFFF
    elif raw[23] == PROTO_ICMP:
        sumat, s = 2, checksum(_set(seg, 2, b"\0\0"))
    elif raw[23] == PROTO_TCP and len(seg) >= 20:
        pseudo = raw[26:34] + struct.pack("!BBH", 0, PROTO_TCP, len(seg))
        sumat, s = 16, checksum(pseudo + _set(seg, 16, b"\0\0"))
    else:
        return raw
    return _set(raw, 14 + hlen + sumat, struct.pack("!H", s))


# Header fields worth editing: (offset in the frame, size); a field past the
# end of a frame is skipped.
FIELDS = [(12, 2),                                         # EtherType
          (14, 1), (16, 2), (18, 2), (20, 2), (22, 1), (23, 1), (30, 4),   # IPv4
          (34, 2), (36, 2), (38, 2), (40, 2),              # UDP / ICMP header
          (14, 2), (16, 2), (18, 1), (19, 1), (20, 2), (28, 4), (38, 4)]   # ARP
BOUNDARY = [0, 1, 2, 4, 5, 6, 7, 8, 14, 15, 19, 20, 27, 28, 46, 0x7F, 0x80, 0xFF,
            1472, 1480, 1500, 1514, 0x7FFF, 0xFFFF]


def _rand_bytes(r, n):
    return bytes(r.getrandbits(8) for _ in range(n))


def _mut_random(r, templates):
    n = r.choice((r.randrange(1, 64), r.randrange(1, 1600)))
    dst = r.choices((GUEST_MAC, BCAST_MAC, _rand_bytes(r, 6)), (6, 3, 1))[0]
    etype = r.choice((b"\x08\x00", b"\x08\x06", _rand_bytes(r, 2)))
    return (dst + _rand_bytes(r, 6) + etype + _rand_bytes(r, max(0, n - 14)))[:n]


def _mut_bitflip(r, templates):
    raw = bytearray(r.choice(templates))
    low = 0 if r.random() < 0.05 else 6      # rarely touch the destination MAC
    for _ in range(r.randrange(1, 9)):
        i = r.randrange(low, len(raw))
        raw[i] ^= 1 << r.randrange(8)
    raw = bytes(raw)
    return _fix_sums(raw) if r.random() < 0.5 else raw


def _mut_truncate(r, templates):
    raw = r.choice(templates)
    return raw[:r.randrange(1, len(raw))]


def _mut_extend(r, templates):
    raw = r.choice(templates)
    return raw + _rand_bytes(r, r.choice((r.randrange(1, 32), r.randrange(1, 1600 - len(raw)))))


def _mut_field(r, templates):
    raw = r.choice(templates)
    for _ in range(r.randrange(1, 4)):
        at, size = r.choice(FIELDS)
        if at + size > len(raw):
            continue
        v = r.choice(BOUNDARY) if r.random() < 0.6 else r.getrandbits(8 * size)
        raw = _set(raw, at, (v % (1 << (8 * size))).to_bytes(size, "big"))
    return _fix_sums(raw) if r.random() < 0.7 else raw


def _mut_deep(r, templates):
    """A valid IPv4 header (checksum right) over random bytes."""
    proto = r.choice((PROTO_UDP, PROTO_ICMP, PROTO_TCP, r.randrange(256)))
    body = _rand_bytes(r, r.randrange(0, 200))
    raw = eth(ipv4(proto, body, dst=r.choice((GUEST_IP, GUEST_IP, SUBNET_BCAST))))
    return _fix_sums(raw) if r.random() < 0.5 else raw


MUTATORS = [("random bytes", _mut_random, 2), ("bit flips", _mut_bitflip, 3),
            ("truncations", _mut_truncate, 2), ("extensions", _mut_extend, 1),
            ("header-field edits", _mut_field, 3), ("random payload under valid IPv4", _mut_deep, 1)]


def fuzz_stream(seed, count):
    """(kind, frame) pairs, the same ones for the same seed."""
    r = wire.rng(seed)
    templates = fuzz_templates()
    names, funcs, weights = zip(*MUTATORS)
    for _ in range(count):
        i = r.choices(range(len(funcs)), weights)[0]
        yield names[i], funcs[i](r, templates)


FUZZ_CHUNK = 5000   # frames paced out between two trims of the peer's log


def send_stream(w, stream, count, report=None):
    """Send the count (kind, frame) pairs of stream, paced, in chunks the
    peer's log can hold; returns how many of each kind went out."""
    kinds = collections.Counter()
    chunk = []
    w.quiet = True
    start = time.monotonic()
    for i, (kind, raw) in enumerate(stream, 1):
        kinds[kind] += 1
        chunk.append(raw)
        if len(chunk) == FUZZ_CHUNK or i == count:
            w.send_paced(chunk, "fuzz")
            chunk = []
            w.peer.mark()
            w.peer.trim()
            if report:
                report("%d frames sent, %.0f s" % (i, time.monotonic() - start))
    w.quiet = False
    return kinds


def run_fuzz(w, count, seed, report=None):
    """Send count fuzz frames, then check: the counters moved as the model
    predicts, the host dropped nothing, the guest still answers, and mbufs
    and free pages are back at their baseline.  Returns the figures."""
    base = w.baseline()
    start = time.monotonic()
    kinds = send_stream(w, fuzz_stream(seed, count), count, report)
    took = time.monotonic() - start
    w.step("-> %d fuzz frames (seed %d) in %.1fs" % (count, seed, took))
    time.sleep(0.5)    # quiet: no ARP answer in flight when the guest counts
    after = w.counters()
    return base, after, kinds, took


def fuzz_checks(t, w, base, after):
    peer = w.peer
    t.check(w.host_dropped() == 0, "the host dropped %s frames before QEMU read them"
            % w.host_dropped())
    check_model(t, w, base, after, "fuzz")
    for name in ("rx_desc_errors", "rx_no_mbuf", "rx_not_eop", "rx_missed"):
        t.check(after[name] == base[name], "%s moved during the fuzz: %d -> %d"
                % (name, base[name], after[name]))

    w.step("after the fuzz: tell the guest where 10.0.2.2 is again, then it must still echo")
    peer.send(arp_frame(2, dst_mac=GUEST_MAC, tha=GUEST_MAC))
    for i in range(3):
        payload = b"still alive %d" % i
        peer.send(udp_frame(7000 + i, ECHO_PORT, payload))
        f = peer.expect(lambda f: f.udp is not None and f.udp["dport"] == 7000 + i
                        and f.payload == payload, 10, "the echo of %r" % payload)
        t.check(f.dst == PEER_MAC and f.udp["csum_ok"] and f.ip["csum_ok"],
                "echo after the fuzz: %s" % f.summary())
    peer.send(ping_frame(0x5151, 1, b"ping after fuzz"))
    peer.expect(lambda f: f.icmp is not None and f.icmp["id"] == 0x5151
                and f.icmp_type == ICMP_ECHOREPLY, 10, "an echo reply after the fuzz")
    return w.settle(base, "after the fuzz")


@test("robust-fuzz", "20,000 seeded random and mutated frames; counted as predicted, no leak", cards=CARDS)
def fuzz(t):
    with wire.Peer(log=t.step) as peer:
        w = booted(t, peer)
        w.start_stats()
        w.start_echo()
        base, after, kinds, took = run_fuzz(w, FUZZ_FRAMES, FUZZ_SEED)
        end = fuzz_checks(t, w, base, after)
        t.note("%d frames in %.1fs (%s); reached the stack %d, oversized %d; mbufs %d, "
               "free pages %d, as before" % (FUZZ_FRAMES, took, ", ".join(
                   "%s %d" % kv for kv in sorted(kinds.items())),
                   after["rx_packets"] - base["rx_packets"],
                   after["rx_oversize"] - base["rx_oversize"],
                   end["mbufs_in_use"], end["free_pages"]))


# ---- floods ------------------------------------------------------------------------------

FLOOD_CHUNK = 2000          # datagrams between looks at the clock
FLOOD_SAMPLE = 1.0          # seconds between counter readings during the flood
FLOOD_PAUSE = 0.05          # lets QEMU's socket drain so that a reading gets in


def flood(w, frame, seconds):
    """Send frame flat out for `seconds` (of sending), reading the counters
    every FLOOD_SAMPLE s; (frames sent, the readings)."""
    sent, samples, busy = 0, [], 0.0
    w.quiet = True
    while busy < seconds:
        t0 = time.monotonic()
        while time.monotonic() - t0 < FLOOD_SAMPLE and busy + time.monotonic() - t0 < seconds:
            sent += w.peer.repeat(frame, FLOOD_CHUNK)
        busy += time.monotonic() - t0
        time.sleep(FLOOD_PAUSE)
        samples.append(w.counters(retry=0.5))
    w.quiet = False
    w.step("-> %d datagrams in %.1fs of flooding, %d counter readings" % (sent, busy, len(samples)))
    return sent, samples


@test("robust-rxflood", "10 s flood to a socket that never reads: queue at its cap, memory bounded", cards=CARDS)
def rxflood(t):
    with wire.Peer(log=t.step) as peer:
        w = booted(t, peer)
        w.start_stats()
        w.background("netstress sink %d" % SINK_PORT, "sink: bound %d" % SINK_PORT)
        base = w.baseline()
        sent, samples = flood(w, udp_frame(4444, SINK_PORT, b"flood" * 12), FLOOD_SECONDS)
        after = w.counters()
        peer_drops = w.host_dropped()

        peer.send(udp_frame(4444, SINK_PORT + 1, b"go"))
        m = re.search(r"sink: queued (\d+) dropped (\d+)", t.wait_for(re.compile(
            r"sink: queued \d+ dropped \d+\n"), 30))
        queued, dropped = int(m.group(1)), int(m.group(2))
        m = re.search(r"sink: drained (\d+), (\d+) left",
                      t.wait_for(re.compile(r"sink: drained \d+, \d+ left\n"), 30))
        t.check(int(m.group(1)) == queued and m.group(2) == "0",
                "the sink read %s of %d queued datagrams, %s left" % (m.group(1), queued, m.group(2)))
        t.wait_for("sink: waiting", 10)
        peer.send(udp_frame(4444, SINK_PORT, b"after the flood"))
        t.wait_for("sink: read 15 bytes: after the flood", 10)

        served = after["served"] - base["served"]
        reached = after["udp_rx_packets"] - base["udp_rx_packets"] - served
        overflow = after["sock_rx_queue_full"] - base["sock_rx_queue_full"]
        t.check(queued == SOCK_QMAX, "%d datagrams queued after the flood, want %d"
                % (queued, SOCK_QMAX))
        t.check(dropped == overflow, "the socket counted %d drops, sock_rx_queue_full %d"
                % (dropped, overflow))
        t.check(reached == queued + dropped, "%d flood datagrams reached UDP, but %d queued + %d "
                "dropped" % (reached, queued, dropped))
        t.check(reached > 1000, "only %d flood datagrams reached the guest" % reached)
        most = max(s["mbufs_in_use"] for s in samples)
        least = min(s["free_pages"] for s in samples)
        slack = SOCK_QMAX + TX_RING_SIZE + 4
        t.check(most <= base["mbufs_in_use"] + slack, "up to %d mbufs in use during the flood "
                "(baseline %d)" % (most, base["mbufs_in_use"]))
        t.check(least >= base["free_pages"] - slack, "free pages fell to %d during the flood "
                "(baseline %d)" % (least, base["free_pages"]))
        end = w.settle(base, "after the flood")
        t.note("flood %.0f s: sent %d, the host dropped %s before QEMU read them, %d reached the "
               "socket: %d queued, %d dropped (counted %d); mbufs in use at most %d (baseline %d), "
               "free pages at least %d (baseline %d); after: mbufs %d, free pages %d"
               % (FLOOD_SECONDS, sent, peer_drops, reached, queued, dropped, overflow, most,
                  base["mbufs_in_use"], least, base["free_pages"], end["mbufs_in_use"],
                  end["free_pages"]))


def blast(t, w, count, length):
    """netstress blast: count datagrams of length bytes, flat out; every one
    it counted as sent must reach us, once, in order, intact."""
    peer = w.peer
    before = w.counters()
    start = peer.count()
    out = t.run("netstress blast %d %d %d" % (BLAST_PORT, count, length), timeout=300)
    m = t.expect(out, r"blast: ok (\d+) failed (\d+) ticks (\d+)", "netstress blast")
    ok, failed, ticks = (int(x) for x in m.groups())
    time.sleep(0.5)   # the last frames may still be in our socket
    after = w.counters()
    got = [f for f in map(wire.Frame, peer.frames_since(start))
           if f.udp is not None and f.udp["dport"] == BLAST_PORT]
    seqs = [struct.unpack("!I", f.payload[:4])[0] for f in got]
    t.check(peer_lost(peer) == 0, "the host dropped %d frames at our socket, whose buffer holds "
            "%d bytes (root gets 64 MiB)" % (peer_lost(peer), peer.rcvbuf()))
    t.check(len(got) == ok, "the guest sent %d datagrams, %d arrived" % (ok, len(got)))
    t.check(all(a < b for a, b in zip(seqs, seqs[1:])), "datagrams repeated or out of order")
    t.check(failed > 0 or seqs == list(range(count)), "datagrams missing")
    for f, seq in zip(got, seqs):
        want = seq.to_bytes(4, "big") + bytes((seq + k) & 0xFF for k in range(4, length))
        t.check(f.payload == want and f.udp["csum_ok"] and f.ip["csum_ok"],
                "datagram %d damaged: %s" % (seq, f.summary()))
    served = (after["served"] - before["served"]) * after["_parts"]   # stats datagrams
    sent = after["udp_tx_packets"] - before["udp_tx_packets"] - served
    full = after["tx_ring_full"] - before["tx_ring_full"]
    t.check(sent == ok + failed, "udp_tx_packets moved by %d, want %d" % (sent, ok + failed))
    t.check(full == failed, "tx_ring_full moved by %d, %d writes failed" % (full, failed))
    t.check(after["tx_packets"] - before["tx_packets"] - served == ok,
            "tx_packets moved by %d, want %d" % (after["tx_packets"] - before["tx_packets"] - served,
                                                   ok))
    return ok, failed, ticks


def peer_lost(peer):
    return host_drops(peer.port) or 0


@test("robust-txflood", "the guest transmits flat out: every frame it counted as sent arrives intact", cards=CARDS)
def txflood(t):
    with wire.Peer(log=t.step) as peer:
        t.step("our socket buffer: %d bytes" % peer.rcvbuf())
        w = booted(t, peer)
        w.start_stats()
        base = w.baseline()
        figures = []
        for count, length in ((BLAST_FRAMES, BLAST_LEN), (BLAST_FRAMES // 4, 1472)):
            ok, failed, ticks = blast(t, w, count, length)
            figures.append("%d x %d bytes: %d sent, %d refused (ring full), %.1f s"
                           % (count, length, ok, failed, ticks / 100))
        w.settle(base, "after transmitting")
        t.note("; ".join(figures))


# ---- system calls ----------------------------------------------------------------------

@test("robust-syscalls", "bad pointers and lengths to every socket call, killed readers, no sockets left", cards=CARDS)
def syscalls(t):
    nsock = kernel_constant("kernel/socket.c", "NSOCK")
    with wire.Peer(log=t.step) as peer:
        booted(t, peer)
        t.send("netstress syscalls %d\n" % SYSCALL_PORT)
        t.wait_for("syscalls: send 3 datagrams to %d" % SYSCALL_PORT, 30)
        for i in range(3):
            peer.send(udp_frame(4444 + i, SYSCALL_PORT, b"queued %d" % i))
        out = t.wait_for(re.compile(r"syscalls: \d+ checks, \d+ failed\n"), 60)
        t.reject(out, r"^syscalls: FAILED.*$", "netstress syscalls")
        m = t.expect(out, r"^syscalls: (\d+) checks, 0 failed$", "netstress syscalls")
        checks = int(m.group(1))
        m = t.expect(out, r"^syscalls: sockets (\d+) (\d+)$", "the socket hoarders")
        t.check(int(m.group(1)) == nsock == int(m.group(2)),
                "processes could open %s then %s sockets, want NSOCK = %d both times"
                % (m.group(1), m.group(2), nsock))
        t.note("%d checks passed; %d sockets at most, twice" % (checks, nsock))


# ---- the packet path on the host ----------------------------------------------------

HOST_FUZZ_RUNS = 20000


def host_make(t, *args, timeout=300):
    cmd = ["make", "--no-print-directory", "-C", os.path.join(REPO, "test", "host")] + list(args)
    t.step("$ " + " ".join(cmd))
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         universal_newlines=True, env=env, timeout=timeout)
    tail = "\n".join(res.stdout.rstrip().split("\n")[-15:])
    t.step(tail)
    return res.returncode, res.stdout, tail


@test("robust-host", "the packet path on the host: unit tests under ASan/UBSan, then libFuzzer")
def host(t):
    status, out, tail = host_make(t)
    # One summary per program: netstack_test, then tcp_test.
    sums = re.findall(r"^(\d+) passed, (\d+) failed$", out, re.M)
    t.check(len(sums) == 2 and status == 0 and all(f == "0" for _, f in sums),
            "host unit tests (status %d):\n%s" % (status, tail))
    units = sum(int(p) for p, _ in sums)
    m = re.search(r"^transfers: .*$", out, re.M)
    t.note(m.group(0) if m else "no transfer summary")
    status, out, tail = host_make(t, "fuzz", "RUNS=%d" % HOST_FUZZ_RUNS)
    t.check(status == 0 and re.search(r"^Done %d runs" % HOST_FUZZ_RUNS, out, re.M),
            "libFuzzer on the packet path (status %d):\n%s" % (status, tail))
    t.note("%d host checks passed; libFuzzer: %d frames, no crash, no leak"
           % (units, HOST_FUZZ_RUNS))


# ---- `make fuzz N=...`: the long run -------------------------------------------------

class _Console:
    """Enough of the test Context for run_fuzz and fuzz_checks outside the runner."""

    def __init__(self, guest):
        self.guest = guest
        self.logdir = None

    def step(self, text):
        print(text, flush=True)

    def check(self, cond, message):
        if not cond:
            raise Failure(message)

    def run(self, cmd, timeout=30):
        self.step("$ " + cmd)
        return self.guest.run(cmd, timeout)


def long_fuzz(count, seed, card):
    peer = wire.Peer()
    g = qemu.Guest.boot(peer.make_vars(PCAP="/dev/null", NIC=card), log_path=None)
    con = _Console(g)
    try:
        g.wait_prompt(60)
        w = Wire(g, peer, con.step, con.run, card)
        w.start_stats()
        w.start_echo()
        base, after, kinds, took = run_fuzz(w, count, seed, report=con.step)
        end = fuzz_checks(con, w, base, after)
        moved = delta(base, after, wire.MODEL_COUNTERS)
        print("fuzz: %d frames, seed %d, %.0f s (%.0f frames/s)" % (count, seed, took, count / took))
        print("fuzz: by kind: %s" % ", ".join("%s %d" % kv for kv in sorted(kinds.items())))
        print("fuzz: counters moved: %s" % ", ".join("%s %d" % kv for kv in sorted(moved.items())))
        print("fuzz: every counter as the model predicts; the host dropped %d frames"
              % w.host_dropped())
        print("fuzz: mbufs in use %d, free pages %d: as before; panics %d"
              % (end["mbufs_in_use"], end["free_pages"], 1 if g.panicked() else 0))
        if g.panicked():
            raise Failure("kernel panic: %s" % g.panicked())
        print("fuzz: OK")
    finally:
        g.close()
        peer.close()


NETTESTS_TIMEOUT = 600


def nettests_rounds(rounds):
    """nettests `rounds` times in a row in one guest (3 harts) against
    server.py: no failure, no hang.  Too slow for every `make test`."""
    import test_net   # server.py's harness, from the network-lab tests
    con = _Console(None)
    srv = test_net.start_server(con, "nettests-rounds.server.log")
    try:
        con.guest = g = qemu.Guest.boot(srv.make_vars(PCAP="/dev/null"))
        g.wait_prompt(60)
        start = time.monotonic()
        for i in range(1, rounds + 1):
            t0 = time.monotonic()
            out = g.run(srv.nettests(), NETTESTS_TIMEOUT)
            ok = re.search(r"^ALL NETTESTS PASSED$", out, re.M) is not None
            print("nettests round %d: %s in %.0f s" % (i, "OK" if ok else "FAILED",
                                                       time.monotonic() - t0), flush=True)
            if not ok or g.panicked():
                print(out)
                raise Failure("nettests round %d failed" % i)
        print("nettests: %d rounds passed in %.0f s, no hang" % (rounds, time.monotonic() - start))
    finally:
        if con.guest:
            con.guest.close()
        srv.stop()


def main(argv):
    usage = "usage: test_robust.py fuzz N [SEED] | nettests ROUNDS"
    try:
        if len(argv) >= 2 and argv[0] == "fuzz":
            long_fuzz(int(argv[1]), int(argv[2]) if len(argv) > 2 else FUZZ_SEED,
                      os.environ.get("NIC") or "e1000")
        elif len(argv) == 2 and argv[0] == "nettests":
            nettests_rounds(int(argv[1]))
        else:
            sys.exit(usage)
    except (Failure, qemu.GuestError) as e:
        print("%s: FAILED: %s" % (argv[0], e), flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
