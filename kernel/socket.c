// socket.c: UDP, ICMP-echo and TCP sockets: ports, receive queues, and the read/write/close behind their file descriptors.
#include "net.h"

#define NSOCK        64      // sockets in the whole system (httpd: one per client)
#define EPHEMERAL_LO 49152   // ports that bind(fd, 0) hands out (RFC 6335)
#define EPHEMERAL_HI 65535
#define PORT_MAX     65535

// A socket holds SOCK_QUEUE_MAX datagrams (netinfo.h): one pass of
// e1000_recv() can find dozens of frames that QEMU delivered at once, and
// hands them all over before the reader runs (bench/README.md).  At worst
// 64 UDP sockets x 64 pages = 16 MiB of 128.
//
// One lock covers the table, every socket and every queue: sockets are
// few, and one lock makes bind's "is this port free?" trivially atomic.
// A socket's queue holds the received mbufs themselves (data at head,
// sender in raddr/rport): the only copy is the one into user memory.
//
// A TCP socket is a handle on a control block of tcp.c, which keeps the
// connection's own state and queues under its own lock; the table here
// only hands out its local port.
struct sock {
  int type;            // SOCK_UDP, SOCK_ICMP, or 0 for a free slot
  ushort lport;        // local port (ICMP: echo identifier); 0 = unbound
  uint raddr;          // connected peer; 0 = none
  ushort rport;
  struct mbufq rxq;    // received, not yet read
  uint64 dropped;      // datagrams refused because rxq was full
  struct tcpcb *tcb;   // SOCK_TCP
  int error;           // SOCKERR_* of the last failed call (UDP, ICMP)
};

static struct spinlock socklock;
static struct sock socks[NSOCK];
static int next_ephemeral = EPHEMERAL_LO;

void
sock_init(void)
{
  initlock(&socklock, "sock");
  tcp_init();
}

// Allocate a free slot to a socket of type (TCP: on control block t), or 0.
static struct sock *
sock_alloc_slot(int type, struct tcpcb *t)
{
  struct sock *s;

  acquire(&socklock);
  for(s = socks; s < socks + NSOCK; s++){
    if(s->type == 0){
      s->type = type;
      s->lport = 0;
      s->raddr = 0;
      s->rport = 0;
      s->dropped = 0;
      s->error = 0;
      s->tcb = t;
      mbufq_init(&s->rxq);
      release(&socklock);
      return s;
    }
  }
  release(&socklock);
  return 0;
}

struct sock *
sock_alloc(int type)
{
  struct tcpcb *t = 0;
  struct sock *s;

  if(type != SOCK_UDP && type != SOCK_ICMP && type != SOCK_TCP)
    return 0;
  if(type == SOCK_TCP && (t = tcp_open()) == 0)
    return 0;
  if((s = sock_alloc_slot(type, t)) == 0 && t)
    tcp_close(t);
  return s;
}

// Release the port and whatever was never read (TCP: start the close).
void
sock_close(struct sock *s)
{
  if(s->type == SOCK_TCP && s->tcb)
    tcp_close(s->tcb);
  acquire(&socklock);
  mbufq_freeall(&s->rxq);
  s->type = 0;
  s->lport = 0;
  s->tcb = 0;
  release(&socklock);
}

// Record why a call on s failed; returns -1 for the caller to pass on.
static int
sock_fail(struct sock *s, int err)
{
  if(s->type == SOCK_TCP)
    return tcp_seterror(s->tcb, err);
  s->error = err;
  return -1;
}

// The socket of a type bound to port, or 0.  Port 0 names no socket (it
// would match the unbound ones).  Caller holds socklock.
static struct sock *
sock_find(int type, int port)
{
  struct sock *s;

  if(port == 0)
    return 0;
  for(s = socks; s < socks + NSOCK; s++)
    if(s->type == type && s->lport == port)
      return s;
  return 0;
}

// A port of s's type that no socket uses, or 0.  Caller holds socklock.
static int
ephemeral_port(int type)
{
  int port, tries;

  for(tries = 0; tries <= EPHEMERAL_HI - EPHEMERAL_LO; tries++){
    port = next_ephemeral;
    next_ephemeral = port == EPHEMERAL_HI ? EPHEMERAL_LO : port + 1;
    if(sock_find(type, port) == 0)
      return port;
  }
  return 0;
}

// Bind s to port (0: any free one); the port, or -1.  Caller holds socklock.
static int
bind_locked(struct sock *s, int port)
{
  if(s->lport != 0 || port < 0 || port > PORT_MAX)
    return -1;
  if(port == 0)
    port = ephemeral_port(s->type);
  else if(sock_find(s->type, port))
    port = 0;
  if(port == 0)
    return -1;
  s->lport = port;
  return port;
}

int
sock_bind(struct sock *s, int port)
{
  int r;

  acquire(&socklock);
  r = bind_locked(s, port);
  release(&socklock);
  return r;
}

// Our port for sending from s, binding one first if need be; 0 if none is free.
static int
sending_port(struct sock *s)
{
  int port;

  acquire(&socklock);
  port = s->lport ? s->lport : bind_locked(s, 0);
  release(&socklock);
  return port < 0 ? 0 : port;
}

// Only talk to addr:port from now on.  ICMP sockets ignore the port.
// TCP opens the connection, waiting until it is up or has failed.
int
sock_connect(struct sock *s, uint addr, int port)
{
  int lport;

  if(s->type == SOCK_TCP){
    if(addr == 0 || port <= 0 || port > PORT_MAX)
      return sock_fail(s, SOCKERR_INVAL);
    if((lport = sending_port(s)) == 0)
      return sock_fail(s, SOCKERR_INUSE);
    return tcp_connect(s->tcb, lport, addr, port, 1);
  }
  if(s->type == SOCK_ICMP)
    port = 0;
  else if(port <= 0 || port > PORT_MAX)
    return -1;
  if(addr == 0 || sending_port(s) == 0)
    return -1;
  acquire(&socklock);
  s->raddr = addr;
  s->rport = port;
  release(&socklock);
  return 0;
}

// Can s send n bytes to raddr:rport in one frame?  An ICMP message
// includes its 8-byte echo header; its port does not matter.
static int
sendable(struct sock *s, int n, uint raddr, int rport)
{
  if(raddr == 0)
    return 0;
  if(s->type == SOCK_ICMP)
    return n >= ICMP_HDRLEN && n <= ICMP_MAXMSG;
  return n >= 0 && n <= UDP_MAXDATA && rport > 0 && rport <= PORT_MAX;
}

// Send n bytes from user address addr to raddr:rport as one datagram (UDP)
// or one echo request (ICMP).  n, or -1.
int
sock_sendto(struct sock *s, uint64 addr, int n, uint raddr, int rport)
{
  struct mbuf *m;
  int lport, r;

  if(s->type == SOCK_TCP)
    return sock_fail(s, SOCKERR_INVAL);   // TCP has no datagrams
  if(!sendable(s, n, raddr, rport) || (lport = sending_port(s)) == 0)
    return -1;
  if((m = mbuf_alloc()) == 0){
    netstat_inc(tx_no_mbuf);
    return -1;
  }
  if(either_copyin(mbuf_put(m, n), 1, addr, n) < 0){
    mbuf_free(m);
    return -1;
  }
  if(s->type == SOCK_UDP)
    r = udp_output(m, lport, raddr, rport);
  else
    r = icmp_output_echo(m, lport, raddr);
  return r < 0 ? -1 : n;
}

int
sock_write(struct sock *s, uint64 addr, int n)
{
  uint raddr;
  int rport;

  if(s->type == SOCK_TCP)
    return tcp_send(s->tcb, 1, addr, n, 1);
  acquire(&socklock);
  raddr = s->raddr;
  rport = s->rport;
  release(&socklock);
  if(raddr == 0)
    return sock_fail(s, SOCKERR_NOTCONN);
  return sock_sendto(s, addr, n, raddr, rport);
}

// Queue m, which came from m->raddr:m->rport, on the socket of a type
// bound to lport, and wake its reader; the socket owns m from then on.  A
// connected socket takes datagrams from its peer only, and a full queue
// (SOCK_QUEUE_MAX) drops what overflows it: 0, and m dropped and counted.
// No socket: -1, and m freed (udp_input() counts udp_rx_no_port).  Called
// from the receive interrupt: it must not sleep.  Hold socklock from the
// look-up until m is queued and the reader woken.  The steps, and why
// each rule: LAB.md (the udp lab), "What to write in kernel/socket.c" and
// "Sleep and wakeup".
int
sock_deliver(int type, ushort lport, struct mbuf *m)
{
  // >>> solution udp
  struct sock *s;
  uint64 *why = 0;

  acquire(&socklock);
  s = sock_find(type, lport);
  if(s == 0){
    release(&socklock);
    mbuf_free(m);
    return -1;
  }
  if(s->raddr && (s->raddr != m->raddr || s->rport != m->rport)){
    why = &netstats.sock_rx_wrong_peer;
  } else if(s->rxq.len >= SOCK_QUEUE_MAX){
    why = &netstats.sock_rx_queue_full;
    s->dropped++;
  } else {
    mbufq_pushtail(&s->rxq, m);
    wakeup(&s->rxq);
  }
  release(&socklock);
  if(why)
    net_drop(m, why);
  return 0;
  // === stub
  // // Your code here.
  // mbuf_free(m);
  // return -1;
  // <<< solution
}

// Wait for a datagram and copy up to n bytes of it to user address addr;
// the rest of it is discarded.  s is a UDP or ICMP socket and n >= 0
// (sock_recv() checked).  The sender goes to *raddr and *rport when they
// are not 0.  Returns the bytes copied and frees the datagram; -1 if the
// copy fails (the datagram stays queued) or the process is killed while
// it waits.  Look at the queue and sleep under one hold of socklock, and
// hold no other lock.  The steps, and why each rule: LAB.md (the udp
// lab), "What to write in kernel/socket.c" and "Sleep and wakeup".
int
sock_recvfrom(struct sock *s, uint64 addr, int n, uint *raddr, int *rport)
{
  // >>> solution udp
  struct mbuf *m;

  acquire(&socklock);
  while(s->rxq.len == 0){
    if(sleep_killable(&s->rxq, &socklock) < 0){
      release(&socklock);
      return -1;
    }
  }
  m = s->rxq.head;
  if(n > m->len)
    n = m->len;
  if(either_copyout(1, addr, m->head, n) < 0){
    release(&socklock);
    return -1;
  }
  mbufq_pophead(&s->rxq);
  release(&socklock);
  if(raddr)
    *raddr = m->raddr;
  if(rport)
    *rport = m->rport;
  mbuf_free(m);
  return n;
  // === stub
  // // Your code here.
  // return -1;
  // <<< solution
}

// recvfrom(), and read() on a datagram socket: the arguments checked
// before sock_recvfrom() sees them.
int
sock_recv(struct sock *s, uint64 addr, int n, uint *raddr, int *rport)
{
  if(s->type == SOCK_TCP)
    return sock_fail(s, SOCKERR_INVAL);   // TCP has no datagrams
  if(n < 0)
    return sock_fail(s, SOCKERR_INVAL);
  return sock_recvfrom(s, addr, n, raddr, rport);
}

int
sock_read(struct sock *s, uint64 addr, int n)
{
  if(s->type == SOCK_TCP)
    return tcp_recv(s->tcb, 1, addr, n, 1);
  return sock_recv(s, addr, n, 0, 0);
}

// Accept connections on s's bound port, at most backlog waiting.
int
sock_listen(struct sock *s, int backlog)
{
  int port;

  if(s->type != SOCK_TCP)
    return -1;
  acquire(&socklock);
  port = s->lport;
  release(&socklock);
  if(port == 0)
    return sock_fail(s, SOCKERR_INVAL);   // bind() first
  return tcp_listen(s->tcb, port, backlog);
}

// Wait for a connection on listening socket s; a new socket for it, or 0.
struct sock *
sock_accept(struct sock *s, uint *raddr, int *rport)
{
  struct tcpcb *c;
  struct sock *ns;
  struct sockinfo si;

  if(s->type != SOCK_TCP)
    return 0;
  // The slot first, so that a connection is never taken with nowhere to put it.
  if((ns = sock_alloc_slot(SOCK_TCP, 0)) == 0){
    sock_fail(s, SOCKERR_NOBUFS);
    return 0;
  }
  if(tcp_accept(s->tcb, &c, 1) != 0){
    sock_close(ns);
    return 0;
  }
  ns->tcb = c;
  tcp_info(c, &si);
  *raddr = si.raddr;
  *rport = si.rport;
  return ns;
}

int
sock_shutdown(struct sock *s, int how)
{
  if(s->type != SOCK_TCP || how != SHUT_WR)
    return sock_fail(s, SOCKERR_INVAL);
  return tcp_shutdown(s->tcb);
}

int
sock_setopt(struct sock *s, int opt, int value)
{
  if((opt == SO_WIDEN || opt == SO_WIDEN_ACQUIRE) && s->type != SOCK_TCP && value >= 0 &&
     value <= SO_WIDEN_MAX){
    acquire(&socklock);
    lock_widen(&socklock, value, opt == SO_WIDEN_ACQUIRE);
    release(&socklock);
    return 0;
  }
  if(s->type != SOCK_TCP || opt != SO_RCVTIMEO || value < 0)
    return sock_fail(s, SOCKERR_INVAL);
  return tcp_setrcvtimeo(s->tcb, value);
}

void
sock_info(struct sock *s, struct sockinfo *si)
{
  memset(si, 0, sizeof(*si));
  if(s->type == SOCK_TCP){
    si->type = SOCK_TCP;
    tcp_info(s->tcb, si);
    return;
  }
  acquire(&socklock);
  si->type = s->type;
  si->lport = s->lport;
  si->raddr = s->raddr;
  si->rport = s->rport;
  si->queued = s->rxq.len;
  si->dropped = s->dropped;
  si->error = s->error;
  si->waiting = sleepers(&s->rxq);
  release(&socklock);
}
