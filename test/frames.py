"""frames.py: pcap files and Ethernet, ARP, IPv4, UDP, ICMP and TCP headers taken apart, with their checksums.

One parser for every host-side reader of frames: the grader (its pcap
test and the frames of a failure report), the raw-frame peer (netpeer.py)
and the DHCP tests' capture.  Each parse_* function reads one header from
the bytes it is given and returns a dict of its fields; a header too short
or inconsistent to read has "bad": "field: what is wrong" instead of the
fields that could not be read.  Checksums are checked, never trusted:
"csum_ok" says whether one holds.  Python 3 standard library only.
"""

import struct

ETH_HDRLEN = 14
ETH_MINFRAME = 60        # the shortest frame on the wire (no CRC)
ETH_IP, ETH_ARP = 0x0800, 0x0806
PROTO_ICMP, PROTO_TCP, PROTO_UDP = 1, 6, 17
ARP_FMT = "!HHBBH6s4s6s4s"
ARP_LEN = struct.calcsize(ARP_FMT)   # 28, for Ethernet and IPv4

PCAP_MAGIC_US = 0xA1B2C3D4
PCAP_MAGIC_NS = 0xA1B23C4D
LINKTYPE_ETHERNET = 1


def ones_sum(data, start=0):
    """The Internet checksum's ones' complement sum of data (RFC 1071),
    folded to 16 bits; start carries a sum already taken (a pseudo-header)."""
    if len(data) % 2:
        data += b"\0"
    total = start + sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def checksum(data):
    """The Internet checksum of data, as a sender puts it in the header; 0
    over data that carries a correct one."""
    return ~ones_sum(data) & 0xFFFF


def checksum_ok(data, start=0):
    return ones_sum(data, start) == 0xFFFF


def pseudo_sum(src, dst, proto, length):
    """The sum of the IPv4 pseudo-header that UDP's and TCP's checksums cover."""
    return ones_sum(src + dst + struct.pack("!BBH", 0, proto, length))


def mac_str(b):
    return ":".join("%02x" % x for x in b)


def ip_str(b):
    return ".".join(str(x) for x in b)


# ---- headers -------------------------------------------------------------------

def parse_eth(raw):
    """dst, src (bytes), type and body; None under ETH_HDRLEN bytes."""
    if len(raw) < ETH_HDRLEN:
        return None
    return dict(dst=raw[0:6], src=raw[6:12], type=struct.unpack("!H", raw[12:14])[0],
                body=raw[ETH_HDRLEN:])


def parse_arp(b):
    if len(b) < ARP_LEN:
        return dict(bad="arp: %d bytes, an ARP packet has %d" % (len(b), ARP_LEN))
    hrd, pro, hln, pln, op, sha, spa, tha, tpa = struct.unpack(ARP_FMT, b[:ARP_LEN])
    return dict(hrd=hrd, pro=pro, hln=hln, pln=pln, op=op, sha=sha, sip=ip_str(spa),
                tha=tha, tip=ip_str(tpa))


def parse_ipv4(b):
    """The header's fields, csum_ok, the payload (up to the total length)
    and the padding after it.  A header whose lengths do not fit the bytes
    keeps version, src and dst (if it has 20 bytes) and says "bad"."""
    if len(b) < 20:
        return dict(bad="ip: %d bytes, shorter than a header" % len(b))
    vhl, tos, total, ident, off, ttl, proto, _, src, dst = struct.unpack("!BBHHHBBH4s4s", b[:20])
    ip = dict(version=vhl >> 4, hlen=(vhl & 0xF) * 4, tos=tos, total=total, ident=ident,
              off=off, ttl=ttl, proto=proto, src=ip_str(src), dst=ip_str(dst),
              src_raw=src, dst_raw=dst)
    hlen = ip["hlen"]
    if hlen < 20 or hlen > len(b):
        ip["bad"] = "ip.hdr_len: %d bytes" % hlen
    elif total < hlen or total > len(b):
        ip["bad"] = "ip.len: %d, frame holds %d bytes of IP" % (total, len(b))
    else:
        ip.update(csum_ok=checksum_ok(b[:hlen]), payload=b[hlen:total], padding=b[total:])
    return ip


def parse_udp(seg, ip):
    """A UDP datagram, the IP payload seg of header ip; its checksum covers
    the pseudo-header and the length the header gives (RFC 768)."""
    if len(seg) < 8:
        return dict(bad="udp: %d bytes, shorter than a header" % len(seg))
    sport, dport, length, csum = struct.unpack("!HHHH", seg[:8])
    u = dict(sport=sport, dport=dport, length=length, csum=csum)
    if length < 8 or length > len(seg):
        u["bad"] = "udp.length: %d, the IP payload is %d bytes" % (length, len(seg))
        return u
    u["csum_ok"] = csum == 0 or checksum_ok(
        seg[:length], pseudo_sum(ip["src_raw"], ip["dst_raw"], PROTO_UDP, length))
    u["payload"] = seg[8:length]
    return u


def parse_icmp(msg):
    if len(msg) < 8:
        return dict(bad="icmp: %d bytes, shorter than a header" % len(msg))
    itype, code, _, ident, seq = struct.unpack("!BBHHH", msg[:8])
    return dict(type=itype, code=code, id=ident, seq=seq, csum_ok=checksum_ok(msg),
                payload=msg[8:])


def parse_tcp(seg, ip):
    """A TCP segment: ports, seq, ack, flags, window, the MSS option if
    any, csum_ok (over the pseudo-header and the whole segment)."""
    if len(seg) < 20:
        return dict(bad="tcp: %d bytes, shorter than a header" % len(seg))
    sport, dport, seq, ack, off, flags, win = struct.unpack("!HHIIBBH", seg[:16])
    hlen = (off >> 4) * 4
    mss = None
    opts = seg[20:hlen]
    i = 0
    while i < len(opts) and opts[i] != 0:
        if opts[i] == 1:
            i += 1
            continue
        if i + 1 >= len(opts) or opts[i + 1] < 2:
            break
        if opts[i] == 2 and opts[i + 1] == 4 and i + 4 <= len(opts):
            mss = struct.unpack("!H", opts[i + 2:i + 4])[0]
        i += opts[i + 1]
    return dict(sport=sport, dport=dport, seq=seq, ack=ack, flags=flags, win=win, mss=mss,
                csum_ok=checksum_ok(seg, pseudo_sum(ip["src_raw"], ip["dst_raw"], PROTO_TCP,
                                                    len(seg))),
                payload=seg[hlen:])


# ---- pcap files ------------------------------------------------------------------

class PcapError(Exception):
    pass


def read_pcap(path, live=False):
    """([(seconds since the first frame, bytes, length on the wire, offset
    of the record in the file)], (header, [raw records])) of a pcap file
    of Ethernet frames, in either byte order, in micro- or nanoseconds.
    live: the capture is still being written, and a record cut short at
    its end is one not written yet, left out rather than an error."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 24:
        raise PcapError("%s: %d bytes, not even a pcap header" % (path, len(blob)))
    for order in "<>":
        magic = struct.unpack(order + "I", blob[:4])[0]
        if magic in (PCAP_MAGIC_US, PCAP_MAGIC_NS):
            break
    else:
        raise PcapError("%s: not a pcap file (magic %s)" % (path, blob[:4].hex()))
    unit = 1e-9 if magic == PCAP_MAGIC_NS else 1e-6
    linktype = struct.unpack(order + "I", blob[20:24])[0]
    if linktype != LINKTYPE_ETHERNET:
        raise PcapError("%s: link type %d, not Ethernet" % (path, linktype))
    frames, records, off, first = [], [], 24, None
    while off < len(blob):
        if live and (off + 16 > len(blob) or
                     off + 16 + struct.unpack(order + "I", blob[off + 8:off + 12])[0] > len(blob)):
            break
        if off + 16 > len(blob):
            raise PcapError("%s: truncated record header after frame %d" % (path, len(frames)))
        sec, frac, incl, orig = struct.unpack(order + "IIII", blob[off:off + 16])
        if off + 16 + incl > len(blob):
            raise PcapError("%s: frame %d cut short" % (path, len(frames) + 1))
        ts = sec + frac * unit
        first = ts if first is None else first
        frames.append((ts - first, blob[off + 16:off + 16 + incl], orig, off))
        records.append(blob[off:off + 16 + incl])
        off += 16 + incl
    return frames, (blob[:24], records)


def write_pcap(path, pcap, numbers):
    """Write the frames of read_pcap's pcap with the given numbers (from 1)
    to a new file."""
    header, records = pcap
    with open(path, "wb") as f:
        f.write(header)
        for n in numbers:
            f.write(records[n - 1])
