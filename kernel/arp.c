// arp.c: IPv4-to-Ethernet address resolution (RFC 826) with a small cache.
#include "net.h"

#define ARP_NENTRY   8                  // the gateway (slot 0) and a few peers
#define ARP_LIFETIME (300 * TICK_HZ)    // trust a learned address this long
#define ARP_RETRY    (1 * TICK_HZ)      // ask again if unanswered after this
#define ARP_GIVEUP   (5 * TICK_HZ)      // then forget the address

// Datagrams kept while an address resolves, at most one page each.  Enough
// for one datagram from each of a group of processes that start talking at
// once (nettests' multiprocess starts 10); with 4, six of them failed.
#define ARP_HOLD_MAX 16

// Room in the cache.  Anyone on the link can make us want an entry: a
// spoofed ping (or datagram to an echo server) from a made-up on-link
// address needs one for its reply.  So no entry is ever taken away to make
// room: one ends only by expiring (arp_sweep), which gives what waits on it
// its full ARP_GIVEUP and counts it when it goes.  The gateway, through
// which everything but those replies passes, has slot 0 to itself, so it
// always finds room; a datagram to any other address that finds no free
// slot is dropped and counted (arp_cache_full), without asking.  Pings from
// other on-link sources are still answered (RFC 1122): this rule also covers
// replies from UDP servers, which no ICMP-only rule would.
#define GATEWAY_SLOT 0

enum arpstate { ARP_FREE, ARP_PENDING, ARP_RESOLVED };

// Held datagrams leave in order, before any sent to the same address after
// them.  Once the address is learned, one "flusher" sends them outside
// arplock (eth_output calls into the driver); the entry stays `flushing`
// until its queue is empty, and meanwhile new datagrams for it join the
// queue instead of overtaking it on the fast path.
struct arpentry {
  enum arpstate state;
  uint ip;
  uchar mac[ETH_ALEN];  // RESOLVED
  uint since;           // when learned (RESOLVED) or first asked (PENDING)
  uint asked;           // when the last request went out
  int flushing;         // RESOLVED: a flusher is sending held
  int pinned;           // RESOLVED by arp_pin(): the wire and time leave it alone
  struct mbufq held;    // datagrams waiting: PENDING, or RESOLVED and flushing
};

static struct spinlock arplock;
static struct arpentry cache[ARP_NENTRY];

void
arp_init(void)
{
  initlock(&arplock, "arp");
  for(int i = 0; i < ARP_NENTRY; i++)
    mbufq_init(&cache[i].held);
}

static int
older_than(uint since, uint age)
{
  return (uint)(ticks - since) >= age;
}

// Forget e, dropping whatever still waits on it.  Caller holds arplock.
static void
arp_forget(struct arpentry *e)
{
  netstat_add(arp_hold_drops, e->held.len);
  mbufq_freeall(&e->held);
  e->state = ARP_FREE;
}

// Forget addresses that went unconfirmed for too long; a flushing entry is
// in use, and its flusher holds on to it.  Caller holds arplock.
static void
arp_sweep(void)
{
  struct arpentry *e;

  for(e = cache; e < cache + ARP_NENTRY; e++){
    if((e->state == ARP_RESOLVED && !e->flushing && !e->pinned &&
        older_than(e->since, ARP_LIFETIME + ARP_GIVEUP)) ||
       (e->state == ARP_PENDING && older_than(e->since, ARP_GIVEUP)))
      arp_forget(e);
  }
}

void
arp_expire(void)
{
  acquire(&arplock);
  arp_sweep();
  release(&arplock);
}

static struct arpentry *
arp_lookup(uint ip)
{
  struct arpentry *e;

  for(e = cache; e < cache + ARP_NENTRY; e++)
    if(e->state != ARP_FREE && e->ip == ip)
      return e;
  return 0;
}

// A new, pending entry for ip, which has none; 0 if no slot is free (see
// "Room in the cache").  Caller holds arplock.
static struct arpentry *
arp_claim(uint ip)
{
  struct arpentry *e = &cache[GATEWAY_SLOT];

  if(ip != NET_GATEWAY){
    for(e = cache + GATEWAY_SLOT + 1; e < cache + ARP_NENTRY; e++)
      if(e->state == ARP_FREE)
        break;
    if(e == cache + ARP_NENTRY)
      return 0;
  }
  e->state = ARP_PENDING;
  e->ip = ip;
  e->since = ticks;
  e->asked = ticks;
  return e;
}

// Fill in an ARP packet from us; tha may be 0 (unknown, in a request).
static void
arp_fill(struct arp_pkt *ap, ushort op, const uchar *tha, uint tip)
{
  ap->hrd = htons(ARP_HRD_ETHER);
  ap->pro = htons(ETH_TYPE_IP);
  ap->hln = ETH_ALEN;
  ap->pln = sizeof(ap->sip);
  ap->op = htons(op);
  memmove(ap->sha, net_mac, ETH_ALEN);
  ap->sip = htonl(NET_IPADDR);
  if(tha)
    memmove(ap->tha, tha, ETH_ALEN);
  else
    memset(ap->tha, 0, ETH_ALEN);
  ap->tip = htonl(tip);
}

// Broadcast "who has ip?".
static void
arp_request(uint ip)
{
  struct mbuf *m = mbuf_alloc();
  struct arp_pkt *ap;

  if(m == 0){
    netstat_inc(tx_no_mbuf);
    return;
  }
  ap = (struct arp_pkt *)mbuf_put(m, sizeof(*ap));
  arp_fill(ap, ARP_OP_REQUEST, 0, ip);
  if(eth_output(m, 0, ETH_TYPE_ARP) == 0)
    netstat_inc(arp_requests_sent);
}

// Send m, an IPv4 datagram, to the host at ip on our link.  Until ip is
// resolved, and until what waited for it has gone, m waits in the cache
// entry; it never goes to the broadcast MAC.  An address past its lifetime
// is still used while we ask for it again, so that traffic never stalls on
// a refresh.
int
arp_output(struct mbuf *m, uint ip)
{
  struct arpentry *e;
  uchar mac[ETH_ALEN];
  uint64 *dropped = 0;
  int ask = 0;

  acquire(&arplock);
  arp_sweep();
  e = arp_lookup(ip);
  if(e && e->state == ARP_RESOLVED && !e->flushing){
    if(!e->pinned && older_than(e->since, ARP_LIFETIME) && older_than(e->asked, ARP_RETRY)){
      e->asked = ticks;
      ask = 1;
    }
    memmove(mac, e->mac, ETH_ALEN);
    release(&arplock);
    netstat_inc(arp_cache_hits);
    if(ask)
      arp_request(ip);
    return eth_output(m, mac, ETH_TYPE_IP);
  }
  if(e == 0){
    e = arp_claim(ip);
    ask = e != 0;
  } else if(e->state == ARP_PENDING && older_than(e->asked, ARP_RETRY)){
    e->asked = ticks;
    ask = 1;
  }
  if(e == 0)
    dropped = &netstats.arp_cache_full;
  else if(e->held.len >= ARP_HOLD_MAX)
    dropped = &netstats.arp_hold_drops;
  else
    mbufq_pushtail(&e->held, m);
  release(&arplock);

  if(ask)
    arp_request(ip);
  if(dropped){
    net_drop(m, dropped);
    return -1;
  }
  netstat_inc(arp_held);
  return 0;
}

// e's address is mac, from now on.  Returns e if what was held for it must
// now be sent with arp_flush() (after releasing arplock), else 0.  Caller
// holds arplock.
static struct arpentry *
arp_resolved(struct arpentry *e, const uchar *mac)
{
  memmove(e->mac, mac, ETH_ALEN);
  e->state = ARP_RESOLVED;
  e->since = ticks;
  if(e->held.len == 0 || e->flushing)
    return 0;
  e->flushing = 1;
  return e;
}

// Record that ip is at mac if we were asking or already knew it (RFC 826's
// merge).  Strangers are not added, so ARP traffic takes no room in the
// cache.  Returns the entry whose held datagrams the caller must now send
// with arp_flush(), or 0.
static struct arpentry *
arp_learn(uint ip, const uchar *mac)
{
  struct arpentry *e, *flush = 0;

  acquire(&arplock);
  arp_sweep();
  e = arp_lookup(ip);
  if(e && !e->pinned)
    flush = arp_resolved(e, mac);
  release(&arplock);
  return flush;
}

// Send what waits on e, oldest first, one datagram at a time: taken under
// arplock, sent outside it.  Datagrams that join the queue meanwhile go
// too; only once it is empty may new ones take the fast path.
static void
arp_flush(struct arpentry *e)
{
  struct mbuf *m;
  uchar mac[ETH_ALEN];

  acquire(&arplock);
  while((m = mbufq_pophead(&e->held)) != 0){
    memmove(mac, e->mac, ETH_ALEN);
    release(&arplock);
    eth_output(m, mac, ETH_TYPE_IP);
    acquire(&arplock);
  }
  e->flushing = 0;
  release(&arplock);
}

// A static entry, like Unix's `arp -s`: ip is at mac whatever the wire
// says, and the entry never expires; mac 0 unpins ip, whose entry then ages
// out at once and is asked for again when next used.  nettests' txone pins
// QEMU's gateway, so that a driver whose receive side is not written yet
// can still show that its transmit side works (an ARP reply would need
// e1000_recv()).  -1 if there is no room (see "Room in the cache").
int
arp_pin(uint ip, const uchar *mac)
{
  struct arpentry *e, *flush = 0;

  acquire(&arplock);
  arp_sweep();
  e = arp_lookup(ip);
  if(mac == 0){
    if(e && e->pinned){
      e->pinned = 0;
      e->since = ticks - (ARP_LIFETIME + ARP_GIVEUP);
      arp_sweep();
    }
  } else if(e || (e = arp_claim(ip)) != 0){
    e->pinned = 1;
    flush = arp_resolved(e, mac);
  }
  release(&arplock);
  if(flush)
    arp_flush(flush);
  return (mac == 0 || e != 0) ? 0 : -1;
}

static int
arp_valid(struct mbuf *m)
{
  struct arp_pkt *ap = (struct arp_pkt *)m->head;

  return m->len >= sizeof(*ap) &&
         ntohs(ap->hrd) == ARP_HRD_ETHER && ntohs(ap->pro) == ETH_TYPE_IP &&
         ap->hln == ETH_ALEN && ap->pln == sizeof(ap->sip) &&
         (ntohs(ap->op) == ARP_OP_REQUEST || ntohs(ap->op) == ARP_OP_REPLY) &&
         (ap->sha[0] & 1) == 0 &&    // a sender is never a group address
         ap->sip != 0;               // address probes teach us nothing
}

// Turn the request in m into our reply and send it back.
static void
arp_reply(struct mbuf *m)
{
  struct arp_pkt *ap = (struct arp_pkt *)m->head;
  uchar asker[ETH_ALEN];
  uint asker_ip = ntohl(ap->sip);

  memmove(asker, ap->sha, ETH_ALEN);
  mbuf_trim(m, m->len - sizeof(*ap));   // drop the Ethernet padding
  arp_fill(ap, ARP_OP_REPLY, asker, asker_ip);
  if(eth_output(m, asker, ETH_TYPE_ARP) == 0)
    netstat_inc(arp_replies_sent);
}

void
arp_input(struct mbuf *m)
{
  struct arp_pkt *ap = (struct arp_pkt *)m->head;
  struct arpentry *flush;

  if(!arp_valid(m)){
    net_drop(m, &netstats.arp_rx_bad);
    return;
  }
  flush = arp_learn(ntohl(ap->sip), ap->sha);

  if(ntohs(ap->op) == ARP_OP_REPLY){
    netstat_inc(arp_replies_rcvd);
    mbuf_free(m);
  } else if(ntohl(ap->tip) == NET_IPADDR){
    netstat_inc(arp_requests_rcvd);
    arp_reply(m);
  } else {
    net_drop(m, &netstats.arp_rx_ignored);   // a request for another host
  }

  if(flush)
    arp_flush(flush);
}
