// udpblast.c: send datagrams to the host as fast as possible, for the benchmark's transmit-rate test.
//
//   udpblast COUNT SIZE PORT
//
// Sends COUNT datagrams of SIZE bytes to 10.0.2.2:PORT, each starting with
// its sequence number (4 bytes, big-endian) so that the host can tell
// losses from reordering.  Prints how many sendto() refused and how many
// clock ticks the loop took.
#include "kernel/types.h"
#include "user/user.h"

#define SEQBYTES 4
#define MAXSIZE  1472    // one Ethernet frame
#define HOST     IPADDR(10, 0, 2, 2)

static char buf[MAXSIZE];

int
main(int argc, char *argv[])
{
  int count, size, port, fd, failed = 0, start;

  if(argc != 4 || (count = atoi(argv[1])) <= 0 ||
     (size = atoi(argv[2])) < SEQBYTES || size > MAXSIZE ||
     (port = atoi(argv[3])) <= 0){
    fprintf(2, "usage: udpblast COUNT SIZE(%d..%d) PORT\n", SEQBYTES, MAXSIZE);
    exit(1);
  }
  if((fd = socket(SOCK_UDP)) < 0 || connect(fd, HOST, port) < 0){
    fprintf(2, "udpblast: cannot open a socket\n");
    exit(1);
  }
  start = uptime();
  for(int seq = 0; seq < count; seq++){
    buf[0] = seq >> 24;
    buf[1] = seq >> 16;
    buf[2] = seq >> 8;
    buf[3] = seq;
    if(write(fd, buf, size) != size)
      failed++;
  }
  printf("udpblast: sent %d, %d refused, %d ticks\n", count, failed, uptime() - start);
  exit(0);
}
