// ulib.c: program entry and the small C library every user program links with.
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "user/user.h"

int main(int argc, char *argv[]);

// exec jumps here with a0 = argc and a1 = argv; returning from main
// must still end the process, so its value becomes the exit status.
void
start(int argc, char *argv[])
{
  exit(main(argc, argv));
}

uint
strlen(const char *s)
{
  const char *p = s;

  while(*p)
    p++;
  return p - s;
}

char *
strcpy(char *dst, const char *src)
{
  char *d = dst;

  while((*d++ = *src++) != 0)
    ;
  return dst;
}

int
strcmp(const char *a, const char *b)
{
  while(*a && *a == *b){
    a++;
    b++;
  }
  return (uchar)*a - (uchar)*b;
}

int
strncmp(const char *a, const char *b, uint n)
{
  for(; n > 0; n--, a++, b++){
    if(*a != *b || *a == 0)
      return (uchar)*a - (uchar)*b;
  }
  return 0;
}

char *
strchr(const char *s, char c)
{
  for(; *s; s++){
    if(*s == c)
      return (char *)s;
  }
  return 0;
}

void *
memset(void *dst, int c, uint n)
{
  uchar *d = dst;

  while(n-- > 0)
    *d++ = c;
  return dst;
}

int
memcmp(const void *a, const void *b, uint n)
{
  const uchar *x = a, *y = b;

  for(; n > 0; n--, x++, y++){
    if(*x != *y)
      return *x - *y;
  }
  return 0;
}

// Safe for overlapping regions: copy backwards when dst lies above src.
void *
memmove(void *dst, const void *src, int n)
{
  uchar *d = dst;
  const uchar *s = src;

  if(n <= 0 || d == s)
    return dst;
  if(d < s){
    while(n-- > 0)
      *d++ = *s++;
  } else {
    d += n;
    s += n;
    while(n-- > 0)
      *--d = *--s;
  }
  return dst;
}

// The compiler may emit calls to memcpy for struct copies, so it must exist.
void *
memcpy(void *dst, const void *src, uint n)
{
  return memmove(dst, src, n);
}

// Read one line (newline kept) or up to max-1 bytes; stops early at end of input.
char *
gets(char *buf, int max)
{
  int i = 0;
  char c;

  while(i + 1 < max){
    if(read(0, &c, 1) < 1)
      break;
    buf[i++] = c;
    if(c == '\n' || c == '\r')
      break;
  }
  buf[i] = 0;
  return buf;
}

int
stat(const char *path, struct stat *st)
{
  int fd, r;

  fd = open(path, O_RDONLY);
  if(fd < 0)
    return -1;
  r = fstat(fd, st);
  close(fd);
  return r;
}

// Decimal only, with an optional leading minus sign.
int
atoi(const char *s)
{
  int sign = 1, n = 0;

  if(*s == '-'){
    sign = -1;
    s++;
  }
  while(*s >= '0' && *s <= '9')
    n = n * 10 + (*s++ - '0');
  return sign * n;
}

// Microseconds since boot, from the `time` CSR (10 MHz on QEMU virt),
// which the kernel lets user mode read.
uint64
uptime_us(void)
{
  uint64 t;
  asm volatile("rdtime %0" : "=r"(t));
  return t / 10;
}

// Append s at p (no terminator); the new end.  For building messages
// without printf's one write per call.
char *
append_str(char *p, const char *s)
{
  while(*s)
    *p++ = *s++;
  return p;
}

// Append v in decimal at p (no terminator); the new end.
char *
append_uint(char *p, uint64 v)
{
  char digits[20];
  int n = 0;

  do {
    digits[n++] = '0' + v % 10;
    v /= 10;
  } while(v);
  while(n > 0)
    *p++ = digits[--n];
  return p;
}

// Why the last call on socket fd failed, in words, for error messages.
const char *
sockerrstr(int fd)
{
  static const char *why[SOCKERR_N] = {
    [SOCKERR_NONE] "failed", [SOCKERR_REFUSED] "connection refused",
    [SOCKERR_RESET] "connection reset by peer", [SOCKERR_TIMEDOUT] "timed out",
    [SOCKERR_NOTCONN] "not connected", [SOCKERR_INUSE] "address in use",
    [SOCKERR_NOBUFS] "no buffer space", [SOCKERR_INVAL] "invalid argument",
    [SOCKERR_INTR] "interrupted",
  };
  struct sockinfo si;

  if(sockinfo(fd, &si) < 0)
    return "not a socket";
  if(si.error < 0 || si.error >= SOCKERR_N)
    return "failed";
  return why[si.error];
}

const char *
tcpstate(int state)
{
  static const char *names[TCPS_NSTATES] = {
    "CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
    "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT",
  };
  return state >= 0 && state < TCPS_NSTATES ? names[state] : "?";
}

// Case-insensitive: does line start with the (lower-case) header name?
// HTTP's header names ignore case (RFC 9110 5.1).
int
header_is(const char *line, const char *name)
{
  for(; *name; line++, name++){
    char c = *line >= 'A' && *line <= 'Z' ? *line + 32 : *line;
    if(c != *name)
      return 0;
  }
  return 1;
}

// Strict decimal port number; -1 unless s is all digits and 1-65535.
int
parseport(const char *s)
{
  int v = 0;

  if(*s == 0)
    return -1;
  for(; *s >= '0' && *s <= '9' && v <= 65535; s++)
    v = v * 10 + (*s - '0');
  return (*s == 0 && v >= 1 && v <= 65535) ? v : -1;
}

// Dotted-quad IPv4 address from s (up to end, or its terminator) into
// *ip (host order); 0, or -1 if s is not one.
int
parseip(const char *s, const char *end, uint *ip)
{
  uint v = 0, part;
  int i, digits;

  for(i = 0; i < 4; i++){
    part = 0;
    for(digits = 0; s != end && *s >= '0' && *s <= '9' && digits < 4; s++, digits++)
      part = part * 10 + (*s - '0');
    if(digits == 0 || part > 255)
      return -1;
    v = v << 8 | part;
    if(i < 3 && (s == end || *s++ != '.'))
      return -1;
  }
  if(s != end && *s != 0)
    return -1;
  *ip = v;
  return 0;
}

// Write all n bytes (a socket write may take fewer); n, or -1.
int
writeall(int fd, const void *buf, int n)
{
  const char *p = buf;
  int done = 0, r;

  while(done < n){
    if((r = write(fd, p + done, n - done)) <= 0)
      return -1;
    done += r;
  }
  return n;
}

// FNV-1a, 32 bits, continued from h (start with FNV_INIT): the checksum
// fetch and tcp print so that tests can compare what arrived.
uint
fnv1a(uint h, const void *buf, int n)
{
  const uchar *p = buf;

  for(int i = 0; i < n; i++)
    h = (h ^ p[i]) * 16777619u;
  return h;
}
