// schedtest.c: the guest's half of the scheduler tests (test/test_sched.py).
//   schedtest spin           SPINNERS children wake from sleep() on one tick and
//                            spin; ^P then shows where they run.  A line on
//                            the console stops them.
//   schedtest killread N     up to N times: kill a child at a varying moment
//                            around its entry to a blocking pipe read; stop
//                            at the first child that the kill did not end
#include "kernel/types.h"
#include "kernel/param.h"
#include "user/user.h"

#define SPINNERS       3                  // one per hart of the test machine
#define LEAD_TICKS     10                 // time for every spinner to go to sleep
#define SPIN_LIMIT_US  (60 * 1000000UL)   // a spinner nobody stops ends by itself
#define CLOCK_PER_US   10                 // rdtime counts at 10 MHz
#define DELAY_STEP     3                  // 0.3 us between one try's kill and the next's
#define DELAY_RANGE    (400 * CLOCK_PER_US)   // kills land 0 to 400 us after fork
#define LOST_TICKS     (2 * TICK_HZ)      // a killed reader still blocked then lost the kill

static void
die(const char *what)
{
  fprintf(2, "schedtest: %s\n", what);
  exit(1);
}

static int
fork_or_die(void)
{
  int pid = fork();
  if(pid < 0)
    die("fork failed");
  return pid;
}

// ---- spin: several processes made runnable by one wakeup().

// Sleep until tick `wake`, so that every spinner is woken by the same
// clock interrupt, then say so with one '!' (lines written by several
// processes at once interleave) and burn CPU without a system call.
static void
spinner(int wake)
{
  int now;

  while((now = uptime()) < wake)
    sleep(wake - now);
  write(1, "!", 1);
  uint64 end = uptime_us() + SPIN_LIMIT_US;
  while(uptime_us() < end)
    ;
  exit(0);
}

static void
spin(void)
{
  int pids[SPINNERS];
  int wake = uptime() + LEAD_TICKS;
  char line[8];

  for(int i = 0; i < SPINNERS; i++)
    if((pids[i] = fork_or_die()) == 0)
      spinner(wake);
  printf("schedtest: %d spinners wake at tick %d; a line stops them\n", SPINNERS, wake);
  gets(line, sizeof(line));
  for(int i = 0; i < SPINNERS; i++)
    kill(pids[i]);
  for(int i = 0; i < SPINNERS; i++)
    wait(0);
  printf("schedtest spin: done\n");
}

// ---- killread: a kill racing with a reader going to sleep.

static uint64
clock(void)
{
  uint64 t;
  asm volatile("rdtime %0" : "=r"(t));
  return t;
}

// Busy-wait for n counts of rdtime: finer than uptime_us().
static void
spin_for(uint64 n)
{
  uint64 end = clock() + n;
  while(clock() < end)
    ;
}

// One try: a child blocks reading an empty pipe whose write end we keep
// open, so only the kill can end its read.  Returns 1 if it did not.
static int
kill_one_reader(uint64 delay)
{
  int fds[2];
  char c;

  if(pipe(fds) < 0)
    die("pipe failed");
  int reader = fork_or_die();
  if(reader == 0){
    close(fds[1]);
    read(fds[0], &c, 1);
    exit(0);
  }
  close(fds[0]);
  spin_for(delay);
  kill(reader);

  // wait() has no time-out: a second child that sleeps LOST_TICKS is one.
  int watchdog = fork_or_die();
  if(watchdog == 0){
    sleep(LOST_TICKS);
    exit(0);
  }
  int lost = wait(0) == watchdog;
  if(!lost)
    kill(watchdog);
  close(fds[1]);   // frees a reader that lost its kill: its read returns 0
  wait(0);
  return lost;
}

// Stops at the first lost kill: each costs LOST_TICKS.
static void
killread(int tries)
{
  for(int i = 0; i < tries; i++){
    if(kill_one_reader((uint64)i * DELAY_STEP % DELAY_RANGE)){
      printf("schedtest killread: kill lost at try %d\n", i + 1);
      return;
    }
  }
  printf("schedtest killread: %d tries, no kill lost\n", tries);
}

int
main(int argc, char *argv[])
{
  if(argc == 2 && strcmp(argv[1], "spin") == 0)
    spin();
  else if(argc == 3 && strcmp(argv[1], "killread") == 0)
    killread(atoi(argv[2]));
  else
    die("usage: schedtest spin | schedtest killread TRIES");
  exit(0);
}
