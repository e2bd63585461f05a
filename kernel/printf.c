// printf.c: formatted kernel output to the console, and panic().
#include <stdarg.h>
#include "types.h"
#include "param.h"
#include "spinlock.h"
#include "riscv.h"
#include "defs.h"

// Nonzero once a hart has panicked: that hart's id plus one.  Other harts
// stop printing so the panic message stays whole.
volatile int panicked;

static struct spinlock print_lock;
static int locking = 1;   // cleared by panic: a dying hart must not wait

static const char hexdigits[] = "0123456789abcdef";

static void
print_unsigned(uint64 x, int base)
{
  char digits[24];
  int n = 0;
  do {
    digits[n++] = hexdigits[x % base];
    x /= base;
  } while(x != 0);
  while(n > 0)
    consputc(digits[--n]);
}

static void
print_signed(int64 x)
{
  if(x < 0){
    consputc('-');
    print_unsigned(-(uint64)x, 10);
  } else {
    print_unsigned(x, 10);
  }
}

static void
print_string(const char *s)
{
  if(s == 0)
    s = "(null)";
  for(; *s; s++)
    consputc(*s);
}

// Supports %d %u %x %p %s %c %% and the l modifier (%ld %lu %lx).
int
printf(const char *fmt, ...)
{
  va_list ap;
  int lock = locking;

  if(lock)
    acquire(&print_lock);
  va_start(ap, fmt);
  for(const char *f = fmt; *f; f++){
    if(*f != '%'){
      consputc(*f);
      continue;
    }
    f++;
    int islong = 0;
    if(*f == 'l'){
      islong = 1;
      f++;
    }
    switch(*f){
    case 'd':
      print_signed(islong ? va_arg(ap, int64) : va_arg(ap, int));
      break;
    case 'u':
      print_unsigned(islong ? va_arg(ap, uint64) : va_arg(ap, uint), 10);
      break;
    case 'x':
      print_unsigned(islong ? va_arg(ap, uint64) : va_arg(ap, uint), 16);
      break;
    case 'p':
      print_string("0x");
      print_unsigned(va_arg(ap, uint64), 16);
      break;
    case 's':
      print_string(va_arg(ap, char *));
      break;
    case 'c':
      consputc(va_arg(ap, int));
      break;
    case '%':
      consputc('%');
      break;
    case 0:
      f--;   // a lone '%' at the end: stop at the terminator
      break;
    default:
      consputc('%');
      consputc(*f);
      break;
    }
  }
  va_end(ap);
  if(lock)
    release(&print_lock);
  return 0;
}

void
panic(const char *s)
{
  locking = 0;
  panicked = cpuid() + 1;
  printf("panic: %s\n", s);
  for(;;)
    ;
}

void
printfinit(void)
{
  initlock(&print_lock, "printf");
}
