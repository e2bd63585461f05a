// virtio_net.c: driver for QEMU's virtio-net card: virtio 1.x over virtio-mmio, one receive and one transmit queue.
//
// As with the e1000, the driver and the card share rings in memory, but
// here they are virtqueues (virtio.h): the driver offers buffers in an
// available ring, the card hands them back, filled or sent, in a used
// ring.  A register write (a notification) wakes the card and an interrupt
// wakes the driver, and each side may tell the other to hold those back.
// The specification is "Virtual I/O Device (VIRTIO) Version 1.1" (OASIS);
// the section numbers below are its own: 2.6 split virtqueues, 3.1 start-
// up, 4.2 the MMIO transport, 5.1 the network device.
//
// Transport: virtio-mmio, like the disk.  QEMU's virt machine has eight
// virtio-mmio slots, which the kernel maps already, and the start-up
// handshake and the queue code are the disk's (virtio.c).  virtio-pci
// would add BAR assignment and a walk of the PCI capability list to find
// the same registers, and teach nothing more about the rings.
//
// Features (5.1.3): VERSION_1 (the modern interface), MAC (the card's
// address is in configuration space) and STATUS (so is its link state).
// Nothing else: no checksum or segmentation offloads (the stack sends
// complete, checksummed frames, as it does to the e1000), no MRG_RXBUF
// (each receive buffer holds a whole frame), no control queue (so the
// card filters nothing: eth_input() drops frames that are not ours), no
// EVENT_IDX (the ring flags are enough to hold back interrupts and
// notifications).
//
// The functions you write (`make handout LAB=virtio`): virtio_net_rx_fill(),
// tx_reclaim() with virtio_net_transmit(), and virtio_net_recv(); the rest
// is set-up.  The disk's driver offers and takes one chain at a time with
// vq_push() and vq_pop() (virtio.c); this one does both steps itself, a
// batch at a time (one barrier and one index store for every frame a pass
// gives back), and those steps are what the assignment is about.
#include "net.h"
#include "memlayout.h"
#include "virtio.h"

#define RX_QUEUE 0   // queue numbers (5.1.2)
#define TX_QUEUE 1

// A receive buffer is an mbuf per descriptor.  QEMU's user network queues
// frames while the receive queue is empty rather than drop them, but the
// fewer times it has to, the better: 256, QEMU's largest queue.
#define RX_NUM 256
// Frames in flight on transmit, each a chain of two descriptors (header,
// frame): as many as the queue holds.  QEMU sends from its own thread, a
// moment after the notification (or, with tx=timer, on its timer), so a
// guest sending flat out needs more slots than the e1000, which QEMU sends
// from during the TDT write.
#define TX_SLOTS 128
#define TX_NUM (2 * TX_SLOTS)

#define VNET_F_MAC    (1ULL << 5)
#define VNET_F_STATUS (1ULL << 16)
#define VNET_CONFIG_MAC    0   // configuration space (5.1.4)
#define VNET_CONFIG_STATUS 6
#define VNET_S_LINK_UP     1

// How long virtio_net_settle() waits for the card to finish sending.
#define SETTLE_WAIT_US 1000

// The longest frame taken, as the e1000 takes it: a VLAN-tagged one
// without FCS.  Longer ones fit our buffers, but are not Ethernet.
#define VNET_MAXFRAME 1522

// With VERSION_1 every frame, sent or received, comes after this header
// (5.1.6).  All zero on transmit: no offload is asked for.  On receive the
// card fills it in, and without offloads there is nothing in it for us.
struct vnet_hdr {
  uchar  flags;
  uchar  gso_type;
  ushort hdr_len;
  ushort gso_size;
  ushort csum_start;
  ushort csum_offset;
  ushort num_buffers;
} PACKED;
#define VNET_HDRLEN sizeof(struct vnet_hdr)
_Static_assert(VNET_HDRLEN == 12, "virtio_net_hdr is 12 bytes with VERSION_1");
_Static_assert(VNET_HDRLEN <= MBUF_HEADROOM, "the header goes in an mbuf's headroom");

static uint64 base;                     // the card's registers
static struct spinlock vnet_lock;       // the transmit queue, and the counts below
static struct virtq rxq, txq;
static struct mbuf *rx_mbufs[RX_NUM];   // the buffer of each receive descriptor
static struct mbuf *tx_mbufs[TX_SLOTS]; // the frame each slot is sending, 0 if free
static uint tx_next;                    // the next slot to fill
static struct vnet_hdr tx_hdr;          // every frame's header: the card only reads it
static uint16 rx_used_counted, tx_used_counted;   // see card_counts()

// The functions you write stay functions of their own in kernel/virtio_net.o
// (gcc would otherwise fold a static function into its caller), so that the
// grader can look for the barriers and the notification in each.
#define OWN_CODE __attribute__((noinline))

// A transmit slot's two descriptors: the header's, which heads the chain
// the card hands back, and the frame's after it.
static inline uint16 tx_head_desc(uint slot) { return 2 * slot; }
static inline uint16 tx_frame_desc(uint slot) { return 2 * slot + 1; }
// The slot whose chain descriptor id heads.
static inline uint tx_slot_of(uint id) { return id / 2; }

// Put receive descriptor i, with buffer m, in the available ring at index
// idx, and return the index after it: the frame is to land at m->head and
// its header in the headroom just before (5.1.6.3).  Nothing is published
// yet: the card sees the entry only once avail->idx passes it.  (Marked
// unused: in the handout nothing calls it until you do.)
static __attribute__((unused)) uint16
rx_give(uint16 idx, int i, struct mbuf *m)
{
  struct vq_desc *d = &rxq.desc[i];

  rx_mbufs[i] = m;
  d->addr = (uint64)(m->head - VNET_HDRLEN);
  d->len = VNET_HDRLEN + mbuf_tailroom(m);
  d->flags = VQ_DESC_WRITE;
  rxq.avail->ring[idx % RX_NUM] = i;
  return idx + 1;
}

// Fill the receive queue: one mbuf for every descriptor, all of them
// offered to the card (rx_give(), then one barrier and avail->idx); 0, or
// -1 if memory runs out, with nothing kept and nothing offered.  Runs once,
// from virtio_net_attach(), before DRIVER_OK: no lock, and no notification
// (3.1.1).  The steps: LAB.md (the virtio lab), "What to write"; the
// barrier: "The barriers".
static OWN_CODE int
virtio_net_rx_fill(void)
{
  // >>> solution
  uint16 idx = rxq.avail->idx;

  for(int i = 0; i < RX_NUM; i++){
    if((rx_mbufs[i] = mbuf_alloc()) == 0){
      while(--i >= 0)
        mbuf_free(rx_mbufs[i]);
      return -1;
    }
  }
  for(int i = 0; i < RX_NUM; i++)
    idx = rx_give(idx, i, rx_mbufs[i]);
  __sync_synchronize();   // the entries are out before the index that covers them
  rxq.avail->idx = idx;
  return 0;
  // === stub
  // // Your code here.
  // return 0;
  // <<< solution
}

// Free the frames the card has finished sending: each used entry's chain
// head names a slot (tx_slot_of()), whose mbuf is freed and the slot made
// free; an entry that names no busy slot is skipped.  Caller holds
// vnet_lock.  The used ring: 2.6.8 and 2.6.14.  The steps: LAB.md (the
// virtio lab), "What to write"; the barrier: "The barriers".
static OWN_CODE void
tx_reclaim(void)
{
  // >>> solution
  struct vq_used_elem *e;
  uint slot;

  while(vq_pending(&txq)){
    __sync_synchronize();   // the entry only after the index that covers it
    e = &txq.used->ring[txq.used_taken++ % TX_NUM];
    slot = tx_slot_of(e->id);
    if(e->id >= TX_NUM || e->id != tx_head_desc(slot) || tx_mbufs[slot] == 0)
      continue;
    mbuf_free(tx_mbufs[slot]);
    tx_mbufs[slot] = 0;
  }
  // === stub
  // // Your code here.
  // <<< solution
}

// Queue the frame in m (m->len bytes at m->head) for sending, in slot
// tx_next's chain (tx_head_desc(), tx_frame_desc(); 5.1.6.2), and notify
// the card.  0: the driver owns m, and tx_reclaim() frees it once the card
// has sent it; -1: every slot is still busy, and m stays the caller's.  Any
// hart may call it: hold vnet_lock throughout.  The steps: LAB.md (the
// virtio lab), "What to write"; the barrier and the notification: "The
// barriers" and "Notifications".
static OWN_CODE int
virtio_net_transmit(struct mbuf *m)
{
  // >>> solution
  struct vq_desc *d;
  uint slot;
  uint16 idx;

  acquire(&vnet_lock);
  tx_reclaim();
  slot = tx_next;
  if(tx_mbufs[slot]){
    release(&vnet_lock);
    return -1;
  }
  tx_mbufs[slot] = m;
  d = &txq.desc[tx_frame_desc(slot)];
  d->addr = (uint64)m->head;
  d->len = m->len;
  idx = txq.avail->idx;
  txq.avail->ring[idx % TX_NUM] = tx_head_desc(slot);
  __sync_synchronize();   // descriptor and entry are out before the index
  txq.avail->idx = idx + 1;
  vq_notify(&txq);
  tx_next = (slot + 1) % TX_SLOTS;
  release(&vnet_lock);
  return 0;
  // === stub
  // // Your code here.
  // return -1;
  // <<< solution
}

// Pass every frame the card has received to the network stack, and give
// each descriptor back (rx_give()) with a fresh mbuf, or with its own if
// the frame is dropped (rx_desc_errors, rx_oversize, rx_no_mbuf); then
// publish them and notify the card.  eth_input() owns each frame passed
// to it.  Only virtio_net_intr() calls this, on the one hart that takes
// device interrupts (plic.c): the receive queue needs no lock, and
// vnet_lock must not be held around eth_input().  The used ring: 2.6.14,
// 5.1.6.4.  The steps: LAB.md (the virtio lab), "What to write"; the
// barriers and the notification: "The barriers" and "Notifications".
static OWN_CODE void
virtio_net_recv(void)
{
  // >>> solution
  struct vq_used_elem *e;
  struct mbuf *m, *fresh;
  uint16 idx = rxq.avail->idx;
  uint32 len;

  while(vq_pending(&rxq)){
    __sync_synchronize();   // the entry only after the index that covers it
    e = &rxq.used->ring[rxq.used_taken++ % RX_NUM];
    if(e->id >= RX_NUM){
      netstat_inc(rx_desc_errors);   // not ours to give back
      continue;
    }
    m = rx_mbufs[e->id];
    len = e->len;
    if(len < VNET_HDRLEN){
      netstat_inc(rx_desc_errors);
      idx = rx_give(idx, e->id, m);
    } else if(len - VNET_HDRLEN > VNET_MAXFRAME){
      netstat_inc(rx_oversize);
      idx = rx_give(idx, e->id, m);
    } else if((fresh = mbuf_alloc()) == 0){
      netstat_inc(rx_no_mbuf);
      idx = rx_give(idx, e->id, m);
    } else {
      m->len = len - VNET_HDRLEN;
      idx = rx_give(idx, e->id, fresh);
      eth_input(m);
    }
  }
  __sync_synchronize();   // the entries are out before the index
  rxq.avail->idx = idx;
  vq_notify(&rxq);
  // === stub
  // // Your code here.
  // <<< solution
}

// The card's own counts, from its used rings: every chain it hands back is
// a frame sent or received, and what it has been offered but not used yet
// is what it can still receive into.  Counted here, outside the functions
// of the assignment, so that what nettests concludes from these counters
// does not depend on the code it tests.  Called at every clock tick and by
// netinfo(), far more often than the 16-bit indexes wrap.
static void
card_counts(void)
{
  uint16 rx, tx;

  // The indexes are read under the lock: a caller on another hart that
  // read them earlier but counted later would count backwards.
  acquire(&vnet_lock);
  rx = *(volatile uint16 *)&rxq.used->idx;
  tx = *(volatile uint16 *)&txq.used->idx;
  netstat_add(rx_card_packets, (uint16)(rx - rx_used_counted));
  netstat_add(tx_card_packets, (uint16)(tx - tx_used_counted));
  rx_used_counted = rx;
  tx_used_counted = tx;
  __atomic_store_n(&netstats.rx_card_buffers, (uint16)(rxq.avail->idx - rx), __ATOMIC_RELAXED);
  release(&vnet_lock);
}

// Drain the receive queue with its interrupt held back (2.6.7): each
// would be a trap the loop does not need.  Once the queue looks empty,
// interrupts go back on, and only then the last look: a frame that came in
// between raised no interrupt and would otherwise wait for the next one.
// A virtio_net_recv() that took nothing (not written yet) ends the loop.
static void
virtio_net_intr(void)
{
  uint16 seen;

  vio_intr_ack(base);   // a link change needs nothing more
  do {
    seen = rxq.used_taken;
    rxq.avail->flags = VQ_AVAIL_NO_INTERRUPT;
    virtio_net_recv();
    rxq.avail->flags = 0;
    __sync_synchronize();   // interrupts are on before the last look
  } while(rxq.used_taken != seen && vq_pending(&rxq));
}

// For netinfo(), and after the DHCP client's sends: the card's counts, and
// the mbufs of frames already sent are freed now, so that a quiet
// interface holds exactly RX_NUM mbufs and leak checks can compare counts.
// QEMU sends from a thread of its own a moment after the notification, so
// first wait a little for frames still in flight.
static void
virtio_net_settle(void)
{
  uint64 until = net_usec() + SETTLE_WAIT_US;

  while(*(volatile uint16 *)&txq.used->idx != txq.avail->idx && net_usec() < until)
    ;
  card_counts();
  acquire(&vnet_lock);
  tx_reclaim();
  release(&vnet_lock);
}

// Every clock tick: the card's counts, and free the frames sent since.  No
// interrupt tells of them (tx_init()), and the last frame before a quiet
// spell would otherwise keep its mbuf until the next one is sent.
static void
virtio_net_tick(void)
{
  card_counts();
  if(vq_pending(&txq)){
    acquire(&vnet_lock);
    tx_reclaim();
    release(&vnet_lock);
  }
}

// The slot of the chain that the available-ring entry at index k heads:
// a descriptor on receive, tx_slot_of() it on transmit.
static int
avail_slot(struct virtq *q, uint16 k)
{
  uint id = q->avail->ring[k % q->num];

  return q == &txq ? tx_slot_of(id) % TX_SLOTS : id % RX_NUM;
}

// One queue's part of a ringinfo snapshot: its indices, and in map the
// slots the card holds (the entries from used->idx up to avail->idx).
// Returns the slot the card takes next, or -1 if it holds none.
static int
card_holds(struct virtq *q, uchar *map, int *avail, int *used)
{
  uint16 u = *(volatile uint16 *)&q->used->idx, a = q->avail->idx;
  int n = (uint16)(a - u);

  *avail = a;
  *used = u;
  for(int k = 0; k < n && k < q->num; k++)
    ringinfo_mark(map, avail_slot(q, u + k));
  return n ? avail_slot(q, u) : -1;
}

// A snapshot of both queues for ringinfo() (httpd's /net page draws it).
// It only reads, so a queue in motion may be a little ahead of it.
static void
virtio_net_ringinfo(struct ringinfo *ri)
{
  _Static_assert(RX_NUM <= RINGINFO_MAXSLOTS && TX_SLOTS <= RINGINFO_MAXSLOTS,
                 "ringinfo too small for the queues");
  memset(ri, 0, sizeof(*ri));
  ri->present = 1;
  ri->kind = RING_VIRTIO;
  acquire(&vnet_lock);
  ri->tx_size = TX_SLOTS;
  ri->tx_head = card_holds(&txq, ri->tx_dd, &ri->tx_avail, &ri->tx_used);
  ri->tx_tail = tx_next;
  release(&vnet_lock);
  ri->rx_size = RX_NUM;
  ri->rx_head = card_holds(&rxq, ri->rx_dd, &ri->rx_avail, &ri->rx_used);
  ri->rx_tail = -1;
}

static const struct netdev virtio_netdev = {
  .name = "virtio-net",
  .ringinfo = virtio_net_ringinfo,
  .transmit = virtio_net_transmit,
  .settle = virtio_net_settle,
  .intr = virtio_net_intr,
  .tick = virtio_net_tick,
};

// Chain each slot's two descriptors for good, mark every slot free, and ask
// for no transmit interrupts: sent frames are reclaimed by the next transmit
// or the next clock tick.
static void
tx_init(void)
{
  for(int s = 0; s < TX_SLOTS; s++){
    struct vq_desc *hd = &txq.desc[tx_head_desc(s)];

    hd->addr = (uint64)&tx_hdr;
    hd->len = VNET_HDRLEN;
    hd->flags = VQ_DESC_NEXT;
    hd->next = tx_frame_desc(s);
    txq.desc[tx_frame_desc(s)].flags = 0;   // the card reads the frame
    tx_mbufs[s] = 0;
  }
  txq.avail->flags = VQ_AVAIL_NO_INTERRUPT;
  tx_next = 0;
}

// Start the card in virtio-mmio slot `slot` (3.1.1, 5.1.5), or say why not.
static void
virtio_net_attach(int slot)
{
  uint64 features = VIO_F_VERSION_1 | VNET_F_MAC | VNET_F_STATUS;
  ushort status = VNET_S_LINK_UP;   // without STATUS, the link is up (5.1.4)
  uchar mac[ETH_ALEN];
  int irq = VIRTIO0_IRQ + slot;
  const char *err;

  base = KDEV(VIRTIO0) + slot * VIO_SLOT_SIZE;
  initlock(&vnet_lock, "virtio_net");
  if((err = vio_start(base, &features)) == 0 && (features & VNET_F_MAC) == 0)
    err = "no MAC address in configuration space (VIRTIO_NET_F_MAC)";
  if(err == 0)
    err = vq_init(&rxq, base, RX_QUEUE, RX_NUM);
  if(err == 0)
    err = vq_init(&txq, base, TX_QUEUE, TX_NUM);
  if(err == 0 && virtio_net_rx_fill() < 0)
    err = "no memory for receive buffers";
  if(err){
    vio_fail(base);
    printf("virtio-net: slot %d: %s; networking is off\n", slot, err);
    return;
  }
  tx_init();
  vio_config(base, VNET_CONFIG_MAC, mac, ETH_ALEN);
  if(features & VNET_F_STATUS)
    vio_config(base, VNET_CONFIG_STATUS, &status, sizeof(status));
  vio_go(base);
  vq_notify(&rxq);   // the receive buffers, now that the card may look
  printf("virtio-net: slot %d: virtio 1.x network card, registers at %p, irq %d, link %s\n",
         slot, (void *)(VIRTIO0 + slot * VIO_SLOT_SIZE), irq,
         (status & VNET_S_LINK_UP) ? "up" : "down");
  net_dev = &virtio_netdev;
  net_irq = irq;
  plic_enable(irq);
  net_start(mac);
}

// Called on hart 0, when there is no e1000, before plicinithart().
void
virtio_net_init(void)
{
  for(int slot = 0; slot < VIO_SLOTS; slot++){
    if(vio_is(KDEV(VIRTIO0) + slot * VIO_SLOT_SIZE, VIO_DEVID_NET)){
      virtio_net_attach(slot);
      return;
    }
  }
  printf("virtio-net: no card in the virtio-mmio slots; networking is off\n");
}
