// tcp.c: TCP (RFC 9293): connection state machine, reliable delivery, flow and congestion control, timers.
//
// Every connection has a control block (struct tcpcb) in one fixed table;
// one lock (tcplock) covers the table and every block, since segments
// arrive in interrupts on any hart while processes read and write.  A
// block belongs to a socket (user), to a listener that has not handed it
// to accept() yet (parent), or to nobody once its socket closed (it lives
// on to finish the close, then frees itself).
//
// Data are kept in mbufs: the send queue holds what the user wrote and the
// peer has not acknowledged (a segment is copied out of it each time it is
// sent, since the driver frees what it sends); the receive queue holds
// in-order data not yet read; the out-of-order queue holds segments beyond
// a hole.  Every queue is bounded, so a peer costs bounded memory whatever
// it does: per connection, about 17 pages of send queue, 30 of receive
// queue (a window of data; segments are packed into the last page while
// they fit) and TCP_OOO_MAX pages out of order.
//
// Choices the RFCs leave open, and why:
// - No window scaling (RFC 7323): the receive buffer is one 16-bit window.
//   Through QEMU's slirp the round trip is well under a clock tick, so
//   64 KiB in flight is more than the link needs.
// - No SACK, no urgent data (URG is ignored), no keep-alive.
// - Timers count clock ticks (TICK_HZ, 10 ms): the RTO clock granularity
//   G of RFC 6298 is one tick.
//
// The sections below, with the RFC 9293 sections they follow and the
// functions a reader of BSD's or lwIP's TCP may know them by:
//   Initial sequence numbers  3.4.1, RFC 6528  tcp_isn()          BSD tcp_new_isn;
//                                                                 lwIP tcp_next_iss
//   Control blocks                             tcb_alloc()        BSD tcp_newtcpcb; lwIP tcp_alloc
//   Sending segments          3.1              tcp_xmit()         lwIP tcp_output_segment,
//                                                                 tcp_send_empty_ack
//   Round-trip time, RTO      RFC 6298         rtt_sample()       BSD tcp_xmit_timer
//   Output                    3.7.4, 3.8.6     tcp_output()       BSD, lwIP tcp_output
//                             3.10.7.1         tcp_reset_reply()  BSD tcp_respond; lwIP tcp_rst
//   Endings                   3.6              tcp_drop()         BSD tcp_drop; lwIP tcp_abandon
//   Timers                    3.10.8           tcp_timer()        BSD tcp_slowtimo, tcp_timers;
//                                                                 lwIP tcp_slowtmr, tcp_fasttmr
//   Input                     3.10.7           tcp_input()        BSD, lwIP tcp_input
//     LISTEN                  3.10.7.2         tcp_listen_input() lwIP tcp_listen_input
//     SYN-SENT                3.10.7.3         tcp_synsent_input()  lwIP tcp_process
//     other states            3.10.7.4         tcp_sync_input()   lwIP tcp_process, tcp_receive
//     out of order                             ooo_insert()       BSD tcp_reass; lwIP tcp_receive
//     ACKs                    3.10.7.4         tcp_ack()          lwIP tcp_receive
//   The socket's side         3.10.1-3.10.5    tcp_connect(), tcp_send(), tcp_recv(), tcp_close():
//                                              BSD tcp_usrreq; lwIP tcp_connect, tcp_write,
//                                              tcp_recved, tcp_close
//   SipHash-2-4                                siphash(), for tcp_isn()
#include "net.h"

#define NTCB            128     // control blocks in the system
#define TCP_MSS         1460    // ours: ETH_MTU - IP_HDRLEN - TCP_HDRLEN
#define TCP_MSS_DEFAULT 536     // a peer's, when its SYN has no MSS option (RFC 9293 3.7.1)
#define TCP_MAXWIN      65535   // no window scaling
#define TCP_RCVBUF      TCP_MAXWIN   // receive buffer = largest window
#define TCP_SNDBUF      (64 * 1024)  // bytes a writer may queue
#define TCP_OOO_MAX     32      // segments held beyond a hole
#define TCP_BACKLOG_MAX 64      // cap on listen()'s backlog: connections waiting for accept()
#define TCP_SYNQ_MAX    64      // half-open connections per listener
#define TCP_TIMEWAIT_MAX 32     // TIME_WAIT blocks kept; the oldest goes first

// RFC 6298 timers, in ticks.  RTO_MIN is 200 ms rather than RFC 6298's
// 1 s: slirp's round trip is far below a tick, so any RTO would do for
// the link itself, but QEMU shares two host cores with other guests and
// can stall a vCPU for tens of milliseconds; 200 ms rides out such stalls
// without spurious retransmissions, and a lost segment still costs little.
#define TCP_RTO_INIT    (1 * TICK_HZ)     // before any RTT sample (2.1)
#define TCP_RTO_MIN     (TICK_HZ / 5)
#define TCP_RTO_MAX     (60 * TICK_HZ)    // (2.5)
#define TCP_MAXRXT      8       // data retransmissions before giving up (RFC 1122 4.2.3.5 R2)
// R2 must be at least 100 s: eight backoffs from the smallest RTO take 102 s.
_Static_assert(TCP_RTO_MIN * ((2 << TCP_MAXRXT) - 1) >= 100 * TICK_HZ,
               "RFC 1122 4.2.3.5: give up after no less than 100 s");
#define TCP_RTO_SYNLOST (3 * TICK_HZ)     // RTO once data flow after a lost SYN (5.7)
#define TCP_SYN_MAXRXT  4       // SYN retransmissions: 1+2+4+8+16 s, then "timed out"
#define TCP_DELACK      (TICK_HZ / 25)    // 40 ms (RFC 1122 4.2.3.2: at most 500)
// MSL is 1 s: every path here is the in-memory link to QEMU's slirp, where
// a segment cannot linger for minutes as RFC 9293's 2 minutes assume; 2 s
// of TIME_WAIT still absorbs any stray retransmission of the peer's FIN.
#define TCP_2MSL        (2 * TICK_HZ)
#define TCP_FIN_WAIT_2_MAX (10 * TICK_HZ) // an orphan whose peer never closes
// ACKs we send unasked (a challenge, an answer to a segment outside the
// window or to an ACK of data we never sent): at most one per connection
// per TCP_UNASKED_ACK_GAP (RFC 5961 7; Linux's tcp_invalid_ratelimit).
#define TCP_UNASKED_ACK_GAP (TICK_HZ / 2)

// Sequence numbers compare modulo 2^32 (RFC 9293 3.4).
#define SEQ_LT(a, b)  ((int)((uint)(a) - (uint)(b)) < 0)
#define SEQ_LEQ(a, b) ((int)((uint)(a) - (uint)(b)) <= 0)
#define SEQ_GT(a, b)  SEQ_LT(b, a)
#define SEQ_GEQ(a, b) SEQ_LEQ(b, a)

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOLEN_MSS 4

enum { TT_REXMT, TT_PERSIST, TT_DELACK, TT_2MSL, TT_RCVWAIT, TT_N };   // timers

// t->flags
#define TF_ACKNOW   0x01   // send an ACK at the next output
#define TF_FIN_Q    0x02   // the user closed its sending side: FIN after the data
#define TF_RCVD_FIN 0x04   // the peer's FIN arrived: reads end at the queue's end
#define TF_TIMING   0x08   // an RTT sample is running (rtt_seq, rtt_start)
#define TF_RECOVERY 0x10   // in fast recovery (RFC 5681 3.2, RFC 6582)
#define TF_SAMPLED  0x20   // srtt holds at least one sample
#define TF_FORCE    0x40   // the persist timer fired: send despite silly-window rules
#define TF_RCVTIMEO 0x80   // a reader waited rcvtimeo ticks in vain

struct tcpcb {
  int inuse;
  int state;                 // TCPS_*
  int user;                  // a socket holds this block
  struct tcpcb *parent;      // the listener, until accept() takes it
  int flags;
  int error;                 // SOCKERR_*
  ushort lport, rport;
  uint raddr;

  // Send side (RFC 9293 3.3.1); snd_max is the highest sequence sent.
  uint iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
  uint max_sndwnd;           // largest window the peer offered
  uint snd_sml;              // end of the last small segment (Minshall's Nagle)
  uint finseq;               // our FIN's sequence number, once TF_FIN_Q
  uint mss;                  // largest segment we send
  struct mbufq sndq;         // data from snd_una on
  uint sndq_bytes;

  // Congestion control (RFC 5681).
  uint cwnd, ssthresh, recover;
  int dupacks;

  // Round-trip time (RFC 6298), in ticks: srtt8 = 8*SRTT, rttvar4 = 4*RTTVAR.
  int srtt8, rttvar4, rto;
  int rxtshift;              // retransmit backoffs since the last new ACK
  int persistshift;          // persist backoffs since the window shut
  int probes_out;            // window probes the peer has not answered
  uint unasked_ack;          // when we last sent an ACK unasked (ticks)
  uint rtt_seq, rtt_start;

  // Receive side.
  uint irs, rcv_nxt, rcv_adv;   // rcv_adv: right edge we advertised
  struct mbufq rcvq;         // in order, not yet read
  uint rcvq_bytes;
  struct mbufq oooq;         // beyond a hole, by sequence
  int segs_unacked;          // full-sized segments since our last ACK

  int timer[TT_N];           // ticks left; 0 = off
  int backlog;               // LISTEN: established children that may wait for accept()
  int rcvtimeo;              // ticks a read may wait; 0 = for ever
  uint born;                 // order of arrival: accept() and recycling take the oldest
};

static struct spinlock tcplock;
static struct tcpcb tcbs[NTCB];
static uint tcb_births;      // stamps tcpcb.born
static uint64 isn_key[2];    // RFC 6528's secret

static void tcp_output(struct tcpcb *t);
static uint64 siphash(const uint64 key[2], uint64 a, uint64 b);   // the file's last section

// ---- Initial sequence numbers (RFC 6528): ISN = M + F(4-tuple, key), M a
// 4-microsecond clock, F SipHash-2-4, a keyed pseudo-random function, so
// an off-path attacker cannot guess the ISN of someone else's connection.

static uint
tcp_isn(ushort lport, uint raddr, ushort rport)
{
  uint64 tuple = (uint64)NET_IPADDR << 32 | raddr;
  uint64 ports = (uint64)lport << 16 | rport;

  return (uint)(net_usec() / 4) + (uint)siphash(isn_key, tuple, ports);
}

void
tcp_init(void)
{
  initlock(&tcplock, "tcp");
  // Not the boot time (a few million guesses, then every ISN follows):
  // 128 bits from the platform's entropy source.
  net_entropy(isn_key, sizeof(isn_key));
}

// ---- Control blocks.

int
tcp_count(void)
{
  return __atomic_load_n(&netstats.tcp_tcbs_in_use, __ATOMIC_RELAXED);
}

static void
tcb_release(struct tcpcb *t)
{
  mbufq_freeall(&t->sndq);
  mbufq_freeall(&t->rcvq);
  mbufq_freeall(&t->oooq);
  t->sndq_bytes = t->rcvq_bytes = 0;
  memset(t->timer, 0, sizeof(t->timer));
}

// Give t's slot back.  Caller holds tcplock.
static void
tcb_free(struct tcpcb *t)
{
  tcb_release(t);
  t->inuse = 0;
  t->state = TCPS_CLOSED;
  netstat_dec(tcp_tcbs_in_use);
}

// The oldest block in state, for recycling, or 0; with orphans set, only
// one that no socket holds.  Caller holds tcplock.
static struct tcpcb *
tcb_oldest(int state, struct tcpcb *parent, int orphans)
{
  struct tcpcb *t, *old = 0;

  for(t = tcbs; t < tcbs + NTCB; t++)
    if(t->inuse && t->state == state && t->parent == parent && !(orphans && t->user) &&
       (old == 0 || SEQ_LT(t->born, old->born)))
      old = t;
  return old;
}

// A fresh CLOSED block, or 0.  When the table is full, a connection in
// TIME_WAIT gives way: it has nothing left to deliver.  Only one that no
// socket holds: a socket's block is the socket's until it closes it, and
// freeing it here would give the slot two owners.  Caller holds tcplock.
static struct tcpcb *
tcb_alloc(void)
{
  struct tcpcb *t;

  for(t = tcbs; t < tcbs + NTCB; t++)
    if(!t->inuse)
      break;
  if(t == tcbs + NTCB){
    if((t = tcb_oldest(TCPS_TIME_WAIT, 0, 1)) == 0){
      netstat_inc(tcp_tcb_full);
      return 0;
    }
    netstat_inc(tcp_tw_recycled);
    tcb_free(t);
  }
  memset(t, 0, sizeof(*t));
  mbufq_init(&t->sndq);
  mbufq_init(&t->rcvq);
  mbufq_init(&t->oooq);
  t->inuse = 1;
  t->born = tcb_births++;
  t->mss = TCP_MSS_DEFAULT;
  t->rto = TCP_RTO_INIT;
  t->ssthresh = TCP_MAXWIN;
  t->unasked_ack = ticks - TCP_UNASKED_ACK_GAP;
  netstat_inc(tcp_tcbs_in_use);
  return t;
}

// The block for a segment to our port lport from raddr:rport: the
// connection itself, else a listener on lport, else 0.  Caller holds tcplock.
static struct tcpcb *
tcb_lookup(ushort lport, uint raddr, ushort rport)
{
  struct tcpcb *t, *listener = 0;

  for(t = tcbs; t < tcbs + NTCB; t++){
    if(!t->inuse || t->lport != lport)
      continue;
    if(t->state == TCPS_LISTEN)
      listener = t;
    else if(t->state != TCPS_CLOSED && t->raddr == raddr && t->rport == rport)
      return t;
  }
  return listener;
}

// Children of listener t in state (any state if state < 0).
static int
tcb_children(struct tcpcb *t, int state)
{
  int n = 0;

  for(struct tcpcb *c = tcbs; c < tcbs + NTCB; c++)
    if(c->inuse && c->parent == t && (state < 0 || c->state == state))
      n++;
  return n;
}

// ---- Sending segments.

// The part of the checksum that covers the IPv4 pseudo-header (RFC 9293 3.1).
static uint
pseudo_sum(uint src, uint dst, uint len)
{
  return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
         IP_PROTO_TCP + len;
}

// The window to advertise: the receive buffer's free space, but the right
// edge moves on only by a useful amount, min(half the buffer, one MSS),
// so a slow reader does not invite tiny segments (receiver-side silly
// window avoidance, RFC 1122 4.2.3.3).  It never shrinks what we offered.
static uint
rcv_window(struct tcpcb *t)
{
  uint space = TCP_RCVBUF - t->rcvq_bytes;
  uint offered = SEQ_GT(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;

  if(space < offered + MIN(TCP_RCVBUF / 2, TCP_MSS))
    return offered;
  return space;
}

// Prepend a TCP header to the data in m and send it to raddr.  A SYN
// carries our MSS (the only option we send).  Frees m either way.
static int
tcp_emit(struct mbuf *m, ushort sport, uint raddr, ushort dport,
         uint seq, uint ack, int flags, uint win)
{
  struct tcp_hdr *th;
  int optlen = (flags & TCP_SYN) ? TCPOLEN_MSS : 0;
  uchar *opt;

  if((th = (struct tcp_hdr *)mbuf_push(m, TCP_HDRLEN + optlen)) == 0){
    mbuf_free(m);
    return -1;
  }
  th->sport = htons(sport);
  th->dport = htons(dport);
  th->seq = htonl(seq);
  th->ack = htonl((flags & TCP_ACK) ? ack : 0);
  th->off = ((TCP_HDRLEN + optlen) / 4) << 4;
  th->flags = flags;
  th->win = htons(win);
  th->sum = 0;
  th->urp = 0;
  if(optlen){
    opt = (uchar *)(th + 1);
    opt[0] = TCPOPT_MSS;
    opt[1] = TCPOLEN_MSS;
    opt[2] = TCP_MSS >> 8;
    opt[3] = TCP_MSS & 0xff;
  }
  th->sum = htons(in_cksum(th, m->len, pseudo_sum(NET_IPADDR, raddr, m->len)));
  netstat_inc(tcp_tx_segs);
  if(flags & TCP_RST)
    netstat_inc(tcp_rst_sent);
  return ip_output(m, IP_PROTO_TCP, raddr);
}

// Copy len bytes of the send queue, from off bytes past snd_una, to dst.
static void
sndq_copy(struct tcpcb *t, uint off, char *dst, uint len)
{
  struct mbuf *m;
  uint n;

  for(m = t->sndq.head; m && off >= m->len; m = m->next)
    off -= m->len;
  for(; m && len > 0; m = m->next, off = 0){
    n = MIN(len, m->len - off);
    memmove(dst, m->head + off, n);
    dst += n;
    len -= n;
  }
}

// Send one segment of t: len bytes of data from seq on (taken from the
// send queue), with flags.  Every segment but the first SYN carries an
// ACK and our window.  -1 if it could not be built.
static int
tcp_xmit(struct tcpcb *t, uint seq, uint len, int flags)
{
  struct mbuf *m;
  uint win;

  if((m = mbuf_alloc()) == 0){
    netstat_inc(tcp_tx_no_mbuf);
    return -1;
  }
  if(len > 0)
    sndq_copy(t, seq - t->snd_una, mbuf_put(m, len), len);
  if(t->state != TCPS_SYN_SENT)
    flags |= TCP_ACK;
  win = rcv_window(t);
  if(SEQ_GT(t->rcv_nxt + win, t->rcv_adv))
    t->rcv_adv = t->rcv_nxt + win;
  t->flags &= ~TF_ACKNOW;
  t->segs_unacked = 0;
  t->timer[TT_DELACK] = 0;
  return tcp_emit(m, t->lport, t->raddr, t->rport, seq, t->rcv_nxt, flags, win);
}

// A segment with no data: an ACK, a window update, a challenge or a RST.
// It carries snd_max, not snd_nxt: after a timeout snd_nxt goes back to
// resend, but the peer may have all we sent, and would find an older
// sequence number unacceptable and drop the ACK in it.
static int
tcp_xmit_ack(struct tcpcb *t, int flags)
{
  return tcp_xmit(t, t->snd_max, 0, flags);
}

// An ACK now, whatever output would decide.
static void
tcp_ack_now(struct tcpcb *t)
{
  t->flags |= TF_ACKNOW;
  tcp_output(t);
}

// An ACK nobody asked for: to a segment outside the window, to an ACK
// of data we never sent, or a challenge.  Two stacks that disagree about
// the sequence space (one forged segment does it) would answer each
// other's such ACKs for ever, so each connection sends at most one per
// TCP_UNASKED_ACK_GAP.  The limit is per connection, not one global
// budget: a global one is the side channel of CVE-2016-5696 (RFC 5961
// 7), where an attacker counts the challenges left on its own
// connection to learn whether its spoofed segment hit another.  1 if sent.
static int
tcp_ack_unasked(struct tcpcb *t)
{
  if(ticks - t->unasked_ack < TCP_UNASKED_ACK_GAP){
    netstat_inc(tcp_ack_ratelimited);
    return 0;
  }
  t->unasked_ack = ticks;
  tcp_xmit_ack(t, 0);
  return 1;
}

// RFC 5961 challenge ACK: tell a possibly-spoofing sender where we are.
static void
tcp_challenge(struct tcpcb *t)
{
  if(tcp_ack_unasked(t))
    netstat_inc(tcp_challenge_acks);
}

// ---- Round-trip time and the retransmission timer (RFC 6298).

// The RTO after shift backoffs (5.5), at most TCP_RTO_MAX.
static int
rto_backoff(struct tcpcb *t, int shift)
{
  return MIN(t->rto << MIN(shift, 16), TCP_RTO_MAX);
}

static int
rto_now(struct tcpcb *t)
{
  return rto_backoff(t, t->rxtshift);
}

static void
rtt_sample(struct tcpcb *t, int r)
{
  int delta;

  if(!(t->flags & TF_SAMPLED)){
    t->srtt8 = r << 3;            // SRTT = R, RTTVAR = R/2 (2.2)
    t->rttvar4 = r << 1;
    t->flags |= TF_SAMPLED;
  } else {
    delta = r - (t->srtt8 >> 3);  // (2.3), with beta 1/4 and alpha 1/8
    t->srtt8 += delta;
    if(delta < 0)
      delta = -delta;
    t->rttvar4 += delta - (t->rttvar4 >> 2);
  }
  t->rto = (t->srtt8 >> 3) + MAX(1, t->rttvar4);   // G is one tick
  t->rto = MAX(TCP_RTO_MIN, MIN(t->rto, TCP_RTO_MAX));
}

// ---- Output: what to send now, within the peer's window and the
// congestion window (RFC 9293 3.7.4, 3.8.6; RFC 5681), and the RST that
// answers a segment for no connection.

// Initial congestion window (RFC 5681 3.1).
static uint
initial_cwnd(uint mss)
{
  if(mss > 2190)
    return 2 * mss;
  if(mss > 1095)
    return 3 * mss;
  return 4 * mss;
}

static int
synchronized(int state)
{
  return state >= TCPS_ESTABLISHED;
}

// Bytes of data in flight.
static uint
flight(struct tcpcb *t)
{
  return t->snd_max - t->snd_una;
}

// Is there data or a FIN at snd_nxt still to send?
static int
unsent(struct tcpcb *t)
{
  return SEQ_LT(t->snd_nxt, t->snd_una + t->sndq_bytes) ||
         ((t->flags & TF_FIN_Q) && SEQ_LEQ(t->snd_nxt, t->finseq));
}

// Send what the windows allow and the rules say is worth sending, then
// look after the retransmission and persist timers.  Caller holds tcplock.
static void
tcp_output(struct tcpcb *t)
{
  uint off, avail, win, usable, len;
  int fin, small;

  if(t->state == TCPS_SYN_SENT || t->state == TCPS_SYN_RECEIVED){
    if(t->snd_nxt == t->iss){
      tcp_xmit(t, t->iss, 0, TCP_SYN);
      t->snd_nxt = t->snd_max = t->iss + 1;
      if(t->timer[TT_REXMT] == 0)
        t->timer[TT_REXMT] = rto_now(t);
    } else if(t->flags & TF_ACKNOW){
      tcp_xmit_ack(t, 0);
    }
    return;
  }
  if(!synchronized(t->state))
    return;
  for(;;){
    off = t->snd_nxt - t->snd_una;
    avail = t->sndq_bytes > off ? t->sndq_bytes - off : 0;
    win = MIN(t->snd_wnd, t->cwnd);
    usable = win > off ? win - off : 0;
    len = MIN(MIN(avail, usable), t->mss);
    // The FIN takes a sequence number like a byte of data: it waits for
    // room in the peer's window, else it would be dropped (and retried
    // until we gave up) while the peer ACKs each copy (RFC 9293 3.8.6.1).
    fin = (t->flags & TF_FIN_Q) && t->snd_nxt + len == t->finseq && off + len < t->snd_wnd;
    // Sender-side silly window avoidance and Nagle (RFC 1122 4.2.3.4):
    // send a full segment, or everything left when no small segment is
    // still unacknowledged (Minshall's variant, which keeps a request
    // and its reply from waiting on a delayed ACK), or half the largest
    // window the peer has offered.  A retransmission goes regardless:
    // after a timeout, what was in flight is resent as it was.
    small = len > 0 && len < t->mss;
    if(len > 0 && !(len == t->mss || (t->flags & TF_FORCE) || SEQ_LT(t->snd_nxt, t->snd_max) ||
                    (len == avail && (fin || SEQ_LEQ(t->snd_sml, t->snd_una))) ||
                    len >= t->max_sndwnd / 2))
      len = 0, fin = 0;
    if(len == 0 && !fin && !(t->flags & TF_ACKNOW))
      break;
    if(SEQ_LT(t->snd_nxt, t->snd_max) && (len > 0 || fin))
      netstat_add(tcp_rexmit_bytes, len);
    if(len == 0 && !fin){
      tcp_xmit_ack(t, 0);
      break;
    }
    if(tcp_xmit(t, t->snd_nxt, len, (fin ? TCP_FIN : 0) | (len ? TCP_PSH : 0)) < 0){
      if((len > 0 || fin) && t->timer[TT_REXMT] == 0)
        t->timer[TT_REXMT] = rto_now(t);   // out of mbufs: try again later
      break;
    }
    if(len > 0 && !(t->flags & TF_TIMING) && SEQ_GEQ(t->snd_nxt, t->snd_max)){
      t->flags |= TF_TIMING;
      t->rtt_seq = t->snd_nxt;
      t->rtt_start = ticks;
    }
    t->snd_nxt += len + fin;
    if(small)
      t->snd_sml = t->snd_nxt;
    if(SEQ_GT(t->snd_nxt, t->snd_max))
      t->snd_max = t->snd_nxt;
    if((len > 0 || fin) && t->timer[TT_REXMT] == 0){
      t->timer[TT_REXMT] = rto_now(t);
      t->timer[TT_PERSIST] = 0;
    }
    if(len == 0)
      break;
  }
  t->flags &= ~TF_FORCE;
  // Data or the FIN wait, and nothing is in flight whose ACK could move
  // things on (after a timeout, what was sent counts as lost): the peer's
  // window is shut, or too small to be worth a segment.  The persist
  // timer probes a shut window (RFC 9293 3.8.6.1) and is the override
  // timeout of RFC 1122 4.2.3.4 for a small one.
  if(unsent(t) && t->snd_nxt == t->snd_una &&
     t->timer[TT_REXMT] == 0 && t->timer[TT_PERSIST] == 0)
    t->timer[TT_PERSIST] = MAX(rto_backoff(t, t->persistshift), TCP_RTO_MIN);
}

// A RST in answer to segment (seq, ack, flags, len) that found no
// connection (RFC 9293 3.10.7.1).  m is the segment's mbuf, reused.
static void
tcp_reset_reply(struct mbuf *m, uint raddr, ushort sport, ushort dport,
                uint seq, uint ack, int flags, uint seglen)
{
  m->len = 0;   // keep the buffer, drop the segment
  m->head = m->buf + MBUF_HEADROOM;
  if(flags & TCP_RST){
    mbuf_free(m);
    return;
  }
  if(flags & TCP_ACK)
    tcp_emit(m, dport, raddr, sport, ack, 0, TCP_RST, 0);
  else
    tcp_emit(m, dport, raddr, sport, 0, seq + seglen, TCP_RST | TCP_ACK, 0);
}

// ---- Endings.

// The connection is over: record why, and free the block if no socket
// holds it.  A socket still reads what arrived before a normal end; an
// error (RST, timeout) discards it, as RFC 9293 3.10.7.4 says.  Caller
// holds tcplock.
static void
tcp_drop(struct tcpcb *t, int err)
{
  if(err)
    t->error = err;
  if(t->user && err == 0){
    mbufq_freeall(&t->sndq);
    mbufq_freeall(&t->oooq);
    t->sndq_bytes = 0;
    memset(t->timer, 0, sizeof(t->timer));
  } else {
    tcb_release(t);
  }
  t->state = TCPS_CLOSED;
  wakeup(t);
  if(!t->user)
    tcb_free(t);
}

static void
tcp_abort(struct tcpcb *t, int err)
{
  if(synchronized(t->state) || t->state == TCPS_SYN_RECEIVED)
    tcp_xmit_ack(t, TCP_RST);
  tcp_drop(t, err);
}

// Both FINs are acknowledged; wait 2 MSL for strays.  At most
// TCP_TIMEWAIT_MAX wait at once: beyond that the oldest goes early.
static void
tcp_timewait(struct tcpcb *t)
{
  struct tcpcb *c;
  int n = 0;

  t->state = TCPS_TIME_WAIT;
  t->born = tcb_births++;
  mbufq_freeall(&t->oooq);
  memset(t->timer, 0, sizeof(t->timer));
  t->timer[TT_2MSL] = TCP_2MSL;
  wakeup(t);
  for(c = tcbs; c < tcbs + NTCB; c++)
    n += c->inuse && c->state == TCPS_TIME_WAIT;
  if(n > TCP_TIMEWAIT_MAX && (c = tcb_oldest(TCPS_TIME_WAIT, 0, 0)) != t){
    netstat_inc(tcp_tw_recycled);
    tcp_drop(c, 0);
  }
}

// ---- Timers.

static void
tcp_rexmt_timeout(struct tcpcb *t)
{
  int max = synchronized(t->state) ? TCP_MAXRXT : TCP_SYN_MAXRXT;

  if(++t->rxtshift > max){
    netstat_inc(tcp_conn_timeouts);
    tcp_abort(t, SOCKERR_TIMEDOUT);
    return;
  }
  netstat_inc(tcp_rexmit_timeouts);
  // Karn: no sample from a retransmitted segment.  RFC 5681 3.1 (4):
  // halve the flight into ssthresh, restart from one segment.
  t->flags &= ~(TF_TIMING | TF_RECOVERY);
  t->recover = t->snd_max;   // RFC 6582 4
  t->ssthresh = MAX(flight(t) / 2, 2 * t->mss);
  t->cwnd = t->mss;
  t->dupacks = 0;
  t->snd_nxt = t->snd_una;
  if(t->state == TCPS_SYN_SENT || t->state == TCPS_SYN_RECEIVED)
    t->snd_nxt = t->iss;
  t->timer[TT_REXMT] = 0;
  tcp_output(t);   // restarts this timer if it sent; else a shut window: persist
}

// The window stayed shut or small.  A small one gets what fits, silly or
// not.  A shut one gets a probe: one byte beyond the window (or the FIN,
// if no data wait), which the peer either takes (its window opened) or
// answers with its window.  The probes back off with a count of their
// own: the retransmission timer's starts afresh when the window opens.
// A peer that answers keeps the connection open as long as it likes (RFC
// 1122 4.2.2.17), but not one that stops answering (TCP_MAXRXT probes, as
// for retransmissions), nor an orphan: nobody waits for its data, and a
// peer that never opens its window must not hold its block for ever.
static void
tcp_persist_timeout(struct tcpcb *t)
{
  if(!unsent(t))
    return;   // all acknowledged meanwhile (a probe taken): nothing to probe with
  t->persistshift = MIN(t->persistshift + 1, 16);
  if(t->snd_wnd > 0){
    t->flags |= TF_FORCE;
    tcp_output(t);
    return;
  }
  if(++t->probes_out > TCP_MAXRXT || (!t->user && t->persistshift > TCP_MAXRXT)){
    netstat_inc(tcp_probe_timeouts);
    tcp_abort(t, SOCKERR_TIMEDOUT);
    return;
  }
  netstat_inc(tcp_persist_probes);
  if(t->sndq_bytes > 0){
    tcp_xmit(t, t->snd_una, 1, 0);
    if(SEQ_GT(t->snd_una + 1, t->snd_max))
      t->snd_max = t->snd_una + 1;
  } else {
    tcp_xmit(t, t->finseq, 0, TCP_FIN);
    if(SEQ_GT(t->finseq + 1, t->snd_max))
      t->snd_max = t->finseq + 1;
  }
  t->timer[TT_PERSIST] = MAX(rto_backoff(t, t->persistshift), TCP_RTO_MIN);
}

static void
tcp_timer_fire(struct tcpcb *t, int which)
{
  switch(which){
  case TT_REXMT:
    tcp_rexmt_timeout(t);
    break;
  case TT_PERSIST:
    tcp_persist_timeout(t);
    break;
  case TT_DELACK:
    netstat_inc(tcp_delayed_acks);
    tcp_ack_now(t);
    break;
  case TT_2MSL:
    tcp_drop(t, 0);   // TIME_WAIT over, or an orphan's FIN_WAIT_2 gave up
    break;
  case TT_RCVWAIT:
    t->flags |= TF_RCVTIMEO;
    wakeup(t);
    break;
  }
}

void
tcp_timer(void)
{
  struct tcpcb *t;

  if(tcp_count() == 0)
    return;
  acquire(&tcplock);
  for(t = tcbs; t < tcbs + NTCB; t++)
    for(int i = 0; i < TT_N && t->inuse; i++)
      if(t->timer[i] > 0 && --t->timer[i] == 0)
        tcp_timer_fire(t, i);
  release(&tcplock);
}

// ---- Input.

// -- The segment: parsed, checked, and what its header sets (RFC 9293 3.1,
// 3.7.1, SND.WND).

// A segment, parsed: data bytes only in m, the rest here.
struct seg {
  uint raddr;
  ushort sport, dport;
  uint seq, ack, wnd;
  int flags;
  uint len;        // data bytes
  uint mss;        // the MSS option, or 0
};

// Sequence space the segment occupies: data, SYN and FIN.
static uint
seg_span(struct seg *s)
{
  return s->len + !!(s->flags & TCP_SYN) + !!(s->flags & TCP_FIN);
}

// The MSS option, if the options hold a well-formed one.  Others are skipped.
static uint
parse_mss(const uchar *p, int n)
{
  while(n > 0){
    if(p[0] == TCPOPT_EOL)
      break;
    if(p[0] == TCPOPT_NOP){
      p++, n--;
      continue;
    }
    if(n < 2 || p[1] < 2 || p[1] > n)
      break;
    if(p[0] == TCPOPT_MSS && p[1] == TCPOLEN_MSS)
      return p[2] << 8 | p[3];
    n -= p[1];
    p += p[1];
  }
  return 0;
}

// Check and parse the segment in m; on success m holds just its data.
// The counter that says why it must be dropped, or 0.
static uint64 *
tcp_parse(struct mbuf *m, struct ip_hdr *ip, struct seg *s)
{
  struct tcp_hdr *th = (struct tcp_hdr *)m->head;
  uint hlen;

  if(m->len < TCP_HDRLEN)
    return &netstats.tcp_rx_bad_header;
  hlen = (th->off >> 4) * 4;
  if(hlen < TCP_HDRLEN || hlen > m->len)
    return &netstats.tcp_rx_bad_header;
  if(in_cksum(th, m->len, pseudo_sum(ntohl(ip->src), ntohl(ip->dst), m->len)) != 0)
    return &netstats.tcp_rx_bad_checksum;
  // A broadcast source or destination cannot be one end of a connection.
  if(ntohl(ip->dst) != NET_IPADDR || ntohl(ip->src) == IP_BCAST)
    return &netstats.tcp_rx_bad_header;
  s->raddr = ntohl(ip->src);
  s->sport = ntohs(th->sport);
  s->dport = ntohs(th->dport);
  s->seq = ntohl(th->seq);
  s->ack = ntohl(th->ack);
  s->wnd = ntohs(th->win);
  s->flags = th->flags;
  s->mss = (s->flags & TCP_SYN) ? parse_mss((uchar *)(th + 1), hlen - TCP_HDRLEN) : 0;
  if(s->sport == 0 || s->dport == 0)
    return &netstats.tcp_rx_bad_header;
  mbuf_pull(m, hlen);
  s->len = m->len;
  return 0;
}

// The peer's MSS applies to what we send (RFC 9293 3.7.1).
static void
set_mss(struct tcpcb *t, uint peer)
{
  t->mss = peer ? MIN(peer, TCP_MSS) : TCP_MSS_DEFAULT;
  if(t->mss < 64)
    t->mss = 64;   // an absurd MSS would only multiply our segments
  t->cwnd = initial_cwnd(t->mss);
}

// Take the window the segment offers, if it is newer than the last
// (RFC 9293 3.10.7.4, SND.WL1/WL2).
static void
update_window(struct tcpcb *t, struct seg *s)
{
  if(SEQ_LT(t->snd_wl1, s->seq) ||
     (t->snd_wl1 == s->seq && SEQ_LEQ(t->snd_wl2, s->ack))){
    t->snd_wnd = s->wnd;
    t->snd_wl1 = s->seq;
    t->snd_wl2 = s->ack;
    t->max_sndwnd = MAX(t->max_sndwnd, s->wnd);
    if(t->snd_wnd > 0){
      t->timer[TT_PERSIST] = 0;
      t->persistshift = 0;
    }
  }
}

// -- LISTEN and SYN-SENT (RFC 9293 3.10.7.2, 3.10.7.3).

// Start a connection in SYN_RECEIVED for listener l.  Caller holds tcplock.
static void
tcp_listen_input(struct tcpcb *l, struct mbuf *m, struct seg *s)
{
  struct tcpcb *c;

  if(s->flags & TCP_RST){
    mbuf_free(m);
    return;
  }
  if((s->flags & TCP_ACK) || !(s->flags & TCP_SYN)){
    tcp_reset_reply(m, s->raddr, s->sport, s->dport, s->seq, s->ack, s->flags, seg_span(s));
    return;
  }
  mbuf_free(m);   // data on a SYN comes again once we are synchronized
  // Two queues, bounded apart: the SYN queue (half-open children, at
  // most TCP_SYNQ_MAX) and the accept queue (established, waiting for
  // accept(), at most the backlog).  A SYN is taken while both have room,
  // so a burst of clients is not turned away while accept() keeps up; a
  // handshake it started may then complete into a full accept queue,
  // which is bounded all the same (backlog + TCP_SYNQ_MAX).  Else the SYN
  // is dropped and its sender tries again.  No half-open child is
  // recycled for a new SYN: one whose SYN-ACK we resent may have a client
  // that already believes itself connected, and would be reset.  A SYN
  // flood thus holds at most TCP_SYNQ_MAX blocks, each until its SYN-ACK
  // retries run out.
  if(tcb_children(l, TCPS_SYN_RECEIVED) >= TCP_SYNQ_MAX){
    netstat_inc(tcp_syn_dropped);
    return;
  }
  if(tcb_children(l, -1) - tcb_children(l, TCPS_SYN_RECEIVED) >= l->backlog){
    netstat_inc(tcp_accept_queue_full);
    return;
  }
  if((c = tcb_alloc()) == 0){
    netstat_inc(tcp_syn_dropped);
    return;
  }
  c->state = TCPS_SYN_RECEIVED;
  c->parent = l;
  c->lport = l->lport;
  c->raddr = s->raddr;
  c->rport = s->sport;
  c->irs = s->seq;
  c->rcv_nxt = c->rcv_adv = s->seq + 1;
  c->iss = tcp_isn(c->lport, c->raddr, c->rport);
  c->snd_una = c->snd_nxt = c->snd_max = c->snd_sml = c->recover = c->iss;
  c->snd_wnd = s->wnd;
  c->snd_wl1 = s->seq;
  c->snd_wl2 = c->iss;
  c->max_sndwnd = s->wnd;
  set_mss(c, s->mss);
  tcp_output(c);
}

// Our SYN is acknowledged: the handshake's timer stops.  If the SYN had
// to be sent again, the RTO starts data at 3 s, not 1 (RFC 6298 5.7).
static void
syn_acked(struct tcpcb *t)
{
  if(t->rxtshift > 0 && !(t->flags & TF_SAMPLED))
    t->rto = MAX(t->rto, TCP_RTO_SYNLOST);
  t->timer[TT_REXMT] = 0;
  t->rxtshift = 0;
}

// Our SYN is out; this should be the SYN-ACK (RFC 9293 3.10.7.3).
static void
tcp_synsent_input(struct tcpcb *t, struct mbuf *m, struct seg *s)
{
  int ackok = (s->flags & TCP_ACK) && SEQ_GT(s->ack, t->iss) && SEQ_LEQ(s->ack, t->snd_max);

  if((s->flags & TCP_ACK) && !ackok){
    tcp_reset_reply(m, s->raddr, s->sport, s->dport, s->seq, s->ack, s->flags, seg_span(s));
    return;
  }
  mbuf_free(m);
  if(s->flags & TCP_RST){
    if(ackok){
      netstat_inc(tcp_rst_rcvd);
      tcp_drop(t, SOCKERR_REFUSED);
    }
    return;
  }
  if(!(s->flags & TCP_SYN))
    return;
  t->irs = s->seq;
  t->rcv_nxt = t->rcv_adv = s->seq + 1;
  set_mss(t, s->mss);
  t->snd_wl1 = s->seq - 1;   // so that update_window takes this one
  if(ackok){
    t->snd_una = s->ack;
    t->state = TCPS_ESTABLISHED;
    syn_acked(t);
    update_window(t, s);
    wakeup(t);
    tcp_ack_now(t);
  } else {
    // Simultaneous open: both sent SYNs (RFC 9293 3.5, figure 8).
    t->state = TCPS_SYN_RECEIVED;
    t->snd_nxt = t->iss;
    tcp_output(t);
  }
}

// -- Synchronized states: the receive window (RFC 9293 3.10.7.4, first
// check).

// Is the segment (partly) inside our receive window?  (RFC 9293 3.10.7.4,
// the four cases of "first check sequence number".)
static int
seq_acceptable(struct tcpcb *t, struct seg *s)
{
  uint wnd = t->rcv_adv - t->rcv_nxt;
  uint span = seg_span(s);

  if(span == 0 && wnd == 0)
    return s->seq == t->rcv_nxt;
  if(span == 0)
    return SEQ_LEQ(t->rcv_nxt, s->seq) && SEQ_LT(s->seq, t->rcv_nxt + wnd);
  if(wnd == 0)
    return 0;
  return (SEQ_LEQ(t->rcv_nxt, s->seq) && SEQ_LT(s->seq, t->rcv_nxt + wnd)) ||
         (SEQ_LEQ(t->rcv_nxt, s->seq + span - 1) && SEQ_LT(s->seq + span - 1, t->rcv_nxt + wnd));
}

// Cut what lies outside the window off m: old bytes at the front (and a
// SYN already seen), bytes beyond the right edge (and then the FIN).
static void
trim_to_window(struct tcpcb *t, struct mbuf *m, struct seg *s)
{
  uint wnd = t->rcv_adv - t->rcv_nxt, extra;

  if(s->flags & TCP_SYN){
    s->flags &= ~TCP_SYN;
    s->seq++;
  }
  if(SEQ_LT(s->seq, t->rcv_nxt)){
    extra = MIN(t->rcv_nxt - s->seq, s->len);
    if(extra == s->len && s->len > 0)
      netstat_inc(tcp_rx_dup_data);
    mbuf_pull(m, extra);
    s->len -= extra;
    s->seq += extra;
  }
  if(SEQ_GT(s->seq + s->len, t->rcv_nxt + wnd)){
    extra = s->seq + s->len - (t->rcv_nxt + wnd);
    extra = MIN(extra, s->len);
    mbuf_trim(m, extra);
    s->len -= extra;
    s->flags &= ~TCP_FIN;
  }
}

// -- Data and FIN: the receive queue, and segments held beyond a hole.

// Append m's data to the receive queue, into the last mbuf if it has room
// (a stream of small segments then costs a page per few KiB, not per segment).
static void
rcvq_append(struct tcpcb *t, struct mbuf *m)
{
  struct mbuf *last = t->rcvq.tail;

  t->rcvq_bytes += m->len;
  t->rcv_nxt += m->len;
  if(last && mbuf_tailroom(last) >= m->len){
    memmove(mbuf_put(last, m->len), m->head, m->len);
    mbuf_free(m);
  } else {
    mbufq_pushtail(&t->rcvq, m);
  }
}

// Move out-of-order segments that now follow rcv_nxt into the receive queue.
static void
ooo_drain(struct tcpcb *t)
{
  struct mbuf *m;

  while((m = t->oooq.head) != 0 && SEQ_LEQ(m->seq, t->rcv_nxt)){
    mbufq_pophead(&t->oooq);
    if(SEQ_LEQ(m->seq + m->len, t->rcv_nxt)){
      mbuf_free(m);   // all of it arrived meanwhile
      continue;
    }
    mbuf_pull(m, t->rcv_nxt - m->seq);
    rcvq_append(t, m);
  }
}

// Keep a segment that lies beyond a hole, in sequence order.  Duplicates
// and overflow of the bounded queue are dropped.
static void
ooo_insert(struct tcpcb *t, struct mbuf *m, uint seq)
{
  struct mbuf **pp, *p;

  netstat_inc(tcp_rx_ooo);
  m->seq = seq;
  for(pp = &t->oooq.head; (p = *pp) != 0 && SEQ_LEQ(p->seq, seq); pp = &p->next){
    if(SEQ_GEQ(p->seq + p->len, seq + m->len)){
      net_drop(m, &netstats.tcp_rx_dup_data);   // already held
      return;
    }
  }
  if(t->oooq.len >= TCP_OOO_MAX){
    net_drop(m, &netstats.tcp_ooo_drops);
    return;
  }
  m->next = p;
  *pp = m;
  if(p == 0)
    t->oooq.tail = m;
  t->oooq.len++;
}

// In-window data of an established connection (m holds s->len bytes at s->seq).
// ACK at once for data out of order or filling a hole (RFC 5681 4.2), for
// every second full-sized segment, else within TCP_DELACK (RFC 1122 4.2.3.2).
static void
tcp_data(struct tcpcb *t, struct mbuf *m, struct seg *s)
{
  int filled;

  if(s->len == 0){
    mbuf_free(m);
    return;
  }
  if(t->state != TCPS_ESTABLISHED && t->state != TCPS_FIN_WAIT_1 &&
     t->state != TCPS_FIN_WAIT_2){
    mbuf_free(m);   // the peer sent FIN already; RFC 9293 says ignore
    return;
  }
  if(!t->user && !t->parent){
    // Nobody will ever read this: tell the peer, as Linux does.
    mbuf_free(m);
    tcp_abort(t, 0);
    return;
  }
  if(s->seq != t->rcv_nxt){
    ooo_insert(t, m, s->seq);
    t->flags |= TF_ACKNOW;
    return;
  }
  // Every segment counts toward "every second", full-sized or not: that
  // ACKs at least as often as RFC 1122 asks.
  filled = t->oooq.len > 0;
  t->segs_unacked++;
  rcvq_append(t, m);
  ooo_drain(t);
  wakeup(t);
  if(filled || t->segs_unacked >= 2)
    t->flags |= TF_ACKNOW;
  else if(t->timer[TT_DELACK] == 0)
    t->timer[TT_DELACK] = TCP_DELACK;
}

// The peer's FIN, in order: the stream from it ends (RFC 9293 3.10.7.4, eighth).
static void
tcp_fin(struct tcpcb *t)
{
  t->flags |= TF_RCVD_FIN | TF_ACKNOW;
  t->rcv_nxt++;
  wakeup(t);
  switch(t->state){
  case TCPS_SYN_RECEIVED:
  case TCPS_ESTABLISHED:
    t->state = TCPS_CLOSE_WAIT;
    break;
  case TCPS_FIN_WAIT_1:
    t->state = TCPS_CLOSING;   // our FIN is not acknowledged yet
    break;
  case TCPS_FIN_WAIT_2:
    tcp_xmit_ack(t, 0);
    tcp_timewait(t);
    break;
  }
}

// -- ACKs: the send queue, duplicate ACKs and recovery (RFC 5681, RFC
// 6582), the RTT sample.

// Remove n acknowledged data bytes from the front of the send queue.
static void
sndq_drop(struct tcpcb *t, uint n)
{
  struct mbuf *m;

  t->sndq_bytes -= n;
  while(n > 0 && (m = t->sndq.head) != 0){
    if(m->len > n){
      mbuf_pull(m, n);
      break;
    }
    n -= m->len;
    mbuf_free(mbufq_pophead(&t->sndq));
  }
  wakeup(t);   // writers wait for room
}

// Resend the first unacknowledged segment (fast retransmit and NewReno's
// partial ACKs): no further than what was sent, since snd_max stays put.
static void
resend_first(struct tcpcb *t)
{
  uint len = MIN(MIN(t->sndq_bytes, t->mss), flight(t));
  int fin = (t->flags & TF_FIN_Q) && len == t->sndq_bytes && SEQ_GT(t->snd_max, t->finseq);

  netstat_add(tcp_rexmit_bytes, len);
  t->flags &= ~TF_TIMING;
  tcp_xmit(t, t->snd_una, len, fin ? TCP_FIN : 0);
}

// A duplicate ACK (RFC 5681 2, "DUPLICATE ACKNOWLEDGMENT"): on the third,
// fast retransmit and enter fast recovery (3.2); each further one means
// another segment left the network, so the window inflates by one.
static void
tcp_dupack(struct tcpcb *t)
{
  netstat_inc(tcp_dup_acks);
  // Not for a loss from before the last recovery or timeout: their
  // retransmissions make duplicates of their own (RFC 6582 3.2 (2)).
  if(++t->dupacks == 3 && !(t->flags & TF_RECOVERY) && SEQ_GEQ(t->snd_una, t->recover)){
    netstat_inc(tcp_fast_rexmits);
    t->ssthresh = MAX(flight(t) / 2, 2 * t->mss);
    t->recover = t->snd_max;
    t->flags |= TF_RECOVERY;
    resend_first(t);
    t->cwnd = t->ssthresh + 3 * t->mss;
    t->timer[TT_REXMT] = rto_now(t);
  } else if(t->dupacks > 3 || (t->flags & TF_RECOVERY)){
    t->cwnd += t->mss;
  }
}

// New data acknowledged: acked bytes of sequence space up to s->ack.
static void
tcp_newack(struct tcpcb *t, struct seg *s)
{
  uint acked = s->ack - t->snd_una;
  uint data = MIN(acked, t->sndq_bytes);

  if((t->flags & TF_TIMING) && SEQ_GT(s->ack, t->rtt_seq)){
    t->flags &= ~TF_TIMING;
    rtt_sample(t, ticks - t->rtt_start);
  }
  t->rxtshift = 0;
  if(t->flags & TF_RECOVERY){
    if(SEQ_GEQ(s->ack, t->recover)){
      // Full ACK: leave recovery with the window deflated (RFC 6582 3.2 (3)).
      t->flags &= ~TF_RECOVERY;
      t->cwnd = MIN(t->ssthresh, flight(t) - acked + t->mss);
    } else {
      // Partial ACK: the next hole was lost too; resend it at once.
      t->cwnd = t->cwnd > acked ? t->cwnd - acked : 0;
      t->cwnd += t->mss;
    }
  } else if(t->cwnd < t->ssthresh){
    t->cwnd += MIN(acked, t->mss);                         // slow start
  } else {
    t->cwnd += MAX(1, t->mss * t->mss / t->cwnd);          // congestion avoidance
  }
  t->cwnd = MIN(t->cwnd, 4 * TCP_MAXWIN);
  t->dupacks = 0;
  sndq_drop(t, data);
  t->snd_una = s->ack;
  if(SEQ_LT(t->snd_nxt, t->snd_una))
    t->snd_nxt = t->snd_una;
  if((t->flags & TF_RECOVERY) && t->sndq_bytes > 0)
    resend_first(t);
  t->timer[TT_REXMT] = t->snd_una == t->snd_max ? 0 : rto_now(t);
}

// Has the peer acknowledged our FIN?
static int
fin_acked(struct tcpcb *t)
{
  return (t->flags & TF_FIN_Q) && SEQ_GT(t->snd_una, t->finseq);
}

// The ACK field of a segment to a synchronized connection (RFC 9293
// 3.10.7.4 fifth check, RFC 5961 5).  0 if the segment is done with.
static int
tcp_ack(struct tcpcb *t, struct seg *s)
{
  if(SEQ_GT(s->ack, t->snd_max)){
    netstat_inc(tcp_rx_ack_unsent);   // acknowledges something we never sent
    tcp_ack_unasked(t);
    return 0;
  }
  if(SEQ_LT(s->ack, t->snd_una - MAX(t->max_sndwnd, 1))){
    tcp_challenge(t);   // far too old: RFC 5961 5.2
    return 0;
  }
  t->probes_out = 0;   // the peer is there
  if(SEQ_GT(s->ack, t->snd_una)){
    tcp_newack(t, s);
  } else if(s->ack == t->snd_una && s->len == 0 && !(s->flags & (TCP_SYN | TCP_FIN)) &&
            s->wnd == t->snd_wnd && s->wnd > 0 && t->snd_max != t->snd_una){
    // (A zero window answers our persist probes: not a sign of loss.)
    tcp_dupack(t);
  } else {
    t->dupacks = 0;
  }
  update_window(t, s);
  if(fin_acked(t)){
    switch(t->state){
    case TCPS_FIN_WAIT_1:
      t->state = TCPS_FIN_WAIT_2;
      if(!t->user)
        t->timer[TT_2MSL] = TCP_FIN_WAIT_2_MAX;
      wakeup(t);
      break;
    case TCPS_CLOSING:
      tcp_timewait(t);
      return 0;
    case TCPS_LAST_ACK:
      tcp_drop(t, 0);
      return 0;
    }
  }
  return 1;
}

// -- RST, the handshake's last ACK, and a segment's way in (tcp_input()).

// RST in a synchronized state (RFC 5961 3.2): only an exact match resets.
static void
tcp_rst(struct tcpcb *t, struct seg *s)
{
  if(s->seq != t->rcv_nxt){
    tcp_challenge(t);
    return;
  }
  netstat_inc(tcp_rst_rcvd);
  if(t->state == TCPS_SYN_RECEIVED && t->parent)
    tcp_drop(t, 0);   // back to the listener (RFC 9293 3.10.7.4)
  else if(t->state == TCPS_SYN_RECEIVED)
    tcp_drop(t, SOCKERR_REFUSED);
  else if(t->state >= TCPS_CLOSING)
    tcp_drop(t, 0);   // we were closing anyway
  else
    tcp_drop(t, SOCKERR_RESET);
}

// SYN_RECEIVED: the ACK of our SYN completes the handshake.
static int
tcp_synrcvd_ack(struct tcpcb *t, struct mbuf *m, struct seg *s)
{
  if(SEQ_LEQ(s->ack, t->snd_una) || SEQ_GT(s->ack, t->snd_max)){
    tcp_reset_reply(m, s->raddr, s->sport, s->dport, s->seq, s->ack, s->flags, seg_span(s));
    return 0;
  }
  t->state = TCPS_ESTABLISHED;
  t->snd_una = t->iss + 1;   // the SYN; tcp_ack takes the rest
  t->snd_wl1 = s->seq - 1;
  syn_acked(t);
  if(t->parent)
    netstat_inc(tcp_conn_accepted);
  t->born = tcb_births++;    // accept() order: order of establishment
  wakeup(t->parent ? t->parent : t);
  return 1;
}

// A segment for a synchronized connection or SYN_RECEIVED (RFC 9293
// 3.10.7.4).  Consumes m.
static void
tcp_sync_input(struct tcpcb *t, struct mbuf *m, struct seg *s)
{
  int fin;

  if(t->state == TCPS_SYN_RECEIVED && (s->flags & TCP_SYN) && s->seq == t->irs){
    if(!(s->flags & TCP_ACK)){
      mbuf_free(m);   // our SYN-ACK was lost: send it again
      t->snd_nxt = t->iss;
      tcp_output(t);
      return;
    }
    // Simultaneous open (RFC 9293 figure 8): the peer's SYN-ACK repeats
    // the SYN we have, and its ACK completes our side at once.
    s->flags &= ~TCP_SYN;
    s->seq++;
  }
  if(!seq_acceptable(t, s)){
    // Zero window: the ACK and window are still news (RFC 9293 3.10.7.4),
    // and the sender's probe wants our window back: an ACK at once.
    if(s->seq == t->rcv_nxt && seg_span(s) > 0 && t->rcv_adv == t->rcv_nxt){
      netstat_inc(tcp_rx_win_full);
      mbuf_trim(m, s->len);
      s->len = 0;
      s->flags &= ~TCP_FIN;
      t->flags |= TF_ACKNOW;
    } else {
      netstat_inc(tcp_rx_out_of_window);
      mbuf_free(m);
      if(!(s->flags & TCP_RST))
        tcp_ack_unasked(t);
      return;
    }
  }
  if(s->flags & TCP_RST){
    mbuf_free(m);
    tcp_rst(t, s);
    return;
  }
  if(s->flags & TCP_SYN){
    mbuf_free(m);   // RFC 5961 4: any SYN here is challenged
    tcp_challenge(t);
    return;
  }
  if(!(s->flags & TCP_ACK)){
    mbuf_free(m);
    return;
  }
  if(t->state == TCPS_SYN_RECEIVED && !tcp_synrcvd_ack(t, m, s))
    return;
  if(t->state == TCPS_TIME_WAIT){
    // Only the peer's FIN can come again: ACK it, wait 2 MSL afresh.
    mbuf_free(m);
    if(s->flags & TCP_FIN){
      tcp_xmit_ack(t, 0);
      t->timer[TT_2MSL] = TCP_2MSL;
    }
    return;
  }
  if(!tcp_ack(t, s)){
    mbuf_free(m);
    return;
  }
  trim_to_window(t, m, s);
  fin = (s->flags & TCP_FIN) && s->seq == t->rcv_nxt;   // in order, after its data
  tcp_data(t, m, s);
  if(!t->inuse || t->state == TCPS_CLOSED)
    return;
  if(fin && !(t->flags & TF_RCVD_FIN) && t->rcv_nxt == s->seq + s->len)
    tcp_fin(t);
  if(t->inuse && t->state != TCPS_CLOSED && t->state != TCPS_TIME_WAIT)
    tcp_output(t);
}

// A TIME_WAIT connection may be reopened by a new SYN above its old
// sequence numbers (RFC 9293 3.10.7.4 note, RFC 6191): the old one goes.
static int
timewait_reopen(struct tcpcb *t, struct seg *s)
{
  if(t->state != TCPS_TIME_WAIT || (s->flags & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN ||
     !SEQ_GT(s->seq, t->rcv_nxt))
    return 0;
  tcp_drop(t, 0);
  return 1;
}

// A segment from ip_input(); ip is its (already checked) IPv4 header.
void
tcp_input(struct mbuf *m, struct ip_hdr *ip)
{
  struct seg s;
  struct tcpcb *t;
  uint64 *why;

  if((why = tcp_parse(m, ip, &s)) != 0){
    net_drop(m, why);
    return;
  }
  netstat_inc(tcp_rx_segs);
  acquire(&tcplock);
  t = tcb_lookup(s.dport, s.raddr, s.sport);
  if(t && timewait_reopen(t, &s))
    t = tcb_lookup(s.dport, s.raddr, s.sport);
  if(t == 0){
    netstat_inc(tcp_rx_no_port);
    tcp_reset_reply(m, s.raddr, s.sport, s.dport, s.seq, s.ack, s.flags, seg_span(&s));
  } else if(t->state == TCPS_LISTEN){
    tcp_listen_input(t, m, &s);
  } else if(t->state == TCPS_SYN_SENT){
    tcp_synsent_input(t, m, &s);
  } else {
    tcp_sync_input(t, m, &s);
  }
  release(&tcplock);
}

// ---- The socket's side.  Each takes tcplock itself.

int
tcp_seterror(struct tcpcb *t, int err)
{
  acquire(&tcplock);
  t->error = err;
  release(&tcplock);
  return -1;
}

// Wait for a change to t.  -1 (and the error set) if the process was
// killed; TCP_AGAIN without blocking.  Caller holds tcplock.
static int
tcp_wait(struct tcpcb *t, void *chan, int block)
{
  if(!block)
    return TCP_AGAIN;
  if(sleep_killable(chan, &tcplock) < 0){
    t->error = SOCKERR_INTR;
    return -1;
  }
  return 0;
}

struct tcpcb *
tcp_open(void)
{
  struct tcpcb *t;

  acquire(&tcplock);
  if((t = tcb_alloc()) != 0)
    t->user = 1;
  release(&tcplock);
  return t;
}

int
tcp_setrcvtimeo(struct tcpcb *t, int ms)
{
  acquire(&tcplock);
  t->rcvtimeo = ms == 0 ? 0 : MAX(1, ms / (1000 / TICK_HZ));
  release(&tcplock);
  return 0;
}

int
tcp_listen(struct tcpcb *t, ushort lport, int backlog)
{
  acquire(&tcplock);
  if(t->state != TCPS_CLOSED && t->state != TCPS_LISTEN){
    t->error = SOCKERR_INVAL;
    release(&tcplock);
    return -1;
  }
  t->state = TCPS_LISTEN;
  t->lport = lport;
  t->backlog = MAX(1, MIN(backlog, TCP_BACKLOG_MAX));
  release(&tcplock);
  return 0;
}

// The oldest established child of listener t, or 0.  Caller holds tcplock.
static struct tcpcb *
ready_child(struct tcpcb *t)
{
  struct tcpcb *c, *best = 0;

  for(c = tcbs; c < tcbs + NTCB; c++)
    if(c->inuse && c->parent == t && c->state != TCPS_SYN_RECEIVED &&
       (best == 0 || SEQ_LT(c->born, best->born)))
      best = c;
  return best;
}

int
tcp_accept(struct tcpcb *t, struct tcpcb **child, int block)
{
  struct tcpcb *c;
  int r;

  acquire(&tcplock);
  while((c = ready_child(t)) == 0){
    if(t->state != TCPS_LISTEN){
      t->error = SOCKERR_INVAL;
      release(&tcplock);
      return -1;
    }
    if((r = tcp_wait(t, t, block)) != 0){
      release(&tcplock);
      return r;
    }
  }
  c->parent = 0;
  c->user = 1;
  *child = c;
  release(&tcplock);
  return 0;
}

// Is the 4-tuple taken by a connection that is not in TIME_WAIT?  One in
// TIME_WAIT is let go, and self's ISN is put above all it sent: the ISN
// clock moves 250,000 a second, a fast connection more, and a peer that
// still remembers the old one takes a SYN only above it (RFC 6191).
// Caller holds tcplock.
static int
tuple_busy(struct tcpcb *self, ushort lport, uint raddr, ushort rport)
{
  for(struct tcpcb *t = tcbs; t < tcbs + NTCB; t++){
    if(t == self || !t->inuse || t->lport != lport || t->raddr != raddr || t->rport != rport ||
       t->state == TCPS_CLOSED || t->state == TCPS_LISTEN)
      continue;
    if(t->state != TCPS_TIME_WAIT)
      return 1;
    if(SEQ_LEQ(self->iss, t->snd_max + TCP_MAXWIN))
      self->iss = t->snd_max + TCP_MAXWIN + 1;   // beyond a window of strays
    netstat_inc(tcp_tw_recycled);
    tcp_drop(t, 0);
  }
  return 0;
}

int
tcp_connect(struct tcpcb *t, ushort lport, uint raddr, ushort rport, int block)
{
  int r = 0;

  acquire(&tcplock);
  if(t->state == TCPS_CLOSED && t->lport == 0){
    t->iss = tcp_isn(lport, raddr, rport);
    if(tuple_busy(t, lport, raddr, rport)){
      t->error = SOCKERR_INUSE;
      release(&tcplock);
      return -1;
    }
    t->lport = lport;
    t->raddr = raddr;
    t->rport = rport;
    t->snd_una = t->snd_nxt = t->snd_max = t->snd_sml = t->recover = t->iss;
    t->state = TCPS_SYN_SENT;
    t->error = 0;
    netstat_inc(tcp_conn_opened);
    tcp_output(t);
  } else if(t->state != TCPS_SYN_SENT && t->state != TCPS_SYN_RECEIVED){
    // Called again: connected by now, or failed (error already set).
    r = synchronized(t->state) ? 0 : -1;
    if(r < 0 && t->state != TCPS_CLOSED)
      t->error = SOCKERR_INVAL;
    release(&tcplock);
    return r;
  }
  while(t->state == TCPS_SYN_SENT || t->state == TCPS_SYN_RECEIVED)
    if((r = tcp_wait(t, t, block)) != 0)
      break;
  if(r == 0 && t->state == TCPS_CLOSED)
    r = -1;   // refused or timed out: t->error says which
  release(&tcplock);
  return r;
}

// Can the user still send on t?
static int
can_send(struct tcpcb *t)
{
  return (t->state == TCPS_ESTABLISHED || t->state == TCPS_CLOSE_WAIT) &&
         !(t->flags & TF_FIN_Q);
}

// Queue up to n bytes from src; what was queued.  Each mbuf of the queue
// is filled before the next is taken.  Caller holds tcplock.
static int
sndq_fill(struct tcpcb *t, int user_src, uint64 src, int n)
{
  struct mbuf *m;
  int done = 0, k;

  while(done < n && t->sndq_bytes < TCP_SNDBUF){
    m = t->sndq.tail;
    if(m == 0 || mbuf_tailroom(m) == 0){
      if((m = mbuf_alloc()) == 0)
        break;
      m->head = m->buf;   // no headers go here: use the whole page
      mbufq_pushtail(&t->sndq, m);
    }
    k = MIN(n - done, (int)MIN(mbuf_tailroom(m), TCP_SNDBUF - t->sndq_bytes));
    if(either_copyin(m->head + m->len, user_src, src + done, k) < 0){
      t->error = SOCKERR_INVAL;
      return done ? done : -1;
    }
    mbuf_put(m, k);
    t->sndq_bytes += k;
    done += k;
  }
  return done;
}

int
tcp_send(struct tcpcb *t, int user_src, uint64 src, int n, int block)
{
  int done = 0, k, r;

  if(n < 0)
    return tcp_seterror(t, SOCKERR_INVAL);
  acquire(&tcplock);
  while(done < n){
    if(!can_send(t)){
      if(t->state != TCPS_CLOSED || t->error == 0)
        t->error = SOCKERR_NOTCONN;
      break;
    }
    if((k = sndq_fill(t, user_src, src + done, n - done)) < 0)
      break;
    done += k;
    tcp_output(t);
    if(done < n && (r = tcp_wait(t, t, block)) != 0){
      if(r == TCP_AGAIN && done == 0){
        release(&tcplock);
        return TCP_AGAIN;
      }
      break;
    }
  }
  release(&tcplock);
  return done > 0 || n == 0 ? done : -1;
}

// After a read, tell the peer about a window that opened enough to matter
// (two segments, or from below one segment), so it need not wait for its
// persist timer.  Caller holds tcplock.
static void
window_update(struct tcpcb *t)
{
  uint offered = t->rcv_adv - t->rcv_nxt, win = rcv_window(t);

  if(synchronized(t->state) && win > offered &&
     (win - offered >= 2 * TCP_MSS || offered < TCP_MSS))
    tcp_ack_now(t);
}

int
tcp_recv(struct tcpcb *t, int user_dst, uint64 dst, int n, int block)
{
  struct mbuf *m;
  int done = 0, k, r;

  if(n < 0)
    return tcp_seterror(t, SOCKERR_INVAL);
  acquire(&tcplock);
  while(t->rcvq_bytes == 0){
    if((t->flags & TF_RCVD_FIN) || t->state == TCPS_CLOSED || t->state == TCPS_LISTEN ||
       n == 0){
      if(t->state == TCPS_LISTEN || (t->state == TCPS_CLOSED && !(t->flags & TF_RCVD_FIN) &&
                                     t->error == 0))
        t->error = SOCKERR_NOTCONN;
      r = (t->flags & TF_RCVD_FIN) || n == 0 ? 0 : -1;
      release(&tcplock);
      return r;
    }
    if(t->flags & TF_RCVTIMEO){
      t->flags &= ~TF_RCVTIMEO;
      t->error = SOCKERR_TIMEDOUT;
      release(&tcplock);
      return -1;
    }
    if(block && t->rcvtimeo && t->timer[TT_RCVWAIT] == 0)
      t->timer[TT_RCVWAIT] = t->rcvtimeo;
    if((r = tcp_wait(t, t, block)) != 0){
      release(&tcplock);
      return r;
    }
  }
  t->timer[TT_RCVWAIT] = 0;
  t->flags &= ~TF_RCVTIMEO;
  while(done < n && (m = t->rcvq.head) != 0){
    k = MIN(n - done, (int)m->len);
    if(either_copyout(user_dst, dst + done, m->head, k) < 0){
      t->error = SOCKERR_INVAL;
      break;
    }
    done += k;
    t->rcvq_bytes -= k;
    mbuf_pull(m, k);
    if(m->len == 0)
      mbuf_free(mbufq_pophead(&t->rcvq));
  }
  window_update(t);
  release(&tcplock);
  return done > 0 ? done : -1;
}

// The user will send no more: FIN after the queued data.  Caller holds tcplock.
static void
queue_fin(struct tcpcb *t)
{
  t->flags |= TF_FIN_Q;
  t->finseq = t->snd_una + t->sndq_bytes;
  t->state = t->state == TCPS_CLOSE_WAIT ? TCPS_LAST_ACK : TCPS_FIN_WAIT_1;
  tcp_output(t);
}

int
tcp_shutdown(struct tcpcb *t)
{
  int r = 0;

  acquire(&tcplock);
  if(t->state == TCPS_ESTABLISHED || t->state == TCPS_CLOSE_WAIT)
    queue_fin(t);
  else if(!(t->flags & TF_FIN_Q)){
    t->error = SOCKERR_NOTCONN;
    r = -1;
  }
  release(&tcplock);
  return r;
}

// The socket is gone.  Unread data mean the application did not take all
// the peer said: reset, as Linux does, so the peer knows.  Otherwise the
// connection closes in the background and frees itself.
void
tcp_close(struct tcpcb *t)
{
  struct tcpcb *c;

  acquire(&tcplock);
  t->user = 0;
  if(t->state == TCPS_LISTEN){
    for(c = tcbs; c < tcbs + NTCB; c++)
      if(c->inuse && c->parent == t){
        c->parent = 0;
        tcp_abort(c, 0);
      }
  }
  if(t->state <= TCPS_SYN_SENT){   // CLOSED, LISTEN, SYN_SENT
    tcp_drop(t, 0);
  } else if(t->state == TCPS_TIME_WAIT){
    mbufq_freeall(&t->rcvq);       // nobody will read it now
    t->rcvq_bytes = 0;
  } else if(t->state == TCPS_SYN_RECEIVED || t->rcvq_bytes > 0 || t->oooq.len > 0){
    tcp_abort(t, 0);
  } else if(t->state == TCPS_ESTABLISHED || t->state == TCPS_CLOSE_WAIT){
    queue_fin(t);
  } else if(t->state == TCPS_FIN_WAIT_2){
    t->timer[TT_2MSL] = TCP_FIN_WAIT_2_MAX;
  }
  // Otherwise the close is under way and ends by itself.
  release(&tcplock);
}

void
tcp_info(struct tcpcb *t, struct sockinfo *si)
{
  acquire(&tcplock);
  si->lport = t->lport;
  si->raddr = t->raddr;
  si->rport = t->rport;
  si->queued = t->rcvq_bytes;
  si->error = t->error;
  si->state = t->state;
  si->sendq = t->sndq_bytes;
  si->rcvwnd = synchronized(t->state) ? t->rcv_adv - t->rcv_nxt : 0;
  si->sndwnd = t->snd_wnd;
  si->cwnd = t->cwnd;
  si->rto_ms = rto_now(t) * (1000 / TICK_HZ);
  release(&tcplock);
}

// ---- SipHash-2-4 (Aumasson and Bernstein), for tcp_isn().

static uint64
rotl(uint64 x, int b)
{
  return (x << b) | (x >> (64 - b));
}

static void
sipround(uint64 v[4])
{
  v[0] += v[1]; v[1] = rotl(v[1], 13); v[1] ^= v[0]; v[0] = rotl(v[0], 32);
  v[2] += v[3]; v[3] = rotl(v[3], 16); v[3] ^= v[2];
  v[0] += v[3]; v[3] = rotl(v[3], 21); v[3] ^= v[0];
  v[2] += v[1]; v[1] = rotl(v[1], 17); v[1] ^= v[2]; v[2] = rotl(v[2], 32);
}

// SipHash-2-4 of two 64-bit words (16 bytes, so the length block is 16 << 56).
static uint64
siphash(const uint64 key[2], uint64 a, uint64 b)
{
  uint64 v[4] = { key[0] ^ 0x736f6d6570736575ULL, key[1] ^ 0x646f72616e646f6dULL,
                  key[0] ^ 0x6c7967656e657261ULL, key[1] ^ 0x7465646279746573ULL };
  uint64 words[3] = { a, b, 16ULL << 56 };

  for(int i = 0; i < 3; i++){
    v[3] ^= words[i];
    sipround(v);
    sipround(v);
    v[0] ^= words[i];
  }
  v[2] ^= 0xff;
  for(int i = 0; i < 4; i++)
    sipround(v);
  return v[0] ^ v[1] ^ v[2] ^ v[3];
}
