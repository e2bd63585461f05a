// icmp.c: ICMP echo: answer pings to us, send pings for sockets, route their replies.
#include "net.h"

// Answer the echo request in m, in place, to src.
static void
icmp_reply(struct mbuf *m, uint src)
{
  struct icmp_echo *ic = (struct icmp_echo *)m->head;

  ic->type = ICMP_ECHOREPLY;
  ic->sum = 0;
  ic->sum = htons(in_cksum(m->head, m->len, 0));
  if(ip_output(m, IP_PROTO_ICMP, src) == 0)
    netstat_inc(icmp_echo_replies_sent);
}

// Queue the echo reply in m for the socket whose identifier it carries.
// The socket reads the IPv4 header too (ping prints the TTL), so it is put
// back in front of the message; ip_input left it in the buffer.
static void
icmp_deliver(struct mbuf *m, struct ip_hdr *ip)
{
  ushort id = ntohs(((struct icmp_echo *)m->head)->id);

  m->raddr = ntohl(ip->src);
  m->rport = 0;
  mbuf_push(m, (ip->vhl & 0xf) * 4);
  if(sock_deliver(SOCK_ICMP, id, m) < 0)
    netstat_inc(icmp_rx_no_sock);
  else
    netstat_inc(icmp_echo_replies_rcvd);
}

// A message from ip_input(); ip is its (already checked) IPv4 header.
void
icmp_input(struct mbuf *m, struct ip_hdr *ip)
{
  struct icmp_echo *ic = (struct icmp_echo *)m->head;

  if(m->len < ICMP_HDRLEN || in_cksum(m->head, m->len, 0) != 0){
    net_drop(m, &netstats.icmp_rx_bad);
  } else if(ic->type == ICMP_ECHO && ic->code == 0 && ntohl(ip->dst) == NET_IPADDR){
    netstat_inc(icmp_echo_requests);
    icmp_reply(m, ntohl(ip->src));
  } else if(ic->type == ICMP_ECHOREPLY && ic->code == 0){
    icmp_deliver(m, ip);
  } else {
    net_drop(m, &netstats.icmp_rx_other);   // other types, broadcast pings
  }
}

// Send the echo message in m (header and data from the user) to dst as an
// echo request with identifier id; the user chose the sequence number.
int
icmp_output_echo(struct mbuf *m, ushort id, uint dst)
{
  struct icmp_echo *ic = (struct icmp_echo *)m->head;

  if(m->len < ICMP_HDRLEN || m->len > ICMP_MAXMSG){
    mbuf_free(m);
    return -1;
  }
  ic->type = ICMP_ECHO;
  ic->code = 0;
  ic->id = htons(id);
  ic->sum = 0;
  ic->sum = htons(in_cksum(m->head, m->len, 0));
  netstat_inc(icmp_tx_requests);
  return ip_output(m, IP_PROTO_ICMP, dst);
}
