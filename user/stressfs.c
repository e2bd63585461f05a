// stressfs.c: several processes write, read back and check files at the same time.
#include "kernel/types.h"
#include "user/user.h"

#define NWORKERS 4
#define NCHUNKS  32     // 16 KiB per file: past the direct blocks
#define CHUNK    512

static char buf[CHUNK];

// Contents depend on worker and chunk, so a mixed-up block is noticed.
static void
fill(int worker, int chunk)
{
  int i;

  for(i = 0; i < CHUNK; i++)
    buf[i] = 'a' + (worker * 7 + chunk * 3 + i) % 26;
}

static int
same(int worker, int chunk, char *got)
{
  fill(worker, chunk);
  return memcmp(buf, got, CHUNK) == 0;
}

static void
filename(char *name, int worker)
{
  strcpy(name, "stressfs0");
  name[8] += worker;
}

// One worker's job; returns its exit status.
static int
work(int worker)
{
  static char got[CHUNK];
  char name[16];
  int fd, c;

  filename(name, worker);
  fd = open(name, O_CREATE | O_RDWR | O_TRUNC);
  if(fd < 0){
    fprintf(2, "stressfs: worker %d cannot create %s\n", worker, name);
    return 1;
  }
  for(c = 0; c < NCHUNKS; c++){
    fill(worker, c);
    if(write(fd, buf, CHUNK) != CHUNK){
      fprintf(2, "stressfs: worker %d write %d failed\n", worker, c);
      return 1;
    }
  }
  close(fd);

  fd = open(name, O_RDONLY);
  if(fd < 0){
    fprintf(2, "stressfs: worker %d cannot reopen %s\n", worker, name);
    return 1;
  }
  for(c = 0; c < NCHUNKS; c++){
    if(read(fd, got, CHUNK) != CHUNK || !same(worker, c, got)){
      fprintf(2, "stressfs: worker %d chunk %d reads back wrong\n", worker, c);
      return 1;
    }
  }
  if(read(fd, got, CHUNK) != 0){
    fprintf(2, "stressfs: worker %d file %s is too long\n", worker, name);
    return 1;
  }
  close(fd);
  return 0;
}

int
main(int argc, char *argv[])
{
  int w, pid, status, failed = 0;
  char name[16];

  printf("stressfs starting\n");
  for(w = 0; w < NWORKERS; w++){
    pid = fork();
    if(pid < 0){
      fprintf(2, "stressfs: fork failed\n");
      failed = 1;
      break;
    }
    if(pid == 0)
      exit(work(w));
  }
  while(wait(&status) >= 0){
    if(status != 0)
      failed = 1;
  }
  for(w = 0; w < NWORKERS; w++){
    filename(name, w);
    unlink(name);
  }
  printf("stressfs %s\n", failed ? "FAILED" : "ok");
  return failed;
}
