// wc.c: count lines, words and bytes of files or standard input.
#include "kernel/types.h"
#include "user/user.h"

static char buf[1024];

static int
blank(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int
count(int fd, const char *name)
{
  int n, i, inword = 0;
  long lines = 0, words = 0, bytes = 0;

  while((n = read(fd, buf, sizeof(buf))) > 0){
    bytes += n;
    for(i = 0; i < n; i++){
      if(buf[i] == '\n')
        lines++;
      if(blank(buf[i])){
        inword = 0;
      } else if(!inword){
        inword = 1;
        words++;
      }
    }
  }
  if(n < 0){
    fprintf(2, "wc: cannot read %s\n", name);
    return 1;
  }
  printf("%ld %ld %ld %s\n", lines, words, bytes, name);
  return 0;
}

int
main(int argc, char *argv[])
{
  int i, fd, status = 0;

  if(argc < 2)
    return count(0, "");
  for(i = 1; i < argc; i++){
    fd = open(argv[i], O_RDONLY);
    if(fd < 0){
      fprintf(2, "wc: cannot open %s\n", argv[i]);
      status = 1;
      continue;
    }
    status |= count(fd, argv[i]);
    close(fd);
  }
  return status;
}
