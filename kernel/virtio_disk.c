// virtio_disk.c: driver for the QEMU virtio-blk disk (virtio-mmio version 2, one queue).
#include "types.h"
#include "param.h"
#include "riscv.h"
#include "memlayout.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "buf.h"
#include "virtio.h"
#include "defs.h"

// Each request is a chain of three descriptors: header, data, status.
#define REQ_DESCS 3
#define STATUS_PENDING 0xff   // the device stores 0 here on success

#define NDESC 8   // descriptors in queue 0: room for two requests

// What the driver remembers about a request, indexed by its head descriptor.
struct pending {
  struct buf *b;
  struct vblk_hdr hdr;
  volatile uchar status;
};

static struct {
  struct spinlock lock;
  struct virtq vq;
  uchar busy[NDESC];            // descriptor is part of a live chain
  struct pending req[NDESC];
} disk;

void
virtio_disk_init(void)
{
  uint64 base = KDEV(VIRTIO0), features = VIO_F_VERSION_1;
  const char *err;

  initlock(&disk.lock, "virtio_disk");
  if(!vio_is(base, VIO_DEVID_BLOCK))
    panic("virtio_disk: no modern virtio-blk at VIRTIO0 (need force-legacy=false and a drive)");
  // The spec's order (3.1.1): reset, announce ourselves, agree on
  // features (the modern interface and nothing else), build the queue,
  // then go live.
  if((err = vio_start(base, &features)) != 0 || (err = vq_init(&disk.vq, base, 0, NDESC)) != 0){
    printf("virtio_disk: %s\n", err);
    panic("virtio_disk: cannot start the disk");
  }
  vio_go(base);
}

// Reserve REQ_DESCS descriptors into d[]; all or nothing.  Caller holds disk.lock.
static int
chain_alloc(int *d)
{
  int got = 0;

  for(int i = 0; i < NDESC && got < REQ_DESCS; i++)
    if(!disk.busy[i])
      d[got++] = i;
  if(got < REQ_DESCS)
    return -1;
  for(int k = 0; k < REQ_DESCS; k++)
    disk.busy[d[k]] = 1;
  return 0;
}

// Release a finished chain and let waiting requesters retry.
static void
chain_free(int head)
{
  int i = head;

  for(;;){
    struct vq_desc *dp = &disk.vq.desc[i];
    int more = dp->flags & VQ_DESC_NEXT;
    int next = dp->next;
    disk.busy[i] = 0;
    memset(dp, 0, sizeof(*dp));
    if(!more)
      break;
    i = next;
  }
  wakeup(&disk.busy);
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

void
virtio_disk_rw(struct buf *b, int write)
{
  int d[REQ_DESCS];

  acquire(&disk.lock);
  while(chain_alloc(d) < 0)
    sleep(&disk.busy, &disk.lock);

  struct pending *r = &disk.req[d[0]];
  r->hdr.type = write ? VBLK_T_OUT : VBLK_T_IN;
  r->hdr.reserved = 0;
  r->hdr.sector = (uint64)b->blockno * (BSIZE / VBLK_SECTOR);
  r->status = STATUS_PENDING;
  r->b = b;

  desc_fill(d[0], &r->hdr, sizeof(r->hdr), 0, d[1]);
  desc_fill(d[1], b->data, BSIZE, write ? 0 : VQ_DESC_WRITE, d[2]);
  desc_fill(d[2], (void *)&r->status, 1, VQ_DESC_WRITE, -1);

  b->disk = 1;
  vq_push(&disk.vq, d[0]);
  vq_notify(&disk.vq);
  while(b->disk)
    sleep(b, &disk.lock);

  r->b = 0;
  chain_free(d[0]);
  release(&disk.lock);
}

// Hand one completed chain back to the process waiting on it.
static void
complete(uint32 head)
{
  struct pending *r;

  if(head >= NDESC || disk.req[head].b == 0)
    panic("virtio_disk: completion for an unknown request");
  r = &disk.req[head];
  if(r->status != 0)
    panic("virtio_disk: device reported an I/O error");
  r->b->disk = 0;
  wakeup(r->b);
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
