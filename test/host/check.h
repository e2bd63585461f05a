// check.h: the host tests' CHECK(): count a check, and name the file and line of one that fails.
#include <stdio.h>

static int passed, failed;

#define CHECK(cond) check((cond), #cond, __FILE__, __LINE__)

static int
check(int ok, const char *what, const char *file, int line)
{
  if(ok)
    passed++;
  else {
    failed++;
    printf("FAIL %s:%d: %s\n", file, line, what);
  }
  return ok;
}
