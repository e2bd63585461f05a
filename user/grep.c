// grep.c: print lines matching a small regular expression (^ $ . * and literals).
#include "kernel/types.h"
#include "user/user.h"

#define MAXATOMS 64
#define BUFSZ    1024

// A pattern is compiled into a list of atoms, each matching one character
// (or, when starred, any run of that character).
struct atom {
  char ch;
  char any;    // '.'
  char star;   // followed by '*'
};

static struct atom atoms[MAXATOMS];
static int natoms, atstart, atend;
static char buf[BUFSZ + 1];

static int
compile(const char *p)
{
  if(*p == '^'){
    atstart = 1;
    p++;
  }
  while(*p){
    if(p[0] == '$' && p[1] == 0){
      atend = 1;
      break;
    }
    if(natoms == MAXATOMS)
      return -1;
    atoms[natoms].ch = *p;
    atoms[natoms].any = (*p == '.');
    p++;
    if(*p == '*'){
      atoms[natoms].star = 1;
      p++;
    }
    natoms++;
  }
  return 0;
}

static int
fits(struct atom *a, char c)
{
  return c != 0 && (a->any || a->ch == c);
}

// Does the pattern from atom i on match text at its start?
static int
matchhere(int i, const char *text)
{
  int k;

  if(i == natoms)
    return !atend || *text == 0;
  if(atoms[i].star){
    // Take the longest run first, then give characters back.
    for(k = 0; fits(&atoms[i], text[k]); k++)
      ;
    for(; k >= 0; k--){
      if(matchhere(i + 1, text + k))
        return 1;
    }
    return 0;
  }
  return fits(&atoms[i], *text) && matchhere(i + 1, text + 1);
}

static int
matches(const char *text)
{
  if(atstart)
    return matchhere(0, text);
  do {
    if(matchhere(0, text))
      return 1;
  } while(*text++);
  return 0;
}

static int
report(const char *line)
{
  if(!matches(line))
    return 0;
  printf("%s\n", line);
  return 1;
}

// Prints matching lines of fd; returns how many matched, -1 on error.
static int
grepfd(int fd)
{
  int have = 0, start, i, n, found = 0;

  do {
    n = read(fd, buf + have, BUFSZ - have);
    if(n < 0)
      return -1;
    have += n;
    start = 0;
    for(i = 0; i < have; i++){
      if(buf[i] == '\n'){
        buf[i] = 0;
        found += report(buf + start);
        start = i + 1;
      }
    }
    // An unterminated last line, or one longer than the buffer, still counts.
    if(start < have && (n == 0 || (start == 0 && have == BUFSZ))){
      buf[have] = 0;
      found += report(buf + start);
      start = have;
    }
    have -= start;
    memmove(buf, buf + start, have);
  } while(n > 0);
  return found;
}

int
main(int argc, char *argv[])
{
  int i, fd, r, found = 0, err = 0;

  if(argc < 2){
    fprintf(2, "usage: grep pattern [file...]\n");
    return 2;
  }
  if(compile(argv[1]) < 0){
    fprintf(2, "grep: pattern too long\n");
    return 2;
  }
  if(argc == 2){
    r = grepfd(0);
    return r < 0 ? 2 : (r > 0 ? 0 : 1);
  }
  for(i = 2; i < argc; i++){
    fd = open(argv[i], O_RDONLY);
    r = fd < 0 ? -1 : grepfd(fd);
    if(r < 0){
      fprintf(2, "grep: cannot read %s\n", argv[i]);
      err = 1;
    } else {
      found += r;
    }
    if(fd >= 0)
      close(fd);
  }
  return err ? 2 : (found > 0 ? 0 : 1);
}
