// udp.c: UDP datagrams: checks and demultiplexing on input, headers and checksum on output.
#include "net.h"

// The part of the UDP checksum that covers the IPv4 pseudo-header.
static uint
pseudo_sum(uint src, uint dst, uint len)
{
  return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
         IP_PROTO_UDP + len;
}

// The counter that says why datagram m must be dropped, or 0 if it is good.
static uint64 *
udp_check(struct mbuf *m, struct ip_hdr *ip)
{
  struct udp_hdr *uh = (struct udp_hdr *)m->head;

  // A UDP length that disagrees with IPv4's marks a broken or forged datagram.
  if(m->len < UDP_HDRLEN || ntohs(uh->len) != m->len)
    return &netstats.udp_rx_bad_length;
  if(uh->sum != 0 &&
     in_cksum(uh, m->len, pseudo_sum(ntohl(ip->src), ntohl(ip->dst), m->len)) != 0)
    return &netstats.udp_rx_bad_checksum;
  return 0;
}

// A datagram from ip_input(); ip is its (already checked) IPv4 header.
void
udp_input(struct mbuf *m, struct ip_hdr *ip)
{
  struct udp_hdr *uh = (struct udp_hdr *)m->head;
  uint64 *why;

  if((why = udp_check(m, ip)) != 0){
    net_drop(m, why);
    return;
  }
  netstat_inc(udp_rx_packets);
  m->raddr = ntohl(ip->src);
  m->rport = ntohs(uh->sport);
  mbuf_pull(m, UDP_HDRLEN);
  if(ntohs(uh->dport) == DHCP_CLIENT_PORT)   // the kernel's client, never a socket
    dhcp_input(m);
  else if(sock_deliver(SOCK_UDP, ntohs(uh->dport), m) < 0)
    netstat_inc(udp_rx_no_port);
}

// Prepend a UDP header from our port sport to dst:dport; -1 (m freed) if
// the data do not fit.
static int
udp_push(struct mbuf *m, ushort sport, uint dst, ushort dport)
{
  struct udp_hdr *uh;
  ushort sum;

  if(m->len > UDP_MAXDATA || (uh = (struct udp_hdr *)mbuf_push(m, UDP_HDRLEN)) == 0){
    mbuf_free(m);
    return -1;
  }
  uh->sport = htons(sport);
  uh->dport = htons(dport);
  uh->len = htons(m->len);
  uh->sum = 0;
  sum = in_cksum(uh, m->len, pseudo_sum(NET_IPADDR, dst, m->len));
  uh->sum = htons(sum ? sum : 0xffff);   // 0 would mean "no checksum"
  netstat_inc(udp_tx_packets);
  return 0;
}

// Send the data in m from our port sport to dst:dport.
int
udp_output(struct mbuf *m, ushort sport, uint dst, ushort dport)
{
  if(udp_push(m, sport, dst, dport) < 0)
    return -1;
  return ip_output(m, IP_PROTO_UDP, dst);
}

int
udp_broadcast(struct mbuf *m, ushort sport, ushort dport)
{
  if(udp_push(m, sport, IP_BCAST, dport) < 0)
    return -1;
  return ip_broadcast(m, IP_PROTO_UDP);
}
