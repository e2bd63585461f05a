// echo.c: print the arguments separated by spaces, then a newline.
#include "kernel/types.h"
#include "user/user.h"

// The line is gathered first so that it normally leaves in one write
// and does not interleave with output of programs running alongside.
static char out[512];
static int len;

static int
flush(void)
{
  int n = len;

  len = 0;
  return write(1, out, n) == n ? 0 : -1;
}

static int
add(const char *s)
{
  for(; *s; s++){
    if(len == sizeof(out) && flush() < 0)
      return -1;
    out[len++] = *s;
  }
  return 0;
}

int
main(int argc, char *argv[])
{
  int i;

  for(i = 1; i < argc; i++){
    if(add(argv[i]) < 0 || add(i + 1 < argc ? " " : "\n") < 0)
      return 1;
  }
  if(argc < 2 && add("\n") < 0)
    return 1;
  return flush() < 0 ? 1 : 0;
}
