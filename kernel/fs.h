// fs.h: the on-disk file-system format, shared by the kernel and mkfs.
//
// Disk layout, in BSIZE blocks:
//   [ unused | super | log header + log | inodes | free bitmap | data ... ]
#pragma once

#define BSIZE 1024        // block size in bytes
#define ROOTINO 1         // inode number of "/"
#define SUPERBLOCK 1      // block number of the superblock
#define FS_MAGIC 0x786e6574   // "xnet" in the superblock marks our format

struct superblock {
  uint magic;        // FS_MAGIC
  uint size;         // blocks in the image
  uint nblocks;      // data blocks
  uint ninodes;
  uint nlog;         // log blocks, header included
  uint logstart;
  uint inodestart;
  uint bmapstart;
};

// A file's blocks: NDIRECT named in the inode itself, then one indirect
// block of NINDIRECT numbers, then one doubly-indirect block naming
// NINDIRECT indirect blocks.  That reaches a little over 64 MiB (the web
// site serves a 16 MiB file) while the inode stays 64 bytes.  A zero block
// number is a hole: it reads as zeros (mkfs leaves all-zero blocks out).
#define NDIRECT    11
#define NINDIRECT  (BSIZE / sizeof(uint))
#define NDINDIRECT (NINDIRECT * NINDIRECT)
#define NADDRS     (NDIRECT + 2)        // direct, indirect, doubly-indirect
#define MAXFILE    (NDIRECT + NINDIRECT + NDINDIRECT)   // blocks in the largest file

// An inode as stored on disk.
struct dinode {
  short type;             // 0 = free, else T_DIR/T_FILE/T_DEVICE
  short major;            // device numbers (T_DEVICE only)
  short minor;
  short nlink;            // directory entries naming this inode
  uint size;              // bytes
  uint addrs[NADDRS];     // data blocks, the indirect block, the doubly-indirect one
};

#define IPB (BSIZE / sizeof(struct dinode))      // inodes per block
#define IBLOCK(i, sb) ((i) / IPB + (sb).inodestart)
#define BPB (BSIZE * 8)                          // bitmap bits per block
#define BBLOCK(b, sb) ((b) / BPB + (sb).bmapstart)

#define DIRSIZ 14
// A directory is a file of these; inum 0 marks an empty slot.
struct dirent {
  ushort inum;
  char name[DIRSIZ];
};
