// virtio.h: virtio-mmio (version 2) registers, split virtqueues, and the helpers (virtio.c) the disk and network drivers share.
#pragma once
#include "types.h"

// Section numbers are those of the virtio 1.1 specification (OASIS).
// Register offsets from the device base (4.2.2).
#define VIO_MAGIC            0x000   // reads "virt"
#define VIO_VERSION          0x004   // 2 for a modern device
#define VIO_DEVICE_ID        0x008   // 1 = network card, 2 = block device
#define VIO_DEV_FEATURES     0x010
#define VIO_DEV_FEATURES_SEL 0x014   // which 32-bit word DEV_FEATURES shows
#define VIO_DRV_FEATURES     0x020
#define VIO_DRV_FEATURES_SEL 0x024
#define VIO_QUEUE_SEL        0x030
#define VIO_QUEUE_NUM_MAX    0x034
#define VIO_QUEUE_NUM        0x038
#define VIO_QUEUE_READY      0x044
#define VIO_QUEUE_NOTIFY     0x050
#define VIO_INTR_STATUS      0x060
#define VIO_INTR_ACK         0x064
#define VIO_STATUS           0x070
#define VIO_QUEUE_DESC_LO    0x080
#define VIO_QUEUE_DESC_HI    0x084
#define VIO_QUEUE_AVAIL_LO   0x090   // "driver area" in the spec
#define VIO_QUEUE_AVAIL_HI   0x094
#define VIO_QUEUE_USED_LO    0x0a0   // "device area" in the spec
#define VIO_QUEUE_USED_HI    0x0a4
#define VIO_CONFIG_GEN       0x0fc   // changes while the device changes its config
#define VIO_CONFIG           0x100   // device-specific configuration space

#define VIO_MAGIC_VALUE   0x74726976
#define VIO_DEVID_NET     1
#define VIO_DEVID_BLOCK   2
#define VIO_DEVID_RNG     4

// QEMU virt has VIO_SLOTS virtio-mmio transports, one page apart from
// VIRTIO0, with PLIC sources VIRTIO0_IRQ upwards (memlayout.h).
#define VIO_SLOTS     8
#define VIO_SLOT_SIZE 0x1000

// Device status bits, set one by one during initialisation (2.1).
#define VIO_S_ACKNOWLEDGE 1
#define VIO_S_DRIVER      2
#define VIO_S_DRIVER_OK   4
#define VIO_S_FEATURES_OK 8
#define VIO_S_FAILED      128

// The modern (non-legacy) interface, feature bit 32 (6).  Every driver
// here asks for it; device-specific bits are the drivers' own.
#define VIO_F_VERSION_1 (1ULL << 32)

// InterruptStatus bits that must be acknowledged: a used buffer, a
// configuration change (4.2.2).
#define VIO_INTR_MASK 0x3

// ---- Split virtqueues (2.6): three areas in RAM that the driver and the
// device share.  The driver fills descriptors and offers chains of them in
// the available ring; the device hands finished chains back in the used
// ring.  Each ring's idx only ever grows (mod 2^16); entries are at idx % num.
#define VQ_DESC_NEXT  1   // the chain continues at `next`
#define VQ_DESC_WRITE 2   // the device writes this buffer (otherwise reads)

struct vq_desc {
  uint64 addr;
  uint32 len;
  uint16 flags;
  uint16 next;
};

#define VQ_AVAIL_NO_INTERRUPT 1   // avail.flags: the driver needs no interrupt (2.6.7)

struct vq_avail {
  uint16 flags;
  uint16 idx;              // where the driver puts the next entry
  uint16 ring[];           // heads of descriptor chains
};

struct vq_used_elem {
  uint32 id;               // head of the finished chain
  uint32 len;              // bytes the device wrote into it
};

#define VQ_USED_NO_NOTIFY 1       // used.flags: the device needs no notification (2.6.10)

struct vq_used {
  uint16 flags;
  uint16 idx;              // advanced by the device
  struct vq_used_elem ring[];
};

// The descriptor table fills one page, the two rings share another.
#define VQ_MAXNUM 256

// One virtqueue as a driver sees it.
struct virtq {
  uint64 base;             // the device's registers
  int index;               // queue number within the device
  uint16 num;              // descriptors (and ring entries)
  uint16 used_taken;       // used-ring entries already taken (vq_pop(), or the driver)
  struct vq_desc *desc;
  struct vq_avail *avail;
  struct vq_used *used;
};

// virtio.c.  The start-up calls return 0, or why they failed.
int  vio_is(uint64 base, uint32 devid);            // a modern device of this type?
const char *vio_start(uint64 base, uint64 *features);   // in: wanted, out: agreed
const char *vq_init(struct virtq *q, uint64 base, int index, int num);
void vio_config(uint64 base, int off, void *dst, int n);  // read device config
void vio_go(uint64 base);                           // DRIVER_OK: the device may run
void vio_fail(uint64 base);                         // give up on the device
void vio_intr_ack(uint64 base);
void vq_push(struct virtq *q, uint16 head);         // offer a chain
void vq_notify(struct virtq *q);                    // tell the device, if it listens
int  vq_pop(struct virtq *q, uint32 *len);          // a finished chain's head, or -1
int  vq_pending(struct virtq *q);                   // finished chains not yet popped?

// ---- virtio-blk request header, followed by data and a one-byte status.
#define VBLK_T_IN  0   // read from disk
#define VBLK_T_OUT 1   // write to disk
#define VBLK_SECTOR 512

struct vblk_hdr {
  uint32 type;
  uint32 reserved;
  uint64 sector;
};
