// netport_host.c: the kernel services of netport.h, for running the packet path on the host.
#include "hostnet.h"
#include <stdlib.h>

uint64 host_entropy_seed = 1;
int host_ring_full;
int host_killed;
int host_wakeups;
long host_pages;
void (*host_tx_hook)(void);
uint ticks;

static struct mbufq sent;   // frames handed to the "driver"

void *
kalloc(void)
{
  void *p = aligned_alloc(NET_PAGESIZE, NET_PAGESIZE);

  if(p){
    memset(p, 0xA5, NET_PAGESIZE);   // junk, so that reading it unset shows
    host_pages++;
  }
  return p;
}

void
kfree(void *pa)
{
  if(pa == 0 || ((unsigned long)pa % NET_PAGESIZE) != 0){
    fprintf(stderr, "kfree: bad page %p\n", pa);
    abort();
  }
  free(pa);
  host_pages--;
}

// One thread: a lock that is taken twice, or released unheld, is a bug.
void
initlock(struct spinlock *lk, char *name)
{
  lk->locked = 0;
  lk->name = name;
  lk->owner = 0;
}

void
acquire(struct spinlock *lk)
{
  if(lk->locked){
    fprintf(stderr, "acquire: %s already held\n", lk->name);
    abort();
  }
  lk->locked = 1;
}

void
release(struct spinlock *lk)
{
  if(!lk->locked){
    fprintf(stderr, "release: %s not held\n", lk->name);
    abort();
  }
  lk->locked = 0;
}

// Nothing could ever wake a sleeper here: tests must not block.
void
sleep(void *chan, struct spinlock *lk)
{
  fprintf(stderr, "sleep: would block forever on the host\n");
  abort();
}

// A killed caller does not sleep; anyone else would block for ever.
int
sleep_killable(void *chan, struct spinlock *lk)
{
  if(host_killed)
    return -1;
  sleep(chan, lk);
  return 0;
}

void
wakeup(void *chan)
{
  host_wakeups++;
}

// One thread: nobody ever sleeps, and there is no gap to widen.
int
sleepers(void *chan)
{
  return 0;
}

void
lock_widen(struct spinlock *lk, int ms, int at_acquire)
{
}

// "User" addresses are host pointers; the first page stands for a bad one.
int
either_copyout(int user_dst, uint64 dst, void *src, uint64 len)
{
  if(dst < NET_PAGESIZE)
    return -1;
  memmove((void *)dst, src, len);
  return 0;
}

int
either_copyin(void *dst, int user_src, uint64 src, uint64 len)
{
  if(src < NET_PAGESIZE)
    return -1;
  memmove(dst, (void *)src, len);
  return 0;
}

static int
host_transmit(struct mbuf *m)
{
  void (*hook)(void) = host_tx_hook;

  if(hook){
    host_tx_hook = 0;
    hook();
  }
  if(host_ring_full)
    return -1;
  mbufq_pushtail(&sent, m);
  return 0;
}

static void host_settle(void) { }
static void host_intr(void) { }

static const struct netdev host_netdev = {
  .name = "host",
  .transmit = host_transmit,
  .settle = host_settle,
  .intr = host_intr,
};

// Attached before main(), as the kernel attaches its card before the
// driver calls net_start().
__attribute__((constructor)) static void
host_attach(void)
{
  net_dev = &host_netdev;
}

// Virtual time: the tick clock, in microseconds.
uint64
net_usec(void)
{
  return (uint64)ticks * (1000000 / TICK_HZ);
}

struct mbuf *
host_sent(void)
{
  return mbufq_pophead(&sent);
}

int
host_nsent(void)
{
  return sent.len;
}

// netport.h: "entropy" from a seeded generator, so that a run repeats;
// two stacks given different seeds have different keys.
void
net_entropy(void *dst, int n)
{
  uint64 x = host_entropy_seed * 0x9E3779B97F4A7C15ULL + 1;

  for(int i = 0; i < n; i++){
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    ((uchar *)dst)[i] = x >> 56;
  }
}
