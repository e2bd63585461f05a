// zombie.c: leave a zombie behind; the child exits and the parent never waits.
#include "kernel/types.h"
#include "user/user.h"

#define NAP 5   // ticks the parent sleeps so the zombie exists for a while

int
main(int argc, char *argv[])
{
  int pid = fork();

  if(pid < 0){
    fprintf(2, "zombie: fork failed\n");
    return 1;
  }
  if(pid > 0)
    sleep(NAP);
  return 0;
}
