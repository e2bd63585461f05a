// buf.h: one cached disk block.
#pragma once
#include "sleeplock.h"
#include "fs.h"

struct buf {
  int valid;            // data holds the block's contents
  int disk;             // set while the disk driver owns the buffer
  uint dev;
  uint blockno;
  struct sleeplock lock;
  uint refcnt;
  struct buf *prev;     // LRU list, most recently used first
  struct buf *next;
  uchar data[BSIZE];
};
