// virtio.h: virtio-mmio (version 2) registers and split-virtqueue layout for the block driver.
#pragma once
#include "types.h"

// Register offsets from the device base (virtio spec 1.1, section 4.2.2).
#define VIO_MAGIC            0x000   // reads "virt"
#define VIO_VERSION          0x004   // 2 for a modern device
#define VIO_DEVICE_ID        0x008   // 2 = block device
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

#define VIO_MAGIC_VALUE   0x74726976
#define VIO_DEVID_BLOCK   2

// Device status bits, set one by one during initialisation.
#define VIO_S_ACKNOWLEDGE 1
#define VIO_S_DRIVER      2
#define VIO_S_DRIVER_OK   4
#define VIO_S_FEATURES_OK 8

// The only feature we ask for: the modern (non-legacy) interface, bit 32,
// i.e. bit 0 of feature word 1.  Indirect descriptors, event index and all
// block-specific extras stay off.
#define VIO_F_VERSION_1_WORD1 (1u << 0)

// InterruptStatus bits that must be acknowledged.
#define VIO_INTR_MASK 0x3

// Split virtqueue structures; the device reads and writes them in RAM.
#define VQ_DESC_NEXT  1   // the chain continues at `next`
#define VQ_DESC_WRITE 2   // the device writes this buffer (otherwise reads)

struct vq_desc {
  uint64 addr;
  uint32 len;
  uint16 flags;
  uint16 next;
};

#define VQ_SIZE 8   // descriptors in queue 0

struct vq_avail {
  uint16 flags;
  uint16 idx;              // where the driver puts the next entry
  uint16 ring[VQ_SIZE];    // heads of descriptor chains
};

struct vq_used_elem {
  uint32 id;               // head of the finished chain
  uint32 len;
};

struct vq_used {
  uint16 flags;
  uint16 idx;              // advanced by the device
  struct vq_used_elem ring[VQ_SIZE];
};

// virtio-blk request header, followed by data and a one-byte status.
#define VBLK_T_IN  0   // read from disk
#define VBLK_T_OUT 1   // write to disk
#define VBLK_SECTOR 512

struct vblk_hdr {
  uint32 type;
  uint32 reserved;
  uint64 sector;
};
