// check.h: the host tests' CHECK() and CHECK_EQ(): count a check, and name the file and line of one that fails.
#include <stdio.h>

static int passed, failed;

#define CHECK(cond) check((cond), #cond, __FILE__, __LINE__)

// CHECK_EQ(a, b): CHECK(a == b), each side evaluated once, and a failure
// prints both values.
#define CHECK_EQ(a, b) ({                                                   \
  __typeof__(a) a_ = (a);                                                  \
  __typeof__(b) b_ = (b);                                                  \
  check_eq(a_ == b_, (long long)a_, (long long)b_, #a, #b, __FILE__, __LINE__); \
})

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

static int
check_eq(int ok, long long a, long long b, const char *as, const char *bs, const char *file,
         int line)
{
  if(ok)
    passed++;
  else {
    failed++;
    printf("FAIL %s:%d: %s == %s: %lld, expected %lld\n", file, line, as, bs, a, b);
  }
  return ok;
}
