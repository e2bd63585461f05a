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

// The three rings share one page; the kernel maps RAM one-to-one, so the
// addresses we hand to the device are physical.
struct vq_area {
  struct vq_desc desc[VQ_SIZE];
  struct vq_avail avail;
  struct vq_used used;
};
_Static_assert(sizeof(struct vq_area) <= PGSIZE, "virtqueue must fit in one page");

// What the driver remembers about a request, indexed by its head descriptor.
struct pending {
  struct buf *b;
  struct vblk_hdr hdr;
  volatile uchar status;
};

static struct {
  struct spinlock lock;
  struct vq_area *vq;
  uchar busy[VQ_SIZE];          // descriptor is part of a live chain
  uint16 used_seen;             // used-ring entries already handled
  struct pending req[VQ_SIZE];
} disk;

static uint32
reg_read(int off)
{
  return *(volatile uint32 *)(KDEV(VIRTIO0) + off);
}

static void
reg_write(int off, uint32 v)
{
  *(volatile uint32 *)(KDEV(VIRTIO0) + off) = v;
}

// Store a 64-bit address into a LO/HI register pair.
static void
reg_write64(int lo_off, uint64 v)
{
  reg_write(lo_off, (uint32)v);
  reg_write(lo_off + 4, (uint32)(v >> 32));
}

// Accept the modern interface and nothing else.
static void
negotiate_features(void)
{
  reg_write(VIO_DEV_FEATURES_SEL, 1);
  if((reg_read(VIO_DEV_FEATURES) & VIO_F_VERSION_1_WORD1) == 0)
    panic("virtio_disk: device does not offer VIRTIO_F_VERSION_1");
  reg_write(VIO_DRV_FEATURES_SEL, 0);
  reg_write(VIO_DRV_FEATURES, 0);
  reg_write(VIO_DRV_FEATURES_SEL, 1);
  reg_write(VIO_DRV_FEATURES, VIO_F_VERSION_1_WORD1);
}

static void
setup_queue(void)
{
  reg_write(VIO_QUEUE_SEL, 0);
  if(reg_read(VIO_QUEUE_READY) != 0)
    panic("virtio_disk: queue 0 already in use");
  if(reg_read(VIO_QUEUE_NUM_MAX) < VQ_SIZE)
    panic("virtio_disk: queue 0 too small");

  disk.vq = kalloc();
  if(disk.vq == 0)
    panic("virtio_disk: no memory for the virtqueue");
  memset(disk.vq, 0, PGSIZE);

  reg_write(VIO_QUEUE_NUM, VQ_SIZE);
  reg_write64(VIO_QUEUE_DESC_LO, (uint64)disk.vq->desc);
  reg_write64(VIO_QUEUE_AVAIL_LO, (uint64)&disk.vq->avail);
  reg_write64(VIO_QUEUE_USED_LO, (uint64)&disk.vq->used);
  reg_write(VIO_QUEUE_READY, 1);
}

void
virtio_disk_init(void)
{
  uint32 status = 0;

  initlock(&disk.lock, "virtio_disk");
  if(reg_read(VIO_MAGIC) != VIO_MAGIC_VALUE || reg_read(VIO_VERSION) != 2 ||
     reg_read(VIO_DEVICE_ID) != VIO_DEVID_BLOCK)
    panic("virtio_disk: no modern virtio-blk at VIRTIO0 (need force-legacy=false and a drive)");

  // Initialisation order required by the spec: reset, announce ourselves,
  // agree on features, build the queue, then go live.
  reg_write(VIO_STATUS, status);
  status |= VIO_S_ACKNOWLEDGE;
  reg_write(VIO_STATUS, status);
  status |= VIO_S_DRIVER;
  reg_write(VIO_STATUS, status);

  negotiate_features();
  status |= VIO_S_FEATURES_OK;
  reg_write(VIO_STATUS, status);
  if((reg_read(VIO_STATUS) & VIO_S_FEATURES_OK) == 0)
    panic("virtio_disk: device rejected our features");

  setup_queue();
  status |= VIO_S_DRIVER_OK;
  reg_write(VIO_STATUS, status);
}

// Reserve REQ_DESCS descriptors into d[]; all or nothing.  Caller holds disk.lock.
static int
chain_alloc(int *d)
{
  int got = 0;

  for(int i = 0; i < VQ_SIZE && got < REQ_DESCS; i++)
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
    struct vq_desc *dp = &disk.vq->desc[i];
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
  struct vq_desc *dp = &disk.vq->desc[i];

  dp->addr = (uint64)addr;
  dp->len = len;
  dp->flags = flags;
  dp->next = 0;
  if(next >= 0){
    dp->flags |= VQ_DESC_NEXT;
    dp->next = next;
  }
}

// Offer a chain to the device and ring its doorbell.
static void
submit(int head)
{
  struct vq_avail *av = &disk.vq->avail;

  av->ring[av->idx % VQ_SIZE] = head;
  __sync_synchronize();   // the ring entry must be visible before the index
  av->idx++;
  __sync_synchronize();
  reg_write(VIO_QUEUE_NOTIFY, 0);
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
  submit(d[0]);
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

  if(head >= VQ_SIZE || disk.req[head].b == 0)
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
  volatile uint16 *used_idx;

  acquire(&disk.lock);
  // Acknowledge first: a completion arriving while we drain the ring then
  // raises a fresh interrupt instead of being lost.
  reg_write(VIO_INTR_ACK, reg_read(VIO_INTR_STATUS) & VIO_INTR_MASK);
  __sync_synchronize();

  used_idx = &disk.vq->used.idx;
  while(disk.used_seen != *used_idx){
    __sync_synchronize();   // read the entry only after seeing the index move
    complete(disk.vq->used.ring[disk.used_seen % VQ_SIZE].id);
    disk.used_seen++;
  }
  release(&disk.lock);
}
