// tcp_test.c: two instances of the packet path joined by a simulated link (loss, reordering, duplication, delay, corruption) in virtual time: seeded TCP transfers and timer checks.
//
// Each instance is the same shared object (stack.so, the kernel's packet
// path and netport_host.c) loaded from its own file name, so it has its
// own globals: two hosts, without changing a line of the kernel.  Both
// believe they are 10.0.2.15 talking to 10.0.2.2; the link swaps the
// Ethernet and IPv4 addresses of each frame, which leaves every checksum
// valid (the sums are commutative), so each side sees its peer as 10.0.2.2.
//
// Usage: tcp_test [transfers [seed]]    (default 1000 transfers, seed 1)
// The last line is "N passed, N failed"; the exit status is 1 on failure.
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net.h"
#include "check.h"

#define GATEWAY 0x0a000202u
#define NTCB_HOST 128            // kernel/tcp.c's NTCB
#define TCP_RCVBUF_HOST 65535    // kernel/tcp.c's TCP_RCVBUF

// ---- One stack, as functions and variables looked up in its copy.
struct stack {
  const char *name;
  void (*net_start)(const uchar *);
  int (*arp_pin)(uint, const uchar *);
  void (*eth_input)(struct mbuf *);
  struct mbuf *(*host_sent)(void);
  struct mbuf *(*mbuf_alloc)(void);
  void (*mbuf_free)(struct mbuf *);
  char *(*mbuf_put)(struct mbuf *, uint);
  struct tcpcb *(*open)(void);
  int (*listen)(struct tcpcb *, ushort, int);
  int (*accept)(struct tcpcb *, struct tcpcb **, int);
  int (*connect)(struct tcpcb *, ushort, uint, ushort, int);
  int (*send)(struct tcpcb *, int, uint64, int, int);
  int (*recv)(struct tcpcb *, int, uint64, int, int);
  int (*shutdown)(struct tcpcb *);
  void (*close)(struct tcpcb *);
  void (*info)(struct tcpcb *, struct sockinfo *);
  void (*timer)(void);
  int (*count)(void);
  uint *ticks;
  long *pages;
  struct netstats *stats;
};

static struct stack A = { "A" }, B = { "B" };

static void *
sym(void *h, const char *name)
{
  void *p = dlsym(h, name);
  if(p == 0){
    fprintf(stderr, "tcp_test: %s: %s\n", name, dlerror());
    exit(2);
  }
  return p;
}

static void
load(struct stack *s, const char *path, uint64 seed)
{
  static const uchar mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
  static const uchar peer[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);

  if(h == 0){
    fprintf(stderr, "tcp_test: %s\n", dlerror());
    exit(2);
  }
  s->net_start = sym(h, "net_start");
  s->arp_pin = sym(h, "arp_pin");
  s->eth_input = sym(h, "eth_input");
  s->host_sent = sym(h, "host_sent");
  s->mbuf_alloc = sym(h, "mbuf_alloc");
  s->mbuf_free = sym(h, "mbuf_free");
  s->mbuf_put = sym(h, "mbuf_put");
  s->open = sym(h, "tcp_open");
  s->listen = sym(h, "tcp_listen");
  s->accept = sym(h, "tcp_accept");
  s->connect = sym(h, "tcp_connect");
  s->send = sym(h, "tcp_send");
  s->recv = sym(h, "tcp_recv");
  s->shutdown = sym(h, "tcp_shutdown");
  s->close = sym(h, "tcp_close");
  s->info = sym(h, "tcp_info");
  s->timer = sym(h, "tcp_timer");
  s->count = sym(h, "tcp_count");
  s->ticks = sym(h, "ticks");
  s->pages = sym(h, "host_pages");
  s->stats = sym(h, "netstats");
  *(uint64 *)sym(h, "host_entropy_seed") = seed;   // two hosts, two keys
  s->net_start(mac);
  s->arp_pin(GATEWAY, peer);   // no ARP on the simulated link
}

// ---- Random numbers: a small seeded generator (xorshift64*).
static uint64 rng;
static uint64
rnd(void)
{
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 0x2545F4914F6CDD1DULL;
}
static int
chance(double p)
{
  return (rnd() >> 11) * (1.0 / 9007199254740992.0) < p;
}
static int
between(int lo, int hi)
{
  return lo + (int)(rnd() % (uint64)(hi - lo + 1));
}

// ---- The link.
struct link {
  double loss, dup, reorder, corrupt;
  int delay;      // ticks every frame takes
  int down;       // drop everything
  int drop_data;  // drop this many of A's next segments that carry data
};
static struct link link;

struct frame {
  struct frame *next;
  struct stack *to;
  uint due;
  int len;
  uchar b[1600];
};
static struct frame *inflight;
static uint now;
static long frames_total, frames_lost, frames_dup, frames_corrupt, frames_reordered;

// The last TCP segment each stack sent (what a forger would have seen),
// and the frames sent to a watched port.
struct lastseg {
  uint seq, ack;
  int len, flags;
  ushort sport, dport;
};
static struct lastseg last_from_A, last_from_B;
static struct lastseg seen[2][65536];   // by stack (A, B) and source port
static int watch_port;
static long watch_frames;

static uint
get32(const uchar *p)
{
  return (uint)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

// b is an Ethernet frame; 1 and *ls filled if it holds a TCP segment.
static int
tcp_of(const uchar *b, int len, struct lastseg *ls)
{
  const uchar *t = b + 14 + 20;

  if(len < 54 || b[12] != 0x08 || b[13] != 0x00 || b[23] != 6)
    return 0;
  ls->sport = t[0] << 8 | t[1];
  ls->dport = t[2] << 8 | t[3];
  ls->seq = get32(t + 4);
  ls->ack = get32(t + 8);
  ls->flags = t[13];
  ls->len = (b[16] << 8 | b[17]) - 20 - (t[12] >> 4) * 4;
  return 1;
}

static void
put_frame(struct stack *to, const uchar *b, int len, uint due)
{
  struct frame *f = malloc(sizeof(*f)), **pp;

  f->to = to;
  f->due = due;
  f->len = len;
  memcpy(f->b, b, len);
  // Keep the list in due order; equal dues stay in sending order.
  for(pp = &inflight; *pp && (*pp)->due <= due; pp = &(*pp)->next)
    ;
  f->next = *pp;
  *pp = f;
}

static int tracing;
static void trace(struct stack *to, const uchar *b, int len, const char *what);

static void
swap(uchar *a, uchar *b, int n)
{
  uchar t[6];
  memcpy(t, a, n);
  memcpy(a, b, n);
  memcpy(b, t, n);
}

// Take what from sent and put it on the wire towards to.
static void
carry(struct stack *from, struct stack *to)
{
  struct mbuf *m;
  uchar b[1600];
  int len, copies;

  while((m = from->host_sent()) != 0){
    len = m->len;
    memcpy(b, m->head, len);
    from->mbuf_free(m);
    frames_total++;
    struct lastseg ls;
    if(tcp_of(b, len, &ls)){
      *(from == &A ? &last_from_A : &last_from_B) = ls;
      seen[from == &B][ls.sport] = ls;
      watch_frames += watch_port && ls.dport == watch_port;
      if(from == &A && ls.len > 0 && link.drop_data > 0){
        link.drop_data--;
        frames_lost++;
        continue;
      }
    }
    swap(b, b + 6, 6);                           // Ethernet dst <-> src
    if(len >= 34 && b[12] == 0x08 && b[13] == 0x00)
      swap(b + 14 + 12, b + 14 + 16, 4);         // IPv4 src <-> dst
    if(link.down || chance(link.loss)){
      trace(to, b, len, "LOST");
      frames_lost++;
      continue;
    }
    if(chance(link.corrupt)){
      frames_corrupt++;
      b[between(14, len - 1)] ^= between(1, 255);
    }
    copies = chance(link.dup) ? 2 : 1;
    frames_dup += copies - 1;
    for(int i = 0; i < copies; i++){
      int extra = chance(link.reorder) ? between(1, 4) : 0;
      frames_reordered += extra > 0;
      put_frame(to, b, len, now + link.delay + extra);
    }
  }
}


// A line per TCP segment, for chasing a failed transfer (TCP_TRACE=id).
static void
trace(struct stack *to, const uchar *b, int len, const char *what)
{
  const uchar *t = b + 14 + 20;
  uint g32 = 0;
  (void)g32;
  if(!tracing || len < 54 || b[23] != 6)
    return;
  printf("%5u %s>%s %s%s%s%s seq %u ack %u len %d win %u %s\n", now, to == &A ? "B" : "A",
         to == &A ? "A" : "B", t[13] & 2 ? "S" : "", t[13] & 1 ? "F" : "", t[13] & 4 ? "R" : "",
         t[13] & 16 ? "." : "",
         (uint)t[4] << 24 | t[5] << 16 | t[6] << 8 | t[7], (uint)t[8] << 24 | t[9] << 16 | t[10] << 8 | t[11],
         (b[16] << 8 | b[17]) - 20 - (t[12] >> 4) * 4, t[14] << 8 | t[15], what);
}

static void
deliver_due(void)
{
  struct frame *f;
  struct mbuf *m;

  while((f = inflight) != 0 && f->due <= now){
    inflight = f->next;
    trace(f->to, f->b, f->len, "");
    if((m = f->to->mbuf_alloc()) != 0){
      memcpy(f->to->mbuf_put(m, f->len), f->b, f->len);
      f->to->eth_input(m);
    }
    free(f);
  }
}

// Exchange frames until nothing more is due this tick.
static void
settle(void)
{
  for(int round = 0; round < 200; round++){
    carry(&A, &B);
    carry(&B, &A);
    if(inflight == 0 || inflight->due > now)
      return;
    deliver_due();
  }
}

// One tick of virtual time on both hosts.
static void
tick(void)
{
  now++;
  *A.ticks = now;
  *B.ticks = now;
  A.timer();
  B.timer();
  settle();
}

static void
drain_link(void)
{
  struct frame *f;

  while((f = inflight) != 0){
    inflight = f->next;
    free(f);
  }
}

// The Internet checksum of n bytes, from a partial sum.
static uint
sum16(const uchar *p, int n, uint sum)
{
  for(int i = 0; i + 1 < n; i += 2)
    sum += p[i] << 8 | p[i + 1];
  if(n & 1)
    sum += p[n - 1] << 8;
  while(sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return sum;
}

static void
put16(uchar *p, uint v)
{
  p[0] = v >> 8;
  p[1] = v;
}

static void
put32(uchar *p, uint v)
{
  put16(p, v >> 16);
  put16(p + 2, v);
}

// A forged segment to stack `to`, as if from its peer 10.0.2.2, delivered at once.
static void
inject(struct stack *to, ushort sport, ushort dport, uint seq, uint ack, int flags,
       const char *data, int n)
{
  static const uchar mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
  static const uchar peer[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
  uchar b[1600] = { 0 }, *ip = b + 14, *t = ip + 20;
  struct mbuf *m;
  uint sum;

  memcpy(b, mac, 6);
  memcpy(b + 6, peer, 6);
  b[12] = 0x08;
  ip[0] = 0x45;
  put16(ip + 2, 20 + 20 + n);
  ip[8] = 64;
  ip[9] = 6;
  put32(ip + 12, GATEWAY);
  put32(ip + 16, 0x0a00020fu);
  put16(ip + 10, ~sum16(ip, 20, 0) & 0xffff);
  put16(t, sport);
  put16(t + 2, dport);
  put32(t + 4, seq);
  put32(t + 8, ack);
  t[12] = 5 << 4;
  t[13] = flags;
  put16(t + 14, 65535);
  memcpy(t + 20, data, n);
  sum = sum16(ip + 12, 8, 6 + 20 + n);
  put16(t + 16, ~sum16(t, 20 + n, sum) & 0xffff);
  m = to->mbuf_alloc();
  memcpy(to->mbuf_put(m, 14 + 40 + n), b, 14 + 40 + n);
  to->eth_input(m);
  settle();
}

// ---- One end of a transfer: sends its bytes, reads the other's.
struct end {
  struct stack *s;
  struct tcpcb *t;
  uchar *out, *in;     // what it sends; what it got
  int nout, sent, nin, got;
  int shut, eof, closed, stall;
  int err;
};

static void
pattern(uchar *p, int n, uint64 seed)
{
  uint64 x = seed * 0x9E3779B97F4A7C15ULL + 1;

  for(int i = 0; i < n; i++){
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    p[i] = x;
  }
}

static void
end_step(struct end *e)
{
  int r, want;

  if(e->t == 0 || e->closed || e->err)
    return;
  if(e->sent < e->nout){
    want = between(1, 20000);
    if(want > e->nout - e->sent)
      want = e->nout - e->sent;
    r = e->s->send(e->t, 0, (uint64)(e->out + e->sent), want, 0);
    if(r > 0)
      e->sent += r;
    else if(r == -1)
      e->err = 10 + e->s->stats->tcp_conn_timeouts;
  }
  if(e->sent == e->nout && !e->shut){
    e->shut = 1;
    if(e->s->shutdown(e->t) < 0)
      e->err = 2;
  }
  // A reader that sometimes stops for a while: the windows close and open.
  if(e->stall > 0){
    e->stall--;
  } else if(!e->eof){
    if(chance(0.01))
      e->stall = between(1, 300);
    for(int i = 0; i < 4 && !e->eof; i++){
      want = between(1, 8000);
      if(want > e->nin + 1 - e->got)
        want = e->nin + 1 - e->got;   // room for one byte too many, to notice extras
      r = e->s->recv(e->t, 0, (uint64)(e->in + e->got), want, 0);
      if(r == 0)
        e->eof = 1;
      else if(r > 0)
        e->got += r;
      else if(r == -1){
        struct sockinfo si;
        e->s->info(e->t, &si);
        e->err = 3 + 10 * si.error;
      }
      if(r <= 0)
        break;
    }
  }
  if(e->eof && e->shut && !e->closed){
    e->s->close(e->t);
    e->closed = 1;
  }
}

static struct tcpcb *listener;
static long bytes_moved;

// One seeded transfer each way across the link as it is set.  1 if both
// streams arrived byte-exact and both ends closed cleanly.
static int
transfer(int id, int maxsize)
{
  struct end a = { &A }, b = { &B };
  struct tcpcb *c;
  uint start = now;
  int r, ok = 1;

  a.nout = b.nin = between(0, maxsize);
  b.nout = a.nin = chance(0.5) ? between(0, maxsize / 4) : 0;
  a.out = malloc(a.nout + 1); b.in = malloc(b.nin + 1);
  b.out = malloc(b.nout + 1); a.in = malloc(a.nin + 1);
  pattern(a.out, a.nout, id * 2 + 1);
  pattern(b.out, b.nout, id * 2 + 2);

  tracing = getenv("TCP_TRACE") && atoi(getenv("TCP_TRACE")) == id;
  a.t = A.open();
  r = A.connect(a.t, 40000 + id % 20000, GATEWAY, 80, 0);
  while(now - start < 600 * TICK_HZ){
    if(r == TCP_AGAIN)
      r = A.connect(a.t, 0, GATEWAY, 80, 0);
    if(r == -1)
      break;
    if(b.t == 0 && B.accept(listener, &c, 0) == 0)
      b.t = c;
    if(r == 0)
      end_step(&a);
    end_step(&b);
    settle();
    if(a.closed && b.closed)
      break;
    tick();
  }
  if(!a.closed && a.t)
    A.close(a.t);
  if(!b.closed && b.t)
    B.close(b.t);
  // Both sides quiet: TIME_WAIT and retransmissions of the last FIN over.
  for(int i = 0; i < 120 * TICK_HZ && (A.count() > 0 || B.count() > 1); i++)
    tick();
  ok &= r == 0 && !a.err && !b.err && a.eof && b.eof;
  ok &= a.got == a.nin && b.got == b.nin;
  ok &= memcmp(a.in, b.out, a.nin) == 0 && memcmp(b.in, a.out, b.nin) == 0;
  ok &= A.count() == 0 && B.count() == 1;
  ok &= A.stats->mbufs_in_use == 0 && B.stats->mbufs_in_use == 0;
  if(!ok)
    printf("transfer %d (%d/%d bytes, loss %.2f dup %.2f reorder %.2f corrupt %.2f delay %d):"
           " connect %d err %d/%d eof %d/%d got %d/%d of %d/%d tcbs %d/%d mbufs %lu/%lu\n",
           id, a.nout, b.nout, link.loss, link.dup, link.reorder, link.corrupt, link.delay,
           r, a.err, b.err, a.eof, b.eof, b.got, a.got, a.nout, b.nout, A.count(), B.count(),
           (unsigned long)A.stats->mbufs_in_use, (unsigned long)B.stats->mbufs_in_use);
  bytes_moved += a.nout + b.nout;
  free(a.out); free(a.in); free(b.out); free(b.in);
  return ok;
}

static void
random_link(void)
{
  memset(&link, 0, sizeof(link));
  link.loss = chance(0.3) ? 0 : (rnd() % 1000) / 10000.0;      // 0 to 10%
  link.dup = (rnd() % 500) / 10000.0;                          // 0 to 5%
  link.reorder = (rnd() % 1000) / 10000.0;                     // 0 to 10%
  link.corrupt = (rnd() % 300) / 10000.0;                      // 0 to 3%
  link.delay = between(0, 3);
}

static void
test_transfers(int n)
{
  int ok = 0;
  double loss = 0;
  uint64 unsent = A.stats->tcp_rx_ack_unsent + B.stats->tcp_rx_ack_unsent;

  for(int i = 0; i < n; i++){
    random_link();
    loss += link.loss;
    ok += transfer(i, i % 10 == 0 ? 400000 : 40000);
  }
  CHECK_EQ(ok, n);
  // Nothing is ever sent past snd_max without it moving (a retransmission
  // of more than was sent once drew such ACKs).
  CHECK(A.stats->tcp_rx_ack_unsent + B.stats->tcp_rx_ack_unsent == unsent);
  printf("transfers: %d of %d byte-exact and closed; %ld bytes; mean loss %.1f%%;"
         " frames %ld: %ld lost, %ld duplicated, %ld reordered, %ld corrupted\n",
         ok, n, bytes_moved, 100 * loss / n, frames_total, frames_lost, frames_dup,
         frames_reordered, frames_corrupt);
  printf("  A: %lu retransmit timeouts, %lu fast retransmits, %lu bad checksums, %lu out of order\n",
         (unsigned long)A.stats->tcp_rexmit_timeouts, (unsigned long)A.stats->tcp_fast_rexmits,
         (unsigned long)(A.stats->tcp_rx_bad_checksum + B.stats->tcp_rx_bad_checksum),
         (unsigned long)B.stats->tcp_rx_ooo);
}

// ---- Timers, in virtual time.

// Ticks until the next frame leaves s (with the link down), at most limit.
static int
ticks_to_frame(struct stack *s, uint64 *counter, int limit)
{
  uint64 before = *counter;
  int n;

  for(n = 1; n <= limit; n++){
    tick();
    if(*counter != before)
      return n;
  }
  return -1;
}

// A SYN nobody answers: sent again after 1, 2, 4 and 8 s, then 16 s
// later the connect fails with "timed out".
static void
test_syn_backoff(void)
{
  struct tcpcb *t = A.open();
  struct sockinfo si;
  int gaps[4], r, waited;

  memset(&link, 0, sizeof(link));
  link.down = 1;
  CHECK_EQ(A.connect(t, 1234, GATEWAY, 80, 0), TCP_AGAIN);
  for(int i = 0; i < 4; i++)
    gaps[i] = ticks_to_frame(&A, &A.stats->tcp_tx_segs, 40 * TICK_HZ);
  for(int i = 0; i < 4; i++)
    if(!CHECK_EQ(gaps[i], (TICK_HZ << i)))
      printf("  SYN gap %d: %d ticks\n", i, gaps[i]);
  r = TCP_AGAIN;
  for(waited = 0; waited < 40 * TICK_HZ && r == TCP_AGAIN; waited++){
    tick();
    r = A.connect(t, 0, GATEWAY, 80, 0);
  }
  A.info(t, &si);
  CHECK_EQ(r, -1);
  CHECK_EQ(si.error, SOCKERR_TIMEDOUT);
  CHECK_EQ(si.state, TCPS_CLOSED);
  CHECK_EQ(waited, 16 * TICK_HZ);
  A.close(t);
  CHECK_EQ(A.count(), 0);
  link.down = 0;
}

static int pair_port;   // the last pair's, for messages

// A connection between A and B over a clean link.
static void
pair(struct tcpcb **a, struct tcpcb **b, int port)
{
  int r;

  pair_port = port;
  memset(&link, 0, sizeof(link));
  link.delay = 1;
  *a = A.open();
  r = A.connect(*a, port, GATEWAY, 80, 0);
  *b = 0;
  for(int i = 0; i < 100 && (r != 0 || *b == 0); i++){
    tick();
    if(r == TCP_AGAIN)
      r = A.connect(*a, 0, GATEWAY, 80, 0);
    if(*b == 0)
      B.accept(listener, b, 0);
  }
  CHECK(r == 0 && *b != 0);
}

// Tick until all a sent is acknowledged, at most limit ticks; 1 if it was.
static int
wait_acked(struct tcpcb *a, int limit)
{
  struct sockinfo si;

  for(int i = 0; i < limit; i++){
    A.info(a, &si);
    if(si.sendq == 0)
      return 1;
    tick();
  }
  return 0;
}

// Close both ends of a pair cleanly and let TIME_WAIT run out.
static void
unpair(struct tcpcb *a, struct tcpcb *b)
{
  char buf[100];

  A.shutdown(a);
  B.shutdown(b);
  for(int i = 0; i < 50; i++)
    tick();
  while(A.recv(a, 0, (uint64)buf, sizeof(buf), 0) > 0)
    ;
  while(B.recv(b, 0, (uint64)buf, sizeof(buf), 0) > 0)
    ;
  A.close(a);
  B.close(b);
  for(int i = 0; i < 5 * TICK_HZ; i++)
    tick();
  if(!CHECK(A.count() == 0 && B.count() == 1))
    printf("  unpair (port %d): %d and %d control blocks left\n", pair_port, A.count(), B.count());
}

// One small segment is acknowledged after the delayed-ACK time (40 ms),
// not at once; two are acknowledged at once.
static void
test_delayed_ack(void)
{
  struct tcpcb *a, *b;
  uint64 before;
  int n;

  pair(&a, &b, 2001);
  link.delay = 0;
  before = B.stats->tcp_tx_segs;
  CHECK_EQ(A.send(a, 0, (uint64)"hello", 5, 0), 5);
  settle();
  for(n = 0; n < 100 && B.stats->tcp_tx_segs == before; n++)
    tick();
  CHECK_EQ(n, TICK_HZ / 25);
  CHECK(B.stats->tcp_delayed_acks >= 1);
  unpair(a, b);
}

// A sender facing a reader that does not read: the window closes, the
// sender probes with growing gaps, and the transfer completes once the
// reader reads.
static void
test_persist(void)
{
  static uchar out[200000], in[200000];
  struct tcpcb *a, *b;
  struct sockinfo si;
  int sent = 0, got = 0, r;
  uint64 probes;

  pattern(out, sizeof(out), 77);
  pair(&a, &b, 2002);
  for(int i = 0; i < 300; i++){
    if((r = A.send(a, 0, (uint64)(out + sent), sizeof(out) - sent, 0)) > 0)
      sent += r;
    tick();
  }
  B.info(b, &si);
  if(!CHECK(si.queued == 65535 && si.rcvwnd == 0))
    printf("  reader: queued %d window %d state %d\n", si.queued, si.rcvwnd, si.state);
  A.info(a, &si);
  if(!CHECK_EQ(si.sndwnd, 0))
    printf("  writer: sent %d window %d sendq %d state %d\n", sent, si.sndwnd, si.sendq, si.state);
  probes = A.stats->tcp_persist_probes;
  CHECK(probes >= 2);
  for(int i = 0; i < 10 * TICK_HZ; i++)
    tick();
  // Probes back off: far fewer than one per RTO_MIN over 10 s.
  CHECK(A.stats->tcp_persist_probes - probes >= 2 && A.stats->tcp_persist_probes - probes <= 8);
  for(int i = 0; i < 3000 && got < (int)sizeof(out); i++){
    if(sent < (int)sizeof(out) && (r = A.send(a, 0, (uint64)(out + sent), sizeof(out) - sent, 0)) > 0)
      sent += r;
    if((r = B.recv(b, 0, (uint64)(in + got), sizeof(in) - got, 0)) > 0)
      got += r;
    tick();
  }
  CHECK(got == (int)sizeof(out) && memcmp(in, out, sizeof(out)) == 0);
  unpair(a, b);
}

// Data lost in one direction: retransmissions come after growing gaps.
static void
test_rto_backoff(void)
{
  struct tcpcb *a, *b;
  int gaps[4];

  pair(&a, &b, 2003);
  link.down = 1;
  CHECK_EQ(A.send(a, 0, (uint64)"data", 4, 0), 4);
  settle();
  for(int i = 0; i < 4; i++)
    gaps[i] = ticks_to_frame(&A, &A.stats->tcp_rexmit_timeouts, 100 * TICK_HZ);
  for(int i = 1; i < 4; i++)
    if(!CHECK(gaps[i] == 2 * gaps[i - 1] || gaps[i] == 60 * TICK_HZ))
      printf("  retransmission gaps %d %d %d %d\n", gaps[0], gaps[1], gaps[2], gaps[3]);
  CHECK(gaps[0] >= TICK_HZ / 5);
  link.down = 0;
  CHECK(wait_acked(a, 70 * TICK_HZ));   // the next retransmission gets through
  unpair(a, b);
}

// The active closer waits in TIME_WAIT 2 s, then frees its block.
static void
test_time_wait(void)
{
  struct tcpcb *a, *b;
  struct sockinfo si;
  char c;
  int n;

  pair(&a, &b, 2004);
  A.close(a);
  for(int i = 0; i < 10; i++)
    tick();
  CHECK_EQ(B.recv(b, 0, (uint64)&c, 1, 0), 0);   // end of stream
  B.info(b, &si);
  CHECK_EQ(si.state, TCPS_CLOSE_WAIT);
  B.close(b);
  for(int i = 0; i < 10; i++)
    tick();
  CHECK(A.count() == 1 && B.count() == 1);
  for(n = 10; n < 1000 && A.count() > 0; n++)
    tick();
  CHECK(n >= 2 * TICK_HZ && n <= 2 * TICK_HZ + 12);
}

// A reset: the peer's reads fail with "connection reset".
static void
test_reset(void)
{
  struct tcpcb *a, *b;
  struct sockinfo si;
  char buf[10];

  pair(&a, &b, 2005);
  CHECK_EQ(B.send(b, 0, (uint64)"unread", 6, 0), 6);
  for(int i = 0; i < 10; i++)
    tick();
  A.close(a);   // with unread data: RST
  for(int i = 0; i < 10; i++)
    tick();
  CHECK_EQ(B.recv(b, 0, (uint64)buf, sizeof(buf), 0), -1);
  B.info(b, &si);
  CHECK_EQ(si.error, SOCKERR_RESET);
  CHECK_EQ(si.state, TCPS_CLOSED);
  B.close(b);
  CHECK(A.count() == 0 && B.count() == 1);
}

// Connecting to a port nobody listens on: refused.
static void
test_refused(void)
{
  struct tcpcb *t = A.open();
  struct sockinfo si;
  int r;

  memset(&link, 0, sizeof(link));
  r = A.connect(t, 3000, GATEWAY, 81, 0);
  for(int i = 0; i < 10 && r == TCP_AGAIN; i++){
    tick();
    r = A.connect(t, 0, GATEWAY, 81, 0);
  }
  A.info(t, &si);
  CHECK_EQ(r, -1);
  CHECK_EQ(si.error, SOCKERR_REFUSED);
  A.close(t);
  CHECK_EQ(A.count(), 0);
}

// ---- The review of issue 19: each test failed before its fix.

// Tick n times.
static void
ticks_for(int n)
{
  for(int i = 0; i < n; i++)
    tick();
}

// Fill b's receive window from a with a writer that does not stop: the
// window shuts and a's persist timer runs.  Bytes a queued.
static int
shut_window(struct tcpcb *a, const uchar *out, int n)
{
  int sent = 0, r;

  for(int i = 0; i < 300; i++){
    if(sent < n && (r = A.send(a, 0, (uint64)(out + sent), n - sent, 0)) > 0)
      sent += r;
    tick();
  }
  return sent;
}

// Read all b has queued, at most n bytes into in; bytes read.
static int
drain(struct stack *s, struct tcpcb *b, uchar *in, int n)
{
  int got = 0, r;

  while(got < n && (r = s->recv(b, 0, (uint64)(in + got), n - got, 0)) > 0)
    got += r;
  return got;
}

// Defect 1: a TIME_WAIT block its socket still holds (shutdown, then the
// peer's FIN) is not recycled for a new socket when the table is full:
// that gave one block two owners.
static void
test_timewait_owned(void)
{
  static struct tcpcb *more[NTCB_HOST];
  struct tcpcb *a, *b;
  struct sockinfo si;
  int n, twice = 0;

  pair(&a, &b, 2101);
  A.shutdown(a);
  B.shutdown(b);
  ticks_for(10);
  A.info(a, &si);
  CHECK_EQ(si.state, TCPS_TIME_WAIT);
  for(n = 0; n < NTCB_HOST && (more[n] = A.open()) != 0; n++)
    twice += more[n] == a;
  if(!CHECK(twice == 0 && n == NTCB_HOST - 1))
    printf("  %d blocks opened beside the TIME_WAIT one; it was handed out again: %d\n", n, twice);
  for(int i = 0; i < n; i++)
    if(more[i] != a)
      A.close(more[i]);
  A.close(a);
  B.close(b);
  ticks_for(5 * TICK_HZ);
  CHECK(A.count() == 0 && B.count() == 1);
}

// Defects 2 and 4: a probe into a shut window is answered.  After a long
// zero window the persist backoff is large; the first segment lost once
// the window opens is resent after an RTO, not after 60 s (and the
// connection is not aborted).
static void
test_persist_then_loss(void)
{
  static uchar out[150000], in[150000];
  struct tcpcb *a, *b;
  int sent, got, n, r;
  uint64 timeouts = A.stats->tcp_conn_timeouts;

  pattern(out, sizeof(out), 78);
  pair(&a, &b, 2102);
  sent = shut_window(a, out, sizeof(out));
  // Defect 4: a one-byte probe into the shut window gets an ACK at once.
  uint64 acks = B.stats->tcp_tx_segs;
  n = ticks_to_frame(&A, &A.stats->tcp_persist_probes, 70 * TICK_HZ);
  ticks_for(3);
  if(!CHECK(n > 0 && B.stats->tcp_tx_segs > acks))
    printf("  a zero-window probe: %lu segments in answer\n",
           (unsigned long)(B.stats->tcp_tx_segs - acks));
  ticks_for(120 * TICK_HZ);                 // probes back off to 60 s
  got = drain(&B, b, in, sizeof(in));
  link.drop_data = 1000;                    // the data after the window opens
  n = ticks_to_frame(&A, &A.stats->tcp_rexmit_timeouts, 70 * TICK_HZ);
  link.drop_data = 0;
  if(!CHECK(n > 0 && n <= 2 * TICK_HZ))
    printf("  the lost data were resent after %d ticks\n", n);
  for(int i = 0; i < 3000 && got < (int)sizeof(out); i++){
    if(sent < (int)sizeof(out) && (r = A.send(a, 0, (uint64)(out + sent), sizeof(out) - sent, 0)) > 0)
      sent += r;
    got += drain(&B, b, in + got, sizeof(in) - got);
    tick();
  }
  CHECK(got == (int)sizeof(out) && memcmp(in, out, sizeof(out)) == 0);
  CHECK(A.stats->tcp_conn_timeouts == timeouts);
  unpair(a, b);
}

// Defect 3: a FIN behind data that filled the peer's window waits for the
// window; the peer ACKs each probe; after 10 minutes of a shut window
// nothing is aborted and the reader gets every byte, then the end.
static void
test_fin_zero_window(void)
{
  static uchar out[TCP_RCVBUF_HOST], in[TCP_RCVBUF_HOST + 1];
  struct tcpcb *a, *b;
  struct sockinfo si;
  uint64 probes, acks, timeouts = A.stats->tcp_conn_timeouts;
  int got;

  pattern(out, sizeof(out), 79);
  pair(&a, &b, 2103);
  CHECK_EQ(shut_window(a, out, sizeof(out)), (int)sizeof(out));
  CHECK_EQ(A.shutdown(a), 0);
  ticks_for(TICK_HZ);
  // Each probe (here the FIN) gets an ACK.
  probes = A.stats->tcp_persist_probes;
  acks = B.stats->tcp_tx_segs;
  ticks_to_frame(&A, &A.stats->tcp_persist_probes, 70 * TICK_HZ);
  ticks_for(3);
  if(!CHECK(B.stats->tcp_tx_segs > acks))
    printf("  probe %lu got no answer\n", (unsigned long)(A.stats->tcp_persist_probes - probes));
  ticks_for(600 * TICK_HZ);
  B.info(b, &si);
  if(!CHECK(si.state == TCPS_ESTABLISHED && si.error == 0 && A.stats->tcp_conn_timeouts == timeouts))
    printf("  after 10 min of a shut window: reader state %d error %d, writer timeouts %lu\n",
           si.state, si.error, (unsigned long)(A.stats->tcp_conn_timeouts - timeouts));
  got = 0;
  for(int i = 0; i < 100; i++){
    got += drain(&B, b, in + got, sizeof(in) - got);
    tick();
  }
  CHECK(got == (int)sizeof(out) && memcmp(in, out, sizeof(out)) == 0);
  CHECK_EQ(B.recv(b, 0, (uint64)in, 1, 0), 0);   // then the FIN: end of stream
  unpair(a, b);
}

// Defect 5: zero-window probing ends: for an orphan (its socket closed)
// after its probes back off even though the peer answers, and for any
// connection whose peer stops answering.
static void
test_persist_gives_up(void)
{
  static uchar out[100000];
  struct tcpcb *a, *b;
  struct sockinfo si;
  int n;

  pattern(out, sizeof(out), 80);
  pair(&a, &b, 2104);
  shut_window(a, out, sizeof(out));
  A.close(a);
  for(n = 0; n < 3600 * TICK_HZ && A.count() > 0; n++)
    tick();
  if(!CHECK(A.count() == 0 && A.stats->mbufs_in_use == 0))
    printf("  an orphan probing a shut window: %d blocks, %lu mbufs after %d s\n", A.count(),
           (unsigned long)A.stats->mbufs_in_use, n / TICK_HZ);
  B.close(b);

  pair(&a, &b, 2105);
  shut_window(a, out, sizeof(out));
  link.down = 1;
  for(n = 0; n < 3600 * TICK_HZ; n++){
    A.info(a, &si);
    if(si.state == TCPS_CLOSED)
      break;
    tick();
  }
  if(!CHECK(si.state == TCPS_CLOSED && si.error == SOCKERR_TIMEDOUT))
    printf("  probes nobody answers: state %d error %d after %d s\n", si.state, si.error,
           n / TICK_HZ);
  link.down = 0;
  A.close(a);
  B.close(b);
  ticks_for(5 * TICK_HZ);
  CHECK(A.count() == 0 && B.count() == 1);
}

// Defect 6: one forged segment (data A takes as B's) puts the two ends at
// odds: A acknowledges bytes B never sent, B answers with an ACK A finds
// out of window, and so on.  ACKs sent unasked are rate-limited, so the
// exchange dies down.
static void
test_ack_loop(void)
{
  struct tcpcb *a, *b;
  long frames;
  char buf[100];

  pair(&a, &b, 2106);
  CHECK_EQ(B.send(b, 0, (uint64)"hello", 5, 0), 5);
  ticks_for(10);
  CHECK_EQ(A.recv(a, 0, (uint64)buf, sizeof(buf), 0), 5);
  inject(&A, 80, 2106, last_from_B.seq + last_from_B.len, last_from_B.ack, TCP_ACK,
         "forged", 6);
  frames = frames_total;
  ticks_for(5 * TICK_HZ);
  frames = frames_total - frames;
  if(!CHECK(frames <= 40))
    printf("  %ld frames in the 5 s after one forged segment\n", frames);
  A.close(a);   // unread data: RST, which B takes (its sequence is right)
  ticks_for(10);
  B.close(b);
  ticks_for(5 * TICK_HZ);
  CHECK(A.count() == 0 && B.count() == 1);
}

// Out-of-window RSTs to B's end of the connection from port `port`: how
// many challenge ACKs B sends on it.
static long
challenges(int port, int n)
{
  long before = watch_frames;

  watch_port = port;

  struct lastseg *ls = &seen[0][port];

  for(int i = 0; i < n; i++)   // in the window, not at its left edge
    inject(&B, port, 80, ls->seq + ls->len + 1000, 0, TCP_RST, "", 0);
  ticks_for(2);
  watch_port = 0;
  return watch_frames - before;
}

// Defect 7: the challenge ACKs one connection gets do not depend on what
// another got (RFC 5961 7, CVE-2016-5696): the budget is per connection.
static void
test_challenge_side_channel(void)
{
  struct tcpcb *a1, *b1, *a2, *b2;
  long alone, beside;

  pair(&a1, &b1, 2107);
  pair(&a2, &b2, 2108);
  ticks_for(TICK_HZ);
  alone = challenges(2107, 150);
  ticks_for(TICK_HZ);
  challenges(2108, 1);   // the spoofed RST that hit the other connection
  beside = challenges(2107, 150);
  if(!CHECK(alone > 0 && alone == beside))
    printf("  challenge ACKs to 150 RSTs: %ld alone, %ld after one to another connection\n",
           alone, beside);
  A.close(a1);
  A.close(a2);
  ticks_for(10);
  B.close(b1);
  B.close(b2);
  ticks_for(5 * TICK_HZ);
  CHECK(A.count() == 0 && B.count() == 1);
}

// Defects 8 and 9: more SYNs at once than the backlog, to a listener whose
// acceptor keeps up, all connect at once; and a half-open connection whose
// SYN-ACK had to be resent is not given up for a newer SYN.
static void
test_syn_burst(void)
{
  enum { N = 12 };
  struct tcpcb *a[N], *b[N];
  int r[N], done = 0, got = 0;
  uint64 dropped = B.stats->tcp_syn_dropped;

  memset(&link, 0, sizeof(link));
  link.delay = 1;
  for(int i = 0; i < N; i++){
    a[i] = A.open();
    r[i] = A.connect(a[i], 2200 + i, GATEWAY, 80, 0);
  }
  for(int n = 0; n < 50 && (done < N || got < N); n++){
    tick();
    while(got < N && B.accept(listener, &b[got], 0) == 0)
      got++;
    done = 0;
    for(int i = 0; i < N; i++){
      if(r[i] == TCP_AGAIN)
        r[i] = A.connect(a[i], 0, GATEWAY, 80, 0);
      done += r[i] == 0;
    }
  }
  if(!CHECK(done == N && got == N && B.stats->tcp_syn_dropped == dropped))
    printf("  %d SYNs to a backlog of 8 within 0.5 s: %d connected, %d accepted, %lu dropped\n",
           N, done, got, (unsigned long)(B.stats->tcp_syn_dropped - dropped));
  for(int i = 0; i < N; i++){
    A.close(a[i]);
    if(i < got)
      B.close(b[i]);
  }
  ticks_for(5 * TICK_HZ);
  CHECK(A.count() == 0 && B.count() == 1);
}

// Defect 9: a client whose ACK of our SYN-ACK was lost believes itself
// connected; the listener resends its SYN-ACK; a flood of new SYNs must
// not push that half-open connection out (its client would be reset).
static void
test_synrcvd_kept(void)
{
  struct tcpcb *a, *b;
  struct sockinfo si;
  int r, n;
  uint64 rst = B.stats->tcp_rst_sent;

  memset(&link, 0, sizeof(link));
  link.delay = 1;
  a = A.open();
  r = A.connect(a, 2301, GATEWAY, 80, 0);
  ticks_for(2);                     // SYN in, SYN-ACK out
  link.down = 1;                    // A's ACK is lost; A believes it is connected
  ticks_for(1);
  r = A.connect(a, 0, GATEWAY, 80, 0);
  CHECK_EQ(r, 0);
  ticks_for(TICK_HZ + 2);           // B resends its SYN-ACK (lost too)
  for(int i = 0; i < 100; i++)      // a flood of SYNs from elsewhere
    inject(&B, 30000 + i, 80, 1000 * i, 0, TCP_SYN, "", 0);
  link.down = 0;
  CHECK_EQ(A.send(a, 0, (uint64)"req", 3, 0), 3);
  for(n = 0; n < 5 * TICK_HZ && B.accept(listener, &b, 0) != 0; n++)
    tick();
  A.info(a, &si);
  if(!CHECK(n < 5 * TICK_HZ && si.state == TCPS_ESTABLISHED && B.stats->tcp_rst_sent == rst))
    printf("  the client after a SYN flood: state %d error %d, %lu RSTs from the listener\n",
           si.state, si.error, (unsigned long)(B.stats->tcp_rst_sent - rst));
  if(n < 5 * TICK_HZ)
    unpair(a, b);
  else
    A.close(a);
  ticks_for(40 * TICK_HZ);          // the flood's half-open blocks give up
  CHECK(A.count() == 0 && B.count() == 1);
}

// Defect 11: after a lost SYN, data start with an RTO of 3 s (RFC 6298 5.7).
static void
test_rto_after_syn_loss(void)
{
  struct tcpcb *a, *b = 0;
  int r, n;

  memset(&link, 0, sizeof(link));
  link.delay = 1;
  link.down = 1;
  a = A.open();
  r = A.connect(a, 2401, GATEWAY, 80, 0);
  ticks_for(TICK_HZ / 2);
  link.down = 0;
  for(int i = 0; i < 2 * TICK_HZ && (r != 0 || b == 0); i++){
    tick();
    if(r == TCP_AGAIN)
      r = A.connect(a, 0, GATEWAY, 80, 0);
    if(b == 0)
      B.accept(listener, &b, 0);
  }
  CHECK(r == 0 && b != 0);
  link.down = 1;
  CHECK_EQ(A.send(a, 0, (uint64)"x", 1, 0), 1);
  n = ticks_to_frame(&A, &A.stats->tcp_rexmit_timeouts, 10 * TICK_HZ);
  if(!CHECK_EQ(n, 3 * TICK_HZ))
    printf("  first data retransmission after a lost SYN: %d ticks\n", n);
  link.down = 0;
  CHECK(wait_acked(a, 10 * TICK_HZ));
  unpair(a, b);
}

// Suspected 4: a simultaneous open completes in one round trip, and the
// SYN-ACKs that cross are not counted as out of window.
static void
test_simultaneous_open(void)
{
  struct tcpcb *a = A.open(), *b = B.open();
  uint64 oow = A.stats->tcp_rx_out_of_window + B.stats->tcp_rx_out_of_window;
  int ra, rb, n;

  memset(&link, 0, sizeof(link));
  link.delay = 1;
  ra = A.connect(a, 2501, GATEWAY, 2502, 0);
  rb = B.connect(b, 2502, GATEWAY, 2501, 0);
  for(n = 0; n < 10 && (ra != 0 || rb != 0); n++){
    tick();
    if(ra == TCP_AGAIN)
      ra = A.connect(a, 0, GATEWAY, 2502, 0);
    if(rb == TCP_AGAIN)
      rb = B.connect(b, 0, GATEWAY, 2501, 0);
  }
  if(!CHECK(ra == 0 && rb == 0 && n <= 3 &&
            A.stats->tcp_rx_out_of_window + B.stats->tcp_rx_out_of_window == oow))
    printf("  simultaneous open: %d and %d after %d ticks, %lu out of window\n", ra, rb, n,
           (unsigned long)(A.stats->tcp_rx_out_of_window + B.stats->tcp_rx_out_of_window - oow));
  unpair(a, b);
}

// Suspected 3: a reused port's new SYN starts above everything the old
// connection (now in TIME_WAIT) sent, even after a fast transfer (RFC 6191).
static void
test_timewait_isn(void)
{
  static uchar out[1 << 20];
  struct tcpcb *a, *b;
  uint old_max;
  int sent = 0, r;

  pattern(out, sizeof(out), 81);
  pair(&a, &b, 2601);
  for(int i = 0; i < 2000 && sent < (int)sizeof(out); i++){
    if((r = A.send(a, 0, (uint64)(out + sent), sizeof(out) - sent, 0)) > 0)
      sent += r;
    drain(&B, b, out, sizeof(out));
    tick();
  }
  CHECK(sent == (int)sizeof(out) && wait_acked(a, 100));
  A.close(a);
  ticks_for(5);
  drain(&B, b, out, sizeof(out));
  B.close(b);
  ticks_for(5);
  old_max = last_from_A.seq + 1;   // past A's last ACK
  a = A.open();
  r = A.connect(a, 2601, GATEWAY, 80, 0);
  settle();
  if(!CHECK(r == TCP_AGAIN && (last_from_A.flags & TCP_SYN) &&
            (int)(last_from_A.seq - old_max) > 0))
    printf("  new ISN %u is %d from the old connection's end\n", last_from_A.seq,
           (int)(last_from_A.seq - old_max));
  for(int i = 0; i < 10; i++)
    tick();
  if(B.accept(listener, &b, 0) == 0)
    unpair(a, b);
  else
    A.close(a);
  ticks_for(5 * TICK_HZ);
}

// Defect 10: the ISN key is not the boot time.  Two hosts that start at
// the same instant pick different ISNs for the same 4-tuple at the same
// moment (with the boot time as the key, they picked the same).
static void
test_isn_key(void)
{
  struct tcpcb *a = A.open(), *b = B.open();

  memset(&link, 0, sizeof(link));
  link.down = 1;
  A.connect(a, 2701, GATEWAY, 2702, 0);
  B.connect(b, 2701, GATEWAY, 2702, 0);
  settle();
  if(!CHECK(seen[0][2701].flags == TCP_SYN && seen[1][2701].flags == TCP_SYN &&
            seen[0][2701].seq != seen[1][2701].seq))
    printf("  the same 4-tuple at the same time: ISN %u and %u\n", seen[0][2701].seq,
           seen[1][2701].seq);
  A.close(a);
  B.close(b);
  link.down = 0;
}

int
main(int argc, char **argv)
{
  int n = argc > 1 ? atoi(argv[1]) : 1000;

  rng = argc > 2 ? strtoull(argv[2], 0, 0) : 1;
  rng = rng * 0x9E3779B97F4A7C15ULL | 1;
  load(&A, "./stackA.so", 1);
  load(&B, "./stackB.so", 2);
  listener = B.open();
  CHECK_EQ(B.listen(listener, 80, 8), 0);
  test_isn_key();
  test_syn_backoff();
  test_refused();
  test_delayed_ack();
  test_rto_backoff();
  test_persist();
  test_time_wait();
  test_reset();
  test_timewait_owned();
  test_persist_then_loss();
  test_fin_zero_window();
  test_persist_gives_up();
  test_ack_loop();
  test_challenge_side_channel();
  test_syn_burst();
  test_synrcvd_kept();
  test_rto_after_syn_loss();
  test_simultaneous_open();
  test_timewait_isn();
  test_transfers(n);
  B.close(listener);
  for(int i = 0; i < 20 * TICK_HZ; i++)
    tick();
  drain_link();
  CHECK(A.count() == 0 && B.count() == 0);
  CHECK(A.stats->mbufs_in_use == 0 && B.stats->mbufs_in_use == 0);
  // What is left is the ARP entries' nothing and the sockets' nothing: no page.
  CHECK_EQ(*A.pages, 0);
  CHECK_EQ(*B.pages, 0);
  printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}
