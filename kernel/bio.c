// bio.c: the block buffer cache: sized from memory at boot, found by hash, recycled least-recently-used first.
//
// A buffer with refcnt > 0 is owned by callers (or by a read-ahead in
// flight) and keeps its identity; one with refcnt == 0 sits on the idle
// list, still caching its block, until it is reassigned.
//
// Locking, so that harts reading different blocks do not wait for each
// other:
//   - each hash bucket's lock guards its chain and the identities and
//     reference counts of the buffers on it;
//   - idle.lock guards the idle list; it is taken inside a bucket lock,
//     only when a count goes to or from zero, and held for a few stores;
//   - claim.lock serialises misses, the only callers that move a buffer
//     from one bucket to another, so two buckets are never locked at once
//     by anyone else and the claimers cannot deadlock;
//   - each buffer's sleeplock guards its data while a caller works on it.
#include "types.h"
#include "param.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "riscv.h"
#include "buf.h"
#include "defs.h"
#include "stat.h"

#define NBUCKET 4096   // a power of two; consecutive blocks fill consecutive buckets

struct bucket {
  struct spinlock lock;
  struct buf *head;
};

static struct bucket buckets[NBUCKET];

static struct {
  struct spinlock lock;
  struct buf head;   // circular list: head.next is the least recently used
} idle;

static struct spinlock claim_lock;
static int nbuf;
static struct bstat stats;   // hits and misses are counted racily: they are statistics

static struct bucket *
bucket_of(uint dev, uint blockno)
{
  return &buckets[(blockno + dev * 0x9e3779b1u) % NBUCKET];
}

// ---- the idle list (idle.lock held)

static void
idle_unlink(struct buf *b)
{
  b->prev->next = b->next;
  b->next->prev = b->prev;
}

static void
idle_push_tail(struct buf *b)
{
  b->prev = idle.head.prev;
  b->next = &idle.head;
  idle.head.prev->next = b;
  idle.head.prev = b;
}

// ---- reference counts (the buffer's bucket lock held)

static void
ref_locked(struct buf *b)
{
  if(b->refcnt++ == 0){
    acquire(&idle.lock);
    idle_unlink(b);
    release(&idle.lock);
  }
}

static void
unref_locked(struct buf *b)
{
  if(b->refcnt == 0)
    panic("bio: reference count below zero");
  if(--b->refcnt == 0){
    acquire(&idle.lock);
    idle_push_tail(b);
    release(&idle.lock);
  }
}

static void
unref(struct buf *b)
{
  struct bucket *bk = bucket_of(b->dev, b->blockno);

  acquire(&bk->lock);
  unref_locked(b);
  release(&bk->lock);
}

// A new buffer header and data area, carved from pages of each kind.
static struct buf *
buf_carve(int i)
{
  static struct buf *hdrs;
  static uchar *blocks;
  int hper = PGSIZE / sizeof(struct buf), dper = PGSIZE / BSIZE;

  if(i % hper == 0 && (hdrs = kalloc()) == 0)
    return 0;
  if(i % dper == 0 && (blocks = kalloc()) == 0)
    return 0;
  struct buf *b = &hdrs[i % hper];
  memset(b, 0, sizeof(*b));
  b->data = blocks + (i % dper) * BSIZE;
  return b;
}

// Take 1/BCACHE_SHARE of free memory for buffers.  Called once, after kinit().
void
binit(void)
{
  int want = kfreecount() / BCACHE_SHARE * PGSIZE / (BSIZE + sizeof(struct buf));
  struct buf *b;

  initlock(&idle.lock, "bcache idle");
  initlock(&claim_lock, "bcache claim");
  for(int i = 0; i < NBUCKET; i++)
    initlock(&buckets[i].lock, "bcache bucket");
  idle.head.next = idle.head.prev = &idle.head;
  for(nbuf = 0; nbuf < want && (b = buf_carve(nbuf)) != 0; nbuf++){
    initsleeplock(&b->lock, "buffer");
    idle_push_tail(b);
  }
  stats.nbuf = nbuf;
  printf("bcache: %d buffers (%d KiB)\n", nbuf, nbuf * BSIZE / 1024);
}

// The buffer caching (dev, blockno) in bucket bk, referenced, or 0.
static struct buf *
find_locked(struct bucket *bk, uint dev, uint blockno)
{
  for(struct buf *b = bk->head; b; b = b->hnext)
    if(b->dev == dev && b->blockno == blockno){
      ref_locked(b);
      return b;
    }
  return 0;
}

static void
chain_remove(struct bucket *bk, struct buf *b)
{
  struct buf **pp = &bk->head;

  while(*pp != b)
    pp = &(*pp)->hnext;
  *pp = b->hnext;
}

// Take the least recently used idle buffer out of its bucket, referenced
// and nameless, or 0 if every buffer is in use.  claim_lock held.
static struct buf *
steal_idle(void)
{
  for(;;){
    acquire(&idle.lock);
    struct buf *b = idle.head.next;
    release(&idle.lock);
    if(b == &idle.head)
      return 0;
    if(b->dev == 0){   // never used: in no chain, and only claimers take these
      acquire(&idle.lock);
      idle_unlink(b);
      release(&idle.lock);
      b->refcnt = 1;
      return b;
    }
    struct bucket *old = bucket_of(b->dev, b->blockno);
    acquire(&old->lock);
    if(b->refcnt == 0){   // nobody took it between our two looks
      ref_locked(b);
      chain_remove(old, b);
      release(&old->lock);
      return b;
    }
    release(&old->lock);
  }
}

// A referenced buffer for (dev, blockno).  *fresh says whether it was
// claimed just now (its data not yet read).  With `loading` a fresh buffer
// is marked as being filled by the disk before anyone else can see it.
// Returns 0 only if every buffer is in use.
static struct buf *
bget(uint dev, uint blockno, int *fresh, int loading)
{
  struct bucket *bk = bucket_of(dev, blockno);
  struct buf *b;

  *fresh = 0;
  acquire(&bk->lock);
  b = find_locked(bk, dev, blockno);
  release(&bk->lock);
  if(b){
    stats.hits++;
    return b;
  }

  acquire(&claim_lock);
  // Another claimer may have brought the block in while we waited.
  acquire(&bk->lock);
  b = find_locked(bk, dev, blockno);
  release(&bk->lock);
  if(b == 0 && (b = steal_idle()) != 0){
    b->dev = dev;
    b->blockno = blockno;
    b->valid = 0;
    b->disk = loading;
    acquire(&bk->lock);
    b->hnext = bk->head;
    bk->head = b;
    release(&bk->lock);
    *fresh = 1;
    stats.misses++;
  }
  release(&claim_lock);
  return b;
}

// The buffer for a block, locked, once no read-ahead is filling it.
static struct buf *
block_locked(uint dev, uint blockno)
{
  int fresh;
  struct buf *b = bget(dev, blockno, &fresh, 0);

  if(b == 0)
    panic("bio: every buffer is in use");
  acquiresleep(&b->lock);
  if(!b->valid)
    virtio_disk_wait(b);
  return b;
}

// Return the buffer for a block, locked, with its contents read in.
struct buf *
bread(uint dev, uint blockno)
{
  struct buf *b = block_locked(dev, blockno);

  if(!b->valid){
    virtio_disk_rw(b, 0);
    b->valid = 1;
  }
  return b;
}

// The buffer for a block its caller is about to overwrite whole: locked
// and counted as valid, without reading the old contents from the disk.
struct buf *
bclaim(uint dev, uint blockno)
{
  struct buf *b = block_locked(dev, blockno);

  b->valid = 1;
  return b;
}

// Whether a buffer holds (or is being filled with) the block: a look
// that, unlike bget, leaves the counts and the idle list alone.
static int
cached(uint dev, uint blockno)
{
  struct bucket *bk = bucket_of(dev, blockno);
  struct buf *b;

  acquire(&bk->lock);
  for(b = bk->head; b && (b->dev != dev || b->blockno != blockno); b = b->hnext)
    ;
  release(&bk->lock);
  return b != 0;
}

// Start reading those of blocks[0..n) that are not cached, without waiting,
// in requests of consecutive blocks.  Zero entries (holes) are skipped.
void
bprefetch(uint dev, uint *blocks, int n)
{
  struct buf *run[DISK_MAXRUN];
  int k = 0, fresh;

  for(int i = 0; i < n; i++){
    if(k > 0 && (k == DISK_MAXRUN || blocks[i] != run[k - 1]->blockno + 1)){
      virtio_disk_io(run, k, 0);
      k = 0;
    }
    if(blocks[i] == 0 || cached(dev, blocks[i]))
      continue;
    struct buf *b = bget(dev, blocks[i], &fresh, 1);
    if(b == 0)
      break;   // the cache is all in use: reading ahead can wait
    if(fresh)
      run[k++] = b;
    else
      unref(b);
  }
  if(k > 0)
    virtio_disk_io(run, k, 0);
}

// The disk finished a read-ahead into b (and marked it valid): drop the
// reference the read-ahead held.  Called by the disk driver.
void
bprefetched(struct buf *b)
{
  unref(b);
}

// Write a locked buffer's contents to its block on disk.
void
bwrite(struct buf *b)
{
  if(!holdingsleep(&b->lock))
    panic("bwrite: buffer not locked");
  virtio_disk_rw(b, 1);
}

// Write locked buffers bs[0..n) and wait for all of them: each run of
// consecutive blocks is one request, and all the requests are in flight
// together.
void
bwritev(struct buf **bs, int n)
{
  int i, j;

  for(i = 0; i < n; i = j){
    for(j = i + 1; j < n && j - i < DISK_MAXRUN && bs[j]->blockno == bs[j - 1]->blockno + 1; j++)
      ;
    virtio_disk_io(bs + i, j - i, 1);
  }
  for(i = 0; i < n; i++)
    virtio_disk_wait(bs[i]);
}

// Give back a buffer obtained from bread.
void
brelse(struct buf *b)
{
  if(!holdingsleep(&b->lock))
    panic("brelse: buffer not locked");
  releasesleep(&b->lock);
  unref(b);
}

// Keep a buffer from being recycled (the log holds it until commit).
void
bpin(struct buf *b)
{
  struct bucket *bk = bucket_of(b->dev, b->blockno);

  acquire(&bk->lock);
  ref_locked(b);
  release(&bk->lock);
}

void
bunpin(struct buf *b)
{
  unref(b);
}

// The cache's counters and the disk's, for the diskstat() system call.
void
bstats(struct bstat *st)
{
  *st = stats;
  virtio_disk_stats(st);
}
