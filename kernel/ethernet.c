// ethernet.c: the interface (card, address, counters) and Ethernet II framing.
#include "net.h"

struct netstats netstats;
const struct netdev *net_dev;
uchar net_mac[ETH_ALEN];
int net_present;
struct net_config net_config = { NET_STATIC_IPADDR, NET_STATIC_NETMASK };

static const uchar bcast_mac[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

// Called by the driver once the device can send and receive.
void
net_start(const uchar *mac)
{
  arp_init();
  sock_init();
  memmove(net_mac, mac, ETH_ALEN);
  dhcp_start();
  net_present = 1;
}

void
net_drop(struct mbuf *m, uint64 *why)
{
  __atomic_fetch_add(why, 1, __ATOMIC_RELAXED);
  mbuf_free(m);
}

// ---- Ethernet II.

static int
for_us(const uchar *dst)
{
  return memcmp(dst, net_mac, ETH_ALEN) == 0 || memcmp(dst, bcast_mac, ETH_ALEN) == 0;
}

// A frame from the driver.  The e1000 filters by address already (its
// receive address registers); virtio-net without a control queue filters
// nothing (virtio_net.c), so the check here is what drops others' frames.
void
eth_input(struct mbuf *m)
{
  struct eth_hdr *eh;

  netstat_inc(rx_packets);
  netstat_add(rx_bytes, m->len);
  if(net_tracing)
    net_trace("RX", m);
  eh = (struct eth_hdr *)mbuf_pull(m, ETH_HDRLEN);
  if(eh == 0)
    net_drop(m, &netstats.eth_rx_runt);
  else if(!for_us(eh->dst))
    net_drop(m, &netstats.eth_rx_not_ours);
  else if(ntohs(eh->type) == ETH_TYPE_IP)
    ip_input(m);
  else if(ntohs(eh->type) == ETH_TYPE_ARP)
    arp_input(m);
  else
    net_drop(m, &netstats.eth_rx_bad_type);
}

// Frame m's payload for dst and hand it to the driver.  A dst of 0 means
// broadcast.
int
eth_output(struct mbuf *m, const uchar *dst, ushort type)
{
  struct eth_hdr *eh;
  char *pad;
  uint short_by, len;

  eh = (struct eth_hdr *)mbuf_push(m, ETH_HDRLEN);
  if(eh == 0 || !net_present){
    mbuf_free(m);
    return -1;
  }
  memmove(eh->dst, dst ? dst : bcast_mac, ETH_ALEN);
  memmove(eh->src, net_mac, ETH_ALEN);
  eh->type = htons(type);
  // Pad here rather than trust TCTL.PSP, so that short frames leave at the
  // legal minimum whatever the device (or the host shim) does.
  if(m->len < ETH_MINFRAME){
    short_by = ETH_MINFRAME - m->len;
    if((pad = mbuf_put(m, short_by)) != 0)
      memset(pad, 0, short_by);
  }
  if(net_tracing)
    net_trace("TX", m);
  len = m->len;   // once the driver has m, it may free it at any moment
  if(net_dev->transmit(m) < 0){
    net_drop(m, &netstats.tx_ring_full);
    return -1;
  }
  netstat_inc(tx_packets);
  netstat_add(tx_bytes, len);
  return 0;
}
