// virtio_disk.c: driver for the QEMU virtio-blk disk (virtio-mmio version 2, one queue).
#include "types.h"
#include "param.h"
#include "riscv.h"
#include "memlayout.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "buf.h"
#include "virtio.h"
#include "stat.h"
#include "defs.h"

// Each request is a chain of descriptors: header, one per block of data,
// status (5.2.6).  Several requests may be in flight at once.
#define STATUS_PENDING 0xff   // the device stores 0 here on success

#define NDESC 256             // descriptors in queue 0
#define VBLK_F_SEG_MAX (1ULL << 2)   // config seg_max: most data descriptors per request
#define VBLK_CFG_SEG_MAX 12          // its offset in the configuration space (5.2.4)

// What the driver remembers about a request, indexed by its head descriptor.
struct pending {
  struct buf *bufs[DISK_MAXRUN];
  int n;
  int prefetch;                 // a read-ahead: nobody waits, bio takes the buffers back
  struct vblk_hdr hdr;
  volatile uchar status;
};

static struct {
  struct spinlock lock;
  struct virtq vq;
  uint16 free[NDESC];           // stack of descriptors not in any chain
  int nfree;
  int maxrun;                   // blocks per request: DISK_MAXRUN or the device's seg_max
  struct bstat st;              // the request and block counters
  struct pending req[NDESC];
} disk;

void
virtio_disk_init(void)
{
  uint64 base = KDEV(VIRTIO0), features = VIO_F_VERSION_1 | VBLK_F_SEG_MAX;
  const char *err;
  uint32 segmax;

  initlock(&disk.lock, "virtio_disk");
  if(!vio_is(base, VIO_DEVID_BLOCK))
    panic("virtio_disk: no modern virtio-blk at VIRTIO0 (need force-legacy=false and a drive)");
  // The spec's order (3.1.1): reset, announce ourselves, agree on
  // features (the modern interface and the segment limit), build the
  // queue, then go live.
  if((err = vio_start(base, &features)) != 0 || (err = vq_init(&disk.vq, base, 0, NDESC)) != 0){
    printf("virtio_disk: %s\n", err);
    panic("virtio_disk: cannot start the disk");
  }
  disk.maxrun = DISK_MAXRUN;
  if(features & VBLK_F_SEG_MAX){
    vio_config(base, VBLK_CFG_SEG_MAX, &segmax, sizeof(segmax));
    if(segmax >= 1 && segmax < disk.maxrun)
      disk.maxrun = segmax;
  }
  for(int i = 0; i < NDESC; i++)
    disk.free[disk.nfree++] = i;
  vio_go(base);
}

static void
desc_fill(int i, void *addr, uint32 len, uint16 flags, int next)
{
  struct vq_desc *dp = &disk.vq.desc[i];

  dp->addr = (uint64)addr;
  dp->len = len;
  dp->flags = flags;
  dp->next = 0;
  if(next >= 0){
    dp->flags |= VQ_DESC_NEXT;
    dp->next = next;
  }
}

// Return a finished chain's descriptors and let waiting requesters retry.
static void
chain_free(int head)
{
  for(int i = head;; ){
    struct vq_desc *dp = &disk.vq.desc[i];
    int more = dp->flags & VQ_DESC_NEXT, next = dp->next;
    memset(dp, 0, sizeof(*dp));
    disk.free[disk.nfree++] = i;
    if(!more)
      break;
    i = next;
  }
  wakeup(&disk.free);
}

// Offer one request for bs[0..n), blocks bs[0]->blockno onwards, and
// return without waiting.  disk.lock held; sleeps for descriptors.
static void
submit(struct buf **bs, int n, int write, int prefetch)
{
  int d[DISK_MAXRUN + 2];

  if(n < 1 || n > disk.maxrun)
    panic("virtio_disk: bad request length");
  while(disk.nfree < n + 2)
    sleep(&disk.free, &disk.lock);
  for(int i = 0; i < n + 2; i++)
    d[i] = disk.free[--disk.nfree];

  struct pending *r = &disk.req[d[0]];
  r->hdr.type = write ? VBLK_T_OUT : VBLK_T_IN;
  r->hdr.reserved = 0;
  r->hdr.sector = (uint64)bs[0]->blockno * (BSIZE / VBLK_SECTOR);
  r->status = STATUS_PENDING;
  r->n = n;
  r->prefetch = prefetch;

  desc_fill(d[0], &r->hdr, sizeof(r->hdr), 0, d[1]);
  for(int i = 0; i < n; i++){
    if(bs[i]->blockno != bs[0]->blockno + i)
      panic("virtio_disk: blocks of one request must be consecutive");
    r->bufs[i] = bs[i];
    bs[i]->disk = 1;
    desc_fill(d[1 + i], bs[i]->data, BSIZE, write ? 0 : VQ_DESC_WRITE, d[2 + i]);
  }
  desc_fill(d[n + 1], (void *)&r->status, 1, VQ_DESC_WRITE, -1);

  if(write){
    disk.st.wreqs++;
    disk.st.wblocks += n;
  } else {
    disk.st.rreqs++;
    disk.st.rblocks += n;
    disk.st.rareqs += prefetch;
  }
  vq_push(&disk.vq, d[0]);
  vq_notify(&disk.vq);
}

// Read or write one block and wait for it.
void
virtio_disk_rw(struct buf *b, int write)
{
  acquire(&disk.lock);
  submit(&b, 1, write, 0);
  while(b->disk)
    sleep(b, &disk.lock);
  release(&disk.lock);
}

// Start one request for n buffers of consecutive blocks (at most
// DISK_MAXRUN) without waiting.  A read is a read-ahead: each buffer
// becomes valid when it lands, and bio gets back the reference the
// read-ahead held.  A writer waits with virtio_disk_wait().
void
virtio_disk_io(struct buf **bs, int n, int write)
{
  acquire(&disk.lock);
  while(n > 0){
    int k = n < disk.maxrun ? n : disk.maxrun;
    submit(bs, k, write, !write);
    bs += k;
    n -= k;
  }
  release(&disk.lock);
}

// Wait until no request is filling or writing b.
void
virtio_disk_wait(struct buf *b)
{
  acquire(&disk.lock);
  while(b->disk)
    sleep(b, &disk.lock);
  release(&disk.lock);
}

void
virtio_disk_stats(struct bstat *st)
{
  acquire(&disk.lock);
  st->rreqs = disk.st.rreqs;
  st->rblocks = disk.st.rblocks;
  st->rareqs = disk.st.rareqs;
  st->wreqs = disk.st.wreqs;
  st->wblocks = disk.st.wblocks;
  release(&disk.lock);
}

// Hand one completed request's buffers back.
static void
complete(uint32 head)
{
  struct pending *r;

  if(head >= NDESC || disk.req[head].n == 0)
    panic("virtio_disk: completion for an unknown request");
  r = &disk.req[head];
  if(r->status != 0)
    panic("virtio_disk: device reported an I/O error");
  for(int i = 0; i < r->n; i++){
    struct buf *b = r->bufs[i];
    if(r->prefetch)
      b->valid = 1;   // before disk = 0: a waiting bread looks at valid next
    b->disk = 0;
    wakeup(b);
    if(r->prefetch)
      bprefetched(b);   // last: from here on b may be recycled
  }
  r->n = 0;
  chain_free(head);
}

void
virtio_disk_intr(void)
{
  uint32 len;
  int head;

  acquire(&disk.lock);
  vio_intr_ack(disk.vq.base);
  while((head = vq_pop(&disk.vq, &len)) >= 0)
    complete(head);
  release(&disk.lock);
}
