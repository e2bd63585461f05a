// string.c: the few memory and string routines the kernel needs.
#include "types.h"

// Whole 8-byte words where possible: under QEMU a store costs about the
// same whatever its width, and kalloc and kfree each fill a page (a UDP
// echo allocates and frees two mbufs).  Filling in words rather than bytes
// showed in make bench's QEMU CPU time per echo and its RTT.
void *
memset(void *dst, int c, uint n)
{
  uchar *d = dst;
  uint64 word = (uchar)c * 0x0101010101010101UL;

  for(; n > 0 && ((uint64)d & 7); n--)
    *d++ = c;
  for(; n >= 8; n -= 8, d += 8)
    *(uint64 *)d = word;
  for(; n > 0; n--)
    *d++ = c;
  return dst;
}

int
memcmp(const void *a, const void *b, uint n)
{
  const uchar *p = a, *q = b;
  for(; n > 0; n--, p++, q++)
    if(*p != *q)
      return *p - *q;
  return 0;
}

// Words that may alias anything (the copies below read bytes as words).
typedef uint64 __attribute__((may_alias)) word64;
typedef uint __attribute__((may_alias)) word32;

// Forward copy in the widest words both pointers allow: under QEMU each
// load and store costs about the same whatever its width, and TCP copies
// every byte it carries two or three times (see bench/results.md).
static void
copy_forward(uchar *d, const uchar *s, uint n)
{
  uint64 skew = ((uint64)d ^ (uint64)s) & 7;

  if(skew == 0 || skew == 4){
    uint64 align = skew == 0 ? 7 : 3;
    for(; n > 0 && ((uint64)d & align); n--)
      *d++ = *s++;
    if(skew == 0)
      for(; n >= 8; n -= 8, d += 8, s += 8)
        *(word64 *)d = *(const word64 *)s;
    for(; n >= 4; n -= 4, d += 4, s += 4)
      *(word32 *)d = *(const word32 *)s;
  }
  for(; n > 0; n--)
    *d++ = *s++;
}

// Handles overlapping regions by copying backwards when dst is above src.
void *
memmove(void *dst, const void *src, uint n)
{
  const uchar *s = src;
  uchar *d = dst;

  if(d > s && d < s + n){
    while(n > 0){
      n--;
      d[n] = s[n];
    }
  } else {
    copy_forward(d, s, n);
  }
  return dst;
}

// gcc may emit calls to memcpy for structure copies.
void *
memcpy(void *dst, const void *src, uint n)
{
  return memmove(dst, src, n);
}

int
strncmp(const char *a, const char *b, uint n)
{
  for(; n > 0; n--, a++, b++){
    if(*a != *b)
      return (uchar)*a - (uchar)*b;
    if(*a == 0)
      return 0;
  }
  return 0;
}

// Copies at most n bytes, padding with zeros; like C's strncpy, the result
// is not terminated when src is n bytes or longer.
char *
strncpy(char *dst, const char *src, int n)
{
  int i = 0;
  for(; i < n && src[i]; i++)
    dst[i] = src[i];
  for(; i < n; i++)
    dst[i] = 0;
  return dst;
}

// Like strncpy, but always terminates dst (when n > 0).
char *
safestrcpy(char *dst, const char *src, int n)
{
  if(n <= 0)
    return dst;
  int i = 0;
  for(; i < n - 1 && src[i]; i++)
    dst[i] = src[i];
  dst[i] = 0;
  return dst;
}

int
strlen(const char *s)
{
  int n = 0;
  while(s[n])
    n++;
  return n;
}
