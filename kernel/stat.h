// stat.h: what fstat() reports about a file.
#pragma once

#define T_DIR    1
#define T_FILE   2
#define T_DEVICE 3

struct stat {
  int dev;       // disk device
  uint ino;      // inode number
  short type;    // T_DIR, T_FILE or T_DEVICE
  short nlink;
  uint64 size;   // bytes
};

// What diskstat() reports: the buffer cache and the requests sent to the disk.
struct bstat {
  uint64 nbuf;       // buffers in the cache
  uint64 hits;       // lookups that found their block cached
  uint64 misses;     // lookups that gave their block a buffer
  uint64 rreqs;      // read requests
  uint64 rblocks;    // blocks they read
  uint64 rareqs;     // of those requests, the ones read-ahead started
  uint64 wreqs;      // write requests
  uint64 wblocks;    // blocks they wrote
};
