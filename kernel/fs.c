// fs.c: on-disk file system: block allocator, inode cache, file contents, directories and path names.
//
// Every function that modifies the disk must run inside begin_op()/end_op()
// and write blocks through log_write(); iput() counts as modifying, since
// dropping the last reference to an unlinked inode frees it.
//
// Inode life cycle: iget()/ialloc() hand out a counted reference to a cache
// slot (ref); ilock() loads the on-disk fields (valid) and serialises users;
// iput() drops the reference and frees the inode once nothing names it.
#include "types.h"
#include "riscv.h"
#include "param.h"
#include "stat.h"
#include "spinlock.h"
#include "proc.h"
#include "sleeplock.h"
#include "fs.h"
#include "buf.h"
#include "file.h"
#include "defs.h"

#define MAXBYTES ((uint)(MAXFILE * BSIZE))   // largest possible file
#define READ_RUN 16                          // blocks readi maps at a time

static struct superblock sb;   // of the root device, the only disk

void
fsinit(int dev)
{
  struct buf *b = bread(dev, SUPERBLOCK);

  memmove(&sb, b->data, sizeof(sb));
  brelse(b);
  if(sb.magic != FS_MAGIC)
    panic("fsinit: bad superblock magic; rebuild fs.img with mkfs/mkfs");
  initlog(dev, &sb);
}

// ---------------------------------------------------------------- blocks

static void
zero_block(uint dev, uint bno)
{
  struct buf *b = bclaim(dev, bno);

  memset(b->data, 0, BSIZE);
  log_write(b);
  brelse(b);
}

// Index of the first clear bit among the first nbits of map, or -1.
static int
first_clear_bit(uchar *map, uint nbits)
{
  for(uint i = 0; i < nbits; i++){
    if(i % 8 == 0 && map[i / 8] == 0xff)
      i += 7;   // a full byte: skip its eight blocks at once
    else if((map[i / 8] & (1 << (i % 8))) == 0)
      return i;
  }
  return -1;
}

// Allocate a zeroed block.  Returns 0 when the disk is full.
static uint
balloc(uint dev)
{
  for(uint base = 0; base < sb.size; base += BPB){
    struct buf *bp = bread(dev, BBLOCK(base, sb));
    uint span = sb.size - base < BPB ? sb.size - base : BPB;
    int bit = first_clear_bit(bp->data, span);
    if(bit >= 0){
      bp->data[bit / 8] |= 1 << (bit % 8);
      log_write(bp);
    }
    brelse(bp);
    if(bit >= 0){
      zero_block(dev, base + bit);
      return base + bit;
    }
  }
  return 0;
}

static void
bfree(uint dev, uint bno)
{
  struct buf *bp = bread(dev, BBLOCK(bno, sb));
  uint bit = bno % BPB;
  uchar mask = 1 << (bit % 8);

  if((bp->data[bit / 8] & mask) == 0)
    panic("bfree: block already free");
  bp->data[bit / 8] &= ~mask;
  log_write(bp);
  brelse(bp);
}

static void
free_blocks(uint dev, uint *list, int n)
{
  for(int i = 0; i < n; i++)
    if(list[i])
      bfree(dev, list[i]);
}

// ---------------------------------------------------------------- inodes

static struct {
  struct spinlock lock;   // guards dev, inum and ref of every slot
  struct inode slot[NINODE];
} icache;

void
iinit(void)
{
  initlock(&icache.lock, "icache");
  for(int i = 0; i < NINODE; i++)
    initsleeplock(&icache.slot[i].lock, "inode");
}

static struct dinode *
dinode_in(struct buf *bp, uint inum)
{
  return (struct dinode *)bp->data + inum % IPB;
}

// A counted reference to the cache slot for (dev, inum), not locked and
// not necessarily loaded.  Returns 0 if every slot is in use.
static struct inode *
iget(uint dev, uint inum)
{
  struct inode *spare = 0;

  acquire(&icache.lock);
  for(struct inode *ip = icache.slot; ip < icache.slot + NINODE; ip++){
    if(ip->ref > 0 && ip->dev == dev && ip->inum == inum){
      ip->ref++;
      release(&icache.lock);
      return ip;
    }
    if(ip->ref == 0 && spare == 0)
      spare = ip;
  }
  if(spare){
    spare->dev = dev;
    spare->inum = inum;
    spare->ref = 1;
    spare->valid = 0;
  }
  release(&icache.lock);
  return spare;
}

// Allocate a free on-disk inode of the given type.  Returns it referenced
// but unlocked, or 0 if the disk or the inode cache is full.
struct inode *
ialloc(uint dev, short type)
{
  uint inum = 1;   // inode 0 is never used

  while(inum < sb.ninodes){
    struct buf *bp = bread(dev, IBLOCK(inum, sb));
    do {
      struct dinode *dip = dinode_in(bp, inum);
      if(dip->type == 0){
        // Take the cache slot before marking the disk inode, so a full
        // cache cannot leak an allocated inode.
        struct inode *ip = iget(dev, inum);
        if(ip){
          memset(dip, 0, sizeof(*dip));
          dip->type = type;
          log_write(bp);
        }
        brelse(bp);
        return ip;
      }
      inum++;
    } while(inum < sb.ninodes && inum % IPB != 0);
    brelse(bp);
  }
  return 0;
}

// Copy the in-memory fields of a locked inode to disk.
void
iupdate(struct inode *ip)
{
  struct buf *bp = bread(ip->dev, IBLOCK(ip->inum, sb));
  struct dinode *dip = dinode_in(bp, ip->inum);

  dip->type = ip->type;
  dip->major = ip->major;
  dip->minor = ip->minor;
  dip->nlink = ip->nlink;
  dip->size = ip->size;
  memmove(dip->addrs, ip->addrs, sizeof(ip->addrs));
  log_write(bp);
  brelse(bp);
}

static void
iload(struct inode *ip)
{
  struct buf *bp = bread(ip->dev, IBLOCK(ip->inum, sb));
  struct dinode *dip = dinode_in(bp, ip->inum);

  ip->type = dip->type;
  ip->major = dip->major;
  ip->minor = dip->minor;
  ip->nlink = dip->nlink;
  ip->size = dip->size;
  memmove(ip->addrs, dip->addrs, sizeof(ip->addrs));
  brelse(bp);
}

struct inode *
idup(struct inode *ip)
{
  acquire(&icache.lock);
  ip->ref++;
  release(&icache.lock);
  return ip;
}

void
ilock(struct inode *ip)
{
  if(ip == 0 || ip->ref < 1)
    panic("ilock: unreferenced inode");
  acquiresleep(&ip->lock);
  if(!ip->valid){
    iload(ip);
    ip->valid = 1;
    if(ip->type == 0)
      panic("ilock: inode in use has no type");
  }
}

void
iunlock(struct inode *ip)
{
  if(ip == 0 || ip->ref < 1 || !holdingsleep(&ip->lock))
    panic("iunlock: inode not locked");
  releasesleep(&ip->lock);
}

// Free block bno and, for an index block (depth > 0 levels of index
// below it), every block it names.  Zero is a hole and frees nothing.
static void
free_tree(uint dev, uint bno, int depth)
{
  if(bno == 0)
    return;
  if(depth > 0){
    struct buf *bp = bread(dev, bno);
    for(uint i = 0; i < NINDIRECT; i++)
      free_tree(dev, ((uint *)bp->data)[i], depth - 1);
    brelse(bp);
  }
  bfree(dev, bno);
}

// Free every data block of a locked inode and set its size to 0.  Fits
// one operation however big the file: freeing logs only bitmap blocks
// (and the inode's own block, and its directory's for an unlink).
_Static_assert((FSSIZE + BPB - 1) / BPB + 3 <= MAXOPBLOCKS,
               "truncating a file may log every bitmap block: they must fit one operation");
void
itrunc(struct inode *ip)
{
  free_blocks(ip->dev, ip->addrs, NDIRECT);
  free_tree(ip->dev, ip->addrs[NDIRECT], 1);
  free_tree(ip->dev, ip->addrs[NDIRECT + 1], 2);
  memset(ip->addrs, 0, sizeof(ip->addrs));
  ip->size = 0;
  iupdate(ip);
}

// Give back the blocks and the on-disk inode of a locked inode that
// nothing names or uses any more.
static void
idestroy(struct inode *ip)
{
  itrunc(ip);
  ip->type = 0;
  iupdate(ip);
  ip->valid = 0;   // the slot must be reloaded if the number is reused
}

// Drop a reference; the last one to an unnamed inode destroys it.
void
iput(struct inode *ip)
{
  acquire(&icache.lock);
  if(ip->ref == 1 && ip->valid && ip->nlink == 0){
    // Holding the only reference, we are the only possible holder of the
    // sleeplock too, so taking it here cannot block.  The spinlock must go
    // before the disk work, which sleeps.
    acquiresleep(&ip->lock);
    release(&icache.lock);
    idestroy(ip);
    releasesleep(&ip->lock);
    acquire(&icache.lock);
  }
  ip->ref--;
  release(&icache.lock);
}

void
iunlockput(struct inode *ip)
{
  iunlock(ip);
  iput(ip);
}

void
stati(struct inode *ip, struct stat *st)
{
  st->dev = ip->dev;
  st->ino = ip->inum;
  st->type = ip->type;
  st->nlink = ip->nlink;
  st->size = ip->size;
}

// ---------------------------------------------------------------- contents

// Return *slot, first filling an empty one with a new block when `create`
// is set.  `holder` is the buffer containing the slot, if any, and is
// logged when the slot changes; inode slots are saved by iupdate().
static uint
fill_slot(uint dev, uint *slot, int create, struct buf *holder)
{
  if(*slot == 0 && create){
    *slot = balloc(dev);
    if(*slot && holder)
      log_write(holder);
  }
  return *slot;
}

// Entry idx of index block ind, filled with a new block when `create` is set.
static uint
index_slot(uint dev, uint ind, uint idx, int create)
{
  struct buf *bp = bread(dev, ind);
  uint bno = fill_slot(dev, (uint *)bp->data + idx, create, bp);

  brelse(bp);
  return bno;
}

// Disk block holding block bn of the file, allocated on demand when
// `create` is set.  Returns 0 for a hole or a full disk.
static uint
bmap(struct inode *ip, uint bn, int create)
{
  uint ind;

  if(bn < NDIRECT)
    return fill_slot(ip->dev, &ip->addrs[bn], create, 0);
  bn -= NDIRECT;
  if(bn < NINDIRECT){
    ind = fill_slot(ip->dev, &ip->addrs[NDIRECT], create, 0);
    return ind ? index_slot(ip->dev, ind, bn, create) : 0;
  }
  bn -= NINDIRECT;
  if(bn >= NDINDIRECT)
    panic("bmap: block beyond MAXFILE");
  ind = fill_slot(ip->dev, &ip->addrs[NDIRECT + 1], create, 0);
  if(ind)
    ind = index_slot(ip->dev, ind, bn / NINDIRECT, create);
  return ind ? index_slot(ip->dev, ind, bn % NINDIRECT, create) : 0;
}

// Bytes from file offset pos up to the end of its block, capped at left.
static uint
piece(uint pos, uint left)
{
  uint room = BSIZE - pos % BSIZE;
  return left < room ? left : room;
}

// The index block naming file block bn (at least NDIRECT), 0 if that is a
// hole, and in *slot bn's entry in it.
static uint
index_of(struct inode *ip, uint bn, uint *slot)
{
  bn -= NDIRECT;
  if(bn < NINDIRECT){
    *slot = bn;
    return ip->addrs[NDIRECT];
  }
  bn -= NINDIRECT;
  *slot = bn % NINDIRECT;
  if(ip->addrs[NDIRECT + 1] == 0)
    return 0;
  return index_slot(ip->dev, ip->addrs[NDIRECT + 1], bn / NINDIRECT, 0);
}

// Disk blocks of file blocks [from, from + n) into out (0 for holes), with
// one look at each index block rather than one per block, as bmap does.
static void
bmap_range(struct inode *ip, uint from, int n, uint *out)
{
  for(int i = 0; i < n; ){
    uint bn = from + i, slot, ind;
    if(bn < NDIRECT){
      out[i++] = ip->addrs[bn];
      continue;
    }
    ind = index_of(ip, bn, &slot);
    int k = n - i < NINDIRECT - slot ? n - i : NINDIRECT - slot;
    if(ind == 0){
      memset(out + i, 0, k * sizeof(uint));
    } else {
      struct buf *bp = bread(ip->dev, ind);
      memmove(out + i, (uint *)bp->data + slot, k * sizeof(uint));
      brelse(bp);
    }
    i += k;
  }
}

// Copy len bytes at offset `at` of disk block bno (0: a hole, all zeros)
// to dst.  Returns 0, or -1 for a bad destination.
static int
copy_block_out(uint dev, uint bno, int user_dst, uint64 dst, uint at, uint len)
{
  static char zeros[BSIZE];
  struct buf *bp;
  int r;

  if(bno == 0)
    return either_copyout(user_dst, dst, zeros + at, len);
  bp = bread(dev, bno);
  r = either_copyout(user_dst, dst, bp->data + at, len);
  brelse(bp);
  return r;
}

// Read up to n bytes at off from a locked inode into dst (a user address
// if user_dst).  Returns bytes read (0 at end of file) or -1.
int
readi(struct inode *ip, int user_dst, uint64 dst, uint off, uint n)
{
  uint done = 0;

  if(off > MAXBYTES || off + n < off)
    return -1;
  if(off >= ip->size)
    return 0;
  if(n > ip->size - off)
    n = ip->size - off;

  while(done < n){
    uint bnos[READ_RUN];
    uint first = (off + done) / BSIZE, last = (off + n - 1) / BSIZE;
    int k = last - first + 1 < READ_RUN ? last - first + 1 : READ_RUN;
    bmap_range(ip, first, k, bnos);
    for(int i = 0; i < k; i++){
      uint pos = off + done;
      uint len = piece(pos, n - done);
      if(copy_block_out(ip->dev, bnos[i], user_dst, dst + done, pos % BSIZE, len) < 0)
        return -1;
      done += len;
    }
  }
  return done;
}

// Start reading file blocks [from, to) of a locked inode into the cache
// without waiting for them (holes and cached blocks are skipped).
void
ireadahead(struct inode *ip, uint from, uint to)
{
  uint blocks[DISK_MAXRUN];

  while(from < to){
    int n = to - from < DISK_MAXRUN ? to - from : DISK_MAXRUN;
    bmap_range(ip, from, n, blocks);
    bprefetch(ip->dev, blocks, n);
    from += n;
  }
}

// Write n bytes from src at off into a locked inode, growing it as needed.
// Returns n, fewer if the disk filled up, or -1 for a bad range or source.
int
writei(struct inode *ip, int user_src, uint64 src, uint off, uint n)
{
  uint done = 0;
  int fault = 0;

  if(off > ip->size || off + n < off || off + n > MAXBYTES)
    return -1;

  while(done < n && !fault){
    uint pos = off + done;
    uint len = piece(pos, n - done);
    uint bno = bmap(ip, pos / BSIZE, 1);
    if(bno == 0)
      break;
    struct buf *bp = bread(ip->dev, bno);
    fault = either_copyin(bp->data + pos % BSIZE, user_src, src + done, len) < 0;
    log_write(bp);   // even on a fault: part of the copy may have landed
    brelse(bp);
    if(!fault)
      done += len;
  }
  if(off + done > ip->size)
    ip->size = off + done;
  iupdate(ip);   // bmap may have added blocks even if the size is unchanged
  return fault ? -1 : done;
}

// ---------------------------------------------------------------- directories

int
namecmp(const char *s, const char *t)
{
  return strncmp(s, t, DIRSIZ);
}

// One pass over a locked directory.  Returns the inode number of `name`
// (0 if absent) and its entry offset in *poff; *pfree, if asked for, gets
// the offset of the first empty entry, or the end of the directory.
static uint
dirscan(struct inode *dp, char *name, uint *poff, uint *pfree)
{
  struct dirent de;
  uint off;

  if(pfree)
    *pfree = dp->size;
  for(off = 0; off + sizeof(de) <= dp->size; off += sizeof(de)){
    if(readi(dp, 0, (uint64)&de, off, sizeof(de)) != sizeof(de))
      break;
    if(de.inum == 0){
      if(pfree && *pfree == dp->size)
        *pfree = off;
      continue;
    }
    if(namecmp(name, de.name) == 0){
      if(poff)
        *poff = off;
      return de.inum;
    }
  }
  return 0;
}

// Look name up in a locked directory; a referenced, unlocked inode or 0.
struct inode *
dirlookup(struct inode *dp, char *name, uint *poff)
{
  uint inum;

  if(dp->type != T_DIR)
    panic("dirlookup: not a directory");
  inum = dirscan(dp, name, poff, 0);
  return inum ? iget(dp->dev, inum) : 0;
}

// Add the entry (name, inum) to a locked directory.  Fails with -1 if the
// name exists or the directory cannot grow.
int
dirlink(struct inode *dp, char *name, uint inum)
{
  struct dirent de;
  uint slot;

  if(dirscan(dp, name, 0, &slot) != 0)
    return -1;
  memset(&de, 0, sizeof(de));
  strncpy(de.name, name, DIRSIZ);
  de.inum = inum;
  if(writei(dp, 0, (uint64)&de, slot, sizeof(de)) != sizeof(de))
    return -1;
  return 0;
}

// ---------------------------------------------------------------- path names

// Move the first element of *pathp into name (DIRSIZ bytes, NUL-terminated
// only when shorter) and advance *pathp past it and any following slashes.
// Returns 1 for an element, 0 at the end of the path, -1 for an element
// too long to be a directory entry.
static int
next_elem(char **pathp, char *name)
{
  char *p = *pathp;
  char *start;
  int len;

  while(*p == '/')
    p++;
  if(*p == 0)
    return 0;
  start = p;
  while(*p != '/' && *p != 0)
    p++;
  len = p - start;
  if(len > DIRSIZ)
    return -1;
  memmove(name, start, len);
  if(len < DIRSIZ)
    name[len] = 0;
  while(*p == '/')
    p++;
  *pathp = p;
  return 1;
}

// Resolve a path to its inode or, with `parent`, to the directory holding
// its last element (whose name goes into name).  Returns a referenced,
// unlocked inode, or 0.
static struct inode *
resolve(char *path, int parent, char *name)
{
  struct inode *ip, *next;
  int r;

  ip = (*path == '/') ? iget(ROOTDEV, ROOTINO) : idup(myproc()->cwd);
  if(ip == 0)
    return 0;
  while((r = next_elem(&path, name)) == 1){
    ilock(ip);
    if(ip->type != T_DIR){
      iunlockput(ip);
      return 0;
    }
    if(parent && *path == 0){
      iunlock(ip);
      return ip;
    }
    // Unlock before descending: for "." next is ip itself.
    next = dirlookup(ip, name, 0);
    iunlockput(ip);
    if(next == 0)
      return 0;
    ip = next;
  }
  if(r < 0 || parent){
    iput(ip);
    return 0;
  }
  return ip;
}

struct inode *
namei(char *path)
{
  char name[DIRSIZ];
  return resolve(path, 0, name);
}

struct inode *
nameiparent(char *path, char *name)
{
  return resolve(path, 1, name);
}
