// ceiling.c: the benchmark's ceiling kernel (`make CEILING=1`): UDP echo answered inside the driver.
//
// `make bench` compares the real stack with a kernel in which every UDP
// datagram for the echo port is turned round in the receive loop itself:
// the addresses and ports are swapped and the very buffer that arrived is
// queued for sending.  No protocol layer, socket, process or copy is
// involved, so what that kernel achieves is what QEMU's card (either one) and
// its user-mode network allow on this machine.  Swapping two fields changes
// no one's-complement sum, so both checksums stay valid as they are.
//
// The link (`make CEILING=1`: ld --wrap=eth_input) turns the drivers'
// calls of eth_input() into calls of __wrap_eth_input() below, which offers
// every received frame here first; a normal build does not even compile
// this, and no other source mentions it.  The frame comes straight from the
// driver's receive loop: nothing has run on it yet.
#include "net.h"

#define CEILING_PORT 2000    // where `make bench` runs udpecho

static void
swap_bytes(void *a, void *b, uint n)
{
  uchar *x = a, *y = b, t;

  for(uint i = 0; i < n; i++){
    t = x[i];
    x[i] = y[i];
    y[i] = t;
  }
}

// The UDP header of frame m if it is an option-less IPv4 datagram for
// CEILING_PORT, else 0.  Lengths and checksums are the far end's business:
// a bad frame bounces back bad.
static struct udp_hdr *
echo_frame(struct mbuf *m)
{
  struct eth_hdr *eh = (struct eth_hdr *)m->head;
  struct ip_hdr *ip = (struct ip_hdr *)(eh + 1);
  struct udp_hdr *uh = (struct udp_hdr *)(ip + 1);

  if(m->len < ETH_HDRLEN + IP_HDRLEN + UDP_HDRLEN ||
     ntohs(eh->type) != ETH_TYPE_IP ||
     ip->vhl != ((IP_VERSION << 4) | (IP_HDRLEN / 4)) ||
     ip->proto != IP_PROTO_UDP || ntohs(uh->dport) != CEILING_PORT)
    return 0;
  return uh;
}

// Bounce an echo frame straight back and return 1; 0 leaves any other
// frame to the stack.
static int
echo_ceiling(struct mbuf *m)
{
  struct eth_hdr *eh = (struct eth_hdr *)m->head;
  struct ip_hdr *ip = (struct ip_hdr *)(eh + 1);
  struct udp_hdr *uh = echo_frame(m);

  if(uh == 0)
    return 0;
  swap_bytes(eh->dst, eh->src, ETH_ALEN);
  swap_bytes(&ip->src, &ip->dst, sizeof(ip->src));
  swap_bytes(&uh->sport, &uh->dport, sizeof(uh->sport));
  if(net_dev->transmit(m) < 0)
    net_drop(m, &netstats.tx_ring_full);
  return 1;
}

void __real_eth_input(struct mbuf *m);
void __wrap_eth_input(struct mbuf *m);

// What the drivers' eth_input() calls reach in the ceiling kernel.
void
__wrap_eth_input(struct mbuf *m)
{
  if(!echo_ceiling(m))
    __real_eth_input(m);
}
