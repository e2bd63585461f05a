// ls.c: list directories and files as "name type inode size".
#include "kernel/types.h"
#include "kernel/fs.h"
#include "kernel/param.h"
#include "user/user.h"

static char path[MAXPATH];

static void
show(const char *name, struct stat *st)
{
  printf("%-14s %d %u %lu\n", name, st->type, st->ino, st->size);
}

static const char *
basename(const char *p)
{
  const char *slash = 0, *s;

  for(s = p; *s; s++){
    if(*s == '/' && s[1] != 0)
      slash = s;
  }
  return slash ? slash + 1 : p;
}

// List the open directory fd named dir: each entry is stat'ed through
// the path dir/name, built in path[].
static int
listdir(int fd, const char *dir)
{
  struct dirent de;
  struct stat st;
  char *name;
  int len = strlen(dir), status = 0;

  if(len + 1 + DIRSIZ + 1 > sizeof(path)){
    fprintf(2, "ls: path too long: %s\n", dir);
    return 1;
  }
  strcpy(path, dir);
  name = path + len;
  if(len == 0 || dir[len - 1] != '/')
    *name++ = '/';
  while(read(fd, &de, sizeof(de)) == sizeof(de)){
    if(de.inum == 0)
      continue;
    memmove(name, de.name, DIRSIZ);
    name[DIRSIZ] = 0;
    if(stat(path, &st) < 0){
      fprintf(2, "ls: cannot stat %s\n", path);
      status = 1;
      continue;
    }
    show(name, &st);
  }
  return status;
}

static int
ls(const char *p)
{
  struct stat st;
  int fd, status = 0;

  fd = open(p, O_RDONLY);
  if(fd < 0){
    fprintf(2, "ls: cannot open %s\n", p);
    return 1;
  }
  if(fstat(fd, &st) < 0){
    fprintf(2, "ls: cannot stat %s\n", p);
    status = 1;
  } else if(st.type == T_DIR){
    status = listdir(fd, p);
  } else {
    show(basename(p), &st);
  }
  close(fd);
  return status;
}

int
main(int argc, char *argv[])
{
  int i, status = 0;

  if(argc < 2)
    return ls(".");
  for(i = 1; i < argc; i++)
    status |= ls(argv[i]);
  return status;
}
