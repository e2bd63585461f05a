// fstest.c: file-system checks for test/test_fs.py: patterned files written and verified, checksums, a crash workload.
//
// usage: fstest write NAME BLOCKS SEED   write BLOCKS blocks of the pattern
//        fstest check NAME SEED          the whole file is the pattern (any length)
//        fstest max NAME                 a file of MAXFILE blocks, and not one byte more
//        fstest sum NAME CHUNK           size and CRC-32 (zlib's), read CHUNK bytes at a time
//        fstest read NAME CHUNK          read the file CHUNK bytes at a time; bytes and ticks taken
//        fstest churn ROUNDS             create, fill and delete files (killed midway by a test)
// The pattern: in file block k, the first four bytes hold k, the rest
// depend on k, the offset and the seed, so a misplaced block shows.
#include "kernel/types.h"
#include "kernel/fs.h"
#include "kernel/fcntl.h"
#include "user/user.h"

#define IOBUF (32 * BSIZE)
#define MAXBLOCKS ((int)MAXFILE)   // MAXFILE is unsigned
static char buf[IOBUF];

static int
pbyte(uint off, int seed)
{
  uint k = off / BSIZE, at = off % BSIZE;

  if(at < 4)
    return (k >> (8 * at)) & 0xff;
  return (k * 31 + at * 7 + seed) % 251;
}

static void
fill(char *p, uint off, int n, int seed)
{
  for(int i = 0; i < n; i++)
    p[i] = pbyte(off + i, seed);
}

static void
fail(char *what, char *name)
{
  printf("fstest: FAIL %s: %s\n", name, what);
  exit(1);
}

// Append blocks blocks of the pattern to fd, which is at offset off.  Returns
// the blocks written before the first failed write.
static int
write_pattern(int fd, uint off, int blocks, int seed)
{
  int done = 0;

  while(done < blocks){
    int n = blocks - done < IOBUF / BSIZE ? blocks - done : IOBUF / BSIZE;
    fill(buf, off, n * BSIZE, seed);
    int r = write(fd, buf, n * BSIZE);
    if(r != n * BSIZE)
      return done + (r > 0 ? r / BSIZE : 0);
    done += n;
    off += n * BSIZE;
  }
  return done;
}

// Check that the whole of NAME is the pattern; returns its size.
static uint
check(char *name, int seed)
{
  int fd = open(name, O_RDONLY), n;
  uint off = 0;

  if(fd < 0)
    fail("cannot open", name);
  // An odd read size, so reads straddle blocks and the end of the file.
  while((n = read(fd, buf, IOBUF - 100)) > 0){
    for(int i = 0; i < n; i++)
      if((uchar)buf[i] != pbyte(off + i, seed)){
        printf("fstest: FAIL %s: byte %d (block %d) is %d, expected %d\n", name, off + i,
               (off + i) / BSIZE, (uchar)buf[i], pbyte(off + i, seed));
        exit(1);
      }
    off += n;
  }
  close(fd);
  if(n < 0)
    fail("read failed", name);
  return off;
}

static void
cmd_write(char *name, int blocks, int seed)
{
  int fd = open(name, O_CREATE | O_TRUNC | O_WRONLY);

  if(fd < 0)
    fail("cannot create", name);
  if(write_pattern(fd, 0, blocks, seed) != blocks)
    fail("write failed", name);
  close(fd);
  printf("fstest: wrote %s %d blocks\n", name, blocks);
}

static void
cmd_max(char *name)
{
  int fd = open(name, O_CREATE | O_TRUNC | O_WRONLY);
  int got;

  if(fd < 0)
    fail("cannot create", name);
  got = write_pattern(fd, 0, MAXBLOCKS, 1);
  if(got != MAXBLOCKS){
    printf("fstest: FAIL %s: only %d of MAXFILE %d blocks written\n", name, got, MAXBLOCKS);
    exit(1);
  }
  if(write(fd, buf, 1) != -1)
    fail("a byte beyond MAXFILE was written", name);
  close(fd);
  if(check(name, 1) != MAXBLOCKS * BSIZE)
    fail("wrong size after reading back", name);
  if(unlink(name) != 0)
    fail("unlink failed", name);
  printf("fstest: max %s %d blocks ok\n", name, MAXBLOCKS);
}

// CRC-32 as zlib computes it (reflected, polynomial 0xedb88320).
static uint
crc32(uint crc, char *p, int n)
{
  static uint table[256];

  if(table[1] == 0)
    for(uint i = 0; i < 256; i++){
      uint c = i;
      for(int k = 0; k < 8; k++)
        c = c & 1 ? 0xedb88320 ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
  crc = ~crc;
  for(int i = 0; i < n; i++)
    crc = table[(crc ^ (uchar)p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

static void
cmd_sum(char *name, int chunk)
{
  int fd = open(name, O_RDONLY), n;
  uint crc = 0, size = 0;

  if(fd < 0 || chunk < 1 || chunk > IOBUF)
    fail("cannot open, or a bad chunk size", name);
  while((n = read(fd, buf, chunk)) > 0){
    crc = crc32(crc, buf, n);
    size += n;
  }
  close(fd);
  if(n < 0)
    fail("read failed", name);
  printf("fstest: sum %s size %d crc %x\n", name, size, crc);
}

// The read path alone: read and discard, timed in ticks.
static void
cmd_read(char *name, int chunk)
{
  int fd = open(name, O_RDONLY), n, t0 = uptime();
  uint size = 0;

  if(fd < 0 || chunk < 1 || chunk > IOBUF)
    fail("cannot open, or a bad chunk size", name);
  while((n = read(fd, buf, chunk)) > 0)
    size += n;
  close(fd);
  if(n < 0)
    fail("read failed", name);
  printf("fstest: read %s %d bytes in %d ticks\n", name, size, uptime() - t0);
}

// Files c0..c7 created, filled and removed over and over; each holds the
// pattern with its digit as the seed, so any prefix of it is consistent.
static void
cmd_churn(int rounds)
{
  char name[3] = "c0";
  uint seed = 7;

  for(int i = 0; i < rounds; i++){
    seed = seed * 1103515245 + 12345;
    name[1] = '0' + i % 8;
    if(seed >> 28 < 4){
      unlink(name);
    } else {
      int fd = open(name, O_CREATE | O_TRUNC | O_WRONLY);
      if(fd < 0)
        fail("cannot create", name);
      // c7 is long enough to reach the doubly-indirect block.
      int blocks = name[1] == '7' ? 300 + (seed >> 16) % 1000 : 1 + (seed >> 16) % 40;
      write_pattern(fd, 0, blocks, name[1] - '0');
      close(fd);
    }
    if(i % 10 == 0)
      printf("fstest: churn %d\n", i);
  }
  printf("fstest: churn done\n");
}

int
main(int argc, char *argv[])
{
  if(argc == 5 && strcmp(argv[1], "write") == 0)
    cmd_write(argv[2], atoi(argv[3]), atoi(argv[4]));
  else if(argc == 4 && strcmp(argv[1], "check") == 0)
    printf("fstest: %s ok, %d bytes\n", argv[2], check(argv[2], atoi(argv[3])));
  else if(argc == 3 && strcmp(argv[1], "max") == 0)
    cmd_max(argv[2]);
  else if(argc == 4 && strcmp(argv[1], "sum") == 0)
    cmd_sum(argv[2], atoi(argv[3]));
  else if(argc == 4 && strcmp(argv[1], "read") == 0)
    cmd_read(argv[2], atoi(argv[3]));
  else if(argc == 3 && strcmp(argv[1], "churn") == 0)
    cmd_churn(atoi(argv[2]));
  else {
    fprintf(2, "usage: fstest write NAME BLOCKS SEED | check NAME SEED | max NAME |"
               " sum NAME CHUNK | read NAME CHUNK | churn ROUNDS\n");
    exit(1);
  }
  exit(0);
}
