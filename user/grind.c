// grind.c: stress the kernel with random system calls from concurrent workers.
//   grind [rounds [seed]]   rounds 0 or absent: run until killed
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/stat.h"
#include "user/user.h"

#define NWORKERS   2      // processes hammering the same directory per round
#define OPSPERROUND 40    // random operations each worker performs
#define BUFSZ      2048
#define PGSIZE     4096
#define REPORTEVERY 100   // rounds between progress lines when running forever
#define WORKDIR    "/grind.d"

// Addresses no user program has mapped: beyond our heap, and beyond any
// valid virtual address.
#define UNMAPPED   ((char *)0x1000000000L)
#define WILD       ((char *)0xffffffffffff0000L)

static char *names[] = { "a", "b", "c", "d", "d/e", "d/f" };
#define NNAMES (sizeof(names) / sizeof(names[0]))

static char buf[BUFSZ], back[BUFSZ];
static uint64 rstate;

// xorshift64*: small, fast, and the same sequence for the same seed.
static uint64
rnd(void)
{
  rstate ^= rstate >> 12;
  rstate ^= rstate << 25;
  rstate ^= rstate >> 27;
  return rstate * 0x2545F4914F6CDD1DUL;
}

static void
seedrnd(uint64 seed)
{
  rstate = seed ? seed : 0x9e3779b97f4a7c15UL;
}

static int
below(int n)
{
  return rnd() % n;
}

static char *
anyname(void)
{
  return names[below(NNAMES)];
}

static int
broken(const char *what)
{
  fprintf(2, "grind: pid %d: %s\n", getpid(), what);
  return -1;
}

static void
randomfill(char *p, int n)
{
  while(n-- > 0)
    *p++ = rnd();
}

// ---- operations: 0 if the kernel behaved, -1 if it broke a promise ----
// Files are shared between workers, so their contents are never checked;
// only results that no other process can affect are.

static int
opwrite(void)
{
  int n = below(BUFSZ) + 1;
  int fd = open(anyname(), O_CREATE | O_WRONLY | (below(2) ? O_TRUNC : 0));

  if(fd < 0)
    return 0;   // a directory, or "d" is missing: fine
  randomfill(buf, n);
  if(write(fd, buf, n) != n){
    close(fd);
    return broken("short write to a file");
  }
  close(fd);
  return 0;
}

static int
opread(void)
{
  int fd = open(anyname(), O_RDONLY);

  if(fd >= 0){
    read(fd, buf, below(BUFSZ) + 1);
    close(fd);
  }
  return 0;
}

static int
opnames(void)
{
  switch(below(3)){
  case 0:
    unlink(anyname());
    break;
  case 1:
    mkdir(anyname());
    break;
  default:
    link(anyname(), anyname());
    break;
  }
  return 0;
}

static int
opfstat(void)
{
  struct stat st;
  int fd = open(anyname(), O_RDONLY), r;

  if(fd < 0)
    return 0;
  r = fstat(fd, &st);
  close(fd);
  if(r < 0)
    return broken("fstat failed on an open file");
  if(st.type != T_FILE && st.type != T_DIR)
    return broken("fstat reports a strange type");
  return 0;
}

static int
opchdir(void)
{
  chdir("d");
  if(chdir(WORKDIR) < 0)
    return broken("cannot chdir back to " WORKDIR);
  return 0;
}

static int
oppipe(void)
{
  int p[2], n = below(512) + 1, got = 0, r;

  if(pipe(p) < 0)
    return broken("pipe failed");
  randomfill(buf, n);
  if(write(p[1], buf, n) != n){
    close(p[0]);
    close(p[1]);
    return broken("short write to a pipe");
  }
  close(p[1]);
  while((r = read(p[0], back + got, BUFSZ - got)) > 0)
    got += r;
  close(p[0]);
  if(got != n || memcmp(buf, back, n) != 0)
    return broken("pipe returned different bytes");
  return 0;
}

static int
opdeadpipe(void)
{
  int p[2], r;

  if(pipe(p) < 0)
    return broken("pipe failed");
  close(p[0]);
  r = write(p[1], "x", 1);
  close(p[1]);
  if(r != -1)
    return broken("write to a pipe without readers succeeded");
  return 0;
}

static int
opsbrk(void)
{
  int n = below(3 * PGSIZE) + 1;
  char *old = sbrk(n);

  if(old == (char *)-1)
    return 0;   // out of memory is allowed
  memset(old, 0xa5, n);
  if(sbrk(-n) != old + n || sbrk(0) != old)
    return broken("sbrk did not shrink back");
  return 0;
}

static int
opfork(void)
{
  int code = below(100), pid, status;

  pid = fork();
  if(pid < 0)
    return 0;   // the table may be full of other workers' children
  if(pid == 0)
    exit(code);
  if(wait(&status) != pid)
    return broken("wait returned the wrong child");
  if(status != code)
    return broken("exit status lost");
  return 0;
}

static int
opkill(void)
{
  int pid = fork();

  if(pid < 0)
    return 0;
  if(pid == 0){
    for(;;)
      sleep(1);
  }
  if(below(2))
    sleep(1);
  if(kill(pid) < 0)
    return broken("kill of a live child failed");
  if(wait(0) != pid)
    return broken("killed child not reaped");
  return 0;
}

static int
opdup(void)
{
  int fd = dup(1);

  if(fd < 0)
    return broken("dup failed: file descriptors leaked?");
  if(close(fd) < 0)
    return broken("close of a dup failed");
  return 0;
}

static int
opclock(void)
{
  static int last;
  int now = uptime();

  if(now < last)
    return broken("uptime went backwards");
  last = now;
  if(getpid() <= 0)
    return broken("getpid not positive");
  return 0;
}

// Nonsense arguments must fail cleanly: -1 for bad descriptors and
// names, nothing transferred for bad buffers.
static int
opbadargs(void)
{
  struct stat st;
  char *bad = below(2) ? UNMAPPED : WILD;
  char *argv[] = { "nonexistent", 0 };
  int fd;

  if(read(-1, buf, 1) != -1 || write(NOFILE + below(100), buf, 1) != -1)
    return broken("bad fd accepted");
  if(close(-1) != -1 || fstat(NOFILE, &st) != -1 || dup(-7) != -1)
    return broken("bad fd accepted");
  if(open(bad, O_RDONLY) != -1 || unlink(bad) != -1 || chdir(bad) != -1)
    return broken("bad path pointer accepted");
  if(exec("nonexistent", argv) != -1 || exec(bad, argv) != -1)
    return broken("exec of nothing succeeded");
  if(write(1, bad, 16) > 0 || pipe((int *)bad) != -1)
    return broken("bad buffer pointer accepted");
  if(kill(-1 - below(100)) != -1)
    return broken("kill of a negative pid succeeded");
  fd = open(anyname(), O_RDONLY);
  if(fd >= 0){
    if(read(fd, bad, 16) > 0 || fstat(fd, (struct stat *)bad) != -1){
      close(fd);
      return broken("bad buffer pointer accepted");
    }
    close(fd);
  }
  return 0;
}

static int (*ops[])(void) = {
  opwrite, opwrite, opread, opnames, opnames, opfstat, opchdir,
  oppipe, opdeadpipe, opsbrk, opfork, opkill, opdup, opclock, opbadargs,
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

static int
worker(uint64 seed)
{
  int i;

  seedrnd(seed);
  if(chdir(WORKDIR) < 0)
    return broken("cannot enter " WORKDIR);
  for(i = 0; i < OPSPERROUND; i++){
    if(ops[below(NOPS)]() < 0)
      return 1;
  }
  return 0;
}

// Returns 0 if every worker of the round finished cleanly.
static int
runround(uint64 seed)
{
  int w, pid, status, bad = 0;

  for(w = 0; w < NWORKERS; w++){
    pid = fork();
    if(pid < 0){
      fprintf(2, "grind: fork failed\n");
      bad = 1;
      break;
    }
    if(pid == 0)
      exit(worker(seed * NWORKERS + w));
  }
  while(wait(&status) >= 0){
    if(status != 0)
      bad = 1;
  }
  return bad;
}

// Remove what the workers left, deepest names first.
static void
cleanup(void)
{
  int i;

  if(chdir(WORKDIR) == 0){
    for(i = NNAMES - 1; i >= 0; i--)
      unlink(names[i]);
    chdir("/");
  }
  unlink(WORKDIR);
}

int
main(int argc, char *argv[])
{
  int rounds = argc > 1 ? atoi(argv[1]) : 0;
  uint64 seed = argc > 2 ? atoi(argv[2]) : uptime();
  int r, before, after;

  if(rounds < 0){
    fprintf(2, "usage: grind [rounds [seed]]\n");
    return 1;
  }
  printf("grind: seed %lu\n", seed);
  cleanup();
  if(mkdir(WORKDIR) < 0){
    fprintf(2, "grind: cannot create " WORKDIR "\n");
    return 1;
  }
  before = freepages();
  for(r = 0; rounds == 0 || r < rounds; r++){
    if(runround(seed + r) != 0){
      fprintf(2, "grind: round %d failed (seed %lu)\n", r, seed);
      return 1;
    }
    if(rounds == 0 && (r + 1) % REPORTEVERY == 0)
      printf("grind: %d rounds\n", r + 1);
  }
  cleanup();
  after = freepages();
  if(after < before){
    fprintf(2, "grind: %d pages lost\n", before - after);
    return 1;
  }
  printf("grind: %d rounds ok\n", rounds);
  return 0;
}
