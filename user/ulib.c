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
