// buf.h: one cached disk block.
#pragma once
#include "sleeplock.h"
#include "fs.h"

struct buf {
  int valid;            // data holds the block's contents
  int disk;             // set while a disk request is filling or writing data
  uint dev;             // 0: has never named a block, so is in no hash chain
  uint blockno;
  struct sleeplock lock;
  uint refcnt;          // guarded by its bucket's lock
  struct buf *hnext;    // hash chain of its bucket
  struct buf *prev;     // idle list (refcnt == 0), least recently used first
  struct buf *next;
  uchar *data;          // BSIZE bytes, in a page of their own kind
};
