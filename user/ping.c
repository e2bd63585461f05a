// ping.c: ICMP echo to the host alias 10.0.2.2, one request a second, with a summary.
//
// usage: ping [-c COUNT] [10.0.2.2]
// Only the host alias may be pinged: the lab's guest sends to nothing else.
#include "kernel/types.h"
#include "kernel/param.h"
#include "user/user.h"

#define HOST_ADDR    IPADDR(10, 0, 2, 2)
#define HOST_NAME    "10.0.2.2"
#define ICMP_HDR     8
#define ICMP_DATA    56
#define ICMP_ECHO    8
#define ICMP_REPLY   0
#define DEFAULT_COUNT 4
#define MAX_COUNT    1000
#define REPLY_SECS   2        // an echo without a reply by then is lost
#define NOREPLY      (-1)     // pinger exit status: gave up or saw an error
                              // (otherwise it is the round trip in us)

static uchar req[ICMP_HDR + ICMP_DATA];
static uchar reply[2048];

static uint
be16(const uchar *p)
{
  return (p[0] << 8) | p[1];
}

// Parse dotted-quad text; -1 if it is not exactly four numbers 0..255.
static int
parseaddr(const char *s, uint *addr)
{
  int part, v, digits;

  *addr = 0;
  for(part = 0; part < 4; part++){
    for(v = 0, digits = 0; *s >= '0' && *s <= '9' && digits < 3; s++, digits++)
      v = v * 10 + (*s - '0');
    if(digits == 0 || v > 255)
      return -1;
    *addr = (*addr << 8) | v;
    if(part < 3 && *s++ != '.')
      return -1;
  }
  return *s == 0 ? 0 : -1;
}

// Strict decimal count; -1 unless s is all digits and within 1..MAX_COUNT.
static int
countarg(const char *s)
{
  int v = 0;

  if(*s == 0)
    return -1;
  for(; *s >= '0' && *s <= '9' && v <= MAX_COUNT; s++)
    v = v * 10 + (*s - '0');
  return (*s == 0 && v >= 1 && v <= MAX_COUNT) ? v : -1;
}

// Read until the reply to (id, seq) shows up; returns its TTL or -1.
// Replies to earlier, timed-out requests may still be queued: skip them.
static int
awaitreply(int fd, uint id, uint seq)
{
  int n, hl;
  uchar *icmp;

  for(;;){
    n = read(fd, reply, sizeof(reply));
    if(n < 20)
      return -1;
    hl = (reply[0] & 0xf) * 4;
    if(hl < 20 || n < hl + ICMP_HDR)
      continue;
    icmp = reply + hl;
    if(icmp[0] == ICMP_REPLY && be16(icmp + 4) == id && be16(icmp + 6) == seq)
      return reply[8];
  }
}

// Child: one echo request; prints its line and exits with the round trip in ms.
static void
pinger(int fd, uint id, int seq)
{
  int ttl, us;
  uint64 t0;

  memset(req, 0, ICMP_HDR);
  req[0] = ICMP_ECHO;
  req[6] = seq >> 8;
  req[7] = seq;
  t0 = uptime_us();
  if(write(fd, req, sizeof(req)) != sizeof(req)){
    fprintf(2, "ping: sending icmp_seq=%d failed\n", seq);
    exit(NOREPLY);
  }
  if((ttl = awaitreply(fd, id, seq)) < 0)
    exit(NOREPLY);
  us = uptime_us() - t0;
  printf("%d bytes from %s: icmp_seq=%d ttl=%d time=%d.%03d ms\n",
         (int)sizeof(req), HOST_NAME, seq, ttl, us / 1000, us % 1000);
  exit(us);
}

// Run one echo in a child under a REPLY_SECS deadline; its round trip in
// microseconds, or NOREPLY.
static int
echo(int fd, uint id, int seq)
{
  int pid, alarm, who, status;

  if((pid = fork()) == 0)
    pinger(fd, id, seq);
  if(pid < 0 || (alarm = fork()) < 0){
    fprintf(2, "ping: fork failed\n");
    exit(1);
  }
  if(alarm == 0){
    sleep(REPLY_SECS * TICK_HZ);
    exit(0);
  }
  who = wait(&status);
  kill(who == pid ? alarm : pid);
  wait(who == pid ? 0 : &status);
  if(who != pid){
    printf("no reply to icmp_seq=%d within %d s\n", seq, REPLY_SECS);
    return NOREPLY;
  }
  return status;
}

static void
usage(void)
{
  fprintf(2, "usage: ping [-c COUNT] [%s]\n", HOST_NAME);
  exit(1);
}

int
main(int argc, char *argv[])
{
  int i, count = DEFAULT_COUNT, fd, seq, us, avg, got = 0, min = 0, max = 0;
  uint64 sum = 0;
  uint addr = HOST_ADDR;
  struct sockinfo si;

  for(i = 1; i < argc; i++){
    if(strcmp(argv[i], "-c") == 0 && i + 1 < argc){
      if((count = countarg(argv[++i])) < 0)
        usage();
    } else if(argv[i][0] == '-' || parseaddr(argv[i], &addr) < 0){
      usage();
    } else if(addr != HOST_ADDR){
      fprintf(2, "ping: %s refused: the lab guest may only ping %s (the host)\n",
              argv[i], HOST_NAME);
      exit(1);
    }
  }
  fd = socket(SOCK_ICMP);
  if(fd < 0 || connect(fd, HOST_ADDR, 0) < 0 || sockinfo(fd, &si) < 0){
    fprintf(2, "ping: cannot open an ICMP socket to %s\n", HOST_NAME);
    exit(1);
  }
  printf("PING %s: %d data bytes\n", HOST_NAME, ICMP_DATA);
  for(i = 0; i < ICMP_DATA; i++)
    req[ICMP_HDR + i] = i;
  for(seq = 1; seq <= count; seq++){
    if((us = echo(fd, si.lport, seq)) >= 0){
      min = (got == 0 || us < min) ? us : min;
      max = us > max ? us : max;
      sum += us;
      got++;
    }
    if(seq < count)
      sleep(TICK_HZ);
  }
  close(fd);
  printf("--- %s ping statistics ---\n", HOST_NAME);
  printf("%d packets transmitted, %d received, %d%% packet loss\n",
         count, got, (count - got) * 100 / count);
  if(got){
    avg = sum / got;
    printf("rtt min/avg/max = %d.%03d/%d.%03d/%d.%03d ms\n", min / 1000, min % 1000,
           avg / 1000, avg % 1000, max / 1000, max % 1000);
  }
  exit(got == count ? 0 : 1);
}
