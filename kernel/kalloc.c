// kalloc.c: the physical page allocator: a free list of 4 KiB pages above the kernel image.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "spinlock.h"
#include "riscv.h"
#include "defs.h"

extern char end[];   // first byte after the kernel image (kernel.ld)

// Each free page stores the link to the next one in its first word.
struct freepage {
  struct freepage *next;
};

static struct {
  struct spinlock lock;
  struct freepage *head;
  int nfree;   // pages on the list, reported by the freepages() system call
} pool;

static int
is_managed(uint64 pa)
{
  return pa % PGSIZE == 0 && pa >= PGROUNDUP((uint64)end) && pa < PHYSTOP;
}

static void
pool_add(void *page)
{
  struct freepage *fp = page;
  acquire(&pool.lock);
  fp->next = pool.head;
  pool.head = fp;
  pool.nfree++;
  release(&pool.lock);
}

// No scribbling here: filling all of RAM would add a visible delay to boot.
void
kinit(void)
{
  initlock(&pool.lock, "kalloc");
  for(uint64 pa = PGROUNDUP((uint64)end); pa + PGSIZE <= PHYSTOP; pa += PGSIZE)
    pool_add((void *)pa);
}

// Return a page obtained from kalloc().
void
kfree(void *page)
{
  uint64 pa = (uint64)page;
  if(!is_managed(pa))
    panic("kfree: not a page this allocator owns");

  // Scribble over the page so use-after-free shows up as garbage quickly.
  memset(page, 0x5a, PGSIZE);
  pool_add(page);
}

// A page of uninitialised memory, or 0 when none is left.
void *
kalloc(void)
{
  acquire(&pool.lock);
  struct freepage *fp = pool.head;
  if(fp){
    pool.head = fp->next;
    pool.nfree--;
  }
  release(&pool.lock);

  if(fp)
    memset(fp, 0xa5, PGSIZE);   // uninitialised really looks uninitialised
  return fp;
}

int
kfreecount(void)
{
  acquire(&pool.lock);
  int n = pool.nfree;
  release(&pool.lock);
  return n;
}
