// umalloc.c: malloc and free over an address-ordered free list grown with sbrk.
#include "kernel/types.h"
#include "user/user.h"

// Every block starts with a header; sizes are counted in header-sized
// units so that each payload stays 16-byte aligned.
struct chunk {
  uint64 units;          // size of the whole block, header included
  struct chunk *next;    // next free block at a higher address
};

#define UNIT       sizeof(struct chunk)
#define GROW_UNITS (4096 / UNIT)   // ask the kernel for at least a page

// Free blocks sorted by address, so neighbours can be merged on free.
static struct chunk *freelist;

void
free(void *p)
{
  struct chunk *c, *prev, *next;

  if(p == 0)
    return;
  c = (struct chunk *)p - 1;

  prev = 0;
  next = freelist;
  while(next != 0 && next < c){
    prev = next;
    next = next->next;
  }

  // Link c in, absorbing the following block if the two touch.
  if(next != 0 && c + c->units == next){
    c->units += next->units;
    c->next = next->next;
  } else {
    c->next = next;
  }

  if(prev == 0){
    freelist = c;
  } else if(prev + prev->units == c){
    prev->units += c->units;
    prev->next = c->next;
  } else {
    prev->next = c;
  }
}

// Extend the heap by at least units and put the new space on the free list.
static int
grow(uint64 units)
{
  char *brk, *p;
  uint64 skew;

  if(units < GROW_UNITS)
    units = GROW_UNITS;
  // Someone may have moved the break by an odd amount; realign first.
  brk = sbrk(0);
  if(brk == (char *)-1)
    return -1;
  skew = (UNIT - (uint64)brk % UNIT) % UNIT;
  if(units * UNIT + skew > 0x7fffffff)
    return -1;
  p = sbrk(units * UNIT + skew);
  if(p == (char *)-1)
    return -1;
  ((struct chunk *)(p + skew))->units = units;
  free((struct chunk *)(p + skew) + 1);
  return 0;
}

// Take need units from free block c (whose predecessor is prev).  A large
// block gives away its tail so that the list links stay untouched.
static void *
carve(struct chunk *c, struct chunk *prev, uint64 need)
{
  struct chunk *r;

  if(c->units > need + 1){
    c->units -= need;
    r = c + c->units;
    r->units = need;
    return r + 1;
  }
  if(prev == 0)
    freelist = c->next;
  else
    prev->next = c->next;
  return c + 1;
}

void *
malloc(uint n)
{
  struct chunk *c, *prev;
  uint64 need;

  if(n == 0)
    return 0;
  need = ((uint64)n + UNIT - 1) / UNIT + 1;
  for(;;){
    prev = 0;
    for(c = freelist; c != 0; prev = c, c = c->next){
      if(c->units >= need)
        return carve(c, prev, need);
    }
    if(grow(need) < 0)
      return 0;
  }
}
