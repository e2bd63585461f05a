// usertests.c: kernel regression suite; each test runs in its own child process.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/fs.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/syscall.h"
#include "kernel/elf.h"
#include "user/user.h"

#define SELF        "/usertests"  // our own binary, run again by the exec tests
#define ARGCHECK    "--argcheck"  // hidden mode: verify the generated argv, exit with its count
#define ARGLEN      24            // length of each generated argument
#define KILLED      (-1)          // exit status of a process the kernel killed
#define EXEC_FAILED 201           // status of a child whose exec returned -1
#define EXEC_ODD    202           // ... whose exec returned anything else
#define QUICK_LIMIT 100           // seconds before a quick test counts as hung
#define SLOW_LIMIT  900
#define PT_SLACK    4             // page-table pages a process may keep after shrinking
#define NELEM(a)    ((int)(sizeof(a) / sizeof((a)[0])))
// A file this long reaches into the second indirect block under the
// doubly-indirect one (a file of MAXFILE blocks, 64 MiB, is test/test_fs.py's).
#define BIGBLOCKS   ((int)(NDIRECT + NINDIRECT + 2 * NINDIRECT + 5))
#define FILEBLOCKS  ((int)MAXFILE)     // MAXFILE is unsigned; keep the arithmetic in int
#define FREEBLOCKS  16384           // fs.img leaves at least this much room (the Makefile's FSBLOCKS)

// Three-instruction program for hand-made ELF files: exit(ELF_EXIT).
#define ELF_EXIT     7
#define ELF_CODE_OFF 0x100
#define ADDI_X0(rd, imm) ((uint)(((imm) << 20) | ((rd) << 7) | 0x13))
#define ECALL        0x00000073u
#define REG_A0       10
#define REG_A7       17

static char *curname;           // test running in this process tree
static int mainpid;             // pid of that test's main process
static char buf[4 * BSIZE];     // scratch I/O: the user stack is a single page
static volatile char sink;      // loads that must really happen
static uint64 probe;            // address the fault helpers touch (set before fork)
static int worker_id;           // index of a worker, set before its fork

// ---------------------------------------------------------------- reporting

// A failing test's main process prints the result line itself; helpers it
// forked print a note and exit 1 so that their parent notices.
#define FAIL(...) do { fail_begin(); printf(__VA_ARGS__); fail_end(); } while(0)
#define CHECK(cond, ...) do { if(!(cond)) FAIL(__VA_ARGS__); } while(0)

static void
fail_begin(void)
{
  if(getpid() == mainpid)
    printf("test %s: FAILED (", curname);
  else
    printf("  %s, helper pid %d: ", curname, getpid());
}

static void __attribute__((noreturn))
fail_end(void)
{
  printf(getpid() == mainpid ? ")\n" : "\n");
  exit(1);
}

// ---------------------------------------------------------------- process helpers

static int
spawn(void (*fn)(void))
{
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if(pid == 0){
    fn();
    exit(0);
  }
  return pid;
}

static int
reap(int pid)
{
  int status = 0;
  int got = wait(&status);
  CHECK(got == pid, "wait returned %d, expected child %d", got, pid);
  return status;
}

static void
expect_status(int pid, int want, char *what)
{
  int st = reap(pid);
  CHECK(st == want, "%s: exit status %d, expected %d", what, st, want);
}

// fn must make the kernel kill the child; probe names the address involved.
static void
expect_killed(void (*fn)(void), char *what)
{
  int st = reap(spawn(fn));
  CHECK(st == KILLED, "%s (address %p): child not killed, status %d", what, (void *)probe, st);
}

// Start n copies of fn, each seeing its own worker_id.
static void
start_workers(void (*fn)(void), int n)
{
  for(int i = 0; i < n; i++){
    worker_id = i;
    spawn(fn);
  }
}

static void
reap_workers(int n, char *what)
{
  for(int i = 0; i < n; i++){
    int st;
    CHECK(wait(&st) > 0, "%s: lost a worker", what);
    CHECK(st == 0, "%s: a worker exited with %d", what, st);
  }
}

// Orphans are reaped by init in its own time, so give the count a moment.
static void
expect_no_leak(int base, char *what)
{
  int now = freepages();
  for(int tries = 0; tries < 50 && now < base; tries++){
    sleep(2);
    now = freepages();
  }
  CHECK(now >= base, "%s leaked %d pages", what, base - now);
}

// ---------------------------------------------------------------- small utilities

// dst = prefix followed by the decimal digits of n (n >= 0).
static char *
mkname(char *dst, char *prefix, int n)
{
  char digits[12];
  int k = 0;
  do {
    digits[k++] = '0' + n % 10;
    n /= 10;
  } while(n > 0);
  int len = strlen(prefix);
  memmove(dst, prefix, len);
  while(k > 0)
    dst[len++] = digits[--k];
  dst[len] = 0;
  return dst;
}

// Test data: byte i of stream seed.  The i >> 9 term keeps sectors distinct.
static char
pattern_byte(int seed, int i)
{
  return (char)(seed * 31 + i * 7 + (i >> 9));
}

// Bytes from .. from + n - 1 of stream seed.
static void
pattern_at(char *p, int n, int seed, int from)
{
  for(int i = 0; i < n; i++)
    p[i] = pattern_byte(seed, from + i);
}

static int
pattern_ok_at(char *p, int n, int seed, int from)
{
  for(int i = 0; i < n; i++)
    if(p[i] != pattern_byte(seed, from + i))
      return 0;
  return 1;
}

static void
pattern(char *p, int n, int seed)
{
  pattern_at(p, n, seed, 0);
}

static int
pattern_ok(char *p, int n, int seed)
{
  return pattern_ok_at(p, n, seed, 0);
}

static void
put_file(char *path, void *data, int n)
{
  int fd = open(path, O_CREATE | O_TRUNC | O_WRONLY);
  CHECK(fd >= 0, "cannot create %s", path);
  CHECK(write(fd, data, n) == n, "short write to %s", path);
  close(fd);
}

// Whole contents of path into dst (at most max bytes); -1 if it won't open.
static int
get_file(char *path, char *dst, int max)
{
  int fd = open(path, O_RDONLY);
  if(fd < 0)
    return -1;
  int tot = 0, r;
  while(tot < max && (r = read(fd, dst + tot, max - tot)) > 0)
    tot += r;
  close(fd);
  return tot;
}

static struct stat
stat_of(char *path)
{
  struct stat st;
  CHECK(stat(path, &st) == 0, "stat %s failed", path);
  return st;
}

static struct stat
fstat_of(int fd)
{
  struct stat st;
  CHECK(fstat(fd, &st) == 0, "fstat %d failed", fd);
  return st;
}

static uint64
user_sp(void)
{
  uint64 sp;
  asm volatile("mv %0, sp" : "=r"(sp));
  return sp;
}

// An address inside the unmapped guard page below the user stack.
static uint64
guard_page(void)
{
  return PGROUNDUP(user_sp()) - (USERSTACK + 1) * PGSIZE + PGSIZE / 2;
}

// Names in a directory, "." and ".." left out; duplicates fail the test.
#define MAXLIST 64
static char listed[MAXLIST][DIRSIZ + 1];

static int
list_dir(char *path)
{
  int fd = open(path, O_RDONLY);
  CHECK(fd >= 0, "cannot open directory %s", path);
  struct dirent de;
  int n = 0;
  while(read(fd, &de, sizeof(de)) == sizeof(de)){
    if(de.inum == 0)
      continue;
    char name[DIRSIZ + 1];
    memmove(name, de.name, DIRSIZ);
    name[DIRSIZ] = 0;
    if(strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
      continue;
    CHECK(n < MAXLIST, "too many entries in %s", path);
    for(int i = 0; i < n; i++)
      CHECK(strcmp(listed[i], name) != 0, "%s holds two entries named %s", path, name);
    strcpy(listed[n++], name);
  }
  close(fd);
  return n;
}

// dst = dir/name
static char *
join(char *dst, char *dir, char *name)
{
  int len = strlen(dir);
  memmove(dst, dir, len);
  dst[len] = '/';
  strcpy(dst + len + 1, name);
  return dst;
}

// Unlink every entry of dir (plain files only), then dir itself.
static void
remove_tree(char *dir)
{
  char path[MAXPATH];
  int n = list_dir(dir);
  for(int i = 0; i < n; i++)
    CHECK(unlink(join(path, dir, listed[i])) == 0, "cannot unlink %s", path);
  CHECK(unlink(dir) == 0, "cannot remove directory %s", dir);
}

// ---------------------------------------------------------------- exec helpers

static void
arg_text(char *s, int k)
{
  for(int j = 0; j < ARGLEN; j++)
    s[j] = 'a' + (k * 7 + j) % 26;
  s[ARGLEN] = 0;
}

// usertests --argcheck a0 a1 ...: every ak must be arg_text(k).
static void __attribute__((noreturn))
argcheck(int argc, char **argv)
{
  char want[ARGLEN + 1];
  for(int k = 2; k < argc; k++){
    arg_text(want, k - 2);
    if(strcmp(argv[k], want) != 0)
      exit(100 + k);
  }
  exit(argc - 2);
}

static char argpool[MAXARG + 8][ARGLEN + 1];
static char *xargv[MAXARG + 12];

// argv for SELF ARGCHECK with n generated arguments.
static char **
checkargs(int n)
{
  xargv[0] = SELF;
  xargv[1] = ARGCHECK;
  for(int k = 0; k < n; k++){
    arg_text(argpool[k], k);
    xargv[2 + k] = argpool[k];
  }
  xargv[2 + n] = 0;
  return xargv;
}

// exec in a child: the program's exit status, or EXEC_FAILED if exec returned -1.
static int
exec_status(char *path, char **argv)
{
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if(pid == 0)
    exit(exec(path, argv) == -1 ? EXEC_FAILED : EXEC_ODD);
  return reap(pid);
}

static void
expect_exec_fails(char *path, char **argv, char *what)
{
  int st = exec_status(path, argv);
  CHECK(st == EXEC_FAILED, "exec of %s: status %d, expected exec to return -1", what, st);
}

// ================================================================ processes

static void
t_exitwait(void)
{
  static int codes[] = { 0, 1, 42, 255, 1000, -7 };
  for(int i = 0; i < NELEM(codes); i++){
    int pid = fork();
    CHECK(pid >= 0, "fork failed");
    if(pid == 0)
      exit(codes[i]);
    expect_status(pid, codes[i], "exit code");
  }

  // Several children finishing in reverse order: each is reported once, with its status.
  int pids[5], seen = 0;
  for(int i = 0; i < 5; i++){
    pids[i] = fork();
    CHECK(pids[i] >= 0, "fork failed");
    if(pids[i] == 0){
      sleep(5 - i);
      exit(10 + i);
    }
  }
  for(int n = 0; n < 5; n++){
    int st, i;
    int got = wait(&st);
    for(i = 0; i < 5 && pids[i] != got; i++)
      ;
    CHECK(i < 5 && !(seen & (1 << i)), "wait returned unexpected pid %d", got);
    CHECK(st == 10 + i, "child %d: status %d, expected %d", got, st, 10 + i);
    seen |= 1 << i;
  }

  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if(pid == 0)
    exit(3);
  CHECK(wait(0) == pid, "wait(0) did not return the child");

  int st = 12345;
  CHECK(wait(&st) == -1, "wait without children did not return -1");
  CHECK(st == 12345, "failed wait changed the status word");
}

// Each middle child exits at once, leaving a grandchild for init to adopt.
// More rounds than process slots: unreaped orphans would make fork fail.
static void
t_orphans(void)
{
  int base = freepages();
  for(int i = 0; i < 2 * NPROC; i++){
    int p[2];
    CHECK(pipe(p) == 0, "pipe failed");
    int pid = fork();
    CHECK(pid >= 0, "fork failed in round %d", i);
    if(pid == 0){
      int g = fork();
      CHECK(g >= 0, "grandchild fork failed in round %d", i);
      if(g == 0){
        sleep(1);
        write(p[1], "o", 1);
      }
      exit(0);
    }
    close(p[1]);
    expect_status(pid, 0, "middle child");
    char c = 0;
    CHECK(read(p[0], &c, 1) == 1 && c == 'o', "orphan did not run on in round %d", i);
    CHECK(read(p[0], &c, 1) == 0, "no EOF after the orphan exited");
    close(p[0]);
  }
  expect_no_leak(base, "orphans");
}

// Fork until the kernel refuses, then release and reap every child.
static void
t_forkfull(void)
{
  int base = freepages();
  int p[2];
  CHECK(pipe(p) == 0, "pipe failed");
  int n = 0;
  for(;;){
    int pid = fork();
    if(pid < 0)
      break;
    if(pid == 0){
      char c;
      close(p[1]);
      read(p[0], &c, 1);   // returns at EOF, when the parent lets go
      exit(0);
    }
    n++;
    CHECK(n <= NPROC, "fork never failed");
  }
  CHECK(n >= NPROC / 2, "fork failed after only %d children", n);
  close(p[1]);
  for(int i = 0; i < n; i++){
    int st;
    CHECK(wait(&st) > 0, "only %d of %d children reaped", i, n);
    CHECK(st == 0, "a blocked child exited with %d", st);
  }
  CHECK(wait(0) == -1, "extra child after reaping all");
  close(p[0]);
  expect_no_leak(base, "fork until failure");

  // The slots are usable again.
  int pid = fork();
  CHECK(pid >= 0, "fork failed after the children were reaped");
  if(pid == 0)
    exit(5);
  expect_status(pid, 5, "fresh child");
}

static void
forkexit_worker(void)
{
  for(int i = 0; i < 60; i++){
    int pid = fork();
    CHECK(pid >= 0, "fork failed in round %d", i);
    if(pid == 0)
      exit((worker_id * 60 + i) % 128);
    int st;
    CHECK(wait(&st) == pid, "wait lost child of round %d", i);
    CHECK(st == (worker_id * 60 + i) % 128, "round %d: status %d", i, st);
  }
}

static void
t_forkconc(void)
{
  int base = freepages();
  start_workers(forkexit_worker, 4);
  reap_workers(4, "concurrent fork/exit");
  expect_no_leak(base, "concurrent fork/exit");
}

static void
t_getpid(void)
{
  enum { N = 8 };
  int me = getpid(), pids[N], p[2];
  CHECK(me > 0, "getpid returned %d", me);
  CHECK(pipe(p) == 0, "pipe failed");
  for(int i = 0; i < N; i++){
    pids[i] = fork();
    CHECK(pids[i] >= 0, "fork failed");
    if(pids[i] == 0){
      int id = getpid();
      write(p[1], &id, sizeof(id));
      exit(0);
    }
    CHECK(pids[i] != me, "child got the parent's pid");
  }
  close(p[1]);
  int claimed = 0;
  for(int n = 0; n < N; n++){
    int id = 0, i;
    CHECK(read(p[0], &id, sizeof(id)) == sizeof(id), "child did not report its pid");
    for(i = 0; i < N && (pids[i] != id || (claimed & (1 << i))); i++)
      ;
    CHECK(i < N, "child says pid %d, which fork did not return (or twice)", id);
    claimed |= 1 << i;
  }
  close(p[0]);
  for(int i = 0; i < N; i++)
    wait(0);
  CHECK(getpid() == me, "getpid changed");
}

// A child blocked in wait() (for a grandchild that sleeps a while) can be killed.
static void
wait_on_sleeper(void)
{
  int pid = fork();
  if(pid == 0){
    sleep(300);
    exit(0);
  }
  wait(0);
}

static void
sleep_long(void)
{
  sleep(1000000);
}

static void
spin_forever(void)
{
  for(;;)
    sink++;
}

static void
kill_self(void)
{
  kill(getpid());
  for(;;)
    sink++;
}

static void
t_kill(void)
{
  static void (*victims[])(void) = { sleep_long, spin_forever, wait_on_sleeper };
  static char *names[] = { "sleeping", "spinning", "waiting" };
  for(int i = 0; i < NELEM(victims); i++){
    int pid = spawn(victims[i]);
    sleep(3);
    int t0 = uptime();
    CHECK(kill(pid) == 0, "kill of %s child failed", names[i]);
    int st = reap(pid);
    CHECK(st == KILLED, "%s child: status %d after kill", names[i], st);
    CHECK(uptime() - t0 < TICK_HZ, "%s child took %d ticks to die", names[i], uptime() - t0);
    CHECK(kill(pid) == -1, "kill of a reaped pid succeeded");
  }
  expect_killed(kill_self, "kill(getpid())");
  CHECK(kill(-1) == -1 && kill(0) == -1 && kill(1000000) == -1, "kill of a bogus pid succeeded");
}

static void
t_sleep(void)
{
  int t0 = uptime();
  CHECK(sleep(20) == 0, "sleep(20) failed");
  int dt = uptime() - t0;
  CHECK(dt >= 20 && dt < 20 + 2 * TICK_HZ, "sleep(20) took %d ticks", dt);

  // The clock advances on its own while we compute.
  t0 = uptime();
  for(int i = 0; i < 50000000 && uptime() == t0; i++)
    ;
  CHECK(uptime() != t0, "uptime is stuck at %d", t0);

  t0 = uptime();
  sleep(0);
  sleep(-1);
  sleep(-1000000);
  CHECK(uptime() - t0 < 10, "sleep(0) or a negative sleep lasted %d ticks", uptime() - t0);
}

// ================================================================ exec

static void
t_execargs(void)
{
  int base = freepages();
  int st = exec_status(SELF, checkargs(0));
  CHECK(st == 0, "plain exec: status %d", st);

  // argc reaches MAXARG - 1 (room for the terminating null).
  st = exec_status(SELF, checkargs(MAXARG - 3));
  CHECK(st == MAXARG - 3, "exec with %d args: status %d", MAXARG - 1, st);

  expect_exec_fails(SELF, checkargs(MAXARG + 6), "too many arguments");

  // Arguments larger than the one-page stack.
  static char big[PGSIZE + 100];
  memset(big, 'x', sizeof(big) - 1);
  char *one[] = { SELF, big, 0 };
  expect_exec_fails(SELF, one, "an argument longer than a page");
  big[600] = 0;
  char *many[] = { SELF, big, big, big, big, big, big, big, big, big, big, 0 };
  expect_exec_fails(SELF, many, "arguments larger than the stack");

  for(int i = 0; i < 10; i++){
    st = exec_status(SELF, checkargs(i));
    CHECK(st == i, "exec loop %d: status %d", i, st);
  }
  expect_no_leak(base, "exec");
}

// A hand-made ELF file with one loadable segment.
static void
write_elf(char *path, uint64 off, uint64 vaddr, uint64 filesz, uint64 memsz)
{
  char *image = buf;
  memset(image, 0, PGSIZE);
  struct elfhdr *eh = (struct elfhdr *)image;
  struct proghdr *ph = (struct proghdr *)(image + sizeof(*eh));
  eh->magic = ELF_MAGIC;
  eh->ident[0] = 2;           // 64-bit
  eh->ident[1] = 1;           // little-endian
  eh->ident[2] = 1;           // ELF version
  eh->type = 2;               // executable
  eh->machine = 243;          // RISC-V
  eh->version = 1;
  eh->entry = vaddr + ELF_CODE_OFF;
  eh->phoff = sizeof(*eh);
  eh->ehsize = sizeof(*eh);
  eh->phentsize = sizeof(*ph);
  eh->phnum = 1;
  ph->type = ELF_PROG_LOAD;
  ph->flags = ELF_PROG_FLAG_READ | ELF_PROG_FLAG_EXEC;
  ph->off = off;
  ph->vaddr = ph->paddr = vaddr;
  ph->filesz = filesz;
  ph->memsz = memsz;
  ph->align = PGSIZE;
  uint *code = (uint *)(image + ELF_CODE_OFF);
  code[0] = ADDI_X0(REG_A0, ELF_EXIT);
  code[1] = ADDI_X0(REG_A7, SYS_exit);
  code[2] = ECALL;
  put_file(path, image, PGSIZE);
}

struct badseg {
  uint64 off, vaddr, filesz, memsz;
  int may_run;      // a kernel may also load this one correctly
  char *why;
};

static struct badseg badsegs[] = {
  { 0, 0, PGSIZE, PGSIZE / 2, 0, "memsz < filesz" },
  { 0, PGSIZE, PGSIZE, -(uint64)PGSIZE, 0, "vaddr + memsz wraps" },
  { 0, 0x123, PGSIZE, PGSIZE, 1, "unaligned vaddr" },
  { 8 * PGSIZE, 0, PGSIZE, PGSIZE, 0, "segment past end of file" },
  { 0, 0, PGSIZE, 0x40000000, 0, "1 GiB segment" },
  { 0, USERTOP - PGSIZE, PGSIZE, 2 * PGSIZE, 0, "segment across USERTOP" },
  { 0, KSTACK(0), PGSIZE, PGSIZE, 0, "segment on a kernel stack" },
  { 0, MAXVA, PGSIZE, PGSIZE, 0, "segment above MAXVA" },
};

static void
t_execbad(void)
{
  char *argv[] = { SELF, ARGCHECK, 0 };
  int base = freepages();

  expect_exec_fails("ut_nosuchfile", argv, "a missing file");
  expect_exec_fails("/", argv, "a directory");
  put_file("ut_x_text", "#!/bin/sh\necho not an ELF\n", 26);
  expect_exec_fails("ut_x_text", argv, "a text file");
  put_file("ut_x_empty", "", 0);
  expect_exec_fails("ut_x_empty", argv, "an empty file");

  // Our own binary cut short: the header is fine, the segments are missing.
  CHECK(get_file(SELF, buf, BSIZE) == BSIZE, "cannot read %s", SELF);
  put_file("ut_x_trunc", buf, BSIZE);
  expect_exec_fails("ut_x_trunc", argv, "a truncated ELF");

  // ELF magic followed by garbage (phoff and phnum far out of range).
  memset(buf, 0xff, 256);
  *(uint *)buf = ELF_MAGIC;
  put_file("ut_x_junk", buf, 256);
  expect_exec_fails("ut_x_junk", argv, "ELF magic with a garbage header");

  // The well-formed hand-made ELF runs; each flawed variant must be refused.
  write_elf("ut_x_elf", 0, 0, PGSIZE, PGSIZE);
  int st = exec_status("ut_x_elf", argv);
  CHECK(st == ELF_EXIT, "hand-made ELF: status %d, expected %d", st, ELF_EXIT);
  for(int i = 0; i < NELEM(badsegs); i++){
    struct badseg *b = &badsegs[i];
    write_elf("ut_x_elf", b->off, b->vaddr, b->filesz, b->memsz);
    st = exec_status("ut_x_elf", argv);
    CHECK(st == EXEC_FAILED || (b->may_run && st == ELF_EXIT),
          "ELF with %s: status %d, expected exec to return -1", b->why, st);
  }

  // Bad pointers in the path and in argv.
  expect_exec_fails((char *)0xffffffffffffffffUL, argv, "path at 0xffffffffffffffff");
  expect_exec_fails((char *)KERNBASE, argv, "path in kernel memory");
  expect_exec_fails(SELF, (char **)MAXVA, "argv at MAXVA");
  expect_exec_fails(SELF, (char **)KERNBASE, "argv in kernel memory");
  char *badarg[] = { SELF, (char *)KSTACK(0), 0 };
  expect_exec_fails(SELF, badarg, "argv[1] on a kernel stack");
  char *badarg2[] = { SELF, ARGCHECK, (char *)PGROUNDUP((uint64)sbrk(0)), 0 };
  expect_exec_fails(SELF, badarg2, "argv[2] beyond the heap");

  unlink("ut_x_text");
  unlink("ut_x_empty");
  unlink("ut_x_trunc");
  unlink("ut_x_junk");
  unlink("ut_x_elf");
  expect_no_leak(base, "failed execs");
}

// ================================================================ pipes

#define PIPE_TOTAL 25000
static int chunk_sizes[] = { 1, 100, 512, 700, 3000, 17, 4096 };

static void
t_pipedata(void)
{
  int p[2];
  CHECK(pipe(p) == 0, "pipe failed");
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if(pid == 0){
    close(p[0]);
    for(int off = 0, i = 0; off < PIPE_TOTAL; i++){
      int n = chunk_sizes[i % NELEM(chunk_sizes)];
      if(n > PIPE_TOTAL - off)
        n = PIPE_TOTAL - off;
      pattern_at(buf, n, 5, off);
      CHECK(write(p[1], buf, n) == n, "pipe write failed at %d", off);
      off += n;
    }
    exit(0);
  }
  close(p[1]);
  int off = 0;
  for(int i = 0; off < PIPE_TOTAL; i += 3){
    int want = chunk_sizes[i % NELEM(chunk_sizes)];
    if(want > PIPE_TOTAL - off)
      want = PIPE_TOTAL - off;
    int n = read(p[0], buf, want);
    CHECK(n > 0 && n <= want, "pipe read returned %d after %d bytes", n, off);
    CHECK(pattern_ok_at(buf, n, 5, off), "data corrupted in the pipe near byte %d", off);
    off += n;
  }
  CHECK(read(p[0], buf, 1) == 0, "no EOF after the writer exited");
  close(p[0]);
  expect_status(pid, 0, "writer");
}

static void
t_pipeends(void)
{
  int base = freepages();
  int p[2];
  char c;

  // A reader sees the bytes, then 0 once every write end is closed.
  CHECK(pipe(p) == 0, "pipe failed");
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if(pid == 0){
    close(p[1]);
    CHECK(read(p[0], buf, 3) == 3 && memcmp(buf, "abc", 3) == 0, "reader got wrong data");
    CHECK(read(p[0], &c, 1) == 0, "reader did not get EOF");
    exit(0);
  }
  close(p[0]);
  CHECK(write(p[1], "abc", 3) == 3, "pipe write failed");
  close(p[1]);
  expect_status(pid, 0, "reader");

  // Writing with no reader left fails.
  CHECK(pipe(p) == 0, "pipe failed");
  close(p[0]);
  CHECK(write(p[1], "x", 1) == -1, "write with the read end closed did not fail");
  close(p[1]);

  // A writer blocked on a full pipe is released with an error when the
  // reader goes away.
  CHECK(pipe(p) == 0, "pipe failed");
  pid = fork();
  CHECK(pid >= 0, "fork failed");
  if(pid == 0){
    close(p[1]);
    read(p[0], buf, 100);
    exit(0);
  }
  close(p[0]);
  int rounds = 0;
  while(write(p[1], buf, sizeof(buf)) == sizeof(buf))
    CHECK(++rounds < 4, "%d writes nobody could read completed", rounds);
  CHECK(write(p[1], buf, 10) == -1, "write after the reader exited did not fail");
  close(p[1]);
  expect_status(pid, 0, "short reader");

  // Reading and writing the wrong end.
  CHECK(pipe(p) == 0, "pipe failed");
  CHECK(write(p[0], "x", 1) == -1, "write to a read end succeeded");
  CHECK(read(p[1], &c, 1) == -1, "read from a write end succeeded");
  close(p[0]);
  close(p[1]);

  for(int i = 0; i < 40; i++){
    CHECK(pipe(p) == 0, "pipe %d failed", i);
    write(p[1], "z", 1);
    close(p[0]);
    close(p[1]);
  }
  expect_no_leak(base, "pipes");
}

static int pipe_fds[2];

static void
block_reading(void)
{
  close(pipe_fds[1]);
  read(pipe_fds[0], buf, 1);
  exit(0);
}

static void
block_writing(void)
{
  close(pipe_fds[0]);
  while(write(pipe_fds[1], buf, sizeof(buf)) > 0)
    ;
  exit(0);
}

static void
t_pipekill(void)
{
  static void (*blocked[])(void) = { block_reading, block_writing };
  for(int i = 0; i < NELEM(blocked); i++){
    CHECK(pipe(pipe_fds) == 0, "pipe failed");
    int pid = spawn(blocked[i]);
    sleep(5);
    CHECK(kill(pid) == 0, "kill failed");
    int st = reap(pid);
    CHECK(st == KILLED, "%s child: status %d after kill", i ? "writing" : "reading", st);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
  }
}

// A token travels RING_LAPS times around a ring of processes, each adding one.
#define RING 3
#define RING_LAPS 300

static int ring[RING][2];

static void
ring_member(void)
{
  int k = worker_id;
  for(;;){
    int v;
    CHECK(read(ring[k][0], &v, sizeof(v)) == sizeof(v), "member %d lost the token", k);
    if(v >= 0)
      v++;
    CHECK(write(ring[(k + 1) % RING][1], &v, sizeof(v)) == sizeof(v), "member %d cannot pass", k);
    if(v < 0)
      exit(0);
  }
}

static void
t_ring(void)
{
  for(int k = 0; k < RING; k++)
    CHECK(pipe(ring[k]) == 0, "pipe failed");
  for(int k = 1; k < RING; k++){
    worker_id = k;
    spawn(ring_member);
  }
  int v = 0;
  for(int lap = 0; lap < RING_LAPS; lap++){
    int got;
    CHECK(write(ring[1][1], &v, sizeof(v)) == sizeof(v), "cannot start lap %d", lap);
    CHECK(read(ring[0][0], &got, sizeof(got)) == sizeof(got), "token lost in lap %d", lap);
    CHECK(got == v + RING - 1, "lap %d: token %d, expected %d", lap, got, v + RING - 1);
    v = got + 1;
  }
  int stop = -1;
  write(ring[1][1], &stop, sizeof(stop));
  CHECK(read(ring[0][0], &stop, sizeof(stop)) == sizeof(stop) && stop == -1, "stop token lost");
  reap_workers(RING - 1, "ring");
}

// ================================================================ memory

#define SBRK_PAGES 10

static int
all_zero(char *p, int n)
{
  for(int i = 0; i < n; i++)
    if(p[i])
      return 0;
  return 1;
}

static void
t_sbrk(void)
{
  char *start = sbrk(0);
  for(int i = 0; i < 3000; i++){
    char *p = sbrk(1);
    CHECK(p == start + i, "sbrk(1) returned %p, expected %p", p, start + i);
    *p = (char)i;
  }
  for(int i = 0; i < 3000; i++)
    CHECK(start[i] == (char)i, "byte %d of the heap changed", i);
  char *top = sbrk(0);
  CHECK(top == start + 3000, "sbrk(0) is %p, expected %p", top, start + 3000);

  int n = SBRK_PAGES * PGSIZE;
  char *q = sbrk(n);
  CHECK(q == top, "sbrk(%d) returned %p, expected %p", n, q, top);
  char *fresh = (char *)PGROUNDUP((uint64)q);
  CHECK(all_zero(fresh, q + n - fresh), "new heap pages are not zeroed");
  pattern(q, n, 9);
  CHECK(pattern_ok(q, n, 9), "heap does not hold data");
  CHECK(sbrk(-n) == q + n, "shrinking sbrk returned the wrong break");
  CHECK(sbrk(0) == q, "break did not come back");

  // Freed pages come back zeroed, not with the old contents.
  CHECK(sbrk(n) == q, "regrow failed");
  CHECK(all_zero(fresh, q + n - fresh), "regrown heap shows old data");
  CHECK(sbrk(-n) == q + n, "second shrink failed");
}

static void
shrink_then_load(void)
{
  char *a = sbrk(4 * PGSIZE);
  memset(a, 1, 4 * PGSIZE);
  sbrk(-4 * PGSIZE);
  probe = (uint64)(a + 2 * PGSIZE);
  sink = *(volatile char *)probe;
}

static void
shrink_then_store(void)
{
  char *a = sbrk(4 * PGSIZE);
  sbrk(-4 * PGSIZE);
  probe = (uint64)(a + 3 * PGSIZE);
  *(volatile char *)probe = 1;
}

static void
load_probe(void)
{
  sink = *(volatile char *)probe;
}

static void
store_probe(void)
{
  *(volatile char *)probe = 0x5a;
}

static void
t_sbrkfault(void)
{
  expect_killed(shrink_then_load, "load from memory returned by sbrk");
  expect_killed(shrink_then_store, "store to memory returned by sbrk");
  probe = PGROUNDUP((uint64)sbrk(0)) + 8 * PGSIZE;
  expect_killed(load_probe, "load beyond the break");
}

// Requests the kernel must refuse without changing the break.
static void
refuse_huge_sbrk(void)
{
  char *top = sbrk(0);
  int shrink = -(int)((uint64)top + 16 * PGSIZE);
  static int deltas[4];
  deltas[0] = shrink;
  deltas[1] = -2147483647 - 1;
  deltas[2] = 0x7fffffff;
  deltas[3] = 1 << 30;
  for(int i = 0; i < NELEM(deltas); i++){
    char *r = sbrk(deltas[i]);
    // Growing must fail; an impossible shrink may fail or be ignored.
    CHECK(r == (char *)-1 || (deltas[i] < 0 && r == top),
          "sbrk(%d) returned %p", deltas[i], r);
    CHECK(sbrk(0) == top, "sbrk(%d) moved the break to %p", deltas[i], sbrk(0));
  }
  top[-1] = 1;   // still alive, memory intact
  char *a = sbrk(PGSIZE);
  CHECK(a == top, "ordinary sbrk failed after refused ones");
  a[PGSIZE - 1] = 1;
}

static void
t_sbrkbad(void)
{
  int base = freepages();
  expect_status(spawn(refuse_huge_sbrk), 0, "huge sbrk child");
  expect_no_leak(base, "refused sbrk");
}

// Allocate until the kernel says no, first in big chunks and then by the page.
static int
eat_memory(void)
{
  int pages = 0;
  for(int chunk = 64; chunk >= 1; chunk /= 64){
    char *p;
    while((p = sbrk(chunk * PGSIZE)) != (char *)-1){
      for(int i = 0; i < chunk; i++)
        p[i * PGSIZE] = 1;
      pages += chunk;
      CHECK(pages < (1 << 20), "memory never runs out");
    }
  }
  return pages;
}

static int oom_base;

static void
oom_child(void)
{
  int pages = eat_memory();
  CHECK(pages >= oom_base * 3 / 4, "only %d pages allocated of %d free", pages, oom_base);
  // Other requests fail cleanly while memory is gone.
  int pid = fork();
  if(pid == 0)
    exit(0);
  if(pid > 0)
    wait(0);
  char *argv[] = { SELF, ARGCHECK, "unexpected", 0 };   // argcheck would exit non-zero
  int r = exec(SELF, argv);
  CHECK(r == -1, "exec without memory returned %d", r);
  exit(0);
}

static void
t_oom(void)
{
  oom_base = freepages();
  expect_status(spawn(oom_child), 0, "memory eater");
  expect_no_leak(oom_base, "out-of-memory child");
  // Memory is usable again.
  char *p = sbrk(16 * PGSIZE);
  CHECK(p != (char *)-1, "sbrk failed after the out-of-memory child");
  sbrk(-16 * PGSIZE);
}

static void
grow_and_shrink(void)
{
  for(int round = 0; round < 3; round++){
    char *p = sbrk(256 * PGSIZE);
    CHECK(p != (char *)-1, "sbrk of 1 MB failed");
    for(int i = 0; i < 256; i++)
      p[i * PGSIZE] = i;
    sbrk(-256 * PGSIZE);
  }
}

static void
t_leaks(void)
{
  int base = freepages();
  for(int i = 0; i < 40; i++){
    int pid = fork();
    CHECK(pid >= 0, "fork failed");
    if(pid == 0)
      exit(0);
    reap(pid);
  }
  expect_no_leak(base, "fork/exit loop");

  expect_status(spawn(grow_and_shrink), 0, "sbrk child");
  expect_no_leak(base, "sbrk grow/shrink child");

  // Shrinking gives the pages back at once; only page-table pages may stay.
  int before = freepages();
  char *a = sbrk(64 * PGSIZE);
  CHECK(a != (char *)-1, "sbrk failed");
  CHECK(freepages() <= before - 64, "sbrk of 64 pages used only %d", before - freepages());
  sbrk(-64 * PGSIZE);
  CHECK(freepages() >= before - PT_SLACK, "shrink kept %d pages", before - freepages());
}

// ================================================================ bad arguments

#define BP_FILE "ut_bp"

// Every call given the bad address p must fail with -1.
static void
bad_address_calls(char *p, int lowfd)
{
  int fd = open(BP_FILE, O_RDONLY);
  CHECK(read(fd, p, 16) == -1, "read into %p did not fail", p);
  CHECK(fstat(fd, (struct stat *)p) == -1, "fstat into %p did not fail", p);
  close(fd);
  fd = open(BP_FILE, O_WRONLY);
  CHECK(write(fd, p, 16) == -1, "write from %p to a file did not fail", p);
  close(fd);
  CHECK(write(1, p, 16) == -1, "write from %p to the console did not fail", p);

  int q[2];
  CHECK(pipe(q) == 0, "pipe failed");
  CHECK(write(q[1], "0123456789abcdef", 16) == 16, "pipe write failed");
  CHECK(read(q[0], p, 16) == -1, "read from a pipe into %p did not fail", p);
  CHECK(write(q[1], p, 16) == -1, "write from %p to a pipe did not fail", p);
  close(q[0]);
  close(q[1]);

  CHECK(pipe((int *)p) == -1, "pipe(%p) did not fail", p);
  fd = dup(0);
  CHECK(fd == lowfd, "pipe(%p) left descriptors open", p);
  close(fd);

  CHECK(open(p, O_RDONLY) == -1, "open(%p) did not fail", p);
  CHECK(open(p, O_CREATE | O_RDWR) == -1, "open(%p, O_CREATE) did not fail", p);
  CHECK(link(p, "ut_bp_new") == -1, "link(%p, ...) did not fail", p);
  CHECK(link(BP_FILE, p) == -1, "link(..., %p) did not fail", p);
  CHECK(unlink(p) == -1, "unlink(%p) did not fail", p);
  CHECK(mkdir(p) == -1, "mkdir(%p) did not fail", p);
  CHECK(chdir(p) == -1, "chdir(%p) did not fail", p);
  CHECK(mknod(p, 1, 1) == -1, "mknod(%p) did not fail", p);

  char *argv[] = { SELF, ARGCHECK, 0 };
  char *badargv[] = { SELF, p, 0 };
  expect_exec_fails(p, argv, "a bad path pointer");
  expect_exec_fails(SELF, (char **)p, "a bad argv pointer");
  expect_exec_fails(SELF, badargv, "a bad argv[1] pointer");

  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if(pid == 0)
    exit(0);
  CHECK(wait((int *)p) == -1, "wait(%p) did not fail", p);
  while(wait(0) > 0)
    ;
}

static void
t_badptr(void)
{
  int base = freepages();
  pattern(buf, 64, 3);
  put_file(BP_FILE, buf, 64);
  int lowfd = dup(0);
  close(lowfd);

  // The good case works: read into the heap, and up to its very end.
  char *heap = sbrk(PGSIZE);
  CHECK(heap != (char *)-1, "sbrk failed");
  char *end = (char *)PGROUNDUP((uint64)sbrk(0));
  CHECK(get_file(BP_FILE, heap, 64) == 64 && pattern_ok(heap, 64, 3), "read into the heap failed");
  int fd = open(BP_FILE, O_RDONLY);
  CHECK(read(fd, end - 8, 8) == 8, "read into the last heap bytes failed");
  close(fd);
  // Straddling the end of memory: all of it, or only the mapped part.
  fd = open(BP_FILE, O_RDONLY);
  int r = read(fd, end - 8, 16);
  CHECK(r == -1 || r == 8, "read across the end of memory returned %d", r);
  close(fd);
  // Our own code is not writable, not even through the kernel.
  fd = open(BP_FILE, O_RDONLY);
  CHECK(read(fd, (char *)t_badptr, 16) == -1, "read into the text segment succeeded");
  close(fd);

  uint64 addrs[] = {
    0xffffffffffffffffUL, MAXVA, MAXVA + 10 * PGSIZE, KSTACK(0), KSTACK(0) + 100,
    USERTOP - PGSIZE, KERNBASE, KERNBASE + 0x200000, PHYSTOP - PGSIZE, UART0, KDEV(UART0),
    (uint64)end, guard_page(),
  };
  for(int i = 0; i < NELEM(addrs); i++)
    bad_address_calls((char *)addrs[i], lowfd);

  CHECK(unlink(BP_FILE) == 0, "cannot remove %s", BP_FILE);
  sbrk(-PGSIZE);
  expect_no_leak(base, "bad-pointer calls");
}

static void
t_badargs(void)
{
  int p[2];
  CHECK(pipe(p) == 0, "pipe failed");
  put_file("ut_neg", "0123456789", 10);
  int fd = open("ut_neg", O_RDWR);
  CHECK(fd >= 0, "open failed");

  static int lengths[] = { -1, -100, -2147483647 - 1 };
  for(int i = 0; i < NELEM(lengths); i++){
    int n = lengths[i];
    CHECK(read(fd, buf, n) == -1, "read of %d bytes from a file did not fail", n);
    CHECK(write(fd, buf, n) == -1, "write of %d bytes to a file did not fail", n);
    CHECK(write(1, buf, n) == -1, "write of %d bytes to the console did not fail", n);
    CHECK(write(p[1], "ab", 2) == 2, "pipe write failed");
    CHECK(read(p[0], buf, n) == -1, "read of %d bytes from a pipe did not fail", n);
    CHECK(write(p[1], buf, n) == -1, "write of %d bytes to a pipe did not fail", n);
    CHECK(read(p[0], buf, 2) == 2 && buf[0] == 'a', "pipe lost its data");
  }
  CHECK(fstat_of(fd).size == 10, "negative write changed the file");
  CHECK(read(fd, buf, 10) == 10, "file offset moved");
  close(fd);
  unlink("ut_neg");
  close(p[0]);
  close(p[1]);

  static int badfds[] = { -1, NOFILE, NOFILE + 1, 1000, -1000000 };
  for(int i = 0; i < NELEM(badfds); i++){
    int f = badfds[i];
    struct stat st;
    CHECK(read(f, buf, 1) == -1, "read(%d) did not fail", f);
    CHECK(write(f, "x", 1) == -1, "write(%d) did not fail", f);
    CHECK(close(f) == -1, "close(%d) did not fail", f);
    CHECK(dup(f) == -1, "dup(%d) did not fail", f);
    CHECK(fstat(f, &st) == -1, "fstat(%d) did not fail", f);
  }
  // A closed descriptor is as bad as a wild one.
  fd = dup(1);
  close(fd);
  CHECK(write(fd, "x", 1) == -1 && close(fd) == -1, "closed fd %d still works", fd);
}

// System call numbers that do not exist return -1 and the process goes on.
static long
raw_syscall(long num)
{
  register long a0 asm("a0") = 0;
  register long a7 asm("a7") = num;
  asm volatile("ecall" : "+r"(a0) : "r"(a7) : "memory");
  return a0;
}

static void
t_badsyscall(void)
{
  static long nums[] = { 0, 29, 1000, -1, 0x7fffffff };
  for(int i = 0; i < NELEM(nums); i++){
    long r = raw_syscall(nums[i]);
    CHECK(r == -1, "system call %d returned %d", (int)nums[i], (int)r);
  }
}

// ================================================================ faults

static void
zero_insn(void)
{
  asm volatile(".word 0");
}

static void
csr_from_user(void)
{
  uint64 x;
  asm volatile("csrr %0, sstatus" : "=r"(x));
  sink = x;
}

static void
sret_from_user(void)
{
  asm volatile("sret");
}

static void
breakpoint(void)
{
  asm volatile("ebreak");
}

static void
jump_probe(void)
{
  ((void (*)(void))probe)();
}

static void
t_illegal(void)
{
  probe = 0;
  expect_killed(zero_insn, "all-zero instruction");
  expect_killed(csr_from_user, "reading sstatus");
  expect_killed(sret_from_user, "sret");
  expect_killed(breakpoint, "ebreak");
  probe = KERNBASE;
  expect_killed(jump_probe, "jump into the kernel");
  probe = KSTACK(0);
  expect_killed(jump_probe, "jump to a kernel stack");
}

static void
t_kernmem(void)
{
  uint64 addrs[] = {
    KERNBASE, KERNBASE + 0x200000, PHYSTOP - 8, UART0, KDEV(UART0), KDEV(PLIC), KSTACK(0),
    MAXVA, MAXVA + PGSIZE, 0xfffffffffffffff0UL,
  };
  for(int i = 0; i < NELEM(addrs); i++){
    probe = addrs[i];
    expect_killed(load_probe, "load");
    expect_killed(store_probe, "store");
  }
}

static void
t_textwrite(void)
{
  probe = (uint64)t_textwrite;
  expect_killed(store_probe, "store into our own code");
  probe = (uint64)"a string constant";
  expect_killed(store_probe, "store into read-only data");
  // Reading them is fine.
  load_probe();
}

static int
deep(int n)
{
  volatile char pad[512];
  pad[0] = n;
  return n > 0 ? deep(n - 1) + pad[0] : 0;
}

static void
recurse_deep(void)
{
  sink = deep(200);
}

static void
t_stackguard(void)
{
  probe = guard_page();
  expect_killed(load_probe, "load from the stack guard page");
  expect_killed(store_probe, "store to the stack guard page");
  probe = 0;
  expect_killed(recurse_deep, "100 KB of recursion");
}

// ================================================================ file system

static void
t_fsbasic(void)
{
  unlink("ut_small");
  int fd = open("ut_small", O_CREATE | O_RDWR);
  CHECK(fd >= 0, "create failed");
  for(int i = 0; i < 20; i++){
    pattern(buf, 100, i);
    CHECK(write(fd, buf, 100) == 100, "write %d failed", i);
  }
  close(fd);

  fd = open("ut_small", O_RDONLY);
  CHECK(fd >= 0, "reopen failed");
  struct stat st = fstat_of(fd);
  CHECK(st.type == T_FILE && st.size == 2000 && st.nlink == 1,
        "fstat: type %d size %d nlink %d", st.type, (int)st.size, st.nlink);
  int got = 0, r;
  while((r = read(fd, buf + got, 77)) > 0)
    got += r;
  CHECK(r == 0 && got == 2000, "read %d bytes back", got);
  for(int i = 0; i < 20; i++)
    CHECK(pattern_ok(buf + 100 * i, 100, i), "record %d corrupted", i);
  CHECK(read(fd, buf, 1) == 0, "read past the end returned data");
  close(fd);

  CHECK(unlink("ut_small") == 0, "unlink failed");
  CHECK(open("ut_small", O_RDONLY) == -1, "unlinked file still opens");
  CHECK(unlink("ut_small") == -1, "second unlink succeeded");
}

#define MANY_DIR "ut_many"
#define MANY 50

static void
t_manyfiles(void)
{
  char name[32];
  CHECK(mkdir(MANY_DIR) == 0, "mkdir failed");
  for(int i = 0; i < MANY; i++){
    mkname(name, MANY_DIR "/f", i);
    put_file(name, name, strlen(name));
  }
  CHECK(list_dir(MANY_DIR) == MANY, "directory lists %d names, expected %d", list_dir(MANY_DIR), MANY);
  for(int i = 0; i < MANY; i++){
    mkname(name, MANY_DIR "/f", i);
    int n = get_file(name, buf, sizeof(buf));
    CHECK(n == strlen(name) && memcmp(buf, name, n) == 0, "%s has wrong contents", name);
  }
  for(int i = 0; i < MANY; i += 2)
    CHECK(unlink(mkname(name, MANY_DIR "/f", i)) == 0, "unlink %s failed", name);
  CHECK(list_dir(MANY_DIR) == MANY / 2, "half-emptied directory lists %d names", list_dir(MANY_DIR));
  // Freed slots get reused rather than the directory growing without bound.
  int before = stat_of(MANY_DIR).size;
  for(int i = 0; i < MANY; i += 2)
    put_file(mkname(name, MANY_DIR "/g", i), "g", 1);
  CHECK(stat_of(MANY_DIR).size == before, "directory grew from %d to %d bytes", before,
        (int)stat_of(MANY_DIR).size);
  remove_tree(MANY_DIR);
  CHECK(open(MANY_DIR, O_RDONLY) == -1, "removed directory still opens");
}

// Every block of a file using each kind of block pointer carries its own
// number, so misplaced blocks show.
static void
t_bigfile(void)
{
  unlink("ut_big");
  int fd = open("ut_big", O_CREATE | O_RDWR);
  CHECK(fd >= 0, "create failed");
  for(int b = 0; b < BIGBLOCKS; b++){
    pattern(buf, BSIZE, b);
    CHECK(write(fd, buf, BSIZE) == BSIZE, "write of block %d failed", b);
  }
  CHECK(fstat_of(fd).size == BIGBLOCKS * BSIZE, "size %d, expected %d", (int)fstat_of(fd).size,
        BIGBLOCKS * BSIZE);
  close(fd);

  fd = open("ut_big", O_RDONLY);
  CHECK(fd >= 0, "reopen failed");
  for(int b = 0; b < BIGBLOCKS; b++){
    CHECK(read(fd, buf, BSIZE) == BSIZE, "read of block %d failed", b);
    CHECK(pattern_ok(buf, BSIZE, b), "block %d has wrong contents", b);
  }
  CHECK(read(fd, buf, BSIZE) == 0, "data past the end");
  close(fd);
  CHECK(unlink("ut_big") == 0, "unlink failed");
}

static void
t_links(void)
{
  unlink("ut_la");
  unlink("ut_lb");
  put_file("ut_la", "hello", 5);
  CHECK(stat_of("ut_la").nlink == 1, "new file has nlink %d", stat_of("ut_la").nlink);
  CHECK(link("ut_la", "ut_lb") == 0, "link failed");
  struct stat a = stat_of("ut_la"), b = stat_of("ut_lb");
  CHECK(a.ino == b.ino && a.nlink == 2 && b.nlink == 2, "after link: ino %d/%d nlink %d/%d",
        a.ino, b.ino, a.nlink, b.nlink);
  CHECK(get_file("ut_lb", buf, 10) == 5 && memcmp(buf, "hello", 5) == 0, "link reads wrong data");

  CHECK(link("ut_la", "ut_lb") == -1, "link onto an existing name succeeded");
  CHECK(link("ut_nosuch", "ut_lc") == -1, "link of a missing file succeeded");
  CHECK(link(".", "ut_ld") == -1, "link of a directory succeeded");
  CHECK(link("ut_la", "ut_nodir/x") == -1, "link into a missing directory succeeded");
  CHECK(link("ut_la", "ut_la/x") == -1, "link below a file succeeded");

  CHECK(unlink("ut_la") == 0, "unlink failed");
  CHECK(stat_of("ut_lb").nlink == 1, "nlink %d after unlink", stat_of("ut_lb").nlink);
  CHECK(open("ut_la", O_RDONLY) == -1, "unlinked name still opens");
  CHECK(get_file("ut_lb", buf, 10) == 5 && memcmp(buf, "hello", 5) == 0, "data lost by unlink");
  CHECK(unlink("ut_lb") == 0, "unlink of last link failed");
  CHECK(unlink("ut_nosuch") == -1, "unlink of a missing file succeeded");
}

static void
t_unlinkopen(void)
{
  unlink("ut_uo");
  int w = open("ut_uo", O_CREATE | O_WRONLY);
  int r = open("ut_uo", O_RDONLY);
  CHECK(w >= 0 && r >= 0, "open failed");
  CHECK(unlink("ut_uo") == 0, "unlink of an open file failed");
  CHECK(open("ut_uo", O_RDONLY) == -1, "name survives unlink");

  pattern(buf, 3000, 4);
  CHECK(write(w, buf, 3000) == 3000, "write to an unlinked file failed");
  memset(buf, 0, 3000);
  CHECK(read(r, buf, 3000) == 3000 && pattern_ok(buf, 3000, 4), "unlinked file reads wrong data");
  CHECK(fstat_of(r).nlink == 0, "unlinked file has nlink %d", fstat_of(r).nlink);
  close(w);
  close(r);

  // The name is free for a new, empty file.
  int fd = open("ut_uo", O_CREATE | O_RDWR);
  CHECK(fd >= 0, "recreate failed");
  CHECK(fstat_of(fd).size == 0, "recreated file is not empty");
  close(fd);
  unlink("ut_uo");
}

static void
t_dirs(void)
{
  CHECK(mkdir("ut_d") == 0, "mkdir failed");
  CHECK(mkdir("ut_d") == -1, "second mkdir succeeded");
  CHECK(mkdir("ut_d/sub") == 0, "nested mkdir failed");
  put_file("ut_d/sub/f", "x", 1);
  CHECK(stat_of("ut_d").type == T_DIR, "directory has the wrong type");

  CHECK(unlink("ut_d/sub") == -1, "removed a non-empty directory");
  CHECK(unlink("ut_d") == -1, "removed a directory holding a directory");
  CHECK(unlink("ut_d/sub/.") == -1, "unlink of a \".\" entry succeeded");
  CHECK(unlink("ut_d/sub/..") == -1, "unlink of a \"..\" entry succeeded");
  CHECK(mkdir("ut_d/sub/f/x") == -1, "mkdir below a file succeeded");
  CHECK(open("ut_d/sub/f/x", O_CREATE | O_RDWR) == -1, "create below a file succeeded");
  CHECK(mkdir("ut_nodir/x") == -1, "mkdir in a missing directory succeeded");
  CHECK(chdir("ut_d/sub/f") == -1, "chdir to a file succeeded");
  CHECK(chdir("ut_nosuch") == -1, "chdir to a missing directory succeeded");

  CHECK(chdir("ut_d") == 0, "chdir failed");
  CHECK(get_file("sub/f", buf, 4) == 1, "relative path after chdir failed");
  CHECK(chdir("sub") == 0, "second chdir failed");
  CHECK(unlink(".") == -1 && unlink("..") == -1, "unlink of . or .. succeeded");
  CHECK(get_file("f", buf, 4) == 1 && get_file("../sub/f", buf, 4) == 1, "lookup via .. failed");
  CHECK(get_file("/ut_d/sub/f", buf, 4) == 1, "absolute path failed");
  CHECK(chdir("../..") == 0, "chdir .. failed");
  CHECK(get_file("ut_d/sub/f", buf, 4) == 1, "not back at the root");
  CHECK(stat_of("/..").ino == stat_of("/").ino, "the root's .. is not the root");

  CHECK(unlink("ut_d/sub/f") == 0 && unlink("ut_d/sub") == 0 && unlink("ut_d") == 0,
        "cleanup of emptied directories failed");
  CHECK(chdir("ut_d") == -1, "chdir into a removed directory succeeded");
}

static void
t_paths(void)
{
  static char longpath[MAXPATH + 40];
  memset(longpath, 'p', sizeof(longpath) - 1);
  char *argv[] = { SELF, ARGCHECK, 0 };
  CHECK(open(longpath, O_CREATE | O_RDWR) == -1, "open of a %d-byte path succeeded", MAXPATH + 39);
  CHECK(mkdir(longpath) == -1 && chdir(longpath) == -1 && unlink(longpath) == -1,
        "overlong path accepted");
  CHECK(link(SELF, longpath) == -1, "link to an overlong path succeeded");
  expect_exec_fails(longpath, argv, "an overlong path");

  CHECK(open("", O_CREATE | O_RDWR) == -1 && mkdir("") == -1, "empty path accepted");
  CHECK(open("/", O_CREATE | O_RDWR) == -1, "created the root");
  CHECK(unlink("/") == -1, "unlinked the root");
  CHECK(open("ut_nodir/f", O_CREATE | O_RDWR) == -1, "create in a missing directory succeeded");

  // A name of exactly DIRSIZ bytes round-trips.
  char exact[DIRSIZ + 1];
  memset(exact, 'e', DIRSIZ);
  memmove(exact, "ut_", 3);
  exact[DIRSIZ] = 0;
  put_file(exact, "1", 1);
  CHECK(get_file(exact, buf, 4) == 1, "file with a %d-byte name lost", DIRSIZ);
  CHECK(unlink(exact) == 0, "unlink of a %d-byte name failed", DIRSIZ);

  // A longer component is refused or handled consistently.
  char *longer = "ut_abcdefghijklmnopqrstuvwxyz";
  int fd = open(longer, O_CREATE | O_RDWR);
  if(fd >= 0){
    uint ino = fstat_of(fd).ino;
    close(fd);
    CHECK(stat_of(longer).ino == ino, "long name finds another file");
    CHECK(unlink(longer) == 0, "unlink of a long name failed");
  }
}

static void
t_trunc(void)
{
  pattern(buf, 1000, 1);
  put_file("ut_tr", buf, 1000);
  int early = open("ut_tr", O_RDONLY);
  int fd = open("ut_tr", O_WRONLY | O_TRUNC);
  CHECK(early >= 0 && fd >= 0, "open failed");
  CHECK(fstat_of(fd).size == 0, "O_TRUNC left %d bytes", (int)fstat_of(fd).size);
  CHECK(read(early, buf, 10) == 0, "truncated file still reads");
  CHECK(write(fd, "abc", 3) == 3, "write after truncate failed");
  close(fd);
  CHECK(read(early, buf, 10) == 3 && memcmp(buf, "abc", 3) == 0, "earlier fd misses new data");
  close(early);

  // O_CREATE on an existing file opens it as it is.
  fd = open("ut_tr", O_CREATE | O_RDWR);
  CHECK(fd >= 0, "O_CREATE of an existing file failed");
  CHECK(fstat_of(fd).size == 3, "O_CREATE changed the size to %d", (int)fstat_of(fd).size);
  CHECK(read(fd, buf, 10) == 3 && memcmp(buf, "abc", 3) == 0, "O_CREATE lost the data");
  close(fd);
  fd = open("ut_tr", O_CREATE | O_TRUNC | O_RDWR);
  CHECK(fd >= 0 && fstat_of(fd).size == 0, "O_CREATE|O_TRUNC did not empty the file");
  close(fd);
  unlink("ut_tr");
}

static void
t_openmodes(void)
{
  CHECK(open(".", O_WRONLY) == -1, "opened a directory for writing");
  CHECK(open(".", O_RDWR) == -1, "opened a directory read-write");
  CHECK(open("/", O_WRONLY | O_TRUNC) == -1, "truncated the root");
  int fd = open(".", O_RDONLY);
  CHECK(fd >= 0, "cannot open . for reading");
  CHECK(write(fd, "x", 1) == -1, "write to a directory succeeded");
  close(fd);
  CHECK(mkdir("ut_od") == 0, "mkdir failed");
  CHECK(open("ut_od", O_CREATE | O_RDWR) == -1, "O_CREATE over a directory succeeded");
  CHECK(open("ut_od", O_CREATE) == -1, "O_CREATE (read-only) over a directory succeeded");
  CHECK(unlink("ut_od") == 0, "rmdir failed");

  put_file("ut_om", "data", 4);
  fd = open("ut_om", O_RDONLY);
  CHECK(write(fd, "x", 1) == -1, "write through a read-only fd succeeded");
  close(fd);
  fd = open("ut_om", O_WRONLY);
  CHECK(read(fd, buf, 1) == -1, "read through a write-only fd succeeded");
  close(fd);
  unlink("ut_om");

  // The per-process table fills up and empties again.
  int fds[NOFILE], n = 0;
  while(n < NOFILE && (fds[n] = open("/", O_RDONLY)) >= 0)
    n++;
  CHECK(n >= NOFILE - 3 && n < NOFILE, "%d opens before the table was full", n);
  CHECK(open("/", O_RDONLY) == -1 && dup(0) == -1, "more descriptors than NOFILE");
  while(n > 0)
    close(fds[--n]);
  fd = open("/", O_RDONLY);
  CHECK(fd >= 0, "open failed after closing all");
  close(fd);
}

static void
t_dupfork(void)
{
  int fd = open("ut_dup", O_CREATE | O_TRUNC | O_RDWR);
  CHECK(fd >= 0, "create failed");
  int fd2 = dup(fd);
  CHECK(fd2 >= 0 && fd2 != fd, "dup returned %d", fd2);
  CHECK(write(fd, "ab", 2) == 2 && write(fd2, "cd", 2) == 2, "write failed");
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  if(pid == 0){
    write(fd, "ef", 2);
    exit(0);
  }
  expect_status(pid, 0, "writer");
  CHECK(write(fd2, "gh", 2) == 2, "write after the child failed");
  close(fd);
  CHECK(write(fd2, "ij", 2) == 2, "dup died with the original");
  close(fd2);
  CHECK(get_file("ut_dup", buf, 20) == 10 && memcmp(buf, "abcdefghij", 10) == 0,
        "writers did not share one offset");

  // A child's reads move the parent's offset too.
  fd = open("ut_dup", O_RDONLY);
  pid = fork();
  CHECK(pid >= 0, "fork failed");
  if(pid == 0){
    read(fd, buf, 4);
    exit(0);
  }
  expect_status(pid, 0, "reader");
  CHECK(read(fd, buf, 2) == 2 && memcmp(buf, "ef", 2) == 0, "child read did not move the offset");
  close(fd);
  unlink("ut_dup");
}

// Children fill the system-wide open-file table; it refuses, then recovers.
static int ft_release[2], ft_report[2];

static void
filetable_worker(void)
{
  int n = 0;
  close(ft_release[1]);
  close(ft_report[0]);
  while(open("/", O_RDONLY) >= 0)
    n++;
  char c = n;
  write(ft_report[1], &c, 1);
  read(ft_release[0], &c, 1);   // hold everything until released
}

static void
t_filetable(void)
{
  enum { W = 12 };   // together they want more than NFILE
  CHECK(pipe(ft_release) == 0 && pipe(ft_report) == 0, "pipe failed");
  start_workers(filetable_worker, W);
  close(ft_release[0]);
  int total = 0;
  for(int i = 0; i < W; i++){
    char c;
    CHECK(read(ft_report[0], &c, 1) == 1, "worker did not report");
    total += c;
  }
  CHECK(total < W * (NOFILE - 5), "nothing limited %d open files", total);
  CHECK(total >= NFILE - 16 && total <= NFILE, "%d files open at once", total);
  close(ft_release[1]);
  reap_workers(W, "open-file table");
  int fd = open("/", O_RDONLY);
  CHECK(fd >= 0, "open failed once the table emptied");
  close(fd);
}

// Workers use private names, then all fight over a few shared ones.
#define CC_DIR    "ut_cc"
#define CC_ROUNDS 20
#define CC_SHARED 6
#define CC_WORKERS 4

static void
cc_private(void)
{
  char prefix[16], name[32];
  static char data[64], back[64];
  strcpy(prefix, CC_DIR "/p?_");
  prefix[strlen(CC_DIR) + 2] = 'a' + worker_id;
  for(int i = 0; i < CC_ROUNDS; i++){
    mkname(name, prefix, i);
    pattern(data, sizeof(data), worker_id * 100 + i);
    put_file(name, data, sizeof(data));
    CHECK(get_file(name, back, sizeof(back)) == sizeof(back), "%s lost", name);
    CHECK(pattern_ok(back, sizeof(back), worker_id * 100 + i), "%s has wrong data", name);
    CHECK(unlink(name) == 0, "unlink %s failed", name);
    CHECK(open(name, O_RDONLY) == -1, "%s still opens after unlink", name);
  }
}

static void
cc_shared(void)
{
  char name[32], other[32];
  for(int i = 0; i < 2 * CC_ROUNDS; i++){
    int s = (i * 5 + worker_id) % CC_SHARED;
    mkname(name, CC_DIR "/s", s);
    mkname(other, CC_DIR "/s", (s + 1) % CC_SHARED);
    int fd;
    switch((i + worker_id) % 3){
    case 0:
      fd = open(name, O_CREATE | O_RDWR);
      CHECK(fd >= 0, "create %s failed", name);
      CHECK(write(fd, "z", 1) == 1, "write %s failed", name);
      close(fd);
      break;
    case 1:
      unlink(name);
      break;
    default:
      link(name, other);
      break;
    }
    fd = open(name, O_RDONLY);
    if(fd >= 0){
      CHECK(fstat_of(fd).type == T_FILE, "%s is not a file", name);
      close(fd);
    }
  }
}

static void
t_fsconc(void)
{
  char path[MAXPATH];
  CHECK(mkdir(CC_DIR) == 0, "mkdir failed");
  start_workers(cc_private, CC_WORKERS);
  reap_workers(CC_WORKERS, "private names");
  CHECK(list_dir(CC_DIR) == 0, "private files left behind");

  start_workers(cc_shared, CC_WORKERS);
  reap_workers(CC_WORKERS, "shared names");
  // Link counts must match the entries that name each inode.
  int n = list_dir(CC_DIR);
  CHECK(n <= CC_SHARED, "%d entries from %d names", n, CC_SHARED);
  for(int i = 0; i < n; i++){
    struct stat si = stat_of(join(path, CC_DIR, listed[i]));
    int names = 0;
    for(int j = 0; j < n; j++)
      if(stat_of(join(path, CC_DIR, listed[j])).ino == si.ino)
        names++;
    CHECK(si.type == T_FILE && si.nlink == names, "%s: nlink %d but %d names", listed[i],
          si.nlink, names);
  }
  remove_tree(CC_DIR);
}

// ================================================================ slow tests

// Fill the disk with maximal files until a write fails.  Returns data blocks written.
#define FULL_FILES 16
static int
fill_disk(void)
{
  char name[16];
  int blocks = 0, files;
  pattern(buf, BSIZE, 0);
  for(files = 0; files < FULL_FILES; files++){
    int fd = open(mkname(name, "ut_full", files), O_CREATE | O_TRUNC | O_WRONLY);
    if(fd < 0)
      break;
    int b;
    for(b = 0; b < FILEBLOCKS && write(fd, buf, BSIZE) == BSIZE; b++)
      blocks++;
    close(fd);
    if(b < FILEBLOCKS){
      files++;
      break;
    }
  }
  CHECK(files < FULL_FILES, "disk never filled up");
  for(int i = 0; i < files; i++)
    CHECK(unlink(mkname(name, "ut_full", i)) == 0, "cannot remove %s", name);
  return blocks;
}

static void
t_diskfull(void)
{
  int first = fill_disk();
  CHECK(first > FREEBLOCKS, "only %d blocks fit on the disk, fs.img leaves %d free", first, FREEBLOCKS);
  int second = fill_disk();
  CHECK(second == first, "%d blocks fit the first time, %d the second", first, second);
  put_file("ut_after", "ok", 2);
  CHECK(get_file("ut_after", buf, 4) == 2, "file system unusable after filling");
  unlink("ut_after");
}

static void
oom_stress_worker(void)
{
  eat_memory();
  int pid = fork();
  if(pid == 0)
    exit(0);
  if(pid > 0)
    wait(0);
  int p[2];
  if(pipe(p) == 0){
    close(p[0]);
    close(p[1]);
  }
  char *argv[] = { SELF, ARGCHECK, 0 };
  exec(SELF, argv);   // may fail for lack of memory, or may not: either is fine
  sleep(10);
}

// malloc until it gives up, free it all, and the same amount comes back.
// Blocks are large so that the scan of the free list stays short.
#define MBLOCK (48 * 1024)

static void
malloc_roundtrip(void)
{
  void **blocks = 0;
  for(int round = 0, first = 0; round < 2; round++){
    int n = 0;
    void **p;
    while((p = malloc(MBLOCK)) != 0){
      *p = blocks;
      blocks = p;
      n++;
    }
    CHECK(n >= oom_base / 2 / (MBLOCK / PGSIZE), "malloc gave only %d blocks", n);
    CHECK(round == 0 || n >= first, "malloc gave %d blocks, then %d", first, n);
    first = n;
    while(blocks){
      p = *blocks;
      free(blocks);
      blocks = p;
    }
  }
}

static void
t_oomstress(void)
{
  int base = oom_base = freepages();
  for(int round = 0; round < 3; round++){
    start_workers(oom_stress_worker, 3);
    reap_workers(3, "memory eaters");
    expect_no_leak(base, "concurrent memory eaters");
  }
  expect_status(spawn(malloc_roundtrip), 0, "malloc child");
  expect_no_leak(base, "malloc child");
}

static void
storm_worker(void)
{
  for(int i = 0; i < 400; i++){
    int pid = fork();
    CHECK(pid >= 0, "fork failed in round %d", i);
    if(pid == 0){
      if(i % 4 == 0 && fork() == 0)
        exit(0);          // orphan for init
      exit(i % 100);
    }
    int st;
    CHECK(wait(&st) == pid && st == i % 100, "round %d: bad wait", i);
  }
}

static void
t_forkstorm(void)
{
  int base = freepages();
  start_workers(storm_worker, 3);
  reap_workers(3, "fork storm");
  for(int i = 0; i < 30; i++){
    int st = exec_status(SELF, checkargs(i % 5));
    CHECK(st == i % 5, "exec %d: status %d", i, st);
  }
  expect_no_leak(base, "fork storm");
}

// ================================================================ runner

struct test {
  char *name;
  void (*fn)(void);
  int slow;
};

static struct test tests[] = {
  { "exitwait",   t_exitwait,   0 },
  { "orphans",    t_orphans,    0 },
  { "forkfull",   t_forkfull,   0 },
  { "forkconc",   t_forkconc,   0 },
  { "getpid",     t_getpid,     0 },
  { "kill",       t_kill,       0 },
  { "sleep",      t_sleep,      0 },
  { "execargs",   t_execargs,   0 },
  { "execbad",    t_execbad,    0 },
  { "pipedata",   t_pipedata,   0 },
  { "pipeends",   t_pipeends,   0 },
  { "pipekill",   t_pipekill,   0 },
  { "ring",       t_ring,       0 },
  { "sbrk",       t_sbrk,       0 },
  { "sbrkfault",  t_sbrkfault,  0 },
  { "sbrkbad",    t_sbrkbad,    0 },
  { "oom",        t_oom,        0 },
  { "leaks",      t_leaks,      0 },
  { "badptr",     t_badptr,     0 },
  { "badargs",    t_badargs,    0 },
  { "badsyscall", t_badsyscall, 0 },
  { "illegal",    t_illegal,    0 },
  { "kernmem",    t_kernmem,    0 },
  { "textwrite",  t_textwrite,  0 },
  { "stackguard", t_stackguard, 0 },
  { "fsbasic",    t_fsbasic,    0 },
  { "manyfiles",  t_manyfiles,  0 },
  { "bigfile",    t_bigfile,    0 },
  { "links",      t_links,      0 },
  { "unlinkopen", t_unlinkopen, 0 },
  { "dirs",       t_dirs,       0 },
  { "paths",      t_paths,      0 },
  { "trunc",      t_trunc,      0 },
  { "openmodes",  t_openmodes,  0 },
  { "dupfork",    t_dupfork,    0 },
  { "filetable",  t_filetable,  0 },
  { "fsconc",     t_fsconc,     0 },
  { "oomstress",  t_oomstress,  1 },
  { "forkstorm",  t_forkstorm,  1 },
  { "diskfull",   t_diskfull,   1 },
};

// Run one test under a watchdog; returns 1 if it passed.  The watchdog is
// forked first so that its pages are gone before the test counts free pages.
static int
run_test(struct test *t)
{
  int limit = t->slow ? SLOW_LIMIT : QUICK_LIMIT;
  int dog = fork();
  if(dog == 0){
    sleep(limit * TICK_HZ);
    exit(0);
  }
  int pid = fork();
  if(pid < 0){
    printf("test %s: FAILED (cannot fork the test)\n", t->name);
    if(dog > 0){
      kill(dog);
      wait(0);
    }
    return 0;
  }
  if(pid == 0){
    curname = t->name;
    mainpid = getpid();
    t->fn();
    exit(0);
  }
  int st;
  int who = wait(&st);
  if(dog > 0 && who == dog){
    kill(pid);
    wait(0);
    printf("test %s: FAILED (no result after %d s)\n", t->name, limit);
    return 0;
  }
  if(dog > 0){
    kill(dog);
    wait(0);
  }
  if(st == 0){
    printf("test %s: OK\n", t->name);
    return 1;
  }
  if(st == KILLED)
    printf("test %s: FAILED (test process killed)\n", t->name);
  else if(st != 1)   // status 1: the test printed its own reason
    printf("test %s: FAILED (exit status %d)\n", t->name, st);
  return 0;
}

static struct test *
find_test(char *name)
{
  for(int i = 0; i < NELEM(tests); i++)
    if(strcmp(tests[i].name, name) == 0)
      return &tests[i];
  return 0;
}

static int
wanted(struct test *t, int argc, char **argv, int named, int quick)
{
  if(!named)
    return !(quick && t->slow);
  for(int i = 1; i < argc; i++)
    if(strcmp(argv[i], t->name) == 0)
      return 1;
  return 0;
}

int
main(int argc, char *argv[])
{
  if(argc >= 2 && strcmp(argv[1], ARGCHECK) == 0)
    argcheck(argc, argv);

  int quick = 0, named = 0;
  for(int i = 1; i < argc; i++){
    if(strcmp(argv[i], "-q") == 0)
      quick = 1;
    else if(find_test(argv[i]))
      named = 1;
    else {
      fprintf(2, "usage: usertests [-q] [test ...]\nno test named %s\n", argv[i]);
      exit(1);
    }
  }

  printf("usertests starting\n");
  int start_pages = freepages(), t0 = uptime();
  int ran = 0, passed = 0;
  for(int i = 0; i < NELEM(tests); i++){
    if(!wanted(&tests[i], argc, argv, named, quick))
      continue;
    ran++;
    passed += run_test(&tests[i]);
  }

  // Everything the tests took must be back once they are gone.
  int end_pages = freepages();
  for(int tries = 0; tries < 50 && end_pages < start_pages; tries++){
    sleep(2);
    end_pages = freepages();
  }
  ran++;
  if(end_pages >= start_pages){
    printf("test leakcheck: OK\n");
    passed++;
  } else {
    printf("test leakcheck: FAILED (%d pages missing after the run)\n", start_pages - end_pages);
  }

  int dt = uptime() - t0;
  printf("usertests: %d of %d passed in %d.%d s\n", passed, ran, dt / TICK_HZ, dt % TICK_HZ / 10);
  if(passed != ran){
    printf("SOME TESTS FAILED\n");
    exit(1);
  }
  printf("ALL TESTS PASSED\n");
  exit(0);
}
