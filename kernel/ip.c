// ip.c: IPv4 input checks and dispatch, output with routing, and the Internet checksum.
#include "net.h"

static uint next_id;   // identification of the next datagram we send

typedef uint __attribute__((may_alias)) word32;

// Add len bytes of data, as big-endian 16-bit words, to a running sum.
// Callers keep every piece but the last one even-sized.  From an even
// address on, 32-bit words at a time: a one's-complement sum does not
// depend on byte order (RFC 1071 2(B)), so the little-endian words are
// summed as they are, folded to 16 bits and swapped once at the end.
// Under QEMU a word costs about what a byte does, and TCP sums every byte.
static uint
in_cksum_add(const void *data, uint len, uint sum)
{
  const uchar *p = data;
  uint64 le = 0;

  if(((uint64)p & 1) == 0){
    if(((uint64)p & 2) && len >= 2){
      sum += (p[0] << 8) | p[1];
      p += 2, len -= 2;
    }
    for(; len >= 4; p += 4, len -= 4)
      le += *(const word32 *)p;
    while(le >> 16)
      le = (le & 0xffff) + (le >> 16);
    sum += ((le & 0xff) << 8) | (le >> 8);
  }
  for(; len > 1; p += 2, len -= 2)
    sum += (p[0] << 8) | p[1];
  if(len)
    sum += p[0] << 8;
  return sum;
}

// The Internet checksum (RFC 1071) of data after a running sum, in host
// order.  It is 0 over data that already hold a correct checksum.
ushort
in_cksum(const void *data, uint len, uint sum)
{
  sum = in_cksum_add(data, len, sum);
  while(sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

// The counter that says why datagram m must be dropped, or 0 if it is
// good.  On success m has lost its Ethernet padding.
static uint64 *
ip_check(struct mbuf *m)
{
  struct ip_hdr *ip = (struct ip_hdr *)m->head;
  uint hlen, len, dst;

  if(m->len < IP_HDRLEN || (ip->vhl >> 4) != IP_VERSION)
    return &netstats.ip_rx_bad_header;
  hlen = (ip->vhl & 0xf) * 4;
  if(hlen < IP_HDRLEN || hlen > m->len)
    return &netstats.ip_rx_bad_header;
  len = ntohs(ip->len);
  if(len < hlen || len > m->len)
    return &netstats.ip_rx_bad_length;
  mbuf_trim(m, m->len - len);
  if(in_cksum(ip, hlen, 0) != 0)
    return &netstats.ip_rx_bad_checksum;
  dst = ntohl(ip->dst);
  if(dst != NET_IPADDR && dst != NET_BCAST && dst != IP_BCAST)
    return &netstats.ip_rx_not_ours;
  // Reassembly is not worth its memory here: nothing we talk to fragments.
  if(ntohs(ip->off) & (IP_FLAG_MF | IP_OFFMASK))
    return &netstats.ip_rx_fragments;
  if(ip->proto != IP_PROTO_UDP && ip->proto != IP_PROTO_ICMP && ip->proto != IP_PROTO_TCP)
    return &netstats.ip_rx_bad_proto;
  return 0;
}

void
ip_input(struct mbuf *m)
{
  struct ip_hdr *ip = (struct ip_hdr *)m->head;
  uint64 *why;

  netstat_inc(ip_rx_packets);
  if((why = ip_check(m)) != 0){
    net_drop(m, why);
    return;
  }
  // Options, if any, are skipped along with the header.
  mbuf_pull(m, (ip->vhl & 0xf) * 4);
  if(ip->proto == IP_PROTO_UDP)
    udp_input(m, ip);
  else if(ip->proto == IP_PROTO_TCP)
    tcp_input(m, ip);
  else
    icmp_input(m, ip);
}

// Can we send to dst?  Only to one unicast host: we have no loopback, and
// broadcast or multicast would need no ARP and a different policy.
static int
ip_unicast(uint dst)
{
  return dst != 0 && dst != NET_IPADDR && dst != NET_BCAST &&
         (dst >> 24) != 127 &&            // loopback
         (dst >> 28) < 0xE;               // multicast and reserved
}

// Hosts on our subnet are reached directly, all others via the gateway.
static uint
ip_nexthop(uint dst)
{
  if((dst & NET_NETMASK) == (NET_IPADDR & NET_NETMASK))
    return dst;
  return NET_GATEWAY;
}

// Prepend an IPv4 header from us to dst; -1 (m freed) if m is too long
// for one datagram or there is no room.
static int
ip_push(struct mbuf *m, uchar proto, uint dst)
{
  struct ip_hdr *ip;

  if(m->len > ETH_MTU - IP_HDRLEN){
    net_drop(m, &netstats.ip_tx_refused);
    return -1;
  }
  if((ip = (struct ip_hdr *)mbuf_push(m, IP_HDRLEN)) == 0){
    mbuf_free(m);
    return -1;
  }
  ip->vhl = (IP_VERSION << 4) | (IP_HDRLEN / 4);
  ip->tos = 0;
  ip->len = htons(m->len);
  ip->id = htons(__atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED));
  ip->off = 0;
  ip->ttl = IP_TTL;
  ip->proto = proto;
  ip->sum = 0;
  ip->src = htonl(NET_IPADDR);
  ip->dst = htonl(dst);
  ip->sum = htons(in_cksum(ip, IP_HDRLEN, 0));
  netstat_inc(ip_tx_packets);
  return 0;
}

// Prepend an IPv4 header to m (a UDP, TCP or ICMP message) and send it to dst.
int
ip_output(struct mbuf *m, uchar proto, uint dst)
{
  if(!ip_unicast(dst)){
    net_drop(m, &netstats.ip_tx_refused);
    return -1;
  }
  if(ip_push(m, proto, dst) < 0)
    return -1;
  return arp_output(m, ip_nexthop(dst));
}

// Send m to every host on the link.  Only the kernel's DHCP client does:
// ip_output() keeps refusing broadcasts to sockets.
int
ip_broadcast(struct mbuf *m, uchar proto)
{
  if(ip_push(m, proto, IP_BCAST) < 0)
    return -1;
  return eth_output(m, 0, ETH_TYPE_IP);
}
