// printf.c: formatted output for user programs, collected per call into few writes.
#include <stdarg.h>
#include "kernel/types.h"
#include "user/user.h"

#define OUTBUF 256      // bytes gathered before a write; most calls fit in one
#define NUMBUF 24       // room for a 64-bit value in decimal plus a sign

static const char hexdigits[] = "0123456789abcdef";

struct outbuf {
  int fd;
  int len;
  char data[OUTBUF];
};

// How one conversion should be laid out: %-8s, %08x, %5d, %ld ...
struct spec {
  int width;
  int left;     // '-': pad on the right
  int zero;     // '0': pad numbers with zeros
  int islong;   // 'l'
};

static void
flush(struct outbuf *o)
{
  if(o->len > 0)
    write(o->fd, o->data, o->len);
  o->len = 0;
}

static void
put(struct outbuf *o, char c)
{
  if(o->len == OUTBUF)
    flush(o);
  o->data[o->len++] = c;
}

static void
pad(struct outbuf *o, char c, int n)
{
  for(; n > 0; n--)
    put(o, c);
}

// Emit n bytes of s inside the field described by sp.  With zero padding
// a minus sign has to come before the zeros, not after them.
static void
field(struct outbuf *o, const char *s, int n, struct spec *sp)
{
  int fill = sp->width - n;

  if(!sp->left && sp->zero && n > 0 && *s == '-'){
    put(o, *s++);
    n--;
  }
  if(!sp->left)
    pad(o, sp->zero ? '0' : ' ', fill);
  while(n-- > 0)
    put(o, *s++);
  if(sp->left)
    pad(o, ' ', fill);
}

// Render v in base into the tail of buf; returns where the text starts.
static char *
digits(char *buf, uint64 v, int base, int neg)
{
  char *p = buf + NUMBUF;

  do {
    *--p = hexdigits[v % base];
    v /= base;
  } while(v != 0);
  if(neg)
    *--p = '-';
  return p;
}

static void
number(struct outbuf *o, uint64 v, int base, int neg, struct spec *sp)
{
  char buf[NUMBUF];
  char *s = digits(buf, v, base, neg);

  field(o, s, buf + NUMBUF - s, sp);
}

static void
signednum(struct outbuf *o, int64 v, struct spec *sp)
{
  // Negate as unsigned so the most negative value does not overflow.
  if(v < 0)
    number(o, -(uint64)v, 10, 1, sp);
  else
    number(o, v, 10, 0, sp);
}

static void
pointer(struct outbuf *o, uint64 v)
{
  int shift;

  put(o, '0');
  put(o, 'x');
  for(shift = 60; shift >= 0; shift -= 4)
    put(o, hexdigits[(v >> shift) & 0xf]);
}

// Parse flags, width and length of one conversion; returns the
// position of the conversion letter.
static const char *
parsespec(const char *f, struct spec *sp)
{
  memset(sp, 0, sizeof(*sp));
  for(;; f++){
    if(*f == '-')
      sp->left = 1;
    else if(*f == '0')
      sp->zero = 1;
    else
      break;
  }
  while(*f >= '0' && *f <= '9')
    sp->width = sp->width * 10 + (*f++ - '0');
  if(*f == 'l'){
    sp->islong = 1;
    f++;
  }
  return f;
}

static void
vprintf(int fd, const char *fmt, va_list ap)
{
  struct outbuf o;
  struct spec sp;
  const char *s;
  char c;

  o.fd = fd;
  o.len = 0;
  for(; *fmt; fmt++){
    if(*fmt != '%'){
      put(&o, *fmt);
      continue;
    }
    fmt = parsespec(fmt + 1, &sp);
    switch(*fmt){
    case 'd':
      signednum(&o, sp.islong ? va_arg(ap, int64) : va_arg(ap, int), &sp);
      break;
    case 'u':
    case 'x':
      number(&o, sp.islong ? va_arg(ap, uint64) : va_arg(ap, uint),
             *fmt == 'x' ? 16 : 10, 0, &sp);
      break;
    case 'p':
      pointer(&o, va_arg(ap, uint64));
      break;
    case 's':
      s = va_arg(ap, const char *);
      if(s == 0)
        s = "(null)";
      sp.zero = 0;
      field(&o, s, strlen(s), &sp);
      break;
    case 'c':
      c = va_arg(ap, int);
      sp.zero = 0;
      field(&o, &c, 1, &sp);
      break;
    case '%':
      put(&o, '%');
      break;
    case 0:
      // A lone '%' at the very end: show it and stop.
      put(&o, '%');
      fmt--;
      break;
    default:
      // Unknown conversion: show it as written so the mistake is visible.
      put(&o, '%');
      put(&o, *fmt);
      break;
    }
  }
  flush(&o);
}

void
fprintf(int fd, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vprintf(fd, fmt, ap);
  va_end(ap);
}

void
printf(const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vprintf(1, fmt, ap);
  va_end(ap);
}
