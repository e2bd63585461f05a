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
