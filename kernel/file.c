// file.c: the system-wide open-file table and read/write dispatch on pipes, inodes and devices.
#include "types.h"
#include "riscv.h"
#include "param.h"
#include "fs.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "file.h"
#include "stat.h"
#include "proc.h"
#include "defs.h"

// Largest inode write that fits in one log transaction.  Writing d data
// blocks allocates at most d + 3 blocks (two indirect blocks when the
// write crosses from one to the next, and the doubly-indirect one), each
// dirtying itself and a bitmap block, plus the inode block:
// 2(d + 3) + 1 <= MAXOPBLOCKS.  An unaligned write touches one block more
// than it fills, hence the -1.
#define WRITE_CHUNK ((((MAXOPBLOCKS - 7) / 2) - 1) * BSIZE)
_Static_assert(WRITE_CHUNK >= BSIZE, "MAXOPBLOCKS too small for a one-block write");

// Read-ahead window of a sequential reader, in blocks: it starts at RA_MIN
// and doubles on every read up to RA_MAX.
#define RA_MIN 16
#define RA_MAX 256

// Entry points of character devices, filled in by their drivers' init
// functions (consoleinit() sets devsw[CONSOLE]).
struct devsw devsw[NDEV];

static struct {
  struct spinlock lock;
  struct file slot[NFILE];
} ftable;

void
fileinit(void)
{
  initlock(&ftable.lock, "ftable");
}

// A fresh file with one reference, or 0 if the table is full.
struct file *
filealloc(void)
{
  acquire(&ftable.lock);
  for(struct file *f = ftable.slot; f < ftable.slot + NFILE; f++){
    if(f->ref == 0){
      f->ref = 1;
      release(&ftable.lock);
      return f;
    }
  }
  release(&ftable.lock);
  return 0;
}

struct file *
filedup(struct file *f)
{
  acquire(&ftable.lock);
  if(f->ref < 1)
    panic("filedup: file not open");
  f->ref++;
  release(&ftable.lock);
  return f;
}

// Let go of the pipe or inode behind a file whose last reference is gone.
static void
drop_backing(struct file *f)
{
  switch(f->type){
  case FD_PIPE:
    pipeclose(f->pipe, f->writable);
    break;
  case FD_SOCKET:
    sock_close(f->sock);
    break;
  case FD_INODE:
  case FD_DEVICE:
    begin_op();   // iput may free an unlinked inode
    iput(f->ip);
    end_op();
    break;
  default:
    break;
  }
}

void
fileclose(struct file *f)
{
  struct file last;

  acquire(&ftable.lock);
  if(f->ref < 1)
    panic("fileclose: file not open");
  if(--f->ref > 0){
    release(&ftable.lock);
    return;
  }
  // Free the slot while locked but release the backing object after
  // unlocking: pipeclose() and iput() may sleep.
  last = *f;
  f->type = FD_NONE;
  release(&ftable.lock);
  drop_backing(&last);
}

static int
has_inode(struct file *f)
{
  return f->type == FD_INODE || f->type == FD_DEVICE;
}

// The device switch entry behind f, or 0 for an unknown major number.
static struct devsw *
device_of(struct file *f)
{
  if(f->major < 0 || f->major >= NDEV)
    return 0;
  return &devsw[f->major];
}

// Copy f's metadata to the user address addr.
int
filestat(struct file *f, uint64 addr)
{
  struct stat st;

  if(!has_inode(f))
    return -1;
  ilock(f->ip);
  stati(f->ip, &st);
  iunlock(f->ip);
  return copyout(myproc()->pagetable, addr, (char *)&st, sizeof(st));
}

// Before a read of n bytes at f->off (inode locked): if the file is being
// read sequentially, keep up to a window of blocks beyond this read on
// their way from the disk, and start more only once less than half of it
// is left, so that requests are long.
static void
readahead(struct file *f, int n)
{
  uint first = f->off / BSIZE;
  uint eof = (f->ip->size + BSIZE - 1) / BSIZE;
  uint want;

  if(f->off != f->ra_next || n <= 0){
    f->ra_win = 0;   // not sequential: read only what is asked for
    return;
  }
  f->ra_win = f->ra_win ? f->ra_win * 2 : RA_MIN;
  if(f->ra_win > RA_MAX)
    f->ra_win = RA_MAX;
  want = (f->off + n + BSIZE - 1) / BSIZE + f->ra_win;
  if(want > eof)
    want = eof;
  if(f->ra_end < first)
    f->ra_end = first;
  if(f->ra_end + f->ra_win / 2 <= want || (want == eof && f->ra_end < eof)){
    ireadahead(f->ip, f->ra_end, want);
    f->ra_end = want;
  }
}

int
fileread(struct file *f, uint64 addr, int n)
{
  struct devsw *dev;
  int r;

  if(!f->readable)
    return -1;
  switch(f->type){
  case FD_PIPE:
    return piperead(f->pipe, addr, n);
  case FD_SOCKET:
    return sock_read(f->sock, addr, n);
  case FD_DEVICE:
    dev = device_of(f);
    if(dev == 0 || dev->read == 0)
      return -1;
    return dev->read(1, addr, n);
  case FD_INODE:
    ilock(f->ip);
    readahead(f, n);
    r = readi(f->ip, 1, addr, f->off, n);
    if(r > 0)
      f->off += r;
    f->ra_next = f->off;
    iunlock(f->ip);
    return r;
  default:
    return -1;
  }
}

// Write to an inode in transaction-sized chunks.  All or -1.
static int
inode_write(struct file *f, uint64 addr, int n)
{
  int done = 0;

  while(done < n){
    int want = n - done < WRITE_CHUNK ? n - done : WRITE_CHUNK;
    int r;

    begin_op();
    ilock(f->ip);
    r = writei(f->ip, 1, addr + done, f->off, want);
    if(r > 0)
      f->off += r;
    iunlock(f->ip);
    end_op();

    if(r != want)
      return -1;   // bad user buffer, full disk or file at MAXFILE
    done += r;
  }
  return n;
}

int
filewrite(struct file *f, uint64 addr, int n)
{
  struct devsw *dev;

  if(!f->writable)
    return -1;
  switch(f->type){
  case FD_PIPE:
    return pipewrite(f->pipe, addr, n);
  case FD_SOCKET:
    return sock_write(f->sock, addr, n);
  case FD_DEVICE:
    dev = device_of(f);
    if(dev == 0 || dev->write == 0)
      return -1;
    return dev->write(1, addr, n);
  case FD_INODE:
    return inode_write(f, addr, n);
  default:
    return -1;
  }
}
