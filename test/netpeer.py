"""netpeer.py: the other host on the wire: a raw-frame peer for xv6-net's e1000 through QEMU's dgram backend.

QEMU's `-netdev dgram` carries one Ethernet frame per UDP datagram between
the emulated e1000 and two UDP sockets on 127.0.0.1.  A Peer owns the host
end: it plays 10.0.2.2 (answering the guest's ARP requests itself), builds
and parses Ethernet, ARP, IPv4, UDP and ICMP with the standard library, and
can send any bytes at all.  A test reads as steps:

    with netpeer.Peer(log=t.step) as peer:
        t.boot(make_vars=peer.make_vars())
        peer.send(netpeer.ping_frame(ident=7, seq=1, data=b"hi"))
        reply = peer.expect(lambda f: f.icmp_type == 0, 5, "an echo reply")
        peer.expect_nothing(lambda f: f.ip is not None, 1, "no other IPv4")

Every frame sent and received is summarised in the transcript (`log`), which
the test runner prints when a test fails.  Nothing here talks to anything but
127.0.0.1: the "network" is the pair of UDP sockets between us and QEMU.
"""

import collections
import os
import random
import re
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402
from frames import (ETH_ARP, ETH_HDRLEN, ETH_IP, ETH_MINFRAME, PROTO_ICMP,  # noqa: E402,F401
                    PROTO_TCP, PROTO_UDP, checksum, mac_str, parse_arp, parse_eth, parse_icmp,
                    parse_ipv4, parse_tcp, parse_udp)

# ---- addresses on the virtual wire ------------------------------------------

GUEST_MAC = bytes.fromhex("525400123456")   # QEMU's default e1000 address
PEER_MAC = bytes.fromhex("52550a000202")    # what slirp uses for 10.0.2.2
BCAST_MAC = b"\xff" * 6
GUEST_IP = "10.0.2.15"
PEER_IP = "10.0.2.2"
SUBNET_BCAST = "10.0.2.255"

VNET_MAXFRAME = 1522     # virtio_net.c drops longer frames (and counts them)

# QEMU's e1000 changed in 8.1 (hw/net/e1000.c, e1000x_common.c).  Before, it
# padded a received frame shorter than 60 bytes with zeros, and dropped (and
# counted in ROC) a frame over 1522 bytes.  From 8.1 it passes a short frame
# on as it came (commit 140eae9c), and its size check counts the CRC that QEMU
# never has: frames over 1518 bytes are dropped (commit "e1000x: Take CRC into
# consideration for size check").  slirp pads short frames itself; the
# tests' dgram peer does not, so the guest sees runts on 8.1 and later.
E1000_CHANGED = (8, 1)


def e1000_receive(version):
    """(pads short frames, longest frame taken) for QEMU version's e1000."""
    if version < E1000_CHANGED:
        return True, 1522
    return False, 1518


def parse_qemu_version(text):
    """(major, minor) from `qemu-system-riscv64 --version`'s first line,
    as tools/setup.sh reads it ("QEMU emulator version 7.2.22 (...)")."""
    m = re.search(r"version (\d+)\.(\d+)", text.split("\n", 1)[0])
    if not m:
        raise RuntimeError("cannot read QEMU's version from %r" % text[:80])
    return int(m.group(1)), int(m.group(2))


_qemu_version = None


def qemu_version():
    """The version of the QEMU the tests run (read once)."""
    global _qemu_version
    if _qemu_version is None:
        out = subprocess.run(["qemu-system-riscv64", "--version"], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, universal_newlines=True).stdout
        _qemu_version = parse_qemu_version(out)
    return _qemu_version
ICMP_ECHOREPLY, ICMP_ECHO = 0, 8
IP_MF, IP_OFFMASK = 0x2000, 0x1FFF

# DHCP (RFC 2131, 2132): the peer answers the guest's client as QEMU's
# built-in server does, unless a test scripts the answers itself.
DHCP_SERVER_PORT, DHCP_CLIENT_PORT = 67, 68
DHCP_MAGIC = 0x63825363
DHCPDISCOVER, DHCPOFFER, DHCPREQUEST, DHCPACK, DHCPNAK = 1, 2, 3, 5, 6
OPT_MASK, OPT_ROUTER, OPT_DNS, OPT_REQIP, OPT_LEASE = 1, 3, 6, 50, 51
OPT_TYPE, OPT_SERVER, OPT_T1, OPT_T2, OPT_END = 53, 54, 58, 59, 255
PEER_DNS = "10.0.2.103"   # offered to the guest, which must only show it; nothing answers there
PEER_LEASE = 86400        # seconds, as QEMU's server gives
BOOTP_FMT = "!BBBBIHH4s4s4s4s16s64s128sI"
BOOTP_LEN = struct.calcsize(BOOTP_FMT)   # 240, with the magic cookie

DEFAULT_TIMEOUT = 10.0
RCVBUF_BYTES = 64 << 20   # room for a guest that transmits flat out
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)   # Linux's value; not in every build
TRANSCRIPT_FRAMES = 200   # per direction; floods are summarised past this


def aton(addr):
    """'10.0.2.2' -> 4 bytes."""
    return socket.inet_aton(addr)


def ntoa(raw):
    return socket.inet_ntoa(raw)


# ---- building frames -----------------------------------------------------------
# Each builder computes the fields a correct sender would; keyword arguments
# override any of them, so a test can break exactly one thing.

def eth(payload, dst=GUEST_MAC, src=PEER_MAC, etype=ETH_IP):
    return dst + src + struct.pack("!H", etype) + payload


def arp(op, sha=PEER_MAC, sip=PEER_IP, tha=b"\0" * 6, tip=GUEST_IP,
        hrd=1, pro=ETH_IP, hln=6, pln=4):
    return struct.pack("!HHBBH", hrd, pro, hln, pln, op) + sha + aton(sip) + tha + aton(tip)


def ipv4(proto, payload, src=PEER_IP, dst=GUEST_IP, ttl=64, ident=1, off=0,
         options=b"", tos=0, version=4, ihl=None, total=None, csum=None):
    if ihl is None:
        ihl = (20 + len(options)) // 4
    if total is None:
        total = 20 + len(options) + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", version << 4 | ihl, tos, total, ident, off,
                      ttl, proto, 0, aton(src), aton(dst)) + options
    if csum is None:
        csum = checksum(hdr)
    return hdr[:10] + struct.pack("!H", csum) + hdr[12:] + payload


def udp(sport, dport, data, src=PEER_IP, dst=GUEST_IP, length=None, csum=None):
    if length is None:
        length = 8 + len(data)
    seg = struct.pack("!HHHH", sport, dport, length, 0) + data
    if csum is None:
        pseudo = aton(src) + aton(dst) + struct.pack("!BBH", 0, PROTO_UDP, len(seg))
        csum = checksum(pseudo + seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", csum) + seg[8:]


def icmp_echo(ident, seq, data, itype=ICMP_ECHO, code=0, csum=None):
    msg = struct.pack("!BBHHH", itype, code, 0, ident, seq) + data
    if csum is None:
        csum = checksum(msg)
    return msg[:2] + struct.pack("!H", csum) + msg[4:]


TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def tcp(sport, dport, seq, ack, flags, data=b"", win=65535, options=b"",
        src=PEER_IP, dst=GUEST_IP, csum=None):
    """A TCP segment (options padded to whole words)."""
    options += b"\0" * (-len(options) % 4)
    hlen = 20 + len(options)
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      (hlen // 4) << 4, flags, win, 0, 0) + options + data
    if csum is None:
        pseudo = aton(src) + aton(dst) + struct.pack("!BBH", 0, PROTO_TCP, len(seg))
        csum = checksum(pseudo + seg)
    return seg[:16] + struct.pack("!H", csum) + seg[18:]


def tcp_frame(sport, dport, seq, ack, flags, data=b"", src=PEER_IP, dst=GUEST_IP,
              dst_mac=GUEST_MAC, ip=None, **fields):
    return eth(ipv4(PROTO_TCP, tcp(sport, dport, seq, ack, flags, data, src=src, dst=dst, **fields),
                    src, dst, **(ip or {})), dst_mac)


def udp_frame(sport, dport, data, src=PEER_IP, dst=GUEST_IP, dst_mac=GUEST_MAC, **ip):
    return eth(ipv4(PROTO_UDP, udp(sport, dport, data, src, dst), src, dst, **ip), dst_mac)


def ping_frame(ident, seq, data=b"", src=PEER_IP, dst=GUEST_IP, dst_mac=GUEST_MAC, **ip):
    return eth(ipv4(PROTO_ICMP, icmp_echo(ident, seq, data), src, dst, **ip), dst_mac)


def arp_frame(op, dst_mac=BCAST_MAC, **fields):
    return eth(arp(op, **fields), dst_mac, etype=ETH_ARP)


def dhcp_options(*opts, end=True):
    """Options from (code, bytes) pairs; an int value becomes 4 bytes, an
    address string its 4 bytes."""
    out = b""
    for code, value in opts:
        if isinstance(value, int):
            value = struct.pack("!I", value)
        elif isinstance(value, str):
            value = aton(value)
        out += bytes([code, len(value)]) + value
    return out + (bytes([OPT_END]) if end else b"")


def bootp(xid, options, op=2, yiaddr=GUEST_IP, chaddr=GUEST_MAC, ciaddr="0.0.0.0",
          htype=1, hlen=6, magic=DHCP_MAGIC):
    """A BOOTP message (a server's reply unless op says otherwise)."""
    return struct.pack(BOOTP_FMT, op, htype, hlen, 0, xid, 0, 0, aton(ciaddr), aton(yiaddr),
                       aton("0.0.0.0"), aton("0.0.0.0"), chaddr.ljust(16, b"\0"), b"", b"",
                       magic) + options


def dhcp_reply(xid, mtype, yiaddr=GUEST_IP, server=PEER_IP, lease=PEER_LEASE, t1=None,
               t2=None, mask="255.255.255.0", router=PEER_IP, dns=PEER_DNS, **fields):
    """An OFFER, ACK or NAK as a server sends it; None drops an option."""
    opts = [(OPT_TYPE, bytes([mtype]))]
    for code, value in ((OPT_SERVER, server), (OPT_LEASE, lease), (OPT_T1, t1), (OPT_T2, t2),
                        (OPT_MASK, mask), (OPT_ROUTER, router), (OPT_DNS, dns)):
        if value is not None and (mtype != DHCPNAK or code == OPT_SERVER):
            opts.append((code, value))
    return bootp(xid, dhcp_options(*opts), yiaddr=yiaddr if mtype != DHCPNAK else "0.0.0.0",
                 **fields)


def dhcp_frame(message, src=PEER_IP):
    """A server's message to the client, broadcast as QEMU's server sends it."""
    return udp_frame(DHCP_SERVER_PORT, DHCP_CLIENT_PORT, message, src=src,
                     dst="255.255.255.255", dst_mac=BCAST_MAC)


def parse_dhcp(f):
    """The DHCP message (to a client or a server) in Frame f as a dict (op,
    type, xid, ciaddr, yiaddr, chaddr, options {code: bytes}, addresses),
    or None if f holds none."""
    if f.udp is None or f.udp["dport"] not in (DHCP_SERVER_PORT, DHCP_CLIENT_PORT) \
            or len(f.payload) < BOOTP_LEN:
        return None
    fields = struct.unpack(BOOTP_FMT, f.payload[:BOOTP_LEN])
    opts, rest = {}, f.payload[BOOTP_LEN:]
    while rest and rest[0] != OPT_END:
        if rest[0] == 0:
            rest = rest[1:]
            continue
        if len(rest) < 2 or len(rest) < 2 + rest[1]:
            return None
        opts[rest[0]] = rest[2:2 + rest[1]]
        rest = rest[2 + rest[1]:]
    mtype = opts.get(OPT_TYPE, b"\0")[0]
    return dict(type=mtype, op=fields[0], xid=fields[4], ciaddr=ntoa(fields[7]),
                yiaddr=ntoa(fields[8]), chaddr=fields[11][:6], magic=fields[-1], options=opts,
                src=f.ip["src"], dst=f.ip["dst"], dst_mac=f.dst)


class DhcpServer:
    """QEMU's built-in server in miniature: every DISCOVER gets an OFFER of
    GUEST_IP, every REQUEST an ACK.  A Peer calls it with each DHCP message
    from the guest."""

    def __init__(self, lease=PEER_LEASE, t1=None, t2=None):
        self.lease, self.t1, self.t2 = lease, t1, t2

    def __call__(self, peer, msg):
        answer = {DHCPDISCOVER: DHCPOFFER, DHCPREQUEST: DHCPACK}.get(msg["type"])
        if answer:
            peer.send(dhcp_frame(dhcp_reply(msg["xid"], answer, lease=self.lease, t1=self.t1,
                                            t2=self.t2)), note="DHCP answer")
        if answer == DHCPACK:
            peer.leased.set()


# ---- parsing frames --------------------------------------------------------------

class Frame:
    """A frame taken apart (frames.py's parsers).  Layers that are absent or
    too short to read are None; *_ok fields say whether each checksum holds."""

    def __init__(self, raw):
        self.raw = raw
        self.dst = self.src = None
        self.type = None
        self.arp = self.ip = self.udp = self.icmp = self.tcp = None
        self.icmp_type = None
        self.payload = b""
        e = parse_eth(raw)
        if e:
            self.dst, self.src, self.type = e["dst"], e["src"], e["type"]
            a = parse_arp(e["body"]) if self.type == ETH_ARP else None
            if a and "bad" not in a:
                self.arp = a
            elif self.type == ETH_IP:
                self._parse_ip(e["body"])

    def _parse_ip(self, b):
        ip = parse_ipv4(b)
        if "bad" in ip:
            return
        self.ip = ip
        self.padding = ip["padding"]
        seg = ip["payload"]
        layer = {PROTO_UDP: parse_udp, PROTO_TCP: parse_tcp}.get(ip["proto"])
        found = layer(seg, ip) if layer else parse_icmp(seg) if ip["proto"] == PROTO_ICMP else None
        if found is None or found.get("bad", "").startswith(("udp:", "tcp:", "icmp:")):
            return
        if ip["proto"] == PROTO_UDP and "bad" in found:   # a length that does not fit
            found.update(csum_ok=False, payload=seg[8:])
        self.payload = found["payload"]
        if ip["proto"] == PROTO_UDP:
            self.udp = found
        elif ip["proto"] == PROTO_TCP:
            self.tcp = found
        else:
            self.icmp = found
            self.icmp_type = found["type"]

    def _dhcp_summary(self):
        if DHCP_CLIENT_PORT not in (self.udp["sport"], self.udp["dport"]) \
                or len(self.payload) < BOOTP_LEN + 3 or self.payload[BOOTP_LEN] != OPT_TYPE:
            return ""
        names = {DHCPDISCOVER: "DISCOVER", DHCPOFFER: "OFFER", DHCPREQUEST: "REQUEST",
                 DHCPACK: "ACK", DHCPNAK: "NAK"}
        xid = struct.unpack("!I", self.payload[4:8])[0]
        mtype = self.payload[BOOTP_LEN + 2]
        return " DHCP %s xid %08x" % (names.get(mtype, "type %d" % mtype), xid)

    def summary(self):
        n = len(self.raw)
        if self.type is None:
            return "%d bytes runt" % n
        if self.arp:
            a = self.arp
            what = {1: "request", 2: "reply"}.get(a["op"], "op %d" % a["op"])
            return "%d bytes ARP %s %s (%s) -> %s" % (n, what, a["sip"], mac_str(a["sha"]), a["tip"])
        if self.ip:
            i = self.ip
            head = "%d bytes IPv4 %s -> %s ttl %d" % (n, i["src"], i["dst"], i["ttl"])
            if self.udp:
                u = self.udp
                return "%s UDP %d -> %d len %d%s%s" % (head, u["sport"], u["dport"], u["length"],
                                                         "" if u["csum_ok"] else " BAD-CSUM",
                                                         self._dhcp_summary())
            if self.tcp:
                c = self.tcp
                flags = "".join(ch for bit, ch in ((2, "S"), (1, "F"), (4, "R"), (8, "P"), (16, "."))
                                if c["flags"] & bit)
                return "%s TCP %d -> %d [%s] seq %d ack %d win %d len %d%s%s" % (
                    head, c["sport"], c["dport"], flags, c["seq"], c["ack"], c["win"],
                    len(self.payload), " mss %d" % c["mss"] if c["mss"] else "",
                    "" if c["csum_ok"] else " BAD-CSUM")
            if self.icmp:
                c = self.icmp
                return "%s ICMP type %d id %d seq %d%s" % (head, c["type"], c["id"], c["seq"],
                                                          "" if c["csum_ok"] else " BAD-CSUM")
            return "%s proto %d" % (head, i["proto"])
        return "%d bytes type 0x%04x to %s" % (n, self.type, mac_str(self.dst))


# ---- the peer ------------------------------------------------------------------------

class PeerError(AssertionError):
    """An expectation about the wire did not hold."""


class Peer:
    """The host end of QEMU's dgram backend, playing 10.0.2.2."""

    def __init__(self, log=None, answer_arp=True, dhcp=DhcpServer()):
        self.log = log or (lambda line: None)
        self.answer_arp = answer_arp
        self.dhcp = dhcp            # called with each DHCP message from the guest; None: silence
        self.leased = threading.Event()   # set once the guest's client has been ACKed
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self._grow_rcvbuf()
        self.port = self.sock.getsockname()[1]
        self.qemu_port = qemu.free_port("udp")
        self.frames = []            # raw frames from the guest, in order...
        self._dropped = 0           # ...after the first _dropped, which trim() let go
        self.model = None           # a Model: keep a tally of what it predicts
        self.tally = collections.Counter()
        self.sent = 0               # frames sent (and tallied), in order
        self._send_lock = threading.Lock()
        self.repeated = 0           # frames sent by repeat(), not tallied
        self.arp_answered = 0
        self._logged_rx = self._logged_tx = 0
        self._cursor = 0
        self._cond = threading.Condition()
        self._stop = False
        self._thread = threading.Thread(target=self._receive, daemon=True,
                                        name="netpeer-%d" % self.port)
        self._thread.start()

    def _grow_rcvbuf(self):
        # A guest sending flat out outruns a Python reader for a moment; a
        # deep buffer keeps the host from dropping what the guest sent.
        try:   # past net.core.rmem_max, which needs CAP_NET_ADMIN
            self.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF_BYTES)
        except OSError:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF_BYTES)

    def rcvbuf(self):
        """The receive buffer the host granted us, in bytes."""
        return self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)

    def make_vars(self, **extra):
        """Make variables that attach the guest's e1000 to this peer."""
        netdev = ("dgram,id=net0,local.type=inet,local.host=127.0.0.1,local.port=%d,"
                  "remote.type=inet,remote.host=127.0.0.1,remote.port=%d"
                  % (self.qemu_port, self.port))
        extra["NETDEV"] = netdev
        return extra

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        self._stop = True
        self._thread.join(2)
        self.sock.close()

    # ---- receiving -----------------------------------------------------------

    def _receive(self):
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                raw = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            if self.answer_arp:
                self._maybe_answer_arp(raw)
            if self.dhcp:
                self._maybe_answer_dhcp(raw)
            with self._cond:
                self.frames.append(raw)
                self._cond.notify_all()
            self._log_frame("<-", raw, "_logged_rx")

    def _maybe_answer_arp(self, raw):
        if len(raw) < 42 or raw[12:14] != b"\x08\x06":
            return
        f = Frame(raw)
        if f.arp and f.arp["op"] == 1 and f.arp["tip"] == PEER_IP:
            self.arp_answered += 1
            self.send(arp_frame(2, dst_mac=f.arp["sha"], sha=PEER_MAC, sip=PEER_IP,
                                tha=f.arp["sha"], tip=f.arp["sip"]), note="ARP answer")

    def _maybe_answer_dhcp(self, raw):
        msg = parse_dhcp(Frame(raw))
        if msg and msg["op"] == 1:   # from the guest's client
            self.dhcp(self, msg)

    def _log_frame(self, arrow, raw, counter):
        n = getattr(self, counter) + 1
        setattr(self, counter, n)
        if n <= TRANSCRIPT_FRAMES:
            self.log("%s %s" % (arrow, Frame(raw).summary()))
        elif n == TRANSCRIPT_FRAMES + 1:
            self.log("%s ... (more frames not shown)" % arrow)

    # ---- sending ---------------------------------------------------------------

    def send(self, raw, note=None):
        """Put one frame on the wire.  QEMU takes an empty datagram for the end
        of the connection and stops listening, so that one is refused."""
        self._put(raw)
        if note:
            self.log("-> %s (%s)" % (Frame(raw).summary(), note))
        else:
            self._log_frame("->", raw, "_logged_tx")

    def send_many(self, frames, what=None):
        """Send a batch with one transcript line (none if what is None)."""
        n = 0
        for raw in frames:
            self._put(raw)
            n += 1
        if what is not None:
            self.log("-> %d frames: %s" % (n, what))
        return n

    def _put(self, raw):
        if not raw:
            raise ValueError("an empty frame would deafen QEMU's dgram backend")
        # One lock, so that the tally follows the frames in the order in
        # which they went out, whichever thread sent them.
        with self._send_lock:
            self.sock.sendto(raw, ("127.0.0.1", self.qemu_port))
            self.sent += 1
            if self.model:
                self.tally.update(self.model.predict(raw))

    def tally_now(self):
        """A copy of the predicted counters for everything sent so far."""
        with self._send_lock:
            return collections.Counter(self.tally)

    def repeat(self, raw, count):
        """Send raw count times as fast as we can, unrecorded (for floods);
        how many the host accepted."""
        dest = ("127.0.0.1", self.qemu_port)
        sendto = self.sock.sendto
        n = 0
        with self._send_lock:
            for _ in range(count):
                try:
                    sendto(raw, dest)
                    n += 1
                except BlockingIOError:
                    pass
        self.repeated += n
        return n

    # ---- expectations --------------------------------------------------------------

    def mark(self):
        """Expectations after this only look at frames that arrive from now on."""
        with self._cond:
            self._cursor = self._dropped + len(self.frames)

    def trim(self):
        """Let go of the frames before the cursor (long runs)."""
        with self._cond:
            del self.frames[:self._cursor - self._dropped]
            self._dropped = self._cursor

    def expect(self, match, timeout=DEFAULT_TIMEOUT, what="a frame", quiet=False):
        """Wait for a frame (after the cursor) for which match(Frame) holds;
        the cursor moves past it.  Raises PeerError on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                while self._cursor < self._dropped + len(self.frames):
                    f = Frame(self.frames[self._cursor - self._dropped])
                    self._cursor += 1
                    if match(f):
                        if not quiet:
                            self.log("   matched: %s" % what)
                        return f
                left = deadline - time.monotonic()
                if left <= 0:
                    raise PeerError("no %s within %.0fs" % (what, timeout))
                self._cond.wait(left)

    def expect_nothing(self, match, within=1.0, what="frame"):
        """Fail if a frame for which match(Frame) holds arrives within `within` s."""
        start = self.count()
        time.sleep(within)
        for raw in self.frames_since(start):
            f = Frame(raw)
            if match(f):
                raise PeerError("unexpected %s: %s" % (what, f.summary()))
        self.log("   nothing: %s (%.1fs)" % (what, within))

    def frames_since(self, start):
        """The frames received since count() returned start."""
        with self._cond:
            return self.frames[max(0, start - self._dropped):]

    def count(self):
        """Frames received so far."""
        with self._cond:
            return self._dropped + len(self.frames)


# ---- a reference model of what the guest's stack does with a received frame ----------
# It mirrors the checks in kernel/ethernet.c, ip.c, udp.c, icmp.c and arp.c, in
# their order, and names the counters a frame moves.  Tests compare its
# prediction with the guest's counters: frame by frame for the malformed
# kinds, summed over the fuzz.

class Model:
    def __init__(self, udp_ports=(), icmp_ids=(), tcp_ports=(), card="e1000", qemu=None):
        self.udp_ports = set(udp_ports)
        self.icmp_ids = set(icmp_ids)
        self.tcp_ports = set(tcp_ports)   # listening; any other segment finds no port
        # The e1000 filters by destination MAC, and pads short frames and
        # takes frames up to its limit as the QEMU version's model does
        # (qemu: (major, minor), by default the installed QEMU's); QEMU's
        # virtio-net, without a control queue, takes every frame as it came.
        self.card_filters = card == "e1000"
        if self.card_filters:
            self.card_pads, self.maxframe = e1000_receive(qemu or qemu_version())
        else:
            self.card_pads, self.maxframe = False, VNET_MAXFRAME

    def predict(self, raw):
        """The receive counters that raw moves (a list of names)."""
        if len(raw) > self.maxframe:
            return ["rx_oversize"]   # the card or driver drops it and counts it
        if self.card_filters and raw[0:6] not in (GUEST_MAC, BCAST_MAC):
            return []                # the card's filter: never reaches the driver
        if self.card_pads:
            raw = raw.ljust(ETH_MINFRAME, b"\0")
        if len(raw) < ETH_HDRLEN:
            return ["rx_packets", "eth_rx_runt"]
        if raw[0:6] not in (GUEST_MAC, BCAST_MAC):
            return ["rx_packets", "eth_rx_not_ours"]
        etype = struct.unpack("!H", raw[12:14])[0]
        body = raw[ETH_HDRLEN:]
        if etype == ETH_IP:
            return ["rx_packets", "ip_rx_packets"] + self._ip(body)
        if etype == ETH_ARP:
            return ["rx_packets", self._arp(body)]
        return ["rx_packets", "eth_rx_bad_type"]

    def _ip(self, b):
        if len(b) < 20 or b[0] >> 4 != 4:
            return ["ip_rx_bad_header"]
        hlen = (b[0] & 0xF) * 4
        if hlen < 20 or hlen > len(b):
            return ["ip_rx_bad_header"]
        total = struct.unpack("!H", b[2:4])[0]
        if total < hlen or total > len(b):
            return ["ip_rx_bad_length"]
        b = b[:total]
        if checksum(b[:hlen]) != 0:
            return ["ip_rx_bad_checksum"]
        dst = ntoa(b[16:20])
        if dst not in (GUEST_IP, SUBNET_BCAST, "255.255.255.255"):
            return ["ip_rx_not_ours"]
        if struct.unpack("!H", b[6:8])[0] & (IP_MF | IP_OFFMASK):
            return ["ip_rx_fragments"]
        proto = b[9]
        if proto == PROTO_UDP:
            return self._udp(b, hlen)
        if proto == PROTO_ICMP:
            return self._icmp(b, hlen, dst)
        if proto == PROTO_TCP:
            return self._tcp(b, hlen, dst)
        return ["ip_rx_bad_proto"]

    def _tcp(self, b, hlen, dst):
        """kernel/tcp.c's tcp_parse(), for a guest with no connection open."""
        seg = b[hlen:]
        if len(seg) < 20 or not 20 <= (seg[12] >> 4) * 4 <= len(seg):
            return ["tcp_rx_bad_header"]
        pseudo = b[12:20] + struct.pack("!BBH", 0, PROTO_TCP, len(seg))
        if checksum(pseudo + seg) != 0:
            return ["tcp_rx_bad_checksum"]
        sport, dport = struct.unpack("!HH", seg[:4])
        if dst != GUEST_IP or ntoa(b[12:16]) == "255.255.255.255" or sport == 0 or dport == 0:
            return ["tcp_rx_bad_header"]
        return ["tcp_rx_segs"] + ([] if dport in self.tcp_ports else ["tcp_rx_no_port"])

    def _udp(self, b, hlen):
        seg = b[hlen:]
        if len(seg) < 8 or struct.unpack("!H", seg[4:6])[0] != len(seg):
            return ["udp_rx_bad_length"]
        pseudo = b[12:20] + struct.pack("!BBH", 0, PROTO_UDP, len(seg))
        if seg[6:8] != b"\0\0" and checksum(pseudo + seg) != 0:
            return ["udp_rx_bad_checksum"]
        dport = struct.unpack("!H", seg[2:4])[0]
        # Port 68 is the kernel's DHCP client, which counts on its own.
        known = dport in self.udp_ports or dport == DHCP_CLIENT_PORT
        return ["udp_rx_packets"] + ([] if known else ["udp_rx_no_port"])

    def _icmp(self, b, hlen, dst):
        msg = b[hlen:]
        if len(msg) < 8 or checksum(msg) != 0:
            return ["icmp_rx_bad"]
        itype, code = msg[0], msg[1]
        if itype == ICMP_ECHO and code == 0 and dst == GUEST_IP:
            return ["icmp_echo_requests"]
        if itype == ICMP_ECHOREPLY and code == 0:
            ident = struct.unpack("!H", msg[4:6])[0]
            return ["icmp_echo_replies_rcvd" if ident in self.icmp_ids else "icmp_rx_no_sock"]
        return ["icmp_rx_other"]

    def _arp(self, b):
        if len(b) < 28:
            return "arp_rx_bad"
        hrd, pro, hln, pln, op = struct.unpack("!HHBBH", b[:8])
        if (hrd, pro, hln, pln) != (1, ETH_IP, 6, 4) or op not in (1, 2) \
                or b[8] & 1 or b[14:18] == b"\0\0\0\0":
            return "arp_rx_bad"
        if op == 2:
            return "arp_replies_rcvd"
        return "arp_requests_rcvd" if ntoa(b[24:28]) == GUEST_IP else "arp_rx_ignored"


# The receive counters the model predicts; the others (transmit, sockets,
# ARP cache) depend on state and timing.  arp_cache_full, for one, moves when
# a reply to an on-link source finds no free cache entry, which depends on
# what the cache holds and for how long; robust-arp-evict checks it against
# the ARP requests seen on the wire instead.
MODEL_COUNTERS = (
    "rx_packets", "rx_oversize", "eth_rx_runt", "eth_rx_not_ours", "eth_rx_bad_type",
    "arp_rx_bad", "arp_rx_ignored", "arp_requests_rcvd", "arp_replies_rcvd",
    "ip_rx_packets", "ip_rx_bad_header", "ip_rx_bad_length", "ip_rx_bad_checksum",
    "ip_rx_not_ours", "ip_rx_fragments", "ip_rx_bad_proto",
    "udp_rx_packets", "udp_rx_bad_length", "udp_rx_bad_checksum", "udp_rx_no_port",
    "icmp_rx_bad", "icmp_rx_other", "icmp_rx_no_sock", "icmp_echo_requests",
    "icmp_echo_replies_rcvd", "tcp_rx_segs", "tcp_rx_bad_header", "tcp_rx_bad_checksum",
    "tcp_rx_no_port")


def rng(seed):
    """The seeded generator every randomised test uses (reproducible runs)."""
    return random.Random(seed)
