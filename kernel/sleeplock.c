// sleeplock.c: locks held across disk I/O; a waiter sleeps instead of spinning.
#include "types.h"
#include "param.h"
#include "riscv.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "proc.h"
#include "defs.h"

void
initsleeplock(struct sleeplock *lk, char *name)
{
  initlock(&lk->guard, "sleeplock guard");
  lk->name = name;
  lk->held = 0;
  lk->pid = 0;
}

void
acquiresleep(struct sleeplock *lk)
{
  acquire(&lk->guard);
  while(lk->held)
    sleep(lk, &lk->guard);
  lk->held = 1;
  lk->pid = myproc()->pid;
  release(&lk->guard);
}

void
releasesleep(struct sleeplock *lk)
{
  acquire(&lk->guard);
  lk->held = 0;
  lk->pid = 0;
  wakeup(lk);
  release(&lk->guard);
}

int
holdingsleep(struct sleeplock *lk)
{
  acquire(&lk->guard);
  int mine = lk->held && lk->pid == myproc()->pid;
  release(&lk->guard);
  return mine;
}
