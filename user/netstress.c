// netstress.c: the guest's half of the robustness tests (test/test_robust.py): servers, a sender, and socket-call abuse.
//   netstress echo PORT          send every datagram back to its sender
//   netstress stats PORT         answer every datagram with the network counters
//   netstress sink PORT          bind PORT and leave it unread until a datagram
//                                arrives on PORT+1; then report, drain, read once more
//   netstress blast PORT N LEN   send N datagrams of LEN bytes to 10.0.2.2:PORT, flat out
//   netstress counters           print the network counters
//   netstress syscalls PORT      bad arguments to every socket call, killed readers
//                                (UDP, and TCP in accept and connect),
//                                too many sockets; PORT and PORT+1 must be free
#include "kernel/types.h"
#include "kernel/param.h"
#include "user/user.h"

#define PEER       IPADDR(10, 0, 2, 2)
#define BUFSZ      2048
#define MAXDATA    1472              // the largest datagram one frame carries
#define STATS_PART 1000              // bytes of counter lines per stats datagram
#define MAXCHILD   6                 // socket hoarders in the out-of-sockets check
#define WAIT_TICKS (10 * TICK_HZ)    // for datagrams the host was asked to send

// Addresses no user program has mapped: past our heap, and past any valid
// virtual address.
#define UNMAPPED ((char *)0x1000000000L)
#define WILD     ((char *)0xffffffffffff0000L)

static char buf[BUFSZ];
static struct netinfo ni;   // too big for the stack

static void
die(const char *what)
{
  fprintf(2, "netstress: %s\n", what);
  exit(1);
}

static int
bound_socket(int port)
{
  int fd = socket(SOCK_UDP);

  if(fd < 0 || bind(fd, port) != port)
    die("cannot bind the port");
  return fd;
}

// One counter by name, or -1.
static int64
counter(const char *name)
{
  if(netinfo(&ni) < 0)
    die("netinfo failed");
  for(int i = 0; i < ni.ncounters; i++)
    if(strcmp(ni.counters[i].name, name) == 0)
      return ni.counters[i].value;
  return -1;
}

// ---- servers.

static void
echo(int port)
{
  int fd = bound_socket(port), n, rport;
  uint raddr;

  printf("netstress: echo on %d\n", port);
  while((n = recvfrom(fd, buf, sizeof(buf), &raddr, &rport)) >= 0)
    sendto(fd, buf, n, raddr, rport);
  die("echo: recvfrom failed");
}

// Reply to a request (its bytes are a tag the host chose) with
// "TAG PART\n" and counter lines "name value\n", in as many datagrams as it
// takes; the last one ends with "end\n".  "served N" counts the requests.
static void
stats_reply(int fd, char *tag, int taglen, uint raddr, int rport, uint64 served)
{
  static char out[BUFSZ];
  char *p;
  int i = 0, part = 0;

  if(netinfo(&ni) < 0)
    die("netinfo failed");
  while(i <= ni.ncounters){
    memmove(out, tag, taglen);
    p = append_str(append_uint(append_str(out + taglen, " "), part++), "\n");
    if(part == 1)
      p = append_str(append_uint(append_str(p, "served "), served), "\n");
    for(; i < ni.ncounters && p - out < STATS_PART; i++)
      p = append_str(append_uint(append_str(append_str(p, ni.counters[i].name), " "),
                          ni.counters[i].value), "\n");
    if(i == ni.ncounters){
      p = append_str(p, "end\n");
      i++;
    }
    sendto(fd, out, p - out, raddr, rport);
  }
}

static void
stats(int port)
{
  int fd = bound_socket(port), n, rport;
  uint raddr;
  uint64 served = 0;

  printf("netstress: stats on %d\n", port);
  while((n = recvfrom(fd, buf, 64, &raddr, &rport)) >= 0)
    stats_reply(fd, buf, n, raddr, rport, ++served);
  die("stats: recvfrom failed");
}

static void
sink(int port)
{
  int fd = bound_socket(port), ctl = bound_socket(port + 1), n, drained = 0;
  struct sockinfo si;

  printf("sink: bound %d\n", port);
  if(read(ctl, buf, sizeof(buf)) < 0)
    die("sink: control read failed");
  if(sockinfo(fd, &si) < 0)
    die("sink: sockinfo failed");
  printf("sink: queued %d dropped %lu\n", si.queued, si.dropped);
  while(drained < si.queued && read(fd, buf, sizeof(buf)) > 0)
    drained++;
  sockinfo(fd, &si);
  printf("sink: drained %d, %d left\n", drained, si.queued);
  printf("sink: waiting\n");
  n = read(fd, buf, 64);
  if(n < 0)
    die("sink: read failed");
  buf[n] = 0;
  printf("sink: read %d bytes: %s\n", n, buf);
  exit(0);
}

// ---- the sender.  Datagram i carries i (4 bytes, big-endian) and then bytes
// (i + k) & 0xff, so the host can tell a lost, repeated or damaged one.
static void
blast(int port, int count, int len)
{
  int fd = socket(SOCK_UDP), ok = 0, failed = 0, start;

  if(fd < 0 || connect(fd, PEER, port) < 0 || len < 4 || len > MAXDATA)
    die("blast: bad arguments or no socket");
  start = uptime();
  for(int i = 0; i < count; i++){
    buf[0] = i >> 24;
    buf[1] = i >> 16;
    buf[2] = i >> 8;
    buf[3] = i;
    for(int k = 4; k < len; k++)
      buf[k] = i + k;
    if(write(fd, buf, len) == len)
      ok++;
    else
      failed++;
  }
  printf("blast: ok %d failed %d ticks %d\n", ok, failed, uptime() - start);
  close(fd);
}

static void
counters(void)
{
  if(netinfo(&ni) < 0)
    die("netinfo failed");
  for(int i = 0; i < ni.ncounters; i++)
    printf("counter %s %lu\n", ni.counters[i].name, ni.counters[i].value);
  printf("counters end\n");
}

// ---- system-call abuse.  Each check that fails prints a line; the last
// line counts them.

static int nchecks, nfailed;

static void
check(int ok, const char *what)
{
  nchecks++;
  if(!ok){
    nfailed++;
    printf("syscalls: FAILED: %s\n", what);
  }
}

// Ethernet addresses for arppin()'s checks: a valid one (the calls it is
// passed to must fail for their other argument), a group one, none.
static const uchar gwmac[6] = { 0x52, 0x55, 10, 0, 2, 2 };
static const uchar groupmac[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
static const uchar zeromac[6];

static void
bad_arguments(void)
{
  int s = socket(SOCK_UDP), ic = socket(SOCK_ICMP), p[2];
  char *straddle = sbrk(0) - 8;   // 8 mapped bytes, then none
  struct sockinfo si;

  check(s >= 0 && ic >= 0, "socket()");
  check(pipe(p) == 0, "pipe()");
  check(socket(0) == -1 && socket(99) == -1 && socket(-1) == -1, "socket(bad type)");

  check(bind(-1, 0) == -1 && bind(NOFILE + 3, 0) == -1, "bind(bad fd)");
  check(bind(0, 2000) == -1 && bind(p[0], 2000) == -1, "bind(console or pipe)");
  check(bind(s, -1) == -1 && bind(s, 65536) == -1 && bind(s, 0x7fffffff) == -1,
        "bind(bad port)");

  check(connect(-1, PEER, 7) == -1 && connect(p[1], PEER, 7) == -1, "connect(bad fd)");
  check(connect(s, 0, 7) == -1, "connect(address 0)");
  check(connect(s, PEER, 0) == -1 && connect(s, PEER, -5) == -1 &&
        connect(s, PEER, 65536) == -1, "connect(bad port)");
  check(write(s, "x", 1) == -1, "write() before connect()");

  check(sendto(-1, "x", 1, PEER, 7) == -1 && sendto(1, "x", 1, PEER, 7) == -1,
        "sendto(bad fd)");
  check(sendto(s, UNMAPPED, 10, PEER, 7) == -1, "sendto(unmapped buffer)");
  check(sendto(s, WILD, 10, PEER, 7) == -1, "sendto(wild buffer)");
  check(sendto(s, straddle, 64, PEER, 7) == -1, "sendto(buffer past the heap end)");
  check(sendto(s, buf, -1, PEER, 7) == -1, "sendto(negative length)");
  check(sendto(s, buf, MAXDATA + 1, PEER, 7) == -1 &&
        sendto(s, buf, 100000, PEER, 7) == -1, "sendto(more than a frame)");
  check(sendto(s, buf, 10, 0, 7) == -1, "sendto(address 0)");
  check(sendto(s, buf, 10, PEER, 0) == -1 && sendto(s, buf, 10, PEER, 65536) == -1,
        "sendto(bad port)");
  check(sendto(s, buf, 10, 0xffffffff, 7) == -1 &&
        sendto(s, buf, 10, IPADDR(10, 0, 2, 255), 7) == -1, "sendto(broadcast)");
  check(sendto(s, buf, 10, IPADDR(127, 0, 0, 1), 7) == -1 &&
        sendto(s, buf, 10, IPADDR(10, 0, 2, 15), 7) == -1, "sendto(loopback or self)");
  check(sendto(s, buf, 10, IPADDR(224, 0, 0, 1), 7) == -1, "sendto(multicast)");
  check(sendto(ic, buf, 7, PEER, 0) == -1 && sendto(ic, buf, 1481, PEER, 0) == -1,
        "sendto(ICMP message too short or too long)");

  check(recvfrom(-1, buf, 10, 0, 0) == -1 && recvfrom(p[0], buf, 10, 0, 0) == -1,
        "recvfrom(bad fd)");
  check(recvfrom(s, buf, 10, (uint *)UNMAPPED, 0) == -1, "recvfrom(bad address pointer)");
  check(recvfrom(s, buf, 10, 0, (int *)WILD) == -1, "recvfrom(bad port pointer)");
  check(recvfrom(s, buf, -1, 0, 0) == -1 && read(s, buf, -1) == -1,
        "recvfrom/read(negative length)");

  check(sockinfo(s, (struct sockinfo *)UNMAPPED) == -1, "sockinfo(bad pointer)");
  check(sockinfo(-1, &si) == -1 && sockinfo(1, &si) == -1, "sockinfo(bad fd)");
  check(netinfo((struct netinfo *)UNMAPPED) == -1 && netinfo((struct netinfo *)WILD) == -1,
        "netinfo(bad pointer)");
  check(netinfo((struct netinfo *)straddle) == -1, "netinfo(pointer past the heap end)");
  check(arppin(IPADDR(10, 0, 3, 2), gwmac) == -1 && arppin(IPADDR(127, 0, 0, 1), gwmac) == -1,
        "arppin(address off our link)");
  check(arppin(IPADDR(10, 0, 2, 15), gwmac) == -1 && arppin(IPADDR(10, 0, 2, 255), gwmac) == -1 &&
        arppin(IPADDR(10, 0, 2, 0), gwmac) == -1, "arppin(ourselves, broadcast, the network)");
  check(arppin(PEER, (uchar *)UNMAPPED) == -1 && arppin(PEER, (uchar *)WILD) == -1,
        "arppin(bad pointer)");
  check(arppin(PEER, groupmac) == -1 && arppin(PEER, zeromac) == -1,
        "arppin(group or zero Ethernet address)");

  check(connect(s, PEER, 9) == 0, "connect()");
  check(write(s, UNMAPPED, 10) == -1 && write(s, buf, MAXDATA + 1) == -1,
        "write(bad buffer or length)");
  check(sockinfo(s, &si) == 0 && si.raddr == PEER && si.rport == 9 && si.lport >= 49152,
        "sockinfo() after connect()");
  close(s);
  close(ic);
  close(p[0]);
  close(p[1]);
}

// Wait until want datagrams sit on fd's queue.
static int
await_queued(int fd, int want)
{
  struct sockinfo si;

  for(int t = 0; t < WAIT_TICKS; t += 5){
    if(sockinfo(fd, &si) < 0)
      return -1;
    if(si.queued >= want)
      return si.queued;
    sleep(5);
  }
  return -1;
}

// The host sends 3 datagrams to port.  Reads that fail must leave them
// queued; closing the socket frees the ones never read.
static void
queued_datagrams(int port)
{
  int s = bound_socket(port), rport = 0, n;
  int64 inuse;
  uint raddr = 0;
  struct sockinfo si;

  printf("syscalls: send 3 datagrams to %d\n", port);
  check(await_queued(s, 3) == 3, "3 datagrams queued");
  inuse = counter("mbufs_in_use");
  check(read(s, UNMAPPED, 10) == -1 && recvfrom(s, WILD, 10, 0, 0) == -1,
        "read/recvfrom(bad buffer)");
  check(recvfrom(s, buf, 10, (uint *)UNMAPPED, &rport) == -1, "recvfrom(bad address pointer)");
  check(sockinfo(s, &si) == 0 && si.queued == 3, "failed reads keep the datagrams");
  n = recvfrom(s, buf, sizeof(buf), &raddr, &rport);
  check(n > 0 && raddr == PEER && rport > 0, "recvfrom() after the failed ones");
  close(s);
  check(counter("mbufs_in_use") == inuse - 3, "close() frees the 2 unread datagrams");
  s = socket(SOCK_UDP);
  check(bind(s, port) == port, "the port is free again after close()");
  close(s);
}

// A child blocks reading port; killing it must end the read and free the port.
static void
killed_reader(int port, int use_recvfrom)
{
  int p[2], pid, status = 0, s;
  char c;

  pipe(p);
  if((pid = fork()) == 0){
    s = bound_socket(port);
    write(p[1], "b", 1);
    if(use_recvfrom)
      recvfrom(s, buf, sizeof(buf), 0, 0);
    else
      read(s, buf, sizeof(buf));
    exit(7);   // only if the read returned: the kernel exits a killed process with -1
  }
  read(p[0], &c, 1);
  close(p[0]);
  close(p[1]);
  sleep(10);   // well into its read by now
  check(kill(pid) == 0, "kill() a blocked reader");
  check(wait(&status) == pid, "the killed reader exits");
  s = socket(SOCK_UDP);
  check(bind(s, port) == port, "a killed reader's port is free again");
  close(s);
}

// TCP calls on the wrong socket or in the wrong state fail and say why.
static void
tcp_arguments(int port)
{
  int u = socket(SOCK_UDP), t = socket(SOCK_TCP), rport;
  uint raddr;
  struct sockinfo si;

  check(t >= 0, "socket(SOCK_TCP)");
  check(listen(u, 1) == -1 && accept(u, &raddr, &rport) == -1 && shutdown(u, SHUT_WR) == -1,
        "listen/accept/shutdown on a UDP socket");
  check(listen(t, 1) == -1 && sockinfo(t, &si) == 0 && si.error == SOCKERR_INVAL,
        "listen() before bind(): invalid argument");
  check(shutdown(t, SHUT_WR) == -1 && sockinfo(t, &si) == 0 && si.error == SOCKERR_NOTCONN,
        "shutdown() unconnected: not connected");
  check(write(t, "x", 1) == -1 && read(t, buf, 1) == -1, "read/write unconnected");
  check(sockopt(t, SO_RCVTIMEO, -1) == -1 && sockopt(t, 99, 1) == -1, "sockopt() bad arguments");
  check(bind(t, port) == port && listen(t, 1) == 0, "bind() and listen()");
  check(accept(t, (uint *)UNMAPPED, &rport) == -1 && accept(t, &raddr, (int *)WILD) == -1,
        "accept() with bad pointers");
  check(sendto(t, "x", 1, PEER, 9) == -1 && recvfrom(t, buf, 1, 0, 0) == -1,
        "sendto/recvfrom on TCP");
  close(t);
  close(u);
}

// A child blocks in accept() on port (how 1) or in connect() to a peer
// that never answers (how 0); killing it must end the call and free the port.
static void
killed_tcp(int port, int how)
{
  int p[2], pid, status = 0, s, rport;
  uint raddr;
  char c;

  pipe(p);
  if((pid = fork()) == 0){
    s = socket(SOCK_TCP);
    if(how)
      check(bind(s, port) == port && listen(s, 1) == 0, "listen for the killed accept");
    write(p[1], "b", 1);
    if(how)
      accept(s, &raddr, &rport);
    else
      connect(s, PEER, port);   // the raw-frame peer never answers
    exit(7);   // only if the call returned: the kernel exits a killed process with -1
  }
  read(p[0], &c, 1);
  close(p[0]);
  close(p[1]);
  sleep(10);
  check(kill(pid) == 0, how ? "kill() a blocked accept" : "kill() a blocked connect");
  check(wait(&status) == pid && status == -1, "the killed TCP caller exits");
  s = socket(SOCK_TCP);
  check(bind(s, port) == port, "a killed listener's port is free again");
  close(s);
}

// Children hoard sockets until socket() fails; each reports its count
// through a pipe and holds on until the parent closes `hold`.  Returns the
// total, which is the kernel's socket limit as long as it is well below
// MAXCHILD times the per-process file limit.
static int
hoard_sockets(void)
{
  int counts[2], hold[2], total = 0, n;
  int nchild = 0;

  pipe(counts);
  pipe(hold);
  for(int i = 0; i < MAXCHILD; i++){
    if(fork() == 0){
      close(counts[0]);
      close(hold[1]);
      n = 0;
      while(socket(SOCK_UDP) >= 0)
        n++;
      write(counts[1], &n, sizeof(n));
      read(hold[0], &n, 1);   // until the parent lets go
      exit(0);
    }
    nchild++;
    if(read(counts[0], &n, sizeof(n)) != sizeof(n))
      break;
    total += n;
  }
  close(hold[1]);
  close(hold[0]);
  close(counts[0]);
  close(counts[1]);
  while(nchild-- > 0)
    wait(0);
  return total;
}

static void
out_of_sockets(void)
{
  int first = hoard_sockets(), second, s;

  s = socket(SOCK_UDP);
  check(s >= 0, "socket() works again once the hoarders exit");
  close(s);
  second = hoard_sockets();
  check(first == second, "the same number of sockets the second time (no leak)");
  printf("syscalls: sockets %d %d\n", first, second);
}

static void
syscalls(int port)
{
  bad_arguments();
  queued_datagrams(port);
  killed_reader(port + 1, 0);
  killed_reader(port + 1, 1);
  tcp_arguments(port);
  killed_tcp(port, 1);
  killed_tcp(port + 1, 0);
  out_of_sockets();
  printf("syscalls: %d checks, %d failed\n", nchecks, nfailed);
}

int
main(int argc, char *argv[])
{
  char *cmd = argc > 1 ? argv[1] : "";

  if(strcmp(cmd, "echo") == 0 && argc == 3)
    echo(atoi(argv[2]));
  else if(strcmp(cmd, "stats") == 0 && argc == 3)
    stats(atoi(argv[2]));
  else if(strcmp(cmd, "sink") == 0 && argc == 3)
    sink(atoi(argv[2]));
  else if(strcmp(cmd, "blast") == 0 && argc == 5)
    blast(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
  else if(strcmp(cmd, "counters") == 0)
    counters();
  else if(strcmp(cmd, "syscalls") == 0 && argc == 3)
    syscalls(atoi(argv[2]));
  else {
    fprintf(2, "usage: netstress echo|stats|sink PORT | blast PORT N LEN | counters"
               " | syscalls PORT\n");
    exit(1);
  }
  exit(0);
}
