// nettrace.c: switch the kernel's one-line-per-frame console trace on or off.
#include "kernel/types.h"
#include "user/user.h"

int
main(int argc, char *argv[])
{
  int on;

  if(argc == 2 && strcmp(argv[1], "on") == 0)
    on = 1;
  else if(argc == 2 && strcmp(argv[1], "off") == 0)
    on = 0;
  else {
    fprintf(2, "usage: nettrace on|off\n");
    exit(1);
  }
  if(nettrace(on) < 0){
    fprintf(2, "nettrace: the kernel refused\n");
    exit(1);
  }
  exit(0);
}
