// virtio.c: what the virtio-mmio drivers (disk, network card) share: registers, start-up, split virtqueues.
#include "types.h"
#include "param.h"
#include "riscv.h"
#include "spinlock.h"
#include "virtio.h"
#include "defs.h"

_Static_assert(VQ_MAXNUM * sizeof(struct vq_desc) <= PGSIZE,
               "the descriptor table must fit in one page");

// The used ring follows the available ring (with its trailing used_event
// word) in the second page, 4-byte aligned (2.6).
#define USED_OFFSET(num) ((sizeof(struct vq_avail) + 2 * (num) + 2 + 3) & ~3UL)
_Static_assert(USED_OFFSET(VQ_MAXNUM) + sizeof(struct vq_used) +
               VQ_MAXNUM * sizeof(struct vq_used_elem) + 2 <= PGSIZE,
               "the two rings must fit in one page");

static uint32
vio_read(uint64 base, int off)
{
  return *(volatile uint32 *)(base + off);
}

static void
vio_write(uint64 base, int off, uint32 v)
{
  *(volatile uint32 *)(base + off) = v;
}

// Store a 64-bit address into a LO/HI register pair.
static void
vio_write64(uint64 base, int lo_off, uint64 v)
{
  vio_write(base, lo_off, (uint32)v);
  vio_write(base, lo_off + 4, (uint32)(v >> 32));
}

static void
vio_set_status(uint64 base, uint32 bits)
{
  vio_write(base, VIO_STATUS, vio_read(base, VIO_STATUS) | bits);
}

int
vio_is(uint64 base, uint32 devid)
{
  return vio_read(base, VIO_MAGIC) == VIO_MAGIC_VALUE && vio_read(base, VIO_VERSION) == 2 &&
         vio_read(base, VIO_DEVICE_ID) == devid;
}

// The start of the initialisation sequence (3.1.1): reset, announce a
// driver, agree on features.  *features holds the bits the driver wants
// and, on success, the ones both sides now use; VERSION_1 is required.
// The driver then sets up its queues and calls vio_go().
const char *
vio_start(uint64 base, uint64 *features)
{
  uint64 offered;

  vio_write(base, VIO_STATUS, 0);
  vio_set_status(base, VIO_S_ACKNOWLEDGE);
  vio_set_status(base, VIO_S_DRIVER);

  vio_write(base, VIO_DEV_FEATURES_SEL, 0);
  offered = vio_read(base, VIO_DEV_FEATURES);
  vio_write(base, VIO_DEV_FEATURES_SEL, 1);
  offered |= (uint64)vio_read(base, VIO_DEV_FEATURES) << 32;
  if((offered & VIO_F_VERSION_1) == 0)
    return "the device does not offer VIRTIO_F_VERSION_1";
  *features &= offered;
  vio_write(base, VIO_DRV_FEATURES_SEL, 0);
  vio_write(base, VIO_DRV_FEATURES, (uint32)*features);
  vio_write(base, VIO_DRV_FEATURES_SEL, 1);
  vio_write(base, VIO_DRV_FEATURES, (uint32)(*features >> 32));

  vio_set_status(base, VIO_S_FEATURES_OK);
  if((vio_read(base, VIO_STATUS) & VIO_S_FEATURES_OK) == 0)
    return "the device rejected our features";
  return 0;
}

// Allocate queue `index` of the device at base with num descriptors (a
// power of two, at most VQ_MAXNUM) and tell the device where it is
// (4.2.3.2).  The kernel maps RAM one-to-one, so the addresses the device
// gets are physical.
const char *
vq_init(struct virtq *q, uint64 base, int index, int num)
{
  char *rings;

  vio_write(base, VIO_QUEUE_SEL, index);
  if(vio_read(base, VIO_QUEUE_READY) != 0)
    return "queue already in use";
  if(vio_read(base, VIO_QUEUE_NUM_MAX) < num || num > VQ_MAXNUM)
    return "queue too small";
  q->desc = kalloc();
  rings = kalloc();
  if(q->desc == 0 || rings == 0){
    if(q->desc)
      kfree(q->desc);
    if(rings)
      kfree(rings);
    return "no memory for a virtqueue";
  }
  memset(q->desc, 0, PGSIZE);
  memset(rings, 0, PGSIZE);
  q->avail = (struct vq_avail *)rings;
  q->used = (struct vq_used *)(rings + USED_OFFSET(num));
  q->base = base;
  q->index = index;
  q->num = num;
  q->used_taken = 0;

  vio_write(base, VIO_QUEUE_NUM, num);
  vio_write64(base, VIO_QUEUE_DESC_LO, (uint64)q->desc);
  vio_write64(base, VIO_QUEUE_AVAIL_LO, (uint64)q->avail);
  vio_write64(base, VIO_QUEUE_USED_LO, (uint64)q->used);
  vio_write(base, VIO_QUEUE_READY, 1);
  return 0;
}

// n bytes of configuration space from offset off.  The device may change
// it while we read, so read again until the generation stays put (2.4.1).
void
vio_config(uint64 base, int off, void *dst, int n)
{
  uint32 gen;

  do {
    gen = vio_read(base, VIO_CONFIG_GEN);
    for(int i = 0; i < n; i++)
      ((uchar *)dst)[i] = *(volatile uchar *)(base + VIO_CONFIG + off + i);
  } while(gen != vio_read(base, VIO_CONFIG_GEN));
}

void
vio_go(uint64 base)
{
  vio_set_status(base, VIO_S_DRIVER_OK);
}

void
vio_fail(uint64 base)
{
  vio_set_status(base, VIO_S_FAILED);
}

// Acknowledge whatever the device raised; a completion that arrives after
// this raises a fresh interrupt instead of being lost.  Both causes are
// acknowledged without reading InterruptStatus first: a bit that is not
// set is left alone, and each register access is a trip out of the guest.
void
vio_intr_ack(uint64 base)
{
  vio_write(base, VIO_INTR_ACK, VIO_INTR_MASK);
  __sync_synchronize();
}

// Offer the chain that starts at descriptor head (2.6.13.2-3): the ring
// entry first, and only after a barrier the index that makes it the
// device's; the device may look at any moment.  The device is not told:
// see vq_notify().
void
vq_push(struct virtq *q, uint16 head)
{
  q->avail->ring[q->avail->idx % q->num] = head;
  __sync_synchronize();
  q->avail->idx++;
}

// Tell the device that there are new chains (2.6.13.4), unless it said it
// is looking anyway (2.6.10): each notification is a register write, which
// under QEMU is a trip out of the guest.
void
vq_notify(struct virtq *q)
{
  __sync_synchronize();   // idx is out before we read the device's flag
  if((*(volatile uint16 *)&q->used->flags & VQ_USED_NO_NOTIFY) == 0)
    vio_write(q->base, VIO_QUEUE_NOTIFY, q->index);
}

int
vq_pending(struct virtq *q)
{
  return q->used_taken != *(volatile uint16 *)&q->used->idx;
}

// The head of the next chain the device has finished with (2.6.14), and in
// *len how many bytes it wrote there; -1 if there is none.  A head out of
// range (the device's mistake) comes back as q->num, for the caller to skip.
int
vq_pop(struct virtq *q, uint32 *len)
{
  struct vq_used_elem *e;

  if(!vq_pending(q))
    return -1;
  __sync_synchronize();   // read the entry only after the index that covers it
  e = &q->used->ring[q->used_taken % q->num];
  q->used_taken++;
  *len = e->len;
  return e->id < q->num ? e->id : q->num;
}
