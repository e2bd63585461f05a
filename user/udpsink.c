// udpsink.c: count the datagrams that arrive on a UDP port, for the benchmark's receive-rate test.
//
//   udpsink PORT
//
// Every datagram counts, except a query: one whose payload starts with '?'.
// A query is answered, to whoever sent it, with "TAG TOTAL": the query's
// own text (TAG) and the number of datagrams counted since start.  The
// total only grows, so a host that repeats a lost query still gets a
// consistent figure and computes its losses by difference.
#include "kernel/types.h"
#include "user/user.h"

#define BUFSIZE 1500
#define TAGMAX  32

static char buf[BUFSIZE];

static void
answer(int fd, int len, uint64 total, uint addr, int port)
{
  char reply[TAGMAX + 24];
  char *p;

  if(len > TAGMAX)
    len = TAGMAX;
  memmove(reply, buf, len);
  p = reply + len;
  *p++ = ' ';
  p = append_uint(p, total);
  if(sendto(fd, reply, p - reply, addr, port) < 0)
    fprintf(2, "udpsink: cannot answer a query\n");
}

int
main(int argc, char *argv[])
{
  uint64 total = 0;
  uint addr;
  int fd, port, n;

  if(argc != 2 || (port = atoi(argv[1])) <= 0){
    fprintf(2, "usage: udpsink PORT\n");
    exit(1);
  }
  if((fd = socket(SOCK_UDP)) < 0 || bind(fd, port) != port){
    fprintf(2, "udpsink: cannot bind port %d\n", port);
    exit(1);
  }
  printf("udpsink: listening on %d\n", port);
  for(;;){
    if((n = recvfrom(fd, buf, sizeof(buf), &addr, &port)) < 0){
      fprintf(2, "udpsink: recvfrom failed\n");
      exit(1);
    }
    if(n > 0 && buf[0] == '?')
      answer(fd, n, total, addr, port);
    else
      total++;
  }
}
