// bio.c: the block buffer cache, shared by every disk user and recycled least-recently-used first.
//
// A buffer with refcnt > 0 is owned by callers and keeps its identity; one
// with refcnt == 0 still caches its block but may be reassigned.  The cache
// lock guards identities, reference counts and the list; each buffer's
// sleeplock guards its data while a caller works on it.
#include "types.h"
#include "param.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "riscv.h"
#include "buf.h"
#include "defs.h"

static struct {
  struct spinlock lock;
  struct buf bufs[NBUF];
  // Circular list through prev/next; lru.next is the most recently
  // released buffer, lru.prev the one untouched for longest.
  struct buf lru;
} bcache;

static void
lru_unlink(struct buf *b)
{
  b->prev->next = b->next;
  b->next->prev = b->prev;
}

static void
lru_push_front(struct buf *b)
{
  b->next = bcache.lru.next;
  b->prev = &bcache.lru;
  bcache.lru.next->prev = b;
  bcache.lru.next = b;
}

void
binit(void)
{
  initlock(&bcache.lock, "bcache");
  bcache.lru.next = bcache.lru.prev = &bcache.lru;
  for(struct buf *b = bcache.bufs; b < bcache.bufs + NBUF; b++){
    initsleeplock(&b->lock, "buffer");
    lru_push_front(b);
  }
}

// Find the buffer caching (dev, blockno), or repurpose the stalest idle one.
// Called with bcache.lock held; returns with it still held.
static struct buf *
lookup_or_claim(uint dev, uint blockno)
{
  struct buf *b;

  for(b = bcache.lru.next; b != &bcache.lru; b = b->next)
    if(b->dev == dev && b->blockno == blockno){
      b->refcnt++;
      return b;
    }
  for(b = bcache.lru.prev; b != &bcache.lru; b = b->prev)
    if(b->refcnt == 0){
      b->dev = dev;
      b->blockno = blockno;
      b->valid = 0;
      b->refcnt = 1;
      return b;
    }
  // Every buffer is held: callers use a bounded number each, so this
  // means NBUF is too small for the concurrency allowed by the log.
  panic("bio: every buffer is in use");
}

// Return the buffer for a block, locked, with its contents read in.
struct buf *
bread(uint dev, uint blockno)
{
  struct buf *b;

  acquire(&bcache.lock);
  b = lookup_or_claim(dev, blockno);
  release(&bcache.lock);

  acquiresleep(&b->lock);
  if(!b->valid){
    virtio_disk_rw(b, 0);
    b->valid = 1;
  }
  return b;
}

// Write a locked buffer's contents to its block on disk.
void
bwrite(struct buf *b)
{
  if(!holdingsleep(&b->lock))
    panic("bwrite: buffer not locked");
  virtio_disk_rw(b, 1);
}

// Give back a buffer obtained from bread.
void
brelse(struct buf *b)
{
  if(!holdingsleep(&b->lock))
    panic("brelse: buffer not locked");
  releasesleep(&b->lock);

  acquire(&bcache.lock);
  if(--b->refcnt == 0){
    lru_unlink(b);
    lru_push_front(b);
  }
  release(&bcache.lock);
}

// Keep a buffer from being recycled (the log holds it until commit).
void
bpin(struct buf *b)
{
  acquire(&bcache.lock);
  b->refcnt++;
  release(&bcache.lock);
}

void
bunpin(struct buf *b)
{
  acquire(&bcache.lock);
  b->refcnt--;
  release(&bcache.lock);
}
