// netstack_test.c: unit tests of the packet path on the host (ASan/UBSan): frames in, frames and queues out.
//
// Frames are built and parsed here with plain byte offsets and our own
// checksum, not with the kernel's structs and in_cksum(), so a layout or
// checksum bug in the kernel cannot hide behind the same bug in the test.
// The last line is "N passed, N failed"; the exit status is 1 on failure.
#include "hostnet.h"
#include <stdlib.h>
#include "check.h"

static const uchar our_mac[6]  = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uchar peer_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static const uchar bcast[6]    = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
#define OUR_IP  0x0a00020fu   // 10.0.2.15
#define PEER_IP 0x0a000202u   // 10.0.2.2

// ---- Bytes on the wire.

static void put16(uchar *p, uint v) { p[0] = v >> 8; p[1] = v; }
static void put32(uchar *p, uint v) { put16(p, v >> 16); put16(p + 2, v); }
static uint get16(const uchar *p) { return p[0] << 8 | p[1]; }
static uint get32(const uchar *p) { return get16(p) << 16 | get16(p + 2); }

// An on-link host's MAC is made of its address, as slirp's (peer_mac) is.
static void
mac_of(uchar *mac, uint ip)
{
  mac[0] = 0x52;
  mac[1] = 0x55;
  put32(mac + 2, ip);
}

static uint
sum16(const uchar *p, int n, uint sum)
{
  for(int i = 0; i < n; i++)
    sum += (i & 1) ? p[i] : p[i] << 8;
  return sum;
}

static uint
fold(uint sum)
{
  while(sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

static uint
udp_pseudo(const uchar *ip, int udplen)
{
  return sum16(ip + 12, 8, 0) + 17 + udplen;
}

// A frame under construction.
struct frame {
  uchar b[1600];
  int len;
};

static void
eth(struct frame *f, const uchar *dst, const uchar *src, uint type)
{
  memcpy(f->b, dst, 6);
  memcpy(f->b + 6, src, 6);
  put16(f->b + 12, type);
  f->len = 14;
}

static void
arp(struct frame *f, const uchar *dst, uint op, const uchar *sha, uint sip, uint tip)
{
  uchar *a = f->b + 14;

  eth(f, dst, sha, 0x0806);
  put16(a, 1); put16(a + 2, 0x0800); a[4] = 6; a[5] = 4; put16(a + 6, op);
  memcpy(a + 8, sha, 6); put32(a + 14, sip);
  memset(a + 18, 0, 6); put32(a + 24, tip);
  f->len = 14 + 28;
}

// IPv4 from src to dst with the given payload, after a peer's Ethernet header.
static uchar *
ipv4(struct frame *f, uint src, uint dst, int proto, int paylen)
{
  uchar *ip = f->b + 14, src_mac[6];

  mac_of(src_mac, src);
  eth(f, our_mac, src_mac, 0x0800);
  memset(ip, 0, 20);
  ip[0] = 0x45; put16(ip + 2, 20 + paylen); put16(ip + 4, 7); ip[8] = 64; ip[9] = proto;
  put32(ip + 12, src); put32(ip + 16, dst);
  put16(ip + 10, fold(sum16(ip, 20, 0)));
  f->len = 14 + 20 + paylen;
  return ip + 20;
}

static void
udp(struct frame *f, int sport, int dport, const char *data, int n)
{
  uchar *u = ipv4(f, PEER_IP, OUR_IP, 17, 8 + n);

  put16(u, sport); put16(u + 2, dport); put16(u + 4, 8 + n); put16(u + 6, 0);
  memcpy(u + 8, data, n);
  put16(u + 6, fold(udp_pseudo(f->b + 14, 8 + n) + sum16(u, 8 + n, 0)));
}

static void
ping_from(struct frame *f, uint src, int id, int seq, const char *data, int n)
{
  uchar *ic = ipv4(f, src, OUR_IP, 1, 8 + n);

  ic[0] = 8; ic[1] = 0; put16(ic + 2, 0); put16(ic + 4, id); put16(ic + 6, seq);
  memcpy(ic + 8, data, n);
  put16(ic + 2, fold(sum16(ic, 8 + n, 0)));
}

static void
ping(struct frame *f, int id, int seq, const char *data, int n)
{
  ping_from(f, PEER_IP, id, seq, data, n);
}

static void
feed(struct frame *f)
{
  struct mbuf *m = mbuf_alloc();

  memcpy(mbuf_put(m, f->len), f->b, f->len);
  eth_input(m);
}

// The next transmitted frame, copied out, or 0 bytes if there is none.
static struct frame
sent(void)
{
  struct frame f = { .len = 0 };
  struct mbuf *m = host_sent();

  if(m){
    f.len = m->len;
    memcpy(f.b, m->head, m->len);
    mbuf_free(m);
  }
  return f;
}

// Is f a well-formed IPv4 frame from us to PEER_IP?  Returns its payload.
static uchar *
check_ipv4_out(struct frame *f, int proto)
{
  uchar *ip = f->b + 14;

  CHECK(memcmp(f->b, peer_mac, 6) == 0);
  CHECK(memcmp(f->b + 6, our_mac, 6) == 0);
  CHECK_EQ(get16(f->b + 12), 0x0800);
  CHECK_EQ(ip[0], 0x45);
  CHECK_EQ(ip[8], 64);
  CHECK_EQ(ip[9], proto);
  CHECK_EQ(fold(sum16(ip, 20, 0)), 0);
  CHECK(get32(ip + 12) == OUR_IP && get32(ip + 16) == PEER_IP);
  CHECK(f->len >= 60 && 14 + (int)get16(ip + 2) <= f->len);
  return ip + 20;
}

// ---- Tests.  They run in order: the ARP cache carries over.

static void
test_arp_reply(void)
{
  struct frame f;
  uchar *a;

  arp(&f, bcast, 1, peer_mac, PEER_IP, OUR_IP);
  feed(&f);
  f = sent();
  a = f.b + 14;
  if(!CHECK_EQ(f.len, 60))   // padded to the minimum
    return;
  CHECK(memcmp(f.b, peer_mac, 6) == 0 && get16(f.b + 12) == 0x0806);
  CHECK(get16(a + 6) == 2 && memcmp(a + 8, our_mac, 6) == 0 && get32(a + 14) == OUR_IP);
  CHECK(memcmp(a + 18, peer_mac, 6) == 0 && get32(a + 24) == PEER_IP);
  CHECK_EQ(netstats.arp_replies_sent, 1);

  arp(&f, bcast, 1, peer_mac, PEER_IP, 0x0a000209);   // asks for someone else
  feed(&f);
  CHECK(host_nsent() == 0 && netstats.arp_rx_ignored == 1);
}

// The echo reply waits for our own ARP request to be answered.
static void
test_ping_reply(void)
{
  struct frame f;
  uchar *ic;

  ping(&f, 77, 3, "hello", 5);
  feed(&f);
  f = sent();
  CHECK(f.len == 60 && memcmp(f.b, bcast, 6) == 0 && get16(f.b + 12) == 0x0806);
  CHECK(get16(f.b + 14 + 6) == 1 && get32(f.b + 14 + 24) == PEER_IP);
  CHECK(host_nsent() == 0 && netstats.arp_held == 1);

  arp(&f, our_mac, 2, peer_mac, PEER_IP, OUR_IP);
  feed(&f);
  f = sent();
  ic = check_ipv4_out(&f, 1);
  CHECK(ic[0] == 0 && get16(ic + 4) == 77 && get16(ic + 6) == 3);
  CHECK(memcmp(ic + 8, "hello", 5) == 0 && fold(sum16(ic, 13, 0)) == 0);
  CHECK_EQ(netstats.icmp_echo_replies_sent, 1);
  CHECK_EQ(netstats.arp_requests_sent, 1);
}

static void
test_udp_in(void)
{
  struct sock *s = sock_alloc(SOCK_UDP);
  struct frame f;
  struct sockinfo si;
  char buf[64];
  uint raddr;
  int rport, n;

  CHECK_EQ(sock_bind(s, 2000), 2000);
  udp(&f, 5555, 2000, "datagram", 8);
  feed(&f);
  sock_info(s, &si);
  CHECK_EQ(si.queued, 1);
  CHECK_EQ(si.lport, 2000);
  n = sock_recvfrom(s, (uint64)buf, sizeof(buf), &raddr, &rport);
  CHECK(n == 8 && memcmp(buf, "datagram", 8) == 0);
  CHECK_EQ(raddr, PEER_IP);
  CHECK_EQ(rport, 5555);

  udp(&f, 5555, 2001, "nobody", 6);
  feed(&f);
  CHECK_EQ(netstats.udp_rx_no_port, 1);
  sock_close(s);
}

static void
test_udp_out(void)
{
  struct sock *s = sock_alloc(SOCK_UDP);
  struct frame f;
  uchar *u;
  int lport;

  CHECK_EQ(sock_write(s, (uint64)"x", 1), -1);   // not connected
  CHECK_EQ(sock_connect(s, PEER_IP, 25099), 0);
  for(int i = 0; i < 3; i++)
    CHECK_EQ(sock_write(s, (uint64)"payload", 7), 7);
  CHECK_EQ(host_nsent(), 3);
  f = sent();
  u = check_ipv4_out(&f, 17);
  lport = get16(u);
  CHECK(lport >= 49152 && get16(u + 2) == 25099 && get16(u + 4) == 15);
  CHECK(memcmp(u + 8, "payload", 7) == 0);
  CHECK_EQ(fold(udp_pseudo(f.b + 14, 15) + sum16(u, 15, 0)), 0);
  sent();
  sent();
  CHECK_EQ(netstats.arp_requests_sent, 1);
  CHECK_EQ(netstats.arp_cache_hits, 3);

  CHECK_EQ(sock_write(s, (uint64)"x", 1473), -1);   // more than one frame holds
  CHECK_EQ(sock_write(s, 1, 4), -1);                // bad user address
  host_ring_full = 1;
  CHECK(sock_write(s, (uint64)"full", 4) == -1 && netstats.tx_ring_full == 1);
  host_ring_full = 0;
  sock_close(s);
}

// One malformed frame: dropped, counted in the expected counter, nothing sent.
static void
expect_drop(struct frame *f, uint64 *counter, const char *what)
{
  uint64 before = *counter;

  feed(f);
  if(!(*counter == before + 1 && host_nsent() == 0 && netstats.mbufs_in_use == 0))
    printf("  (malformed frame: %s)\n", what);
  CHECK(*counter == before + 1 && host_nsent() == 0 && netstats.mbufs_in_use == 0);
}

static void
test_malformed(void)
{
  struct sock *s = sock_alloc(SOCK_UDP);
  struct frame f;
  uchar *ip = f.b + 14;

  sock_bind(s, 7);
  net_tracing = 1;   // the trace decoder must survive these frames too
  f.len = 10;
  expect_drop(&f, &netstats.eth_rx_runt, "runt");
  eth(&f, our_mac, peer_mac, 0x86dd); f.len = 60;
  expect_drop(&f, &netstats.eth_rx_bad_type, "IPv6");
  udp(&f, 1, 7, "x", 1); memcpy(f.b, peer_mac, 6);
  expect_drop(&f, &netstats.eth_rx_not_ours, "another MAC");
  udp(&f, 1, 7, "x", 1); ip[0] = 0x65;
  expect_drop(&f, &netstats.ip_rx_bad_header, "version 6");
  udp(&f, 1, 7, "x", 1); ip[0] = 0x44;
  expect_drop(&f, &netstats.ip_rx_bad_header, "IHL 4");
  udp(&f, 1, 7, "x", 1); ip[0] = 0x4f;
  expect_drop(&f, &netstats.ip_rx_bad_header, "IHL past the frame");
  udp(&f, 1, 7, "x", 1); f.len = 14 + 19;
  expect_drop(&f, &netstats.ip_rx_bad_header, "truncated IP header");
  udp(&f, 1, 7, "x", 1); f.len -= 1;
  expect_drop(&f, &netstats.ip_rx_bad_length, "total length past the frame");
  udp(&f, 1, 7, "x", 1); ip[10] ^= 1;
  expect_drop(&f, &netstats.ip_rx_bad_checksum, "IP checksum");
  udp(&f, 1, 7, "x", 1); put16(ip + 6, 0x2000); put16(ip + 10, 0);
  put16(ip + 10, fold(sum16(ip, 20, 0)));
  expect_drop(&f, &netstats.ip_rx_fragments, "first fragment");
  udp(&f, 1, 7, "x", 1); put32(ip + 16, 0x0a000209); put16(ip + 10, 0);
  put16(ip + 10, fold(sum16(ip, 20, 0)));
  expect_drop(&f, &netstats.ip_rx_not_ours, "another address");
  udp(&f, 1, 7, "abc", 3); ip[20 + 8] ^= 0x40;
  expect_drop(&f, &netstats.udp_rx_bad_checksum, "UDP checksum");
  udp(&f, 1, 7, "abc", 3); put16(ip + 20 + 4, 10); put16(ip + 20 + 6, 0);
  expect_drop(&f, &netstats.udp_rx_bad_length, "UDP length");
  ping(&f, 1, 1, "abc", 3); ip[20 + 9] ^= 1;
  expect_drop(&f, &netstats.icmp_rx_bad, "ICMP checksum");
  arp(&f, bcast, 1, peer_mac, PEER_IP, OUR_IP); f.b[14 + 4] = 5;
  expect_drop(&f, &netstats.arp_rx_bad, "ARP hardware length 5");

  net_tracing = 0;

  // Ethernet padding after a good datagram is trimmed, not refused.
  udp(&f, 1, 7, "ok", 2); memset(f.b + f.len, 0, 60 - f.len); f.len = 60;
  feed(&f);
  struct sockinfo si;
  sock_info(s, &si);
  CHECK_EQ(si.queued, 1);
  sock_close(s);
}

// Every counter that records a dropped frame.
static uint64
drops(void)
{
  return netstats.eth_rx_runt + netstats.eth_rx_not_ours + netstats.eth_rx_bad_type +
         netstats.arp_rx_bad + netstats.arp_rx_ignored +
         netstats.ip_rx_bad_header + netstats.ip_rx_bad_length + netstats.ip_rx_bad_checksum +
         netstats.ip_rx_not_ours + netstats.ip_rx_fragments + netstats.ip_rx_bad_proto +
         netstats.udp_rx_bad_length + netstats.udp_rx_bad_checksum + netstats.udp_rx_no_port +
         netstats.icmp_rx_bad + netstats.icmp_rx_other + netstats.icmp_rx_no_sock +
         netstats.sock_rx_queue_full + netstats.sock_rx_wrong_peer;
}

// Every prefix of a good frame is dropped, once, in the counter of the
// header it cuts: a runt if it cuts the Ethernet header, `inside` if it
// cuts the next hdrlen bytes, `beyond` if later (an IPv4 total length then
// promises more than there is).  Nothing is sent and nothing is kept.
static void
truncate_each(struct frame *whole, int hdrlen, uint64 *inside, uint64 *beyond)
{
  struct frame f = *whole;
  uint64 *want, before, total;

  for(f.len = 0; f.len < whole->len; f.len++){
    if(f.len < 14)
      want = &netstats.eth_rx_runt;
    else
      want = f.len < 14 + hdrlen ? inside : beyond;
    before = *want;
    total = drops();
    feed(&f);
    if(*want != before + 1 || drops() != total + 1 ||
       host_nsent() != 0 || netstats.mbufs_in_use != 0)
      break;
  }
  if(!CHECK(f.len == whole->len))
    printf("  (a %d-byte frame cut to %d bytes)\n", whole->len, f.len);
}

static void
test_truncations(void)
{
  struct sock *s = sock_alloc(SOCK_UDP);
  struct frame f;

  sock_bind(s, 7);
  udp(&f, 1, 7, "truncate me", 11);
  truncate_each(&f, 20, &netstats.ip_rx_bad_header, &netstats.ip_rx_bad_length);
  ping(&f, 1, 1, "truncate me too", 15);
  truncate_each(&f, 20, &netstats.ip_rx_bad_header, &netstats.ip_rx_bad_length);
  arp(&f, bcast, 1, peer_mac, PEER_IP, OUR_IP);
  truncate_each(&f, 28, &netstats.arp_rx_bad, &netstats.arp_rx_bad);
  sock_close(s);
}

// A socket holds SOCK_QUEUE_MAX datagrams; the rest are dropped and counted, on that
// socket only; each datagram queued wakes the reader (LAB.md: every time).
static void
test_queue_limit(void)
{
  struct sock *a = sock_alloc(SOCK_UDP), *b = sock_alloc(SOCK_UDP);
  struct sockinfo si;
  struct frame f;
  int wakeups = host_wakeups;

  sock_bind(a, 3000);
  CHECK_EQ(sock_bind(b, 3000), -1);   // taken
  CHECK(sock_bind(b, 0) >= 49152);
  CHECK_EQ(sock_bind(b, 3001), -1);   // already bound
  for(int i = 0; i < SOCK_QUEUE_MAX + 4; i++){
    udp(&f, 9, 3000, "burst", 5);
    feed(&f);
  }
  sock_info(a, &si);
  CHECK_EQ(si.queued, SOCK_QUEUE_MAX);
  CHECK_EQ(si.dropped, 4);
  CHECK_EQ(netstats.sock_rx_queue_full, 4);
  CHECK_EQ(host_wakeups, wakeups + SOCK_QUEUE_MAX);
  sock_info(b, &si);
  udp(&f, 9, si.lport, "b", 1);
  feed(&f);
  sock_info(b, &si);
  CHECK_EQ(si.queued, 1);
  CHECK_EQ(si.dropped, 0);

  host_killed = 1;   // a read that would block returns -1 once killed
  CHECK_EQ(sock_read(a, (uint64)f.b, 0), 0);
  sock_read(b, (uint64)f.b, 1);
  CHECK_EQ(sock_read(b, (uint64)f.b, 1), -1);
  host_killed = 0;
  sock_close(a);   // frees the rest still queued
  sock_close(b);
}

// Until the next hop answers, at most 16 datagrams wait; they are given
// up after a while.  An old address is refreshed while still in use, and
// forgotten if the refresh goes unanswered.
static void
test_arp_hold_and_expiry(void)
{
  struct sock *s = sock_alloc(SOCK_UDP);
  uint64 asked = netstats.arp_requests_sent;
  struct frame f;
  int ok = 0;

  for(int i = 0; i < 20; i++)
    ok += sock_sendto(s, (uint64)"wait", 4, 0x0a000207, 9) == 4;
  CHECK_EQ(ok, 16);
  CHECK_EQ(netstats.arp_requests_sent, asked + 1);
  sent();   // the request
  ticks += 10 * TICK_HZ;
  arp_expire();
  CHECK_EQ(netstats.mbufs_in_use, 0);
  CHECK_EQ(netstats.arp_hold_drops, 20);

  ticks += 291 * TICK_HZ;   // 301 s after 10.0.2.2 was learned: due for a
                            // refresh, but still used meanwhile
  CHECK_EQ(sock_sendto(s, (uint64)"old", 3, PEER_IP, 9), 3);
  CHECK(netstats.arp_requests_sent == asked + 2 && host_nsent() == 2);
  f = sent();
  CHECK(get16(f.b + 12) == 0x0806 && get32(f.b + 14 + 24) == PEER_IP);
  f = sent();
  check_ipv4_out(&f, 17);

  ticks += 10 * TICK_HZ;    // nobody answered: forgotten, so asked again
  CHECK_EQ(sock_sendto(s, (uint64)"again", 5, PEER_IP, 9), 5);
  CHECK(netstats.arp_requests_sent == asked + 3 && host_nsent() == 1);
  sent();
  CHECK_EQ(sock_sendto(s, (uint64)"x", 1, 0xffffffff, 9), -1);   // no broadcast
  CHECK_EQ(sock_sendto(s, (uint64)"x", 1, OUR_IP, 9), -1);       // no loopback
  sock_close(s);
  ticks += 10 * TICK_HZ;
  arp_expire();
}

// ---- ARP under concurrency and spoofing.  Each test starts from an empty cache.

#define SPOOF_IP 0x0a000264u   // 10.0.2.100: spoofed on-link sources count up from here
#define SPOOFS   16            // twice the cache's entries

static void
forget_all(void)
{
  ticks += 400 * TICK_HZ;   // past every lifetime
  arp_expire();
}

// ip answers the stack's ARP request.
static void
answer_arp(uint ip)
{
  struct frame f;
  uchar mac[6];

  mac_of(mac, ip);
  arp(&f, our_mac, 2, mac, ip, OUR_IP);
  feed(&f);
}

// The frames sent, all of them broadcast ARP requests for spoofed sources;
// how many.
static int
take_spoof_requests(void)
{
  struct frame f;
  int n = 0, other = 0;

  for(; host_nsent() > 0; n++){
    f = sent();
    other += memcmp(f.b, bcast, 6) != 0 || get16(f.b + 12) != 0x0806 ||
             get32(f.b + 14 + 24) - SPOOF_IP >= 2 * SPOOFS;
  }
  CHECK_EQ(other, 0);
  return n;
}

// n echo requests from the spoofed on-link addresses first, first+1, ...:
// each reply wants a cache entry of its own.
static void
spoofed_pings(uint first, int n)
{
  struct frame f;

  for(int i = 0; i < n; i++){
    ping_from(&f, first + i, 1, i, "spoof", 5);
    feed(&f);
    ticks++;   // one after the other, so that "oldest" means something
  }
}

static struct sock *racer;

static void
send_c(void)
{
  CHECK_EQ(sock_sendto(racer, (uint64)"C", 1, PEER_IP, 9), 1);
}

// Datagrams held for an address leave before any sent to it later: "C" is
// sent, as if by another hart, while "A", the first held one, is on its way.
static void
test_arp_flush_order(void)
{
  struct frame f;
  char order[4] = "";

  forget_all();
  racer = sock_alloc(SOCK_UDP);
  CHECK_EQ(sock_sendto(racer, (uint64)"A", 1, PEER_IP, 9), 1);
  CHECK_EQ(sock_sendto(racer, (uint64)"B", 1, PEER_IP, 9), 1);
  f = sent();
  CHECK(get16(f.b + 12) == 0x0806 && host_nsent() == 0);
  host_tx_hook = send_c;
  answer_arp(PEER_IP);
  CHECK(host_tx_hook == 0);   // C was sent in the middle
  for(int i = 0; i < 3 && host_nsent() > 0; i++){
    f = sent();
    order[i] = check_ipv4_out(&f, 17)[8];
  }
  if(!CHECK(strcmp(order, "ABC") == 0 && host_nsent() == 0))
    printf("  (wire order %s)\n", order);
  sock_close(racer);
}

// Echo requests from many on-link addresses neither lose the datagram that
// waits for the gateway nor push the gateway out of the cache once known;
// replies that find no free entry are dropped and counted, unasked.
static void
test_arp_spoofed_sources(void)
{
  struct sock *s = sock_alloc(SOCK_UDP);
  uint64 asked, full, hits;
  struct frame f;
  int requests;

  forget_all();
  CHECK_EQ(sock_sendto(s, (uint64)"held", 4, PEER_IP, 9), 4);
  sent();   // the request for the gateway
  asked = netstats.arp_requests_sent;
  full = netstats.arp_cache_full;
  spoofed_pings(SPOOF_IP, SPOOFS);
  requests = take_spoof_requests();
  CHECK(requests == netstats.arp_requests_sent - asked && requests < SPOOFS);
  CHECK_EQ(requests + netstats.arp_cache_full - full, SPOOFS);
  answer_arp(PEER_IP);
  f = sent();
  if(!CHECK(f.len > 0 && memcmp(check_ipv4_out(&f, 17) + 8, "held", 4) == 0))
    printf("  (the datagram held for the gateway was lost)\n");

  spoofed_pings(SPOOF_IP + SPOOFS, SPOOFS);
  take_spoof_requests();
  asked = netstats.arp_requests_sent;
  hits = netstats.arp_cache_hits;
  CHECK_EQ(sock_sendto(s, (uint64)"later", 5, PEER_IP, 9), 5);
  if(!CHECK(netstats.arp_requests_sent == asked && netstats.arp_cache_hits == hits + 1))
    printf("  (the gateway was evicted)\n");
  f = sent();
  CHECK(f.len > 0 && memcmp(check_ipv4_out(&f, 17) + 8, "later", 5) == 0);
  sock_close(s);
  forget_all();
}

// ---- The DHCP client's option parser (RFC 2132 layout: code, length, data).

static int
parse(const uchar *opt, uint len, struct dhcp_opts *o)
{
  // A heap copy of exactly len bytes, so that ASan catches a read past it.
  uchar *copy = malloc(len ? len : 1);
  int r;

  memcpy(copy, opt, len);
  r = dhcp_parse(copy, len, o);
  free(copy);
  return r;
}

static void
test_dhcp_parse(void)
{
  static const uchar full[] = {
    53, 1, 5,                          // ACK
    0, 0,                              // pads
    54, 4, 10, 0, 2, 2,                // server
    1, 4, 255, 255, 255, 0,            // mask
    3, 8, 10, 0, 2, 2, 10, 0, 2, 9,    // two routers: the first counts
    6, 4, 10, 0, 2, 103,               // DNS
    12, 3, 'x', 'v', '6',              // a host name: skipped
    51, 4, 0, 1, 0x51, 0x80,           // lease 86400
    58, 4, 0, 0, 0, 30, 59, 4, 0, 0, 0, 50,
    255, 0xde, 0xad,                   // what follows the end is padding
  };
  static const uchar bad[][8] = {
    { 53, 1, 2 },                      // no end
    { 53, 1 },                         // length with no data
    { 53 },                            // code with no length
    { 53, 9, 2, 255 },                 // length past the end
    { 51, 3, 0, 0, 1, 255 },           // lease of 3 bytes
    { 3, 6, 10, 0, 2, 2, 0, 255 },     // router list not in fours
    { 53, 0, 255 },                    // empty message type
    { 53, 1, 0, 255 },                 // message type 0
  };
  static const uint badlen[] = { 3, 2, 1, 4, 6, 8, 3, 4 };
  static const uchar endonly[] = { 255 };
  struct dhcp_opts o;

  CHECK_EQ(parse(full, sizeof(full), &o), 0);
  CHECK_EQ(o.type, 5);
  CHECK_EQ(o.server, PEER_IP);
  CHECK_EQ(o.mask, 0xffffff00u);
  CHECK_EQ(o.router, PEER_IP);
  CHECK_EQ(o.dns, 0x0a000267u);
  CHECK_EQ(o.lease, 86400);
  CHECK_EQ(o.t1, 30);
  CHECK_EQ(o.t2, 50);
  for(uint i = 0; i < sizeof(badlen) / sizeof(badlen[0]); i++)
    CHECK_EQ(parse(bad[i], badlen[i], &o), -1);
  CHECK(parse(endonly, 1, &o) == 0 && o.type == 0 && o.lease == 0);
  CHECK_EQ(parse(endonly, 0, &o), -1);
  // The interface keeps its static address until a lease is ACKed.
  CHECK_EQ(NET_IPADDR, OUR_IP);
  CHECK_EQ(NET_NETMASK, 0xffffff00u);
}

int
main(void)
{
  net_start(our_mac);
  test_arp_reply();
  test_ping_reply();
  test_udp_in();
  test_udp_out();
  test_malformed();
  test_truncations();
  test_queue_limit();
  test_arp_hold_and_expiry();
  test_arp_flush_order();
  test_arp_spoofed_sources();
  test_dhcp_parse();
  CHECK_EQ(host_nsent(), 0);
  CHECK_EQ(netstats.mbufs_in_use, 0);
  CHECK_EQ(host_pages, 0);
  printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}
