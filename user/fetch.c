// fetch.c: an HTTP/1.1 client: GET a URL from the host and save the body to a file or the console.
//
// usage: fetch [-s] http://10.0.2.2:PORT/PATH [FILE]
// The body goes to FILE, or to the console.  -s prints only its length
// and FNV-1a checksum, for files too big for xv6's file system.  The
// status line and length are checked: a body shorter than Content-Length
// is an error.
#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "user/user.h"

#define HOST_ADDR IPADDR(10, 0, 2, 2)
#define HEAD_MAX  4096       // status line and headers

static char buf[8192];

static void
usage(void)
{
  fprintf(2, "usage: fetch [-s] http://10.0.2.2:PORT/PATH [FILE]\n");
  exit(1);
}

// Split url into address, port and path (which keeps its leading /).
static int
parse_url(char *url, uint *addr, int *port, char **path)
{
  static char root[] = "/";
  char *host, *colon, *slash, save;

  if(strncmp(url, "http://", 7) != 0)
    return -1;
  host = url + 7;
  slash = strchr(host, '/');
  if(slash == 0)
    slash = host + strlen(host);
  save = *slash;
  *slash = 0;   // end host[:port] for the number parsers
  colon = strchr(host, ':');
  *port = colon ? parseport(colon + 1) : 80;
  if(parseip(host, colon ? colon : 0, addr) < 0 || *port < 0)
    return -1;
  *slash = save;
  *path = save ? slash : root;
  return 0;
}

// Read the response head into buf; the number of bytes of body that
// followed it in buf go to *extra, the head's length is returned (-1: bad).
static int
read_head(int fd, int *status, int *length, int *extra)
{
  int n = 0, r, end = -1;
  char *line, *eol;

  while(end < 0 && n < HEAD_MAX){
    if((r = read(fd, buf + n, sizeof(buf) - 1 - n)) <= 0)
      return -1;
    n += r;
    buf[n] = 0;
    for(int i = 3; i < n && end < 0; i++)
      if(buf[i - 3] == '\r' && buf[i - 2] == '\n' && buf[i - 1] == '\r' && buf[i] == '\n')
        end = i + 1;
  }
  if(end < 0 || strncmp(buf, "HTTP/1.", 7) != 0)
    return -1;
  *status = atoi(buf + 9);
  *length = -1;
  for(line = strchr(buf, '\n') + 1; line < buf + end; line = eol + 1){
    eol = strchr(line, '\n');
    if(header_is(line, "content-length:"))
      *length = atoi(line + 15 + (line[15] == ' '));
  }
  *extra = n - end;
  return end;
}

int
main(int argc, char *argv[])
{
  int i = 1, sum = 0, port, fd, out = 1, status, length, extra, head, n;
  uint addr, h = FNV_INIT;
  uint64 got = 0;
  char *path, *p, req[300];

  if(i < argc && strcmp(argv[i], "-s") == 0){
    sum = 1;
    i++;
  }
  if(argc - i < 1 || argc - i > 2)
    usage();
  if(parse_url(argv[i], &addr, &port, &path) < 0)
    usage();
  if(addr != HOST_ADDR){
    fprintf(2, "fetch: the guest may talk only to 10.0.2.2\n");
    exit(1);
  }
  if(strlen(path) + 1 > sizeof(req) - 64){
    fprintf(2, "fetch: path too long\n");
    exit(1);
  }
  if((fd = socket(SOCK_TCP)) < 0 || connect(fd, addr, port) < 0){
    fprintf(2, "fetch: connect to port %d failed: %s\n", port, fd < 0 ? "no socket" : sockerrstr(fd));
    exit(1);
  }
  p = append_str(req, "GET ");
  p = append_str(p, path);
  p = append_str(p, " HTTP/1.1\r\nHost: 10.0.2.2\r\nConnection: close\r\n\r\n");
  if(writeall(fd, req, p - req) < 0){
    fprintf(2, "fetch: sending the request failed: %s\n", sockerrstr(fd));
    exit(1);
  }
  if((head = read_head(fd, &status, &length, &extra)) < 0){
    fprintf(2, "fetch: no valid HTTP response: %s\n", sockerrstr(fd));
    exit(1);
  }
  if(argc - i == 2 && (out = open(argv[i + 1], O_CREATE | O_WRONLY | O_TRUNC)) < 0){
    fprintf(2, "fetch: cannot create %s\n", argv[i + 1]);
    exit(1);
  }
  p = buf + head;
  n = extra;
  do {
    got += n;
    if(sum)
      h = fnv1a(h, p, n);
    else if(n > 0 && writeall(out, p, n) < 0){
      fprintf(2, "fetch: writing the body failed (file too big?)\n");
      exit(1);
    }
    p = buf;
  } while((length < 0 || got < (uint64)length) && (n = read(fd, buf, sizeof(buf))) > 0);
  if(n < 0 || (length >= 0 && got != (uint64)length)){
    fprintf(2, "fetch: body ended after %lu of %d bytes: %s\n", got, length,
            n < 0 ? sockerrstr(fd) : "connection closed");
    exit(1);
  }
  close(fd);
  if(sum)
    printf("fetch: status %d, %lu bytes, fnv1a %x\n", status, got, h);
  else if(out != 1)
    printf("fetch: status %d, %lu bytes to %s\n", status, got, argv[i + 1]);
  exit(status == 200 ? 0 : 1);
}
