// log.c: write-ahead redo log that makes groups of file-system updates atomic on disk.
//
// A system call brackets its updates with begin_op()/end_op() and marks
// each modified buffer with log_write() instead of writing it.  Marked
// buffers stay pinned in the cache.  When the last concurrent operation
// ends, the whole group commits:
//   1. copy every marked block into the log area,
//   2. write the header naming those blocks (the commit point),
//   3. copy the blocks to their home locations,
//   4. write an empty header.
// After a crash, initlog() replays any header that survived step 2, so a
// group is either entirely on disk or not at all.
//
// On disk: block `start` holds the header, blocks start+1 .. start+LOGBLOCKS
// hold the logged copies, in header order.
#include "types.h"
#include "param.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "fs.h"
#include "buf.h"
#include "defs.h"

struct loghdr {
  uint n;                  // logged blocks; nonzero on disk means "committed"
  uint block[LOGBLOCKS];   // home block number of each logged copy
};
_Static_assert(sizeof(struct loghdr) <= BSIZE, "log header must fit in a block");

static struct {
  struct spinlock lock;
  uint dev;
  uint start;         // block number of the header
  int active;         // operations inside begin_op/end_op
  int committing;     // a commit is writing; new operations wait
  struct loghdr hdr;  // blocks marked by the current group
} wal;

static void
read_header(void)
{
  struct buf *b = bread(wal.dev, wal.start);

  memmove(&wal.hdr, b->data, sizeof(wal.hdr));
  brelse(b);
  if(wal.hdr.n > LOGBLOCKS)
    panic("initlog: corrupt log header");
}

static void
write_header(void)
{
  struct buf *b = bread(wal.dev, wal.start);

  memmove(b->data, &wal.hdr, sizeof(wal.hdr));
  bwrite(b);
  brelse(b);
}

// Copy the cached block `from` into a buffer for block `to`, which is
// returned locked; the old contents of `to` are not read.
static struct buf *
copy_to(uint from, uint to)
{
  struct buf *src = bread(wal.dev, from);
  struct buf *dst = bclaim(wal.dev, to);

  memmove(dst->data, src->data, BSIZE);
  brelse(src);
  return dst;
}

// Copy blocks from[i] to to[i] for every logged block, on disk, and wait:
// the writes go out together (bwritev), and none is known done until all
// are.  The buffers of the homes lose the log's pin if unpin is set.
static void
copy_all(uint *from, uint *to, int unpin)
{
  static struct buf *dst[LOGBLOCKS];   // one commit at a time
  int n = wal.hdr.n;

  for(int i = 0; i < n; i++)
    dst[i] = copy_to(from[i], to[i]);
  bwritev(dst, n);
  for(int i = 0; i < n; i++){
    if(unpin)
      bunpin(dst[i]);
    brelse(dst[i]);
  }
}

// Block numbers of the log slots, in header order.
static uint *
slots(void)
{
  static uint slot[LOGBLOCKS];

  for(int i = 0; i < LOGBLOCKS; i++)
    slot[i] = wal.start + 1 + i;
  return slot;
}

// Copy every logged block to its home.  During recovery nothing is pinned.
static void
install(int recovering)
{
  copy_all(slots(), wal.hdr.block, !recovering);
}

static void
commit(void)
{
  if(wal.hdr.n == 0)
    return;
  copy_all(wal.hdr.block, slots(), 0);
  write_header();      // from here on the group survives a crash
  install(0);
  wal.hdr.n = 0;
  write_header();
}

void
initlog(int dev, struct superblock *sb)
{
  if(sb->nlog < LOGBLOCKS + 1)
    panic("initlog: on-disk log is smaller than LOGBLOCKS");
  initlock(&wal.lock, "log");
  wal.dev = dev;
  wal.start = sb->logstart;

  read_header();
  install(1);
  wal.hdr.n = 0;
  write_header();
}

// Enter a file-system operation.  Each operation may log up to MAXOPBLOCKS
// blocks, so admit it only when every active operation could still do so.
void
begin_op(void)
{
  acquire(&wal.lock);
  while(wal.committing ||
        wal.hdr.n + (wal.active + 1) * MAXOPBLOCKS > LOGBLOCKS)
    sleep(&wal, &wal.lock);
  wal.active++;
  release(&wal.lock);
}

void
end_op(void)
{
  int last;

  acquire(&wal.lock);
  if(wal.committing)
    panic("end_op: commit already running");
  wal.active--;
  last = (wal.active == 0);
  if(last)
    wal.committing = 1;
  else
    wakeup(&wal);   // our unused reservation may let a waiter in
  release(&wal.lock);

  if(!last)
    return;
  // Commit without the spinlock: it sleeps on disk I/O.  `committing`
  // keeps everyone else out meanwhile.
  commit();
  acquire(&wal.lock);
  wal.committing = 0;
  wakeup(&wal);
  release(&wal.lock);
}

// Record that buffer b was modified by the current operation.  Writing a
// block twice in one group logs it once ("absorption").
void
log_write(struct buf *b)
{
  uint i;

  acquire(&wal.lock);
  if(wal.active < 1)
    panic("log_write: outside begin_op/end_op");
  for(i = 0; i < wal.hdr.n; i++)
    if(wal.hdr.block[i] == b->blockno)
      break;
  if(i == wal.hdr.n){
    if(wal.hdr.n >= LOGBLOCKS)
      panic("log_write: transaction too big");
    wal.hdr.block[wal.hdr.n++] = b->blockno;
    bpin(b);
  }
  release(&wal.lock);
}
