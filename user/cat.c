// cat.c: copy files, or standard input, to standard output.
#include "kernel/types.h"
#include "user/user.h"

static char buf[1024];

// Returns 0 on success, 1 after reporting an error about name.
static int
copy(int fd, const char *name)
{
  int n;

  while((n = read(fd, buf, sizeof(buf))) > 0){
    if(write(1, buf, n) != n){
      fprintf(2, "cat: write error\n");
      return 1;
    }
  }
  if(n < 0){
    fprintf(2, "cat: cannot read %s\n", name);
    return 1;
  }
  return 0;
}

int
main(int argc, char *argv[])
{
  int i, fd, status = 0;

  if(argc < 2)
    return copy(0, "standard input");
  for(i = 1; i < argc; i++){
    fd = open(argv[i], O_RDONLY);
    if(fd < 0){
      fprintf(2, "cat: cannot open %s\n", argv[i]);
      status = 1;
      continue;
    }
    status |= copy(fd, argv[i]);
    close(fd);
  }
  return status;
}
