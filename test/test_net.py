"""test_net.py: network-lab tests: server.py on its own, nettests/ping/udpecho against it, the capture, raw-frame ARP."""

import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import time

import hostserver
import qemu
from netpeer import checksum as inet_checksum
from run_tests import CARDS, test

HOST_IP = "10.0.2.2"
GUEST_IP = "10.0.2.15"
BROADCAST_IP = "255.255.255.255"
NETTEST_NAMES = ["txone", "rxone", "recvfrom", "wakeup", "arp", "ping", "ping100",
                 "multiprocess", "order", "burst", "icmp", "dns", "free"]
NETTESTS_TIMEOUT = 300
UDPECHO_SIZES = [1, 64, 1000, 1472]
ARP_TRIES = 5              # the e1000 may ignore frames for a moment after RCTL is written
ARP_WAIT = 1.0
ETH_ARP = 0x0806
ETH_IPV4 = 0x0800
ARP_REQUEST, ARP_REPLY = 1, 2
ETH_MIN_FRAME = 60         # without the FCS, which QEMU does not carry
PEER_MAC = bytes.fromhex("020000aabbcc")   # locally administered: belongs to nobody
BCAST_MAC = b"\xff" * 6
PCAP_MAGIC = 0xA1B2C3D4
LINKTYPE_ETHERNET = 1
CHECKSUM_BAD, CHECKSUM_ILLEGAL = "0", "4"   # wireshark's proto_checksum_enum_e
EXPERT_ERROR = "8388608"                    # PI_ERROR: malformed, bad length, bad checksum
DISSECTED = {"frame", "eth", "ethertype", "arp", "ip", "icmp", "udp", "dns", "data"}
TSHARK_FIELDS = ["frame.number", "_ws.expert.severity", "_ws.expert.message", "ip.src", "ip.dst",
                 "ip.checksum.status", "udp.checksum.status", "icmp.checksum.status",
                 "arp.opcode", "arp.src.proto_ipv4", "arp.dst.proto_ipv4"]


# ---- server.py -----------------------------------------------------------------

def start_server(t, logname):
    """server.py on free ports (hostserver.py), ready; the test fails if it is not."""
    srv = hostserver.HostServer(os.path.join(t.logdir or tempfile.gettempdir(), logname),
                                verbose=True)
    t.step("start " + " ".join(srv.cmd[1:]))
    try:
        srv.wait_ready()
    except hostserver.ServerError as e:
        t.check(False, str(e))
    return srv


def udp_client(timeout=2.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(timeout)
    return s


def dns_query(name, qid):
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.split("."))
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + labels + b"\0" + struct.pack("!HH", 1, 1)


@test("netserver", "server.py on its own: every request, the senders, DNS, SIGTERM")
def netserver(t):
    srv = start_server(t, "netserver.server.log")
    fwd = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
    c = udp_client()
    try:
        for s, p in zip(fwd, (srv.ports["FWDPORT"], srv.ports["FWDPORT2"])):
            s.bind(("127.0.0.1", p))
            s.settimeout(1.0)

        def ask(data, port=srv.ports["SERVERPORT"]):
            c.sendto(data, ("127.0.0.1", port))
            return c.recv(65535)

        pattern = bytes((i * 31 + 7) & 0xFF for i in range(300))
        t.step("txone: exact pattern, one byte short, one byte wrong")
        t.check(ask(b"txone " + pattern) == b"txone ok", "txone: the right pattern was refused")
        t.check(ask(b"txone " + pattern[:-1]).startswith(b"txone bad"), "txone: a short pattern passed")
        t.check(ask(b"txone " + pattern[:5] + b"?" + pattern[6:]).startswith(b"txone bad"),
                "txone: a corrupted pattern passed")
        t.step("ping")
        t.check(ask(b"ping " + bytes(range(256))) == b"pong " + bytes(range(256)), "ping: wrong pong")
        t.step("rxone")
        c.sendto(b"rxone t1", ("127.0.0.1", srv.ports["SERVERPORT"]))
        t.check(fwd[0].recv(100) == b"rxone t1", "rxone: wrong datagram on FWDPORT")
        t.step("burst")
        c.sendto(b"burst 9", ("127.0.0.1", srv.ports["SERVERPORT"]))
        t.check(c.recv(100) == b"burst 9 first", "burst: no 'first' reply")
        got = []
        try:
            while len(got) < 300:
                got.append(fwd[1].recv(100))
        except socket.timeout:
            pass
        t.check(got == [b"burst 9 %d" % i for i in range(257)],
                "burst: %d datagrams on FWDPORT2, not the 257 expected in order" % len(got))
        t.check(c.recv(100) == b"burst 9 last", "burst: no 'last' reply")
        t.step("dns")
        r = ask(dns_query("lab.xv6-net.test", 0x4242), srv.ports["DNSPORT"])
        t.check(r[:2] == b"\x42\x42" and r[3] & 0xF == 0 and r.endswith(socket.inet_aton("10.0.2.99")),
                "dns: wrong answer for lab.xv6-net.test: %s" % r.hex())
        r = ask(dns_query("nosuch.xv6-net.test", 7), srv.ports["DNSPORT"])
        t.check(r[3] & 0xF == 3, "dns: no NXDOMAIN for an unknown name")
    finally:
        c.close()
        for s in fwd:
            s.close()
        status = srv.stop()
    t.check(status == 0, "server.py exited with %s on SIGTERM" % status)
    t.check("server.py: stopped" in srv.output(), "server.py did not report its clean stop")


# ---- the capture -------------------------------------------------------------------

def tshark_env(confdir):
    """An environment in which tshark dissects only what the lab puts on the wire.

    Other protocols are left undecoded: tshark picks UDP dissectors by port
    number, and the lab's ports are random, so nettests' payloads could be
    taken for some unrelated protocol and reported as malformed.
    """
    res = subprocess.run(["tshark", "-G", "protocols"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, universal_newlines=True, timeout=60)
    names = [line.split("\t")[2] for line in res.stdout.splitlines() if line.count("\t") >= 2]
    with open(os.path.join(confdir, "disabled_protos"), "w") as f:
        f.write("".join(n + "\n" for n in names
                        if n not in DISSECTED and not n.startswith("_ws.")))
    return dict(os.environ, WIRESHARK_CONFIG_DIR=confdir)


def pcap_problems(path, guest_ip=GUEST_IP):
    """Decode every frame with tshark; a list of what is wrong, and the frame count."""
    cmd = ["tshark", "-n", "-r", path, "-o", "ip.check_checksum:TRUE",
           "-o", "udp.check_checksum:TRUE", "-T", "fields", "-E", "separator=/t"]
    for f in TSHARK_FIELDS:
        cmd += ["-e", f]
    confdir = tempfile.mkdtemp(prefix="tshark-")
    try:
        res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True, timeout=120, env=tshark_env(confdir))
    finally:
        shutil.rmtree(confdir, ignore_errors=True)
    if res.returncode != 0:
        return ["tshark failed: " + res.stderr.strip()], 0
    problems, frames = [], 0
    for line in res.stdout.splitlines():
        v = dict(zip(TSHARK_FIELDS, line.split("\t")))
        frames += 1
        n = v["frame.number"]
        if EXPERT_ERROR in v.get("_ws.expert.severity", "").split(","):
            problems.append("frame %s is malformed: %s" % (n, v["_ws.expert.message"]))
        for f in ("ip.checksum.status", "udp.checksum.status", "icmp.checksum.status"):
            if {CHECKSUM_BAD, CHECKSUM_ILLEGAL} & set(v.get(f, "").split(",")):
                problems.append("frame %s: bad %s checksum" % (n, f.split(".")[0].upper()))
        src = v.get("ip.src", "").split(",")[0]
        dst = v.get("ip.dst", "").split(",")[0]
        if src == guest_ip and dst not in (HOST_IP, BROADCAST_IP):
            problems.append("frame %s: the guest sent to %s" % (n, dst))
        if v.get("arp.opcode") == str(ARP_REQUEST) and v.get("arp.src.proto_ipv4") == guest_ip \
                and v.get("arp.dst.proto_ipv4") != HOST_IP:
            problems.append("frame %s: the guest asked ARP for %s" % (n, v["arp.dst.proto_ipv4"]))
    return problems, frames


def check_pcap(t, path):
    t.need("tshark", "tshark")
    t.step("tshark " + path)
    problems, frames = pcap_problems(path)
    t.check(frames > 0, "the capture %s holds no frames" % path)
    t.check(not problems, "%d problems in the capture:\n%s" % (len(problems), "\n".join(problems[:20])))
    t.note("%d captured frames decoded: no malformed frame, no bad checksum, no stray destination" % frames)


def ipv4_frame(src, dst, payload, proto=17, corrupt_ip=False):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    ck = inet_checksum(hdr) ^ (0x1111 if corrupt_ip else 0)
    hdr = hdr[:10] + struct.pack("!H", ck) + hdr[12:]
    return BCAST_MAC + PEER_MAC + struct.pack("!H", ETH_IPV4) + hdr + payload


def udp_segment(src, dst, sport, dport, data, corrupt=False):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, len(seg))
    ck = (inet_checksum(pseudo + seg) or 0xFFFF) ^ (0x0F0F if corrupt else 0)
    return seg[:6] + struct.pack("!H", ck) + seg[8:]


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", PCAP_MAGIC, 2, 4, 0, 0, 65535, LINKTYPE_ETHERNET))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", i, 0, len(fr), len(fr)) + fr)


@test("netpcapcheck", "the capture check catches bad checksums, malformed frames and stray destinations")
def netpcapcheck(t):
    t.need("tshark", "tshark")
    good = udp_segment(GUEST_IP, HOST_IP, 2000, 3000, b"hello")
    frames = [
        ipv4_frame(GUEST_IP, HOST_IP, good),                                         # fine
        ipv4_frame(GUEST_IP, HOST_IP, good, corrupt_ip=True),                        # bad IP sum
        ipv4_frame(GUEST_IP, HOST_IP, udp_segment(GUEST_IP, HOST_IP, 2000, 3000, b"hello", True)),
        ipv4_frame(GUEST_IP, HOST_IP, good)[:30],                                    # cut short
        ipv4_frame(GUEST_IP, "192.0.2.1", udp_segment(GUEST_IP, "192.0.2.1", 2000, 3000, b"x")),
    ]
    tmp = tempfile.mkdtemp(prefix="netpcap-")
    try:
        path = os.path.join(tmp, "synthetic.pcap")
        write_pcap(path, frames)
        problems, n = pcap_problems(path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    t.step("problems found: %s" % problems)
    t.check(n == len(frames), "tshark decoded %d of %d frames" % (n, len(frames)))
    for what in ("frame 2: bad IP", "frame 3: bad UDP", "frame 4 is malformed",
                 "frame 5: the guest sent to 192.0.2.1"):
        t.check(any(p.startswith(what) for p in problems), "the check missed: %s" % what)
    t.check(not any(p.startswith("frame 1") for p in problems), "a good frame was flagged")


# ---- the guest against server.py ---------------------------------------------------------

def check_udpecho(t, srv):
    t.send("udpecho 2000 &\n")
    t.wait_for("udpecho: listening on 2000", 10)
    c = udp_client()
    try:
        for size in UDPECHO_SIZES:
            data = bytes((size + i) & 0xFF for i in range(size))
            t.step("host -> 127.0.0.1:%d (guest port 2000): %d bytes" % (srv.ports["FWDPORT"], size))
            c.sendto(data, ("127.0.0.1", srv.ports["FWDPORT"]))
            try:
                back = c.recv(65535)
            except socket.timeout:
                back = None
            t.check(back == data, "udpecho: %d bytes sent, got back %r"
                    % (size, None if back is None else "%d other bytes" % len(back)))
    finally:
        c.close()


@test("nettests", "nettests all OK, ping -c 3, udpecho through hostfwd, then every captured frame decoded", cards=CARDS)
def nettests(t):
    tmp = tempfile.mkdtemp(prefix="nettests-")
    pcap = os.path.join(tmp, "packets.pcap")
    srv = start_server(t, "nettests.server.log")
    try:
        t.boot(srv.make_vars(PCAP=pcap))
        out = t.run(srv.nettests(), NETTESTS_TIMEOUT)
        for name in NETTEST_NAMES:
            t.expect(out, r"^testing %s: OK$" % name, "nettests " + name)
        t.expect(out, r"^ALL NETTESTS PASSED$", "nettests summary")

        out = t.run("ping -c 3 10.0.2.2", 30)
        for seq in (1, 2, 3):
            t.expect(out, r"^64 bytes from 10\.0\.2\.2: icmp_seq=%d ttl=\d+ time=\d+\.\d{3} ms$" % seq,
                     "ping reply %d" % seq)
        t.expect(out, r"^3 packets transmitted, 3 received, 0% packet loss$", "ping summary")

        check_udpecho(t, srv)
        t.guest.close()       # flushes and ends the capture
        check_pcap(t, pcap)
    finally:
        status = srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    t.check(status == 0, "server.py exited with %s on SIGTERM" % status)


@test("nettests-noserver", "nettests with no server.py answering says so in one line, names `make server`, and stops")
def nettests_noserver(t):
    t.boot()
    port = qemu.free_port("udp")   # nothing listens there
    out = t.run("nettests -p %d" % port, 30)
    lines = [l for l in out.split("\n") if l.strip() and l.strip() != "$"]
    t.check(len(lines) == 1, "nettests should print one line and stop, printed %d:\n%s"
            % (len(lines), out))
    t.expect(lines[0], r"^nettests: no answer from server\.py on 10\.0\.2\.2:%d: start it with "
             r"`make server` in another terminal" % port, "the no-server line")
    t.reject(out, r"^testing ", "a test run without server.py")


# ---- raw frames: the guest's ARP replies --------------------------------------------------

def arp_request(target_ip):
    arp = struct.pack("!HHBBH6s4s6s4s", 1, ETH_IPV4, 6, 4, ARP_REQUEST, PEER_MAC,
                      socket.inet_aton(HOST_IP), b"\0" * 6, socket.inet_aton(target_ip))
    return BCAST_MAC + PEER_MAC + struct.pack("!H", ETH_ARP) + arp


def parse_arp(frame):
    """(opcode, sender mac, sender ip, target mac, target ip) of an ARP frame, or None."""
    if len(frame) < 42 or struct.unpack_from("!H", frame, 12)[0] != ETH_ARP:
        return None
    htype, ptype, hlen, plen, op, sha, spa, tha, tpa = struct.unpack_from("!HHBBH6s4s6s4s", frame, 14)
    if (htype, ptype, hlen, plen) != (1, ETH_IPV4, 6, 4):
        return None
    return op, sha, socket.inet_ntoa(spa), tha, socket.inet_ntoa(tpa)


class Peer:
    """The other end of QEMU's dgram back end: one Ethernet frame per UDP datagram."""

    def __init__(self):
        self.port, self.qemu_port = qemu.free_ports(2, "udp")
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", self.port))
        self.frames = []          # everything the guest sent

    def netdev(self):
        return ("dgram,id=net0,local.type=inet,local.host=127.0.0.1,local.port=%d,"
                "remote.type=inet,remote.host=127.0.0.1,remote.port=%d" % (self.qemu_port, self.port))

    def send(self, frame):
        assert frame, "an empty datagram would make QEMU stop reading this back end"
        self.sock.sendto(frame, ("127.0.0.1", self.qemu_port))

    def collect(self, seconds):
        """Frames that arrive within seconds."""
        got, deadline = [], time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.sock.settimeout(left)
            try:
                got.append(self.sock.recv(65535))
            except socket.timeout:
                break
        self.frames += got
        return got

    def ask(self, target_ip, tries=1):
        """Send ARP requests for target_ip; the guest's ARP replies, as frames."""
        for _ in range(tries):
            self.send(arp_request(target_ip))
            replies = [f for f in self.collect(ARP_WAIT)
                       if (parse_arp(f) or (0,))[0] == ARP_REPLY]
            if replies:
                return replies
        return []

    def close(self):
        self.sock.close()


def is_dhcp_client(frame):
    """An IPv4 frame from the guest's DHCP client (UDP 68 -> 67, no IP options)."""
    return len(frame) >= 38 and frame[23] == 17 and frame[14] == 0x45 \
        and struct.unpack_from("!HH", frame, 34) == (68, 67)


def guest_mac(t):
    out = t.run("ifconfig")
    m = t.expect(out, r"\bether\s+((?:[0-9a-f]{2}:){5}[0-9a-f]{2})\b", "ifconfig's MAC address")
    return bytes.fromhex(m.group(1).replace(":", ""))


@test("netarp", "raw frames: the guest answers ARP for 10.0.2.15 only, pads to 60 bytes, nettrace, ping refuses", cards=CARDS)
def netarp(t):
    tmp = tempfile.mkdtemp(prefix="netarp-")
    peer = Peer()
    try:
        t.boot({"NETDEV": peer.netdev(), "PCAP": os.path.join(tmp, "arp.pcap")})
        mac = guest_mac(t)

        t.step("ARP request for %s from the peer" % GUEST_IP)
        replies = peer.ask(GUEST_IP, ARP_TRIES)
        t.check(replies, "no ARP reply to a request for %s" % GUEST_IP)
        frame = replies[0]
        op, sha, spa, tha, tpa = parse_arp(frame)
        t.check(frame[:6] == PEER_MAC, "the reply is not addressed to the asker's MAC")
        t.check(frame[6:12] == mac and sha == mac,
                "the reply names MAC %s, ifconfig says %s" % (sha.hex(":"), mac.hex(":")))
        t.check(spa == GUEST_IP and tha == PEER_MAC and tpa == HOST_IP,
                "reply fields: sender %s, target %s/%s" % (spa, tha.hex(":"), tpa))
        t.check(len(frame) >= ETH_MIN_FRAME, "the %d-byte reply is not padded to %d bytes"
                % (len(frame), ETH_MIN_FRAME))

        t.step("ARP request for another address")
        t.check(not peer.ask("10.0.2.77"), "the guest answered ARP for 10.0.2.77")

        t.run("nettrace on")
        peer.ask(GUEST_IP)
        t.wait_for(re.compile(r"RX\b.*\bARP", re.I), 5)
        t.wait_for(re.compile(r"TX\b.*\bARP", re.I), 5)
        t.run("nettrace off")
        quiet_from = len(t.guest.text)
        t.check(peer.ask(GUEST_IP), "no ARP reply after nettrace off")
        t.run("echo traced")
        t.reject(t.guest.text[quiet_from:], r"(?i)\b[RT]X\b.*\bARP", "a trace line after nettrace off")

        out = t.run("ping -c 1 192.0.2.1")
        t.expect(out, r"refused", "ping to an address other than 10.0.2.2")
        peer.collect(1.0)
        # This peer answers no DHCP: the guest's DHCP client asks, then falls back.
        sent_ip = [f for f in peer.frames if len(f) >= 14 and struct.unpack_from("!H", f, 12)[0] == ETH_IPV4
                   and not is_dhcp_client(f)]
        t.check(not sent_ip, "the guest sent %d IPv4 frames other than DHCP to the raw peer"
                % len(sent_ip))
    finally:
        peer.close()
        shutil.rmtree(tmp, ignore_errors=True)
