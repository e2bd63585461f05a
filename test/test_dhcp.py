#!/usr/bin/env python3
"""test_dhcp.py: the kernel's DHCP client against QEMU's built-in server and against a scripted server on the raw-frame wire.

QEMU's server (slirp) answers inside the virtual LAN; nothing leaves the
host.  On the raw-frame wire (netpeer.py) the test is the server: it answers
DISCOVERs and REQUESTs step by step, with bad offers, a NAK, a short lease,
or nothing at all.  The DNS server a lease names is only shown by ifconfig:
the tests check that the guest never sends anything to it.
"""

import os
import re
import struct
import sys
import tempfile
import time
import shutil

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import frames  # noqa: E402
import netpeer as wire  # noqa: E402
from netpeer import (BCAST_MAC, GUEST_IP, GUEST_MAC, PEER_IP, PEER_MAC, DHCPDISCOVER,  # noqa: E402
                     DHCPOFFER, DHCPREQUEST, DHCPACK, DHCPNAK, OPT_REQIP, OPT_SERVER, OPT_DNS,
                     bootp, dhcp_frame, dhcp_options, dhcp_reply, parse_dhcp, ping_frame)
from run_tests import REPO, Failure, test  # noqa: E402

LEASED_IP = "10.0.2.115"     # what the scripted server hands out: not the static address
BOUND_WAIT = 15              # s for a lease from QEMU's server (the first DISCOVER waits ~1 s)
STEP_WAIT = 10               # s for the guest's next DHCP message


def dhcp_constant(name):
    """A DHCP_* timing of kernel/dhcp.c, in seconds ((N * TICK_HZ))."""
    with open(os.path.join(REPO, "kernel", "dhcp.c")) as f:
        m = re.search(r"^#define\s+%s\s+\((\d+) \* TICK_HZ\)" % name, f.read(), re.M)
    if not m:
        raise Failure("no #define %s (N * TICK_HZ) in kernel/dhcp.c" % name)
    return int(m.group(1))


def ifconfig(t):
    """ifconfig's lines as {label: text}: ether, inet, netmask, state, dns,
    lease, ..., and every counter."""
    info = {}
    for line in t.run("ifconfig").splitlines():
        m = re.match(r"\s+(\w+)\s+(\S.*?)\s*$", line)
        if m:
            info.setdefault(m.group(1), m.group(2))
    return info


def wait_state(t, state, timeout):
    """ifconfig, once the DHCP client's state starts with `state`."""
    deadline = time.monotonic() + timeout
    while True:
        info = ifconfig(t)
        if info.get("state", "").startswith(state):
            return info
        if time.monotonic() > deadline:
            raise Failure("the DHCP client is '%s' after %ds, not '%s'"
                          % (info.get("state"), timeout, state))
        time.sleep(0.5)


def counter(info, name):
    if name not in info:
        raise Failure("ifconfig shows no counter %s" % name)
    return int(info[name])


def lease_secs(t, info):
    m = t.expect(info.get("lease", ""), r"^(\d+) s, (\d+) s left$", "ifconfig's lease line")
    return int(m.group(1)), int(m.group(2))


def expect_dhcp(peer, mtype, what, timeout=STEP_WAIT, **fields):
    """The guest's next DHCP message of type mtype (fields must match too)."""
    def match(f):
        msg = parse_dhcp(f)
        return msg is not None and msg["op"] == 1 and msg["type"] == mtype and \
            all(msg[k] == v for k, v in fields.items())
    return parse_dhcp(peer.expect(match, timeout, what))


def check_from_client(t, msg, what, broadcast=True):
    t.check(msg["chaddr"] == GUEST_MAC, "%s: chaddr %s, not the guest's MAC"
            % (what, wire.mac_str(msg["chaddr"])))
    t.check(msg["magic"] == wire.DHCP_MAGIC, "%s: magic cookie %#x" % (what, msg["magic"]))
    if broadcast:
        t.check(msg["dst"] == "255.255.255.255" and msg["dst_mac"] == BCAST_MAC,
                "%s: sent to %s (%s), not broadcast" % (what, msg["dst"],
                                                        wire.mac_str(msg["dst_mac"])))


def addr_opt(msg, code):
    value = msg["options"].get(code)
    return wire.ntoa(value) if value and len(value) == 4 else None


def check_never_contacted(t, frames, dns):
    """No frame from the guest goes to, or asks ARP for, the offered DNS server."""
    for raw in frames:
        f = wire.Frame(raw)
        if f.src != GUEST_MAC:
            continue
        t.check(not (f.ip and f.ip["dst"] == dns), "the guest sent to the DNS server %s: %s"
                % (dns, f.summary()))
        t.check(not (f.arp and f.arp["tip"] == dns), "the guest asked ARP for the DNS server %s"
                % dns)


def captured(path):
    """The frames of a pcap capture that QEMU may still be writing, in order."""
    try:
        return [data for _, data, _, _ in frames.read_pcap(path, live=True)[0]]
    except (OSError, frames.PcapError) as e:
        raise Failure("the capture: %s" % e)


# ---- QEMU's server --------------------------------------------------------------------

@test("dhcp-qemu", "QEMU's DHCP server: DISCOVER/OFFER/REQUEST/ACK in the capture, ifconfig shows the lease")
def dhcp_qemu(t):
    tmp = tempfile.mkdtemp(prefix="dhcp-")
    try:
        pcap = os.path.join(tmp, "dhcp.pcap")
        t.boot({"PCAP": pcap})
        info = wait_state(t, "bound", BOUND_WAIT)
        msgs = [m for m in (parse_dhcp(wire.Frame(raw)) for raw in captured(pcap)) if m]
        t.step("capture: " + ", ".join("%s %s xid %08x" % ("guest" if m["op"] == 1 else m["src"],
                                                             m["type"], m["xid"]) for m in msgs))
        # In order, with one xid (a retransmission, were the machine slow, may come between).
        exchange, want = [], [DHCPDISCOVER, DHCPOFFER, DHCPREQUEST, DHCPACK]
        for m in msgs:
            if len(exchange) < len(want) and m["type"] == want[len(exchange)] and \
                    (not exchange or m["xid"] == exchange[0]["xid"]):
                exchange.append(m)
        t.check(len(exchange) == len(want), "the capture's DHCP messages are types %s; want "
                "DISCOVER, OFFER, REQUEST, ACK with one xid" % [m["type"] for m in msgs])
        discover, offer, request, ack = exchange
        check_from_client(t, discover, "DISCOVER")
        check_from_client(t, request, "REQUEST")
        t.check(addr_opt(request, OPT_REQIP) == offer["yiaddr"] and
                addr_opt(request, OPT_SERVER) == addr_opt(offer, OPT_SERVER),
                "the REQUEST asks for %s from %s; the offer was %s from %s"
                % (addr_opt(request, OPT_REQIP), addr_opt(request, OPT_SERVER),
                   offer["yiaddr"], addr_opt(offer, OPT_SERVER)))

        dns = addr_opt(ack, OPT_DNS)
        t.check(info.get("inet") == ack["yiaddr"] == GUEST_IP,
                "ifconfig: inet %s, the ACK gave %s" % (info.get("inet"), ack["yiaddr"]))
        t.check(info.get("netmask") == "255.255.255.0" and info.get("server") == PEER_IP and
                info.get("router") == PEER_IP, "ifconfig: netmask %s, server %s, router %s"
                % (info.get("netmask"), info.get("server"), info.get("router")))
        t.check(dns is not None and info.get("dns") == dns,
                "ifconfig shows DNS server %s, the lease offered %s" % (info.get("dns"), dns))
        granted = struct.unpack("!I", ack["options"][wire.OPT_LEASE])[0]
        secs, left = lease_secs(t, info)
        t.check(secs == granted and 0 < left <= secs, "ifconfig: lease %d s, %d s left; the "
                "ACK granted %d s" % (secs, left, granted))
        sent = sum(m["op"] == 1 for m in msgs)
        for name, n in (("dhcp_tx_packets", sent), ("dhcp_rx_bad", 0), ("dhcp_rx_naks", 0)):
            t.check(counter(info, name) == n, "%s is %s, want %d" % (name, info[name], n))
        t.check(counter(info, "dhcp_rx_packets") >= 2, "dhcp_rx_packets is %s, want OFFER and "
                "ACK at least" % info["dhcp_rx_packets"])

        # Traffic through the lease's address, then: the DNS server stays untouched.
        out = t.run("ping -c 2")
        t.expect(out, r"\b2 received", "ping through the lease")
        check_never_contacted(t, captured(pcap), dns)
        t.note("lease %s for %d s from %s; DNS server offered, never contacted"
               % (ack["yiaddr"], granted, addr_opt(ack, OPT_SERVER)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---- a scripted server on the raw-frame wire -------------------------------------------------

def offer_for(xid, **kw):
    return dhcp_frame(dhcp_reply(xid, DHCPOFFER, **kw))


def bad_offers(xid):
    """(what, frame, counter) for replies the client must drop and count."""
    good_opts = dhcp_options((wire.OPT_TYPE, bytes([DHCPOFFER])), (OPT_SERVER, PEER_IP),
                             (wire.OPT_LEASE, 60))
    good = bootp(xid, good_opts)
    bad, foreign = "dhcp_rx_bad", "dhcp_rx_foreign"
    return [
        ("truncated header", dhcp_frame(good[:200]), bad),
        ("bad magic cookie", dhcp_frame(bootp(xid, good_opts, magic=0x63825364)), bad),
        ("a request, not a reply", dhcp_frame(bootp(xid, good_opts, op=1)), bad),
        ("hardware address length 7", dhcp_frame(bootp(xid, good_opts, hlen=7)), bad),
        ("options cut short (no end)", dhcp_frame(good[:-1]), bad),
        ("option runs past the end", dhcp_frame(bootp(xid, good_opts[:-1] + b"\x03\x08\x0a\x00")),
         bad),
        ("message type of 2 bytes", dhcp_frame(bootp(xid, dhcp_options(
            (wire.OPT_TYPE, bytes([DHCPOFFER, 0])), (OPT_SERVER, PEER_IP)))), bad),
        ("lease time of 3 bytes", dhcp_frame(bootp(xid, dhcp_options(
            (wire.OPT_TYPE, bytes([DHCPOFFER])), (OPT_SERVER, PEER_IP),
            (wire.OPT_LEASE, b"\0\0\x3c")))), bad),
        ("no message type", dhcp_frame(bootp(xid, dhcp_options((OPT_SERVER, PEER_IP)))), bad),
        ("no server identifier", offer_for(xid, server=None), bad),
        ("offers the broadcast address", offer_for(xid, yiaddr="10.0.2.255"), bad),
        ("offers the gateway's address", offer_for(xid, yiaddr=PEER_IP), bad),
        ("offers an address off 10.0.2.2's subnet", offer_for(xid, yiaddr="192.0.2.7"), bad),
        ("a mask with holes", offer_for(xid, mask="255.0.255.0"), bad),
        ("wrong xid", offer_for(xid ^ 0x5a5a), foreign),
        ("wrong chaddr", offer_for(xid, chaddr=bytes.fromhex("525400abcdef")), foreign),
        ("from a server other than 10.0.2.2", offer_for(xid, server="10.0.2.77"), foreign),
        ("an ACK while selecting", dhcp_frame(dhcp_reply(xid, DHCPACK)), foreign),
    ]


def scripted_peer(t):
    """A raw-frame peer that answers no DHCP by itself: the test does."""
    return wire.Peer(log=t.step, dhcp=None)


@test("dhcp-scripted", "a scripted server: bad offers dropped and counted, the leased address used, renewal by unicast at T1")
def dhcp_scripted(t):
    with scripted_peer(t) as peer:
        t.boot(make_vars=peer.make_vars())
        discover = expect_dhcp(peer, DHCPDISCOVER, "a DISCOVER")
        check_from_client(t, discover, "DISCOVER")
        xid = discover["xid"]

        cases = bad_offers(xid)
        for what, raw, _ in cases:
            peer.send(raw, note=what)
        peer.send(offer_for(xid, yiaddr=LEASED_IP), note="the good offer of %s" % LEASED_IP)
        request = expect_dhcp(peer, DHCPREQUEST, "a REQUEST for the offer", xid=xid)
        check_from_client(t, request, "REQUEST")
        t.check(addr_opt(request, OPT_REQIP) == LEASED_IP and
                addr_opt(request, OPT_SERVER) == PEER_IP,
                "the REQUEST asks for %s from %s, want %s from %s"
                % (addr_opt(request, OPT_REQIP), addr_opt(request, OPT_SERVER), LEASED_IP, PEER_IP))

        lease, t1, t2 = 120, 4, 100
        peer.send(dhcp_frame(dhcp_reply(xid, DHCPACK, yiaddr=LEASED_IP, lease=lease, t1=t1, t2=t2)),
                  note="ACK: lease %d s, T1 %d s" % (lease, t1))
        acked = time.monotonic()
        info = wait_state(t, "bound", STEP_WAIT)
        t.check(info.get("inet") == LEASED_IP, "ifconfig: inet %s, leased %s"
                % (info.get("inet"), LEASED_IP))
        t.check(info.get("dns") == wire.PEER_DNS, "ifconfig: dns %s, offered %s"
                % (info.get("dns"), wire.PEER_DNS))
        want = {}
        for _, _, name in cases:
            want[name] = want.get(name, 0) + 1
        for name, n in want.items():
            t.check(counter(info, name) == n, "%s is %s after %d such replies"
                    % (name, info[name], n))
        t.check(counter(info, "dhcp_rx_packets") == 2, "dhcp_rx_packets is %s, want 2 (OFFER, "
                "ACK)" % info["dhcp_rx_packets"])

        t.step("the guest answers on the leased address only")
        peer.mark()
        peer.send(ping_frame(0x4401, 1, b"old", dst=GUEST_IP))
        peer.send(ping_frame(0x4401, 2, b"new", dst=LEASED_IP))
        reply = peer.expect(lambda f: f.icmp_type == 0 and f.icmp["id"] == 0x4401, STEP_WAIT,
                            "an echo reply")
        t.check(reply.icmp["seq"] == 2 and reply.ip["src"] == LEASED_IP,
                "echo reply seq %d from %s; want seq 2 from %s"
                % (reply.icmp["seq"], reply.ip["src"], LEASED_IP))

        renew = expect_dhcp(peer, DHCPREQUEST, "the renewal at T1", timeout=t1 + STEP_WAIT)
        after = time.monotonic() - acked
        t.check(after >= t1 - 0.5, "the renewal came %.1fs after the ACK, before T1 (%ds)"
                % (after, t1))
        t.check(renew["dst"] == PEER_IP and renew["dst_mac"] == PEER_MAC and
                renew["src"] == LEASED_IP and renew["ciaddr"] == LEASED_IP,
                "renewal: %s -> %s (%s), ciaddr %s; want unicast from %s to %s"
                % (renew["src"], renew["dst"], wire.mac_str(renew["dst_mac"]), renew["ciaddr"],
                   LEASED_IP, PEER_IP))
        t.check(OPT_REQIP not in renew["options"] and OPT_SERVER not in renew["options"],
                "a renewal carries no requested address or server identifier (RFC 2131 4.3.2)")
        peer.send(dhcp_frame(dhcp_reply(renew["xid"], DHCPACK, yiaddr=LEASED_IP, lease=3600)),
                  note="ACK the renewal: 3600 s")
        info = wait_state(t, "bound", STEP_WAIT)
        secs, left = lease_secs(t, info)
        t.check(secs == 3600 and left <= 3600, "after the renewal: lease %d s, %d s left"
                % (secs, left))
        check_never_contacted(t, peer.frames_since(0), wire.PEER_DNS)
        t.note("%d bad and %d foreign replies dropped and counted; renewal %.1fs after the ACK "
               "(T1 %ds)" % (want.get("dhcp_rx_bad", 0), want.get("dhcp_rx_foreign", 0), after, t1))


@test("dhcp-expiry", "a lease never renewed: unicast REQUEST at T1, broadcast at T2 (the RFC's defaults), then the static address and a new DISCOVER")
def dhcp_expiry(t):
    lease = 6   # no T1/T2 options: the client takes 1/2 and 7/8 of the lease
    phases = (("renewal", lease * 1 / 2), ("rebinding", lease * 7 / 8))
    with scripted_peer(t) as peer:
        t.boot(make_vars=peer.make_vars())
        xid = expect_dhcp(peer, DHCPDISCOVER, "a DISCOVER")["xid"]
        peer.send(offer_for(xid, yiaddr=LEASED_IP, lease=lease), note="OFFER")
        expect_dhcp(peer, DHCPREQUEST, "a REQUEST", xid=xid)
        peer.send(dhcp_frame(dhcp_reply(xid, DHCPACK, yiaddr=LEASED_IP, lease=lease)),
                  note="ACK: lease %d s, no T1 or T2" % lease)
        acked = time.monotonic()
        for (what, due), unicast in zip(phases, (True, False)):
            msg = expect_dhcp(peer, DHCPREQUEST, "the %s REQUEST" % what, timeout=lease + STEP_WAIT)
            after = time.monotonic() - acked
            t.check(after >= due - 0.5, "the %s REQUEST came %.1fs after the ACK, before %.1fs"
                    % (what, after, due))
            t.check(msg["ciaddr"] == LEASED_IP and msg["src"] == LEASED_IP and
                    (msg["dst"] == PEER_IP) == unicast,
                    "the %s REQUEST: %s -> %s, ciaddr %s" % (what, msg["src"], msg["dst"],
                                                            msg["ciaddr"]))
            if not unicast:
                check_from_client(t, msg, "the rebinding REQUEST")
        again = expect_dhcp(peer, DHCPDISCOVER, "a DISCOVER once the lease is over",
                            timeout=lease + STEP_WAIT)
        after = time.monotonic() - acked
        t.check(after >= lease - 0.5 and again["xid"] != xid,
                "DISCOVER %.1fs after the ACK (lease %d s), xid %08x (was %08x)"
                % (after, lease, again["xid"], xid))
        info = ifconfig(t)
        t.check(info.get("inet") == GUEST_IP, "the lease is over, yet inet is %s, not the static %s"
                % (info.get("inet"), GUEST_IP))


@test("dhcp-nak", "a scripted server NAKs the first REQUEST: the client starts again with a new xid and gets a lease")
def dhcp_nak(t):
    with scripted_peer(t) as peer:
        t.boot(make_vars=peer.make_vars())
        first = expect_dhcp(peer, DHCPDISCOVER, "a DISCOVER")
        peer.send(offer_for(first["xid"]), note="OFFER")
        expect_dhcp(peer, DHCPREQUEST, "a REQUEST", xid=first["xid"])
        peer.send(dhcp_frame(dhcp_reply(first["xid"], DHCPNAK)), note="NAK")
        again = expect_dhcp(peer, DHCPDISCOVER, "a new DISCOVER after the NAK")
        t.check(again["xid"] != first["xid"], "the DISCOVER after the NAK reuses xid %08x"
                % first["xid"])
        peer.send(offer_for(again["xid"]), note="OFFER")
        expect_dhcp(peer, DHCPREQUEST, "a REQUEST", xid=again["xid"])
        peer.send(dhcp_frame(dhcp_reply(again["xid"], DHCPACK)), note="ACK")
        info = wait_state(t, "bound", STEP_WAIT)
        t.check(counter(info, "dhcp_rx_naks") == 1 and info.get("inet") == GUEST_IP,
                "after NAK and ACK: dhcp_rx_naks %s, inet %s" % (info.get("dhcp_rx_naks"),
                                                                 info.get("inet")))


@test("dhcp-silent", "no DHCP server answers: DISCOVERs back off, then the static 10.0.2.15 within the fallback time")
def dhcp_silent(t):
    fallback = dhcp_constant("DHCP_FALLBACK")
    with scripted_peer(t) as peer:
        t.boot(make_vars=peer.make_vars())
        first = expect_dhcp(peer, DHCPDISCOVER, "a DISCOVER")
        start = time.monotonic()
        retry = expect_dhcp(peer, DHCPDISCOVER, "a retransmitted DISCOVER", timeout=fallback + 5)
        t.check(retry["xid"] == first["xid"], "a retransmission changed the xid")
        info = wait_state(t, "static", fallback + STEP_WAIT)
        waited = time.monotonic() - start
        t.check(info.get("inet") == GUEST_IP and info.get("netmask") == "255.255.255.0",
                "fallen back to %s/%s, want %s/24" % (info.get("inet"), info.get("netmask"),
                                                      GUEST_IP))
        t.check(counter(info, "dhcp_rx_packets") == 0, "dhcp_rx_packets moved with no server")
        sent = counter(info, "dhcp_tx_packets")
        peer.expect_nothing(lambda f: parse_dhcp(f) is not None, 2.0, "DHCP message after the "
                            "fallback")
        t.check(counter(ifconfig(t), "dhcp_tx_packets") == sent, "DISCOVERs after the fallback")
        peer.mark()
        peer.send(ping_frame(0x4402, 1, b"static"))
        peer.expect(lambda f: f.icmp_type == 0 and f.icmp["id"] == 0x4402 and
                    f.ip["src"] == GUEST_IP, STEP_WAIT, "an echo reply from %s" % GUEST_IP)
        t.note("%d DISCOVERs, static %.1fs after the first (fallback %ds)"
               % (sent, waited, fallback))
