// forktest.c: fill the process table with fork, then check that wait returns every child.
#include "kernel/types.h"
#include "kernel/param.h"
#include "user/user.h"

static int
fail(const char *why)
{
  printf("forktest: FAILED: %s\n", why);
  return 1;
}

int
main(int argc, char *argv[])
{
  int n, pid;

  printf("fork test\n");
  // Children exit at once but stay zombies until waited for, so the
  // table must fill up before NPROC forks have succeeded.
  for(n = 0; n < NPROC; n++){
    pid = fork();
    if(pid < 0)
      break;
    if(pid == 0)
      exit(0);
  }
  if(n == NPROC)
    return fail("fork never ran out of process slots");
  if(n == 0)
    return fail("no fork succeeded");
  printf("forktest: %d children\n", n);

  for(; n > 0; n--){
    if(wait(0) < 0)
      return fail("a child went missing in wait");
  }
  if(wait(0) != -1)
    return fail("wait returned more children than were forked");
  printf("fork test OK\n");
  return 0;
}
