// mkfs.c: host tool that builds fs.img: an empty file system plus the given files in its root directory.
//
// usage: mkfs [-s BLOCKS] fs.img FILE...   (BLOCKS: image size, at most FSSIZE)
//
// The whole image is assembled in memory and written out only if every
// input was acceptable, so a failed run never leaves a half-made image.
// The image file is sparse: blocks of zeros are not written (and a file's
// all-zero blocks become holes), so a big, mostly empty image costs little
// to build and to copy.
// Multi-byte fields are stored byte by byte in little-endian order, which
// keeps the result right whatever the host's own byte order.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <unistd.h>

// The kernel headers bring their own NULL; use theirs.
#undef NULL
#include "kernel/types.h"
#include "kernel/fs.h"
#include "kernel/stat.h"
#include "kernel/param.h"

#define NINODES  200
#define NLOG     (LOGBLOCKS + 1)                  // header + logged blocks
#define NINOBLK  ((NINODES + IPB - 1) / IPB)
#define NBMAPBLK ((fssize + BPB - 1) / BPB)
#define MAXBYTES (MAXFILE * BSIZE)

static uchar img[FSSIZE][BSIZE];
static uint fssize = FSSIZE;   // blocks in this image (-s)
static struct superblock sb;   // layout, in host byte order
static uint next_inum = 1;     // inode 0 is never used
static uint next_block;        // first unused data block

static void
die(const char *what, const char *detail)
{
  fprintf(stderr, "mkfs: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  exit(1);
}

static void
put16(uchar *p, uint v)
{
  p[0] = v;
  p[1] = v >> 8;
}

static void
put32(uchar *p, uint v)
{
  put16(p, v);
  put16(p + 2, v >> 16);
}

static uint
get32(const uchar *p)
{
  return p[0] | p[1] << 8 | p[2] << 16 | (uint)p[3] << 24;
}

#define SB_FIELD(f) (img[SUPERBLOCK] + offsetof(struct superblock, f))

static void
plan_layout(void)
{
  sb.magic = FS_MAGIC;
  sb.size = fssize;
  sb.ninodes = NINODES;
  sb.nlog = NLOG;
  sb.logstart = SUPERBLOCK + 1;
  sb.inodestart = sb.logstart + NLOG;
  sb.bmapstart = sb.inodestart + NINOBLK;
  next_block = sb.bmapstart + NBMAPBLK;
  sb.nblocks = fssize - next_block;

  put32(SB_FIELD(magic), sb.magic);
  put32(SB_FIELD(size), sb.size);
  put32(SB_FIELD(nblocks), sb.nblocks);
  put32(SB_FIELD(ninodes), sb.ninodes);
  put32(SB_FIELD(nlog), sb.nlog);
  put32(SB_FIELD(logstart), sb.logstart);
  put32(SB_FIELD(inodestart), sb.inodestart);
  put32(SB_FIELD(bmapstart), sb.bmapstart);
}

// ---------------------------------------------------------------- inodes

static uchar *
dinode_bytes(uint inum)
{
  return img[IBLOCK(inum, sb)] + (inum % IPB) * sizeof(struct dinode);
}

#define DI_FIELD(inum, f) (dinode_bytes(inum) + offsetof(struct dinode, f))

static uint
new_inode(short type)
{
  if(next_inum >= NINODES)
    die("out of inodes", 0);
  put16(DI_FIELD(next_inum, type), type);
  put16(DI_FIELD(next_inum, nlink), 1);
  return next_inum++;
}

static uint
new_block(void)
{
  if(next_block >= fssize)
    die("image full", "make the image bigger (-s)");
  return next_block++;
}

// A 32-bit block pointer at p, filled with a new block if still empty.
static uint
slot_block(uchar *p)
{
  if(get32(p) == 0)
    put32(p, new_block());
  return get32(p);
}

// The disk block holding block bn of file inum, allocated on first use.
static uint
file_block(uint inum, uint bn)
{
  uchar *addrs = DI_FIELD(inum, addrs);
  uint ind;

  if(bn < NDIRECT)
    return slot_block(addrs + 4 * bn);
  bn -= NDIRECT;
  if(bn < NINDIRECT)
    return slot_block(img[slot_block(addrs + 4 * NDIRECT)] + 4 * bn);
  bn -= NINDIRECT;   // append() keeps bn below MAXFILE
  ind = slot_block(img[slot_block(addrs + 4 * (NDIRECT + 1))] + 4 * (bn / NINDIRECT));
  return slot_block(img[ind] + 4 * (bn % NINDIRECT));
}

static int
all_zero(const uchar *p, uint n)
{
  for(uint i = 0; i < n; i++)
    if(p[i])
      return 0;
  return 1;
}

// Add len bytes to the end of file inum.
static void
append(uint inum, const void *data, uint len)
{
  const uchar *src = data;
  uint size = get32(DI_FIELD(inum, size));

  if(size + len > MAXBYTES)
    die("file too large", 0);
  while(len > 0){
    uint at = size % BSIZE;
    uint n = BSIZE - at < len ? BSIZE - at : len;
    if(n < BSIZE || !all_zero(src, n))   // a whole block of zeros stays a hole
      memcpy(img[file_block(inum, size / BSIZE)] + at, src, n);
    size += n;
    src += n;
    len -= n;
  }
  put32(DI_FIELD(inum, size), size);
}

// ---------------------------------------------------------------- root directory

static char names[NINODES + 2][DIRSIZ + 1];   // entries so far (with . and ..), for duplicates
static int nnames;

static void
add_entry(uint dir, const char *name, uint inum)
{
  uchar de[sizeof(struct dirent)];

  for(int i = 0; i < nnames; i++)
    if(strcmp(names[i], name) == 0)
      die("duplicate name in root directory", name);
  strcpy(names[nnames++], name);

  memset(de, 0, sizeof(de));
  put16(de + offsetof(struct dirent, inum), inum);
  memcpy(de + offsetof(struct dirent, name), name, strlen(name));
  append(dir, de, sizeof(de));
}

// The name a host path gets inside the image: its last component with
// one leading '_' removed (user/_sh becomes sh).
static const char *
image_name(const char *path)
{
  const char *base = strrchr(path, '/');

  base = base ? base + 1 : path;
  if(*base == '_')
    base++;
  if(*base == 0)
    die("empty file name", path);
  if(strlen(base) > DIRSIZ)
    die("name longer than DIRSIZ", path);
  return base;
}

static void
add_file(uint root, const char *path)
{
  static uchar data[MAXBYTES + 1];
  const char *name = image_name(path);
  FILE *fp = fopen(path, "rb");
  size_t len;
  uint inum;

  if(fp == 0)
    die("cannot open", path);
  len = fread(data, 1, sizeof(data), fp);
  if(ferror(fp))
    die("cannot read", path);
  fclose(fp);
  if(len > MAXBYTES)
    die("file larger than MAXFILE blocks", path);

  inum = new_inode(T_FILE);
  add_entry(root, name, inum);
  append(inum, data, len);
}

// Mark every block up to next_block as used.
static void
fill_bitmap(void)
{
  for(uint b = 0; b < next_block; b++)
    img[BBLOCK(b, sb)][(b % BPB) / 8] |= 1 << (b % 8);
}

// Write the image, leaving its blocks of zeros as holes in the file.
static void
write_image(const char *out)
{
  FILE *fp = fopen(out, "wb");

  if(fp == 0)
    die("cannot create", out);
  for(uint b = 0; b < fssize; b++)
    if(!all_zero(img[b], BSIZE) &&
       (fseeko(fp, (off_t)b * BSIZE, SEEK_SET) != 0 || fwrite(img[b], BSIZE, 1, fp) != 1))
      die("cannot write", out);
  if(fflush(fp) != 0 || ftruncate(fileno(fp), (off_t)fssize * BSIZE) != 0 || fclose(fp) != 0)
    die("cannot write", out);
}

int
main(int argc, char *argv[])
{
  uint root;

  if(argc > 2 && strcmp(argv[1], "-s") == 0){
    fssize = atoi(argv[2]);
    argc -= 2;
    argv += 2;
  }
  if(argc < 2){
    fprintf(stderr, "usage: mkfs [-s BLOCKS] fs.img FILE...\n");
    return 1;
  }
  if(fssize < 1024 || fssize > FSSIZE)
    die("image size must be between 1024 and FSSIZE blocks", 0);

  plan_layout();
  root = new_inode(T_DIR);
  if(root != ROOTINO)
    die("root directory did not get ROOTINO", 0);
  add_entry(root, ".", root);
  add_entry(root, "..", root);
  for(int i = 2; i < argc; i++)
    add_file(root, argv[i]);
  fill_bitmap();
  write_image(argv[1]);

  printf("mkfs: %s: %d blocks (%u meta, %u data, %u used), %u inodes, %d files\n",
         argv[1], fssize, sb.bmapstart + NBMAPBLK, sb.nblocks, next_block,
         NINODES, argc - 2);
  return 0;
}
