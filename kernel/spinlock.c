// spinlock.c: spinlocks, and the interrupt-disable nesting they rely on.
#include "types.h"
#include "param.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "defs.h"

void
initlock(struct spinlock *lk, char *name)
{
  lk->name = name;
  lk->locked = 0;
  lk->owner = 0;
  lk->widen_until = 0;
  lk->widen_acquire = 0;
}

// A race test's knob (nettests wakeup, through sockopt(SO_WIDEN)): for the
// next ms milliseconds (0: stop now), every release of lk that turns
// interrupts back on pauses WIDEN_PAUSE before returning, with interrupts
// on (at_acquire: every acquire with interrupts on pauses before taking
// it).  Whatever the caller does without the lock, such as sleeping on a
// condition it looked at while holding it, or looking before it takes
// it, then happens long before or after: a datagram that arrives
// meanwhile lands in the gap for sure, not once in a thousand runs.  With
// interrupts off (in an interrupt handler, or inside sleep(), which holds
// p->lock) it never pauses.
#define WIDEN_PAUSE 2000000      // 200 ms of the 10 MHz clock: longer than a loaded host's round trip
void
lock_widen(struct spinlock *lk, int ms, int at_acquire)
{
  lk->widen_acquire = at_acquire;
  lk->widen_until = ms > 0 ? r_time() + ms * 10000ULL : 0;
}

static void
widen_pause(struct spinlock *lk, int at_acquire)
{
  if(lk->widen_until && lk->widen_acquire == at_acquire && intr_get() &&
     r_time() < lk->widen_until)
    for(uint64 end = r_time() + WIDEN_PAUSE; r_time() < end; )
      ;
}

// Interrupts stay off while any spinlock is held on this hart: an
// interrupt handler that wanted the same lock would otherwise spin forever.
void
acquire(struct spinlock *lk)
{
  widen_pause(lk, 1);
  push_off();
  if(holding(lk)){
    printf("lock %s\n", lk->name);
    panic("acquire: lock already held by this hart");
  }
  // amoswap with acquire ordering: later loads and stores stay after it.
  while(__sync_lock_test_and_set(&lk->locked, 1) != 0)
    ;
  __sync_synchronize();
  lk->owner = mycpu();
}

void
release(struct spinlock *lk)
{
  if(!holding(lk)){
    printf("lock %s\n", lk->name);
    panic("release: lock not held");
  }
  lk->owner = 0;
  __sync_synchronize();   // earlier stores become visible before the unlock
  __sync_lock_release(&lk->locked);
  pop_off();
  widen_pause(lk, 0);
}

// Only meaningful with interrupts off (the hart cannot change under us).
int
holding(struct spinlock *lk)
{
  return lk->locked && lk->owner == mycpu();
}

// push_off/pop_off nest like a stack: interrupts come back on only when the
// outermost pop_off runs, and only if they were on before the first push.
void
push_off(void)
{
  int was_on = intr_get();
  intr_off();
  struct cpu *c = mycpu();
  if(c->noff == 0)
    c->intena = was_on;
  c->noff++;
}

void
pop_off(void)
{
  struct cpu *c = mycpu();
  if(intr_get())
    panic("pop_off: interrupts are on");
  if(c->noff < 1)
    panic("pop_off: not pushed");
  c->noff--;
  if(c->noff == 0 && c->intena)
    intr_on();
}
