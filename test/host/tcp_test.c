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
load(struct stack *s, const char *path)
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

  for(int i = 0; i < n; i++){
    random_link();
    loss += link.loss;
    ok += transfer(i, i % 10 == 0 ? 400000 : 40000);
  }
  CHECK(ok == n);
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
  CHECK(A.connect(t, 1234, GATEWAY, 80, 0) == TCP_AGAIN);
  for(int i = 0; i < 4; i++)
    gaps[i] = ticks_to_frame(&A, &A.stats->tcp_tx_segs, 40 * TICK_HZ);
  for(int i = 0; i < 4; i++)
    if(!CHECK(gaps[i] == (TICK_HZ << i)))
      printf("  SYN gap %d: %d ticks\n", i, gaps[i]);
  r = TCP_AGAIN;
  for(waited = 0; waited < 40 * TICK_HZ && r == TCP_AGAIN; waited++){
    tick();
    r = A.connect(t, 0, GATEWAY, 80, 0);
  }
  A.info(t, &si);
  CHECK(r == -1 && si.error == SOCKERR_TIMEDOUT && si.state == TCPS_CLOSED);
  CHECK(waited == 16 * TICK_HZ);
  A.close(t);
  CHECK(A.count() == 0);
  link.down = 0;
}

// A connection between A and B over a clean link.
static void
pair(struct tcpcb **a, struct tcpcb **b, int port)
{
  int r;

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
  CHECK(A.count() == 0 && B.count() == 1);
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
  CHECK(A.send(a, 0, (uint64)"hello", 5, 0) == 5);
  settle();
  for(n = 0; n < 100 && B.stats->tcp_tx_segs == before; n++)
    tick();
  CHECK(n == TICK_HZ / 25);
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
  if(!CHECK(si.sndwnd == 0))
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
  CHECK(A.send(a, 0, (uint64)"data", 4, 0) == 4);
  settle();
  for(int i = 0; i < 4; i++)
    gaps[i] = ticks_to_frame(&A, &A.stats->tcp_rexmit_timeouts, 100 * TICK_HZ);
  for(int i = 1; i < 4; i++)
    CHECK(gaps[i] == 2 * gaps[i - 1] || gaps[i] == 60 * TICK_HZ);
  CHECK(gaps[0] >= TICK_HZ / 5);
  link.down = 0;
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
  CHECK(B.recv(b, 0, (uint64)&c, 1, 0) == 0);   // end of stream
  B.info(b, &si);
  CHECK(si.state == TCPS_CLOSE_WAIT);
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
  CHECK(B.send(b, 0, (uint64)"unread", 6, 0) == 6);
  for(int i = 0; i < 10; i++)
    tick();
  A.close(a);   // with unread data: RST
  for(int i = 0; i < 10; i++)
    tick();
  CHECK(B.recv(b, 0, (uint64)buf, sizeof(buf), 0) == -1);
  B.info(b, &si);
  CHECK(si.error == SOCKERR_RESET && si.state == TCPS_CLOSED);
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
  CHECK(r == -1 && si.error == SOCKERR_REFUSED);
  A.close(t);
  CHECK(A.count() == 0);
}

int
main(int argc, char **argv)
{
  int n = argc > 1 ? atoi(argv[1]) : 1000;

  rng = argc > 2 ? strtoull(argv[2], 0, 0) : 1;
  rng = rng * 0x9E3779B97F4A7C15ULL | 1;
  load(&A, "./stackA.so");
  load(&B, "./stackB.so");
  listener = B.open();
  CHECK(B.listen(listener, 80, 8) == 0);
  test_syn_backoff();
  test_refused();
  test_delayed_ack();
  test_rto_backoff();
  test_persist();
  test_time_wait();
  test_reset();
  test_transfers(n);
  B.close(listener);
  for(int i = 0; i < 20 * TICK_HZ; i++)
    tick();
  drain_link();
  CHECK(A.count() == 0 && B.count() == 0);
  CHECK(A.stats->mbufs_in_use == 0 && B.stats->mbufs_in_use == 0);
  // What is left is the ARP entries' nothing and the sockets' nothing: no page.
  CHECK(*A.pages == 0 && *B.pages == 0);
  printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}
