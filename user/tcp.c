// tcp.c: a netcat-like TCP tool: connect to the host or accept one connection, then copy stdin to it and it to stdout.
//
// usage: tcp [-s] [-n BYTES] 10.0.2.2 PORT    connect
//        tcp [-s] [-n BYTES] -l PORT          listen, accept one connection
// -n BYTES sends that many bytes of a fixed pattern instead of stdin.
// -s prints "tcp: received N bytes, fnv1a X" instead of copying to stdout.
// After the input ends the sending side is shut down (FIN); the program
// ends when the peer closes its side too.  A child process sends while
// the parent receives: xv6 has no select().
#include "kernel/types.h"
#include "user/user.h"

#define HOST_ADDR IPADDR(10, 0, 2, 2)

static char buf[8192];

static void
usage(void)
{
  fprintf(2, "usage: tcp [-s] [-n BYTES] 10.0.2.2 PORT | tcp [-s] [-n BYTES] -l PORT\n");
  exit(1);
}

// The byte at offset i of the -n pattern (tests compute the same).
static char
pattern(uint i)
{
  return 'a' + (i * 7 + i / 251) % 26;
}

// Send stdin, or n bytes of the pattern, then FIN.
static void
sender(int fd, int n)
{
  int k, r, done = 0;

  for(;;){
    if(n >= 0){
      k = n - done < (int)sizeof(buf) ? n - done : (int)sizeof(buf);
      for(int i = 0; i < k; i++)
        buf[i] = pattern(done + i);
    } else if((k = read(0, buf, sizeof(buf))) < 0){
      fprintf(2, "tcp: reading stdin failed\n");
      exit(1);
    }
    if(k == 0)
      break;
    if((r = writeall(fd, buf, k)) < 0){
      fprintf(2, "tcp: send failed: %s\n", sockerrstr(fd));
      exit(1);
    }
    done += k;
  }
  if(shutdown(fd, SHUT_WR) < 0)
    fprintf(2, "tcp: shutdown failed: %s\n", sockerrstr(fd));
  exit(0);
}

// Copy the connection to stdout (or just count and checksum it) until its end.
static int
receiver(int fd, int sum)
{
  uint h = FNV_INIT;
  uint64 total = 0;
  int n;

  while((n = read(fd, buf, sizeof(buf))) > 0){
    total += n;
    if(sum)
      h = fnv1a(h, buf, n);
    else if(writeall(1, buf, n) < 0){
      fprintf(2, "tcp: writing stdout failed\n");
      return 1;
    }
  }
  if(n < 0){
    fprintf(2, "tcp: receive failed after %lu bytes: %s\n", total, sockerrstr(fd));
    return 1;
  }
  if(sum)
    printf("tcp: received %lu bytes, fnv1a %x\n", total, h);
  return 0;
}

static int
open_connection(int listening, uint addr, int port)
{
  int fd, lfd, rport;
  uint raddr;

  if((fd = socket(SOCK_TCP)) < 0){
    fprintf(2, "tcp: socket failed\n");
    exit(1);
  }
  if(!listening){
    if(connect(fd, addr, port) < 0){
      fprintf(2, "tcp: connect to port %d failed: %s\n", port, sockerrstr(fd));
      exit(1);
    }
    return fd;
  }
  lfd = fd;
  if(bind(lfd, port) != port || listen(lfd, 1) < 0){
    fprintf(2, "tcp: cannot listen on port %d: %s\n", port, sockerrstr(lfd));
    exit(1);
  }
  if((fd = accept(lfd, &raddr, &rport)) < 0){
    fprintf(2, "tcp: accept failed: %s\n", sockerrstr(lfd));
    exit(1);
  }
  close(lfd);
  return fd;
}

int
main(int argc, char *argv[])
{
  int i = 1, sum = 0, listening = 0, n = -1, port, fd, pid, r, status;
  uint addr = 0;

  for(; i < argc && argv[i][0] == '-'; i++){
    if(strcmp(argv[i], "-s") == 0)
      sum = 1;
    else if(strcmp(argv[i], "-l") == 0)
      listening = 1;
    else if(strcmp(argv[i], "-n") == 0 && i + 1 < argc)
      n = atoi(argv[++i]);
    else
      usage();
  }
  if(listening ? argc - i != 1 : argc - i != 2)
    usage();
  if(!listening && (parseip(argv[i++], 0, &addr) < 0 || addr != HOST_ADDR)){
    fprintf(2, "tcp: the guest may talk only to 10.0.2.2\n");
    exit(1);
  }
  if((port = parseport(argv[i])) < 0)
    usage();
  fd = open_connection(listening, addr, port);
  if((pid = fork()) < 0){
    fprintf(2, "tcp: fork failed\n");
    exit(1);
  }
  if(pid == 0)
    sender(fd, n);
  r = receiver(fd, sum);
  if(n < 0)
    kill(pid);   // the peer is done: so is a sender still reading the console
  wait(&status);
  close(fd);
  exit(r);
}
