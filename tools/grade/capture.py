"""capture.py: the frames of a run's capture, checked against the lab's rules.

frames.py (test/) reads the pcap file and takes each header apart; this
decides what the grader says of each frame: a one-line summary and its
problems ("field: what is wrong"), such as a frame under 60 bytes, a bad
checksum, an address the guest may not send to, or a buffer sent after it
was freed.  tshark, when installed, gives a second opinion.
"""

import shutil
import subprocess

import frames
from frames import (ETH_ARP, ETH_HDRLEN, ETH_IP, ETH_MINFRAME, PROTO_ICMP, PROTO_UDP, mac_str,
                    parse_arp, parse_eth, parse_icmp, parse_ipv4, parse_udp)

GUEST_IP = "10.0.2.15"
GATEWAY_IP = "10.0.2.2"
ALLOWED_DST = (GATEWAY_IP, "10.0.2.255", "255.255.255.255")
BROADCAST_MAC = "ff:ff:ff:ff:ff:ff"
DEFAULT_MAC = "52:54:00:12:34:56"   # QEMU's, until ifconfig says otherwise
GATEWAY_MAC = "52:55:0a:00:02:02"   # slirp's: the only other station on the link
FREED_BYTE = 0x5a                   # kfree() fills a freed page with it (kalloc.c)


class Frame:
    """One captured frame: number (from 1, as tcpdump counts), time in
    seconds since the capture began, bytes, and what the checks found."""

    def __init__(self, number, ts, data, orig_len, offset=0):
        self.number, self.ts, self.data, self.orig_len = number, ts, data, orig_len
        self.offset = offset    # of its record in the file
        self.summary = ""
        self.problems = []
        self.outgoing = False
        self.src_mac = self.dst_mac = ""


def read_pcap(path):
    """(frames, pcap) of a capture (frames.read_pcap), as Frames to check."""
    records, pcap = frames.read_pcap(path)
    return [Frame(n, ts, data, orig, off)
            for n, (ts, data, orig, off) in enumerate(records, 1)], pcap


def write_pcap(path, pcap, frs):
    """Write the given frames (from read_pcap's pcap) to a new file."""
    frames.write_pcap(path, pcap, [fr.number for fr in frs])


def freed_bytes(data):
    """Whether a frame is mostly kfree()'s fill: a buffer sent after it was freed."""
    return len(data) >= ETH_HDRLEN and data.count(FREED_BYTE) * 4 >= len(data) * 3


def decode(fr, guest_mac):
    """Fill fr.summary and fr.problems (each "field: what is wrong")."""
    d = fr.data
    if fr.orig_len != len(d):
        fr.problems.append("capture: frame cut to %d of %d bytes" % (len(d), fr.orig_len))
    e = parse_eth(d)
    if e is None:
        fr.summary = "%d bytes, no Ethernet header" % len(d)
        fr.problems.append("ethernet: only %d bytes" % len(d))
        return
    fr.dst_mac, fr.src_mac = mac_str(e["dst"]), mac_str(e["src"])
    # The gateway is the only other station: a frame from any other
    # address left the guest, whatever its bytes say (a freed buffer sent).
    fr.outgoing = fr.src_mac != GATEWAY_MAC
    etype = e["type"]
    if freed_bytes(d):
        fr.problems.append("content: %d of %d bytes are 0x%02x, kfree()'s fill of a freed page: "
                           "the card read the frame's buffer after it was freed"
                           % (d.count(FREED_BYTE), len(d), FREED_BYTE))
    elif fr.outgoing and fr.src_mac != guest_mac:
        fr.problems.append("ethernet.src: %s, not the guest's address %s" % (fr.src_mac, guest_mac))
    if fr.outgoing and len(d) < ETH_MINFRAME:
        fr.problems.append("length: %d bytes, shorter than the %d-byte minimum "
                           "(pad before sending)" % (len(d), ETH_MINFRAME))
    if etype == ETH_ARP:
        decode_arp(fr, e["body"], guest_mac)
    elif etype == ETH_IP:
        decode_ip(fr, e["body"])
    else:
        fr.summary = "EtherType 0x%04x" % etype
        if fr.outgoing:
            fr.problems.append("ethernet.type: 0x%04x, neither IPv4 nor ARP" % etype)


def decode_arp(fr, p, guest_mac):
    a = parse_arp(p)
    if "bad" in a:
        fr.summary = "ARP, %d bytes" % len(p)
        fr.problems.append(a["bad"])
        return
    op = a["op"]
    what = {1: "request who-has %s tell %s" % (a["tip"], a["sip"]),
            2: "reply %s is-at %s" % (a["sip"], mac_str(a["sha"]))}.get(op, "op %d" % op)
    fr.summary = "ARP " + what
    for field, want in (("hrd", 1), ("pro", ETH_IP), ("hln", 6), ("pln", 4)):
        if a[field] != want:
            fr.problems.append("arp.%s: %#x, should be %#x" % (field, a[field], want))
    if op not in (1, 2):
        fr.problems.append("arp.op: %d, neither request (1) nor reply (2)" % op)
    if not fr.outgoing:
        return
    if mac_str(a["sha"]) != fr.src_mac:
        fr.problems.append("arp.sha: %s, not the frame's source %s" % (mac_str(a["sha"]), fr.src_mac))
    if a["sip"] != GUEST_IP:
        fr.problems.append("arp.spa: %s, not our address %s" % (a["sip"], GUEST_IP))
    if op == 1 and fr.dst_mac != BROADCAST_MAC:
        fr.problems.append("ethernet.dst: a request goes to broadcast, not %s" % fr.dst_mac)
    if op == 1 and a["tip"] != GATEWAY_IP:
        fr.problems.append("arp.tpa: asks for %s; the guest talks only to %s"
                           % (a["tip"], GATEWAY_IP))
    if op == 2 and mac_str(a["tha"]) != fr.dst_mac:
        fr.problems.append("arp.tha: %s, but the reply is sent to %s" % (mac_str(a["tha"]), fr.dst_mac))


def decode_ip(fr, p):
    ip = parse_ipv4(p)
    if "version" not in ip:
        fr.summary = "IPv4, %d bytes" % len(p)
        fr.problems.append(ip["bad"])
        return
    fr.summary = "IPv4 %s -> %s" % (ip["src"], ip["dst"])
    if ip["version"] != 4:
        fr.problems.append("ip.version: %d" % ip["version"])
    if "bad" in ip:
        fr.problems.append(ip["bad"])
        return
    if not ip["csum_ok"]:
        fr.problems.append("ip.checksum: wrong")
    if fr.outgoing:
        if ip["src"] != GUEST_IP:
            fr.problems.append("ip.src: %s, not %s" % (ip["src"], GUEST_IP))
        if ip["dst"] not in ALLOWED_DST:
            fr.problems.append("ip.dst: %s; only %s or broadcast is allowed"
                               % (ip["dst"], GATEWAY_IP))
        if ip["ttl"] == 0:
            fr.problems.append("ip.ttl: 0")
    if ip["off"] & 0x3FFF:
        fr.summary += " fragment"
        return
    if ip["proto"] == PROTO_UDP:
        decode_udp(fr, ip["payload"], ip)
    elif ip["proto"] == PROTO_ICMP:
        decode_icmp(fr, ip["payload"])
    else:
        fr.summary += " proto %d" % ip["proto"]


def decode_udp(fr, seg, ip):
    u = parse_udp(seg, ip)
    if "sport" not in u:
        fr.problems.append(u["bad"])
        return
    fr.summary = fr.summary.replace(" -> ", ":%d -> " % u["sport"]) + ":%d UDP" % u["dport"]
    if "bad" in u:
        fr.problems.append(u["bad"])
        return
    fr.summary += " %d bytes" % (u["length"] - 8)
    if not u["csum_ok"]:
        fr.problems.append("udp.checksum: wrong")


def decode_icmp(fr, msg):
    c = parse_icmp(msg)
    if "bad" in c:
        fr.problems.append(c["bad"])
        return
    name = {0: "echo reply", 8: "echo request"}.get(c["type"], "type %d code %d"
                                                    % (c["type"], c["code"]))
    fr.summary += " ICMP %s id %d seq %d" % (name, c["id"], c["seq"])
    if not c["csum_ok"]:
        fr.problems.append("icmp.checksum: wrong")


def frame_line(fr):
    arrow = "guest->" if fr.outgoing else "->guest"
    bad = "  <-- " + "; ".join(fr.problems) if fr.problems else ""
    return "#%-4d %7.3fs %s %4d bytes  %s%s" % (fr.number, fr.ts, arrow, len(fr.data),
                                                fr.summary, bad)


def tshark_problems(path):
    """tshark's opinion: {frame number: [problems]}, or None without tshark."""
    exe = shutil.which("tshark")
    if not exe:
        return None
    flt = ("_ws.malformed || ip.checksum.status == 0 || udp.checksum.status == 0 "
           "|| icmp.checksum.status == 0")
    cmd = [exe, "-r", path, "-n", "-o", "ip.check_checksum:TRUE",
           "-o", "udp.check_checksum:TRUE", "-Y", flt, "-T", "fields",
           "-e", "frame.number", "-e", "_ws.col.Info"]
    try:
        res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return {0: ["tshark did not run: %s" % e]}
    if res.returncode != 0:
        return {0: ["tshark failed: %s" % res.stderr.strip()[-200:]]}
    found = {}
    for line in res.stdout.splitlines():
        num, _, info = line.partition("\t")
        if num.strip().isdigit():
            found.setdefault(int(num), []).append("tshark: " + info.strip())
    return found


def check_frames(frs, guest_mac):
    """Decode every frame; returns the ones with problems."""
    for fr in frs:
        decode(fr, guest_mac)
    return [fr for fr in frs if fr.problems]
