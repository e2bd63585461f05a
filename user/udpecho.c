// udpecho.c: a UDP echo server: every datagram goes back, unchanged, to its sender.
//
// usage: udpecho PORT
// Replies go only to the host alias 10.0.2.2, the one address the guest may send to.
#include "kernel/types.h"
#include "user/user.h"

#define HOST_ADDR IPADDR(10, 0, 2, 2)

static char buf[2048];

int
main(int argc, char *argv[])
{
  int fd, port, n, from;
  uint addr;

  port = argc == 2 ? parseport(argv[1]) : -1;
  if(port < 0){
    fprintf(2, "usage: udpecho PORT (1-65535)\n");
    exit(1);
  }
  if((fd = socket(SOCK_UDP)) < 0){
    fprintf(2, "udpecho: socket failed\n");
    exit(1);
  }
  if(bind(fd, port) != port){
    fprintf(2, "udpecho: cannot bind port %d (already in use?)\n", port);
    exit(1);
  }
  printf("udpecho: listening on %d\n", port);
  for(;;){
    n = recvfrom(fd, buf, sizeof(buf), &addr, &from);
    if(n < 0){
      fprintf(2, "udpecho: recvfrom failed\n");
      exit(1);
    }
    if(addr != HOST_ADDR){
      fprintf(2, "udpecho: ignoring a datagram from %d.%d.%d.%d\n",
              addr >> 24, (addr >> 16) & 0xff, (addr >> 8) & 0xff, addr & 0xff);
      continue;
    }
    if(sendto(fd, buf, n, addr, from) != n)
      fprintf(2, "udpecho: reply of %d bytes to port %d failed\n", n, from);
  }
}
