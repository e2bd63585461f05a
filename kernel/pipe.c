// pipe.c: one-way byte channels between processes, a 512-byte ring buffer with blocking ends.
#include "types.h"
#include "riscv.h"
#include "param.h"
#include "spinlock.h"
#include "proc.h"
#include "fs.h"
#include "sleeplock.h"
#include "file.h"
#include "defs.h"

#define PIPESIZE 512

// rpos and wpos count bytes ever read and written; they wrap together, and
// wpos - rpos is the number of bytes buffered.  Readers sleep on &wpos
// (waiting for data), writers on &rpos (waiting for room).
struct pipe {
  struct spinlock lock;
  uint rpos;
  uint wpos;
  int reader_open;
  int writer_open;
  char buf[PIPESIZE];
};

static uint
umin3(uint a, uint b, uint c)
{
  uint m = a < b ? a : b;
  return m < c ? m : c;
}

static void
attach(struct file *f, struct pipe *pi, int writable)
{
  f->type = FD_PIPE;
  f->pipe = pi;
  f->readable = !writable;
  f->writable = writable;
}

// Make a pipe and its two files: *rf reads, *wf writes.
int
pipealloc(struct file **rf, struct file **wf)
{
  struct pipe *pi = 0;

  *rf = filealloc();
  *wf = *rf ? filealloc() : 0;
  if(*wf)
    pi = kalloc();
  if(pi == 0){
    if(*rf)
      fileclose(*rf);
    if(*wf)
      fileclose(*wf);
    return -1;
  }
  initlock(&pi->lock, "pipe");
  pi->rpos = pi->wpos = 0;
  pi->reader_open = pi->writer_open = 1;
  attach(*rf, pi, 0);
  attach(*wf, pi, 1);
  return 0;
}

void
pipeclose(struct pipe *pi, int writable)
{
  int unused;

  acquire(&pi->lock);
  if(writable){
    pi->writer_open = 0;
    wakeup(&pi->wpos);   // readers now see end of file
  } else {
    pi->reader_open = 0;
    wakeup(&pi->rpos);   // writers now fail
  }
  unused = !pi->reader_open && !pi->writer_open;
  release(&pi->lock);
  if(unused)
    kfree(pi);
}

// Write all n bytes from user address addr, blocking while the pipe is
// full.  -1 if the read end closes, the caller is killed while it waits,
// or addr is bad.
int
pipewrite(struct pipe *pi, uint64 addr, int n)
{
  struct proc *p = myproc();
  int done = 0;

  acquire(&pi->lock);
  while(done < n){
    uint held = pi->wpos - pi->rpos;
    if(!pi->reader_open){
      release(&pi->lock);
      return -1;
    }
    if(held == PIPESIZE){
      wakeup(&pi->wpos);
      if(sleep_killable(&pi->rpos, &pi->lock) < 0){
        release(&pi->lock);
        return -1;
      }
      continue;
    }
    uint at = pi->wpos % PIPESIZE;
    uint len = umin3(PIPESIZE - held, PIPESIZE - at, n - done);
    if(copyin(p->pagetable, &pi->buf[at], addr + done, len) < 0){
      release(&pi->lock);
      return -1;
    }
    pi->wpos += len;
    done += len;
  }
  wakeup(&pi->wpos);
  release(&pi->lock);
  return done;
}

// Read up to n bytes into user address addr, blocking until some data is
// there or every writer is gone (then 0).  -1 if killed or addr is bad.
int
piperead(struct pipe *pi, uint64 addr, int n)
{
  struct proc *p = myproc();
  int done = 0;

  acquire(&pi->lock);
  while(pi->rpos == pi->wpos && pi->writer_open){
    if(sleep_killable(&pi->wpos, &pi->lock) < 0){
      release(&pi->lock);
      return -1;
    }
  }
  while(done < n && pi->rpos != pi->wpos){
    uint at = pi->rpos % PIPESIZE;
    uint len = umin3(pi->wpos - pi->rpos, PIPESIZE - at, n - done);
    if(copyout(p->pagetable, addr + done, &pi->buf[at], len) < 0){
      done = -1;
      break;
    }
    pi->rpos += len;
    done += len;
  }
  wakeup(&pi->rpos);
  release(&pi->lock);
  return done;
}
