// proc.c: the process table, fork/exit/wait, sleep/wakeup and the per-hart scheduler.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "defs.h"

struct cpu cpus[NCPU];
static struct proc proc[NPROC];
static struct proc *initproc;

static struct spinlock pid_lock;
static int nextpid = 1;

// Guards every p->parent, and orders a parent's wait() against its
// children's exit() so that no exit notification is lost.  Taken before
// any p->lock.
static struct spinlock wait_lock;

#ifdef SLEEP_PAUSE
#define SLEEP_PAUSE_TIME 3000   // 300 us of the 10 MHz clock
#endif

static void forkret(void);
static void first_process_start(void);
static int wake_idle_hart(void);

// Give every process slot a kernel stack page, mapped high in the kernel
// page table with a guard page below it.
void
proc_mapstacks(pagetable_t kpt)
{
  for(int i = 0; i < NPROC; i++){
    char *stack = kalloc();
    if(stack == 0)
      panic("proc_mapstacks: out of memory");
    kvmmap(kpt, KSTACK(i), (uint64)stack, PGSIZE, PTE_R | PTE_W);
  }
}

void
procinit(void)
{
  initlock(&pid_lock, "nextpid");
  initlock(&wait_lock, "wait_lock");
  for(int i = 0; i < NPROC; i++){
    initlock(&proc[i].lock, "proc");
    proc[i].state = UNUSED;
    proc[i].kstack = KSTACK(i);
  }
}

// Only stable while interrupts are off: a timer interrupt can move the
// caller to another hart.
int
cpuid(void)
{
  return r_tp();
}

struct cpu *
mycpu(void)
{
  return &cpus[cpuid()];
}

// The process whose kernel stack we are on, or 0 on a hart's own stack
// (the scheduler's).  A process's kernel code runs only on its own stack,
// and the stack's address names its slot (KSTACK in memlayout.h), so the
// answer holds even if a timer interrupt moves us to another hart.  Asking
// the hart instead (which process is it running?) needs interrupts off
// around the question, two writes of sstatus, which QEMU handles out of
// line; an echoed datagram asked about 20 times, which showed in make
// bench's echo rate and QEMU CPU time per echo.
struct proc *
myproc(void)
{
  uint64 sp = r_sp();

  if(sp < KSTACK(NPROC - 1) || sp > KSTACK(0) + PGSIZE)
    return 0;
  return &proc[KSTACK_SLOT(sp)];
}

static int
allocpid(void)
{
  acquire(&pid_lock);
  int pid = nextpid++;
  release(&pid_lock);
  return pid;
}

// Release everything a process slot holds and mark it UNUSED.
// Caller holds p->lock.
static void
freeproc(struct proc *p)
{
  if(p->trapframe)
    kfree(p->trapframe);
  p->trapframe = 0;
  if(p->pagetable)
    uvmfree(p->pagetable, p->sz);
  p->pagetable = 0;
  p->sz = 0;
  p->pid = 0;
  p->parent = 0;
  p->name[0] = 0;
  p->chan = 0;
  p->killed = 0;
  p->xstate = 0;
  p->state = UNUSED;
}

// Claim an UNUSED slot with a trap frame and an empty user page table.
// The new process will start in the kernel at `start`.  Returns it with
// p->lock held, or 0 if no slot or memory is free.
static struct proc *
allocproc(void (*start)(void))
{
  struct proc *p;
  for(p = proc; p < &proc[NPROC]; p++){
    acquire(&p->lock);
    if(p->state == UNUSED)
      break;
    release(&p->lock);
  }
  if(p == &proc[NPROC])
    return 0;

  p->pid = allocpid();
  p->state = USED;
  if((p->trapframe = kalloc()) == 0 || (p->pagetable = uvmcreate()) == 0){
    freeproc(p);
    release(&p->lock);
    return 0;
  }

  memset(&p->context, 0, sizeof(p->context));
  p->context.ra = (uint64)start;
  p->context.sp = p->kstack + PGSIZE;
  return p;
}

// Create the first process.  It starts in the kernel, mounts the root file
// system and execs /init (see first_process_start).
void
userinit(void)
{
  struct proc *p = allocproc(first_process_start);
  if(p == 0)
    panic("userinit: no process slot");
  initproc = p;
  safestrcpy(p->name, "init", sizeof(p->name));
  p->state = RUNNABLE;   // no hart is idle yet: no wake-up needed
  release(&p->lock);
}

// Change the size of the calling process's memory by n bytes.
int
growproc(int n)
{
  struct proc *p = myproc();
  uint64 sz = p->sz;

  if(n > 0){
    if((sz = uvmalloc(p->pagetable, sz, sz + n, PTE_W)) == 0)
      return -1;
  } else if(n < 0){
    if((uint64)-n > sz)
      return -1;
    sz = uvmdealloc(p->pagetable, sz, sz + n);
  }
  p->sz = sz;
  sfence_vma();   // this hart runs on p->pagetable: drop what it cached
  return 0;
}

// Copy the calling process.  The child returns 0 from fork, the parent the
// child's pid; -1 when there is no room.
int
fork(void)
{
  struct proc *parent = myproc();
  struct proc *child = allocproc(forkret);
  if(child == 0)
    return -1;

  if(uvmcopy(parent->pagetable, child->pagetable, parent->sz) < 0){
    freeproc(child);
    release(&child->lock);
    return -1;
  }
  child->sz = parent->sz;
  *child->trapframe = *parent->trapframe;
  child->trapframe->a0 = 0;

  for(int fd = 0; fd < NOFILE; fd++)
    if(parent->ofile[fd])
      child->ofile[fd] = filedup(parent->ofile[fd]);
  child->cwd = idup(parent->cwd);
  safestrcpy(child->name, parent->name, sizeof(parent->name));
  int pid = child->pid;
  release(&child->lock);

  acquire(&wait_lock);
  child->parent = parent;
  release(&wait_lock);

  acquire(&child->lock);
  child->state = RUNNABLE;
  release(&child->lock);
  wake_idle_hart();
  return pid;
}

// Hand p's children to init.  Caller holds wait_lock.
static void
reparent(struct proc *p)
{
  for(struct proc *q = proc; q < &proc[NPROC]; q++){
    if(q->parent == p){
      q->parent = initproc;
      wakeup(initproc);
    }
  }
}

// End the calling process.  It stays a ZOMBIE until its parent's wait().
void
exit(int status)
{
  struct proc *p = myproc();
  if(p == initproc)
    panic("init exiting");

  for(int fd = 0; fd < NOFILE; fd++){
    if(p->ofile[fd]){
      fileclose(p->ofile[fd]);
      p->ofile[fd] = 0;
    }
  }
  begin_op();
  iput(p->cwd);
  end_op();
  p->cwd = 0;

  acquire(&wait_lock);
  reparent(p);
  wakeup(p->parent);   // the parent may be sleeping in wait()

  acquire(&p->lock);
  p->xstate = status;
  p->state = ZOMBIE;
  release(&wait_lock);

  sched();
  panic("exit: zombie ran again");
}

// Wait for a child to exit; store its status at user address addr (if not
// 0) and return its pid.  -1 if there are no children or we are killed.
int
wait(uint64 addr)
{
  struct proc *p = myproc();

  acquire(&wait_lock);
  for(;;){
    int have_children = 0;
    for(struct proc *c = proc; c < &proc[NPROC]; c++){
      if(c->parent != p)
        continue;
      acquire(&c->lock);   // c->lock before reading state; exit() holds it while becoming ZOMBIE
      have_children = 1;
      if(c->state == ZOMBIE){
        int pid = c->pid;
        if(addr != 0 && copyout(p->pagetable, addr, (char *)&c->xstate, sizeof(c->xstate)) < 0){
          release(&c->lock);
          release(&wait_lock);
          return -1;
        }
        freeproc(c);
        release(&c->lock);
        release(&wait_lock);
        return pid;
      }
      release(&c->lock);
    }
    if(!have_children || sleep_killable(p, &wait_lock) < 0){
      release(&wait_lock);
      return -1;
    }
  }
}

// An idle hart waits in wfi, and only hart 0 has its timer on there
// (hart_idle), so a process made runnable runs at once only if someone
// wakes a hart for it.  Whoever makes a process runnable calls this once
// for it, afterwards.  Clearing the idle flag with an atomic exchange claims
// the hart: two processes made runnable at the same moment get two harts,
// not two wake-ups of the same one.  Returns 0 if no hart was idle.
static int
wake_idle_hart(void)
{
  __sync_synchronize();   // the RUNNABLE store is visible before we look
  int me = cpuid();
  for(int h = 0; h < NCPU; h++){
    if(h == me || !cpus[h].idle)
      continue;
    if(__atomic_exchange_n(&cpus[h].idle, 0, __ATOMIC_ACQ_REL)){
      *(volatile uint32 *)KDEV(CLINT_MSIP(h)) = 1;
      return 1;
    }
  }
  return 0;
}

// An unlocked look at p's state, for scans of the whole table.  Taking
// every slot's lock cost a scan 64 lock round trips, and a datagram that
// wakes a sleeping reader pays for three scans (wakeup, then the scheduler
// before and after its wfi); looking first shows in make bench's RTT and
// QEMU CPU time per echo (bench/results.md).  A stale answer only matters if it hides a process that just changed
// state; scheduler() and sleep() explain why neither can miss one.
static int
state_is(struct proc *p, enum procstate s)
{
  return __atomic_load_n(&p->state, __ATOMIC_RELAXED) == s;
}

// Is any process but p RUNNABLE?
static int
runnable_besides(struct proc *p)
{
  for(struct proc *q = proc; q < &proc[NPROC]; q++)
    if(q != p && state_is(q, RUNNABLE))
      return 1;
  return 0;
}

// Run one RUNNABLE process, if there is one.  Returns whether it did.
static int
run_one(struct cpu *c)
{
  int ran = 0;
  for(struct proc *p = proc; p < &proc[NPROC]; p++){
    // A first look without the lock skips the slots that cannot be
    // chosen (see state_is); the lock then makes the decision.
    if(!state_is(p, RUNNABLE))
      continue;
    acquire(&p->lock);
    if(p->state == RUNNABLE){
      c->idle = 0;
      // The process releases p->lock when it starts and re-acquires it
      // before switching back here.
      p->state = RUNNING;
      p->hart = c - cpus;
      // A hart woken for one process may take another (this scan reached
      // it first), and a yield() makes a process runnable without waking
      // anyone.  Either way a process can be left behind while a hart
      // sleeps: hand it on.  Our idle flag is down before we look, so a
      // process made runnable after the look finds us busy and claims
      // another hart itself.
      __sync_synchronize();
      if(runnable_besides(p))
        wake_idle_hart();
      // The process's page table holds the kernel too, so it stays in
      // use until the process gives up the hart; the scheduler itself
      // runs on the kernel's, which no exit() or exec() can free.
      use_pagetable(p->pagetable);
      swtch(&c->context, &p->context);
      use_pagetable(kernel_pagetable);
      ran = 1;
    }
    release(&p->lock);
  }
  return ran;
}

// Each hart ends up here after set-up and never leaves.  With nothing to
// run, it waits for an interrupt instead of spinning, so idle harts do not
// take host CPU time away from QEMU's device threads.
void
scheduler(void)
{
  struct cpu *c = mycpu();
  for(;;){
    // Let pending interrupts in (they may make a process runnable), then
    // scan with interrupts off: an interrupt arriving after the scan stays
    // pending and makes wfi return at once, so none is slept through.
    //
    // idle is raised before the scan: a process made runnable after the
    // scan then finds this hart idle and sends it a wake-up (wake_idle_hart).
    intr_on();
    intr_off();
    c->idle = 1;
    __sync_synchronize();
    if(!run_one(c))
      hart_idle();
    c->idle = 0;
  }
}

// Switch from the current process to this hart's scheduler.  The caller
// holds p->lock (and no other lock) and has changed p->state.
void
sched(void)
{
  struct proc *p = myproc();

  if(!holding(&p->lock))
    panic("sched: p->lock not held");
  if(mycpu()->noff != 1)
    panic("sched: other locks held");
  if(p->state == RUNNING)
    panic("sched: process still RUNNING");
  if(intr_get())
    panic("sched: interrupts enabled");

  // intena belongs to this kernel thread, not to the hart.
  int intena = mycpu()->intena;
  swtch(&p->context, &mycpu()->context);
  mycpu()->intena = intena;
}

// Give up the hart at a timer tick, if another process is waiting for one.
// With nobody waiting the scheduler would pick p again, at the price of
// two page-table switches; and p would show as runnable, not running, to
// a ^P taken in the scheduler meanwhile.  A process made runnable just
// after this look was offered an idle hart (wake_idle_hart), or waits for
// the next tick.
void
yield(void)
{
  struct proc *p = myproc();
  if(!runnable_besides(p))
    return;
  acquire(&p->lock);
  p->state = RUNNABLE;
  sched();
  release(&p->lock);
}

// A forked child's first instructions in the kernel.
static void
forkret(void)
{
  release(&myproc()->lock);   // still held from the scheduler
  usertrapret();
}

// The first process's first instructions.  Mounting the file system needs
// a process context (disk reads sleep), so it happens here, not in main().
static void
first_process_start(void)
{
  struct proc *p = myproc();
  release(&p->lock);

  fsinit(ROOTDEV);
  p->cwd = namei("/");
  if(p->cwd == 0)
    panic("first process: no root directory");

  char *argv[] = { "init", 0 };
  if(kexec("/init", argv) < 0)
    panic("first process: cannot exec /init");
  usertrapret();
}

// Atomically release lk and sleep on chan; re-acquire lk when woken.
// A killable sleep does not start, or ends early, once p is killed.
static int
sleep_on(void *chan, struct spinlock *lk, int killable)
{
  struct proc *p = myproc();

#ifdef SLEEP_PAUSE
  // Test kernel only (Makefile): a kill used to be lost when it came
  // between the caller's look at its condition and the lock below; widen
  // that moment so that a test hits it within a few tries.
  for(uint64 end = r_time() + SLEEP_PAUSE_TIME; r_time() < end; )
    ;
#endif

  // Holding p->lock from before lk is released until sched() means a
  // wakeup() (which takes p->lock) cannot slip in between: no lost wakeup.
  // And p is SLEEPING on chan before lk is released: a waker holds lk, so
  // the first, unlocked look that wakeup() takes already sees it asleep.
  // kill() sets p->killed under p->lock too, so a killable sleep that
  // looks at the flag in the same hold that marks p SLEEPING cannot miss a
  // kill: either the kill came first and we see it, or it finds p asleep
  // and wakes it.  A look before this hold (what the callers used to do)
  // left a gap in which the kill found p running and only set the flag.
  acquire(&p->lock);
  if(killable && p->killed){
    release(&p->lock);
    return -1;
  }
  p->chan = chan;
  p->state = SLEEPING;
  release(lk);
  sched();
  p->chan = 0;
  int gone = killable && p->killed;
  release(&p->lock);
  acquire(lk);
  return gone ? -1 : 0;
}

// For waits that must finish whatever happens (disk I/O, sleep locks, the
// log): a kill takes effect after them.
void
sleep(void *chan, struct spinlock *lk)
{
  sleep_on(chan, lk, 0);
}

// For waits on another process or the outside world (a blocking read,
// wait(), the sleep call), which a kill must end.  Returns -1, with lk
// held, if the caller is killed before or while it sleeps; 0 when woken.
int
sleep_killable(void *chan, struct spinlock *lk)
{
  return sleep_on(chan, lk, 1);
}

// How many processes sleep on chan at this moment (what sockinfo reports
// as a socket's waiting readers).  Unlocked looks: a count for tests and
// diagnosis, not a decision.
int
sleepers(void *chan)
{
  int n = 0;
  for(struct proc *p = proc; p < &proc[NPROC]; p++)
    n += state_is(p, SLEEPING) && p->chan == chan;
  return n;
}

// Make every process sleeping on chan runnable.  Call without p->lock of
// the caller held.
void
wakeup(void *chan)
{
  struct proc *me = myproc();   // 0 in a scheduler; asked once, not per slot
  int woke = 0;
  for(struct proc *p = proc; p < &proc[NPROC]; p++){
    if(p == me || !state_is(p, SLEEPING) || p->chan != chan)
      continue;
    acquire(&p->lock);
    if(p->state == SLEEPING && p->chan == chan){
      p->state = RUNNABLE;
      woke++;
    }
    release(&p->lock);
  }
  // An interrupt taken by an idle hart's scheduler (no process of its own)
  // is followed by a scan of the process table on that hart: it runs one
  // of the processes it woke itself.  Waking another hart for that one too
  // only made two race for it, which raised make bench's RTT and, far
  // more, its p99.  Every other process woken needs a hart of its own.
  if(me == 0 && woke > 0)
    woke--;
  while(woke-- > 0 && wake_idle_hart())
    ;
}

// Mark the process with the given pid killed.  It exits the next time it
// is about to return to user mode; a sleeping one is woken so that it can.
int
kill(int pid)
{
  for(struct proc *p = proc; p < &proc[NPROC]; p++){
    acquire(&p->lock);
    if(p->pid == pid && p->state != UNUSED){
      p->killed = 1;
      int woke = p->state == SLEEPING;
      if(woke)
        p->state = RUNNABLE;
      release(&p->lock);
      if(woke)
        wake_idle_hart();
      return 0;
    }
    release(&p->lock);
  }
  return -1;
}

void
setkilled(struct proc *p)
{
  acquire(&p->lock);
  p->killed = 1;
  release(&p->lock);
}

// The flag only ever goes from 0 to 1 while the process lives, so an
// atomic read needs no lock.  Every system call asks twice; with the lock
// that was four more interrupts-off sections per echo, which showed in
// make bench's echo rate (as for myproc()).
int
killed(struct proc *p)
{
  return __atomic_load_n(&p->killed, __ATOMIC_ACQUIRE);
}

// Copy to a user address (user_dst set) or a kernel address.
int
either_copyout(int user_dst, uint64 dst, void *src, uint64 len)
{
  if(user_dst)
    return copyout(myproc()->pagetable, dst, src, len);
  memmove((char *)dst, src, len);
  return 0;
}

// Copy from a user address (user_src set) or a kernel address.
int
either_copyin(void *dst, int user_src, uint64 src, uint64 len)
{
  if(user_src)
    return copyin(myproc()->pagetable, dst, src, len);
  memmove(dst, (char *)src, len);
  return 0;
}

// ^P on the console: one line per process, and for a running one the hart
// it runs on (test_sched.py counts them).  Takes no locks, so that it still
// works when the kernel is wedged.
void
procdump(void)
{
  static const char *state_names[] = {
    [UNUSED] "unused", [USED] "used", [SLEEPING] "sleep",
    [RUNNABLE] "runble", [RUNNING] "run", [ZOMBIE] "zombie",
  };
  printf("\n");
  for(struct proc *p = proc; p < &proc[NPROC]; p++){
    if(p->state == UNUSED)
      continue;
    const char *st = "???";
    if(p->state < NELEM(state_names) && state_names[p->state])
      st = state_names[p->state];
    if(p->state == RUNNING)
      printf("%d %s %s hart %d\n", p->pid, st, p->name, p->hart);
    else
      printf("%d %s %s\n", p->pid, st, p->name);
  }
}
