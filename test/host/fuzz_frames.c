// fuzz_frames.c: libFuzzer target: any bytes as a received frame, then the packet path's invariants (no leak, sane output).
//
// Build and run with `make -C test/host fuzz RUNS=N` (clang, with ASan and
// UBSan).  Each input is one frame as the driver would hand it to
// eth_input().  Afterwards every frame the stack sent must be well formed,
// the sockets are drained, time moves on so that ARP gives up what it held,
// and then no mbuf and no page may be left over.
#include "hostnet.h"
#include <stdint.h>
#include <stdlib.h>

#define MAXFRAME   2048               // the driver's receive buffer size
#define PEER_IP    0x0a000202u        // 10.0.2.2
#define ECHO_PORT  7
#define ECHO_ID    0x4242             // an ICMP socket's identifier
#define GIVEUP_TICKS (6 * TICK_HZ)    // past ARP's give-up time for held datagrams

static const uchar our_mac[ETH_ALEN]  = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uchar peer_mac[ETH_ALEN] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static struct sock *udp_sock, *icmp_sock;

static void
fail(const char *why)
{
  fprintf(stderr, "fuzz_frames: %s\n", why);
  abort();
}

static void
feed(const void *data, size_t n)
{
  struct mbuf *m = mbuf_alloc();

  memcpy(mbuf_put(m, n), data, n);
  eth_input(m);
}

static uint
be16(const uchar *p)
{
  return p[0] << 8 | p[1];
}

// A frame the stack sent: the right size, from us, and if IPv4 then with
// a correct header checksum and a length that fits the frame.
static void
check_sent(struct mbuf *m)
{
  const uchar *p = (const uchar *)m->head;
  uint hlen;

  if(m->len < ETH_MINFRAME || m->len > ETH_HDRLEN + ETH_MTU)
    fail("sent a frame of a bad size");
  if(memcmp(p + ETH_ALEN, our_mac, ETH_ALEN) != 0)
    fail("sent a frame from another MAC");
  if(be16(p + 12) == ETH_TYPE_IP){
    hlen = (p[ETH_HDRLEN] & 0xf) * 4;
    if(hlen != IP_HDRLEN || in_cksum(p + ETH_HDRLEN, hlen, 0) != 0)
      fail("sent an IPv4 header that is malformed or has a bad checksum");
    if(ETH_HDRLEN + be16(p + ETH_HDRLEN + 2) > m->len)
      fail("sent an IPv4 total length past the frame");
  } else if(be16(p + 12) != ETH_TYPE_ARP) {
    fail("sent a frame that is neither IPv4 nor ARP");
  }
}

static void
drain_sent(void)
{
  struct mbuf *m;

  while((m = host_sent()) != 0){
    check_sent(m);
    mbuf_free(m);
  }
}

static void
drain_socket(struct sock *s)
{
  static char buf[MAXFRAME];
  struct sockinfo si;

  for(sock_info(s, &si); si.queued > 0; sock_info(s, &si))
    if(sock_recvfrom(s, (uint64)buf, sizeof(buf), 0, 0) < 0)
      fail("a queued datagram could not be read");
}

// Make sure 10.0.2.2 is resolved, at its real MAC and fresh: send to it
// (which asks for it if need be) and feed its ARP reply.  An input may have
// changed its MAC, or pushed it out of the cache.
static void
resolve_peer(void)
{
  uchar reply[ETH_HDRLEN + sizeof(struct arp_pkt)];
  struct arp_pkt *ap = (struct arp_pkt *)(reply + ETH_HDRLEN);

  sock_sendto(udp_sock, (uint64)"x", 1, PEER_IP, 9);
  memcpy(reply, our_mac, ETH_ALEN);
  memcpy(reply + ETH_ALEN, peer_mac, ETH_ALEN);
  reply[12] = ETH_TYPE_ARP >> 8;
  reply[13] = ETH_TYPE_ARP & 0xff;
  ap->hrd = htons(ARP_HRD_ETHER);
  ap->pro = htons(ETH_TYPE_IP);
  ap->hln = ETH_ALEN;
  ap->pln = sizeof(ap->sip);
  ap->op = htons(ARP_OP_REPLY);
  memcpy(ap->sha, peer_mac, ETH_ALEN);
  ap->sip = htonl(PEER_IP);
  memcpy(ap->tha, our_mac, ETH_ALEN);
  ap->tip = htonl(NET_IPADDR);
  feed(reply, sizeof(reply));
  drain_sent();
}

// The stack as a test peer finds it: tracing on, sockets bound.
static void
setup(void)
{
  if(freopen("/dev/null", "w", stdout) == 0)   // the trace is exercised, not read
    fail("no /dev/null");
  net_start(our_mac);
  net_tracing = 1;
  udp_sock = sock_alloc(SOCK_UDP);
  icmp_sock = sock_alloc(SOCK_ICMP);
  if(sock_bind(udp_sock, ECHO_PORT) != ECHO_PORT || sock_bind(icmp_sock, ECHO_ID) != ECHO_ID)
    fail("cannot bind");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static int ready;

  if(!ready){
    setup();
    ready = 1;
  }
  if(size == 0 || size > MAXFRAME)
    return 0;
  feed(data, size);
  drain_sent();
  drain_socket(udp_sock);
  drain_socket(icmp_sock);
  // Whatever waits on an address that never answers is given up in time.
  ticks += GIVEUP_TICKS;
  arp_expire();
  drain_sent();
  resolve_peer();
  if(netstats.mbufs_in_use != 0 || host_pages != 0)
    fail("an mbuf or a page leaked");
  return 0;
}
