// file.h: open files, in-memory inodes and the device switch.
#pragma once
#include "types.h"
#include "sleeplock.h"
#include "fs.h"

enum filetype { FD_NONE, FD_PIPE, FD_INODE, FD_DEVICE, FD_SOCKET };

struct file {
  enum filetype type;
  int ref;
  char readable;
  char writable;
  struct pipe *pipe;    // FD_PIPE
  struct inode *ip;     // FD_INODE and FD_DEVICE
  struct sock *sock;    // FD_SOCKET
  uint off;             // FD_INODE
  uint ra_next;         // FD_INODE: the offset a sequential reader reads next
  uint ra_end;          // FD_INODE: file blocks before this have been read ahead
  uint ra_win;          // FD_INODE: blocks to keep reading ahead (0: not sequential)
  short major;          // FD_DEVICE
};

// An inode in memory: the on-disk fields plus cache bookkeeping.
struct inode {
  uint dev;
  uint inum;
  int ref;              // in-memory references
  struct sleeplock lock;// protects everything below
  int valid;            // fields below were read from disk
  short type;
  short major;
  short minor;
  short nlink;
  uint size;
  uint addrs[NADDRS];
};

// Read and write entry points of a character device, by major number.
struct devsw {
  int (*read)(int user_dst, uint64 dst, int n);
  int (*write)(int user_src, uint64 src, int n);
};
extern struct devsw devsw[];

#define CONSOLE 1
