// init.c: the first user process; gives the console to a shell and keeps one running.
#include "kernel/types.h"
#include "kernel/file.h"
#include "user/user.h"

static char *shargv[] = { "sh", 0 };

// fds 0, 1 and 2 all refer to the console, which we create on first boot.
static void
openconsole(void)
{
  if(open("console", O_RDWR) < 0){
    mknod("console", CONSOLE, 0);
    if(open("console", O_RDWR) < 0)
      exit(1);   // no console: nowhere to even report the failure
  }
  dup(0);
  dup(0);
}

static int
startshell(void)
{
  int pid = fork();

  if(pid == 0){
    exec(shargv[0], shargv);
    fprintf(2, "init: exec sh failed\n");
    exit(1);
  }
  return pid;
}

int
main(int argc, char *argv[])
{
  int sh, pid;

  openconsole();
  for(;;){
    printf("init: starting sh\n");
    sh = startshell();
    if(sh < 0){
      fprintf(2, "init: fork failed\n");
      exit(1);
    }
    // Orphans are handed to us when their parents die, so every wait
    // either reaps one of them or tells us the shell has gone.
    do {
      pid = wait(0);
      if(pid < 0){
        fprintf(2, "init: wait failed\n");
        exit(1);
      }
    } while(pid != sh);
  }
}
