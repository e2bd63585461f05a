// netinfo.c: what the interface tells about itself: netinfo()'s counters by name, and the console trace of every frame.
#include "net.h"

int net_tracing;

// ---- netinfo(): every counter, by name, in NETSTATS order.

#define NETSTAT_CHECK(name) \
  _Static_assert(sizeof(#name) <= NETINFO_NAMELEN, #name " is too long");
NETSTATS(NETSTAT_CHECK)
// One slot is left for free_pages, which sysnet.c adds.
_Static_assert(sizeof(struct netstats) / sizeof(uint64) < NETINFO_MAXCOUNTERS,
               "too many counters for struct netinfo");

static const struct {
  const char *name;
  uint64 *value;
} counters[] = {
#define NETSTAT_ENTRY(name) { #name, &netstats.name },
  NETSTATS(NETSTAT_ENTRY)
#undef NETSTAT_ENTRY
};

// A name into a zeroed NETINFO_NAMELEN field, cut short if need be.
static void
copy_name(char *dst, const char *name)
{
  for(int i = 0; i < NETINFO_NAMELEN - 1 && name[i]; i++)
    dst[i] = name[i];
}

// Append one named value; silently full at NETINFO_MAXCOUNTERS.
void
netinfo_add(struct netinfo *ni, const char *name, uint64 value)
{
  struct netcounter *c;

  if(ni->ncounters >= NETINFO_MAXCOUNTERS)
    return;
  c = &ni->counters[ni->ncounters++];
  memset(c->name, 0, sizeof(c->name));
  copy_name(c->name, name);
  c->value = value;
}

void
net_fillinfo(struct netinfo *ni)
{
  uint i;

  memset(ni, 0, sizeof(*ni));
  memmove(ni->mac, net_mac, ETH_ALEN);
  ni->ipaddr = NET_IPADDR;
  ni->netmask = NET_NETMASK;
  ni->gateway = NET_GATEWAY;
  ni->present = net_present;
  dhcp_fillinfo(&ni->lease);
  if(net_present)
    copy_name(ni->card, net_dev->name);
  for(i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
    netinfo_add(ni, counters[i].name,
                __atomic_load_n(counters[i].value, __ATOMIC_RELAXED));
}

// ---- Trace: one console line per frame (nettrace), from eth_input() and
// eth_output().  A received frame has not been checked yet, so every
// header is bounds-checked before it is read.

#define IPFMT "%d.%d.%d.%d"
#define IPARGS(a) \
  (int)((a) >> 24), (int)(((a) >> 16) & 0xff), (int)(((a) >> 8) & 0xff), (int)((a) & 0xff)

static void
trace_ip(const char *dir, uint flen, const char *p, uint len)
{
  const struct ip_hdr *ip = (const struct ip_hdr *)p;
  uint hlen, src, dst;

  if(len < IP_HDRLEN || (hlen = (ip->vhl & 0xf) * 4) < IP_HDRLEN || hlen > len){
    printf("%s: %s %d bytes IPv4 malformed\n", net_dev->name, dir, flen);
    return;
  }
  src = ntohl(ip->src);
  dst = ntohl(ip->dst);
  p += hlen;
  len -= hlen;
  if(ip->proto == IP_PROTO_UDP && len >= UDP_HDRLEN){
    const struct udp_hdr *uh = (const struct udp_hdr *)p;
    printf("%s: %s %d bytes IPv4 UDP " IPFMT ":%d -> " IPFMT ":%d\n", net_dev->name, dir, flen,
           IPARGS(src), ntohs(uh->sport), IPARGS(dst), ntohs(uh->dport));
  } else if(ip->proto == IP_PROTO_ICMP && len >= ICMP_HDRLEN &&
            (p[0] == ICMP_ECHO || p[0] == ICMP_ECHOREPLY)){
    const struct icmp_echo *ic = (const struct icmp_echo *)p;
    printf("%s: %s %d bytes IPv4 ICMP echo %s " IPFMT " -> " IPFMT " id %d seq %d\n",
           net_dev->name, dir, flen, ic->type == ICMP_ECHO ? "request" : "reply",
           IPARGS(src), IPARGS(dst), ntohs(ic->id), ntohs(ic->seq));
  } else {
    printf("%s: %s %d bytes IPv4 proto %d " IPFMT " -> " IPFMT "\n",
           net_dev->name, dir, flen, ip->proto, IPARGS(src), IPARGS(dst));
  }
}

static void
trace_arp(const char *dir, uint flen, const char *p, uint len)
{
  const struct arp_pkt *ap = (const struct arp_pkt *)p;
  uint op;

  if(len < sizeof(*ap)){
    printf("%s: %s %d bytes ARP malformed\n", net_dev->name, dir, flen);
    return;
  }
  op = ntohs(ap->op);
  printf("%s: %s %d bytes ARP %s " IPFMT " -> " IPFMT "\n", net_dev->name, dir, flen,
         op == ARP_OP_REQUEST ? "request" : op == ARP_OP_REPLY ? "reply" : "other",
         IPARGS(ntohl(ap->sip)), IPARGS(ntohl(ap->tip)));
}

void
net_trace(const char *dir, struct mbuf *m)
{
  const struct eth_hdr *eh = (const struct eth_hdr *)m->head;
  const char *payload = m->head + ETH_HDRLEN;
  uint type;

  if(m->len < ETH_HDRLEN){
    printf("%s: %s %d bytes runt\n", net_dev->name, dir, m->len);
    return;
  }
  type = ntohs(eh->type);
  if(type == ETH_TYPE_IP)
    trace_ip(dir, m->len, payload, m->len - ETH_HDRLEN);
  else if(type == ETH_TYPE_ARP)
    trace_arp(dir, m->len, payload, m->len - ETH_HDRLEN);
  else
    printf("%s: %s %d bytes type 0x%x\n", net_dev->name, dir, m->len, type);
}
