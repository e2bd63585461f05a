// param.h: compile-time sizes and limits of the kernel.
#pragma once

#define NCPU          8     // most harts the kernel supports
#define NPROC        64     // process table slots
#define NOFILE       16     // open files per process
#define NFILE       100     // open files in the whole system
#define NINODE       50     // in-memory inode cache entries
#define NDEV         10     // device major numbers
#define ROOTDEV       1     // disk device holding the root file system
#define MAXARG       32     // exec argument count limit
#define MAXOPBLOCKS  32     // blocks one file-system operation may write
#define LOGBLOCKS    (MAXOPBLOCKS * 3)  // data blocks in the on-disk log
#define DISK_MAXRUN  64     // most blocks in one disk request
#define BCACHE_SHARE  4     // the buffer cache takes 1/4 of the pages free at boot
#define FSSIZE   131072     // largest file-system image in blocks (mkfs -s)
#define MAXPATH     128     // longest path name
#define USERSTACK     1     // user stack pages
#define TICK_HZ     100     // timer interrupts per second
