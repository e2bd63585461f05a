// e1000.c: driver for the Intel 82540EM network card (e1000) that QEMU emulates.
//
// The device and the driver share two rings of descriptors in memory: one
// for frames to send, one for buffers to receive into.  Each ring has a
// head, which the device advances as it works, and a tail, which the
// driver advances to hand it more work.  The manual (Intel 8254x Software
// Developer's Manual, document 317453) explains the rings in 3.2 and 3.4,
// the registers in chapter 13 and the start-up sequence in chapter 14;
// e1000_dev.h names every register and bit with its section.
//
// You write e1000_transmit() and e1000_recv(); everything else is done.
#include "net.h"
#include "e1000_dev.h"

// Ring sizes: multiples of 8, since a ring's length in bytes must be a
// multiple of 128 (3.4).  QEMU's user-mode network hands the e1000 a burst
// of datagrams from the host all at once, and whatever finds the receive
// ring full is lost (counted in rx_missed): the ring is sized so that
// nettests' burst of 257 datagrams arrives whole.  QEMU sends a frame
// during the write to TDT, so a transmit slot is free again almost at
// once: 32 is plenty.
#define TX_RING_SIZE 32
#define RX_RING_SIZE 256

// Throttle interrupts to one per 128 us (ITR counts 256 ns units).  QEMU
// enforces that window after every interrupt anyway, so this costs nothing
// there and bounds the interrupt rate on real hardware.  Longer windows
// put more frames in each interrupt, but every request of a sequential
// exchange waits for the window, so the RTT grows with it (bench/README.md).
// RDTR stays 0 (below): QEMU does not implement its timer, and RADV
// counts only when RDTR is set.
#define E1000_ITR_INTERVAL 500

static struct spinlock e1000_lock;   // the transmit ring
static volatile uint32 *regs;        // BAR0, mapped by the kernel page table

static struct tx_desc tx_ring[TX_RING_SIZE] __attribute__((aligned(16)));
static struct mbuf *tx_mbufs[TX_RING_SIZE];   // what each slot sent last
static uint tx_next;                          // next slot to fill: our copy of TDT

static struct rx_desc rx_ring[RX_RING_SIZE] __attribute__((aligned(16)));
static struct mbuf *rx_mbufs[RX_RING_SIZE];   // the buffer each slot fills

_Static_assert(sizeof(tx_ring) % 128 == 0 && sizeof(rx_ring) % 128 == 0,
               "ring lengths must be multiples of 128 bytes");

static uint32
rd(uint reg)
{
  return regs[reg / 4];
}

static void
wr(uint reg, uint32 val)
{
  regs[reg / 4] = val;
}

// Global reset, then link up (14.3).  Interrupts stay masked until the
// rings are ready.
static void
e1000_reset(void)
{
  wr(E1000_IMC, E1000_INT_ALL);
  wr(E1000_CTRL, rd(E1000_CTRL) | E1000_CTRL_RST);
  while(rd(E1000_CTRL) & E1000_CTRL_RST)
    ;
  wr(E1000_IMC, E1000_INT_ALL);   // the reset may have unmasked some
  wr(E1000_CTRL, rd(E1000_CTRL) | E1000_CTRL_SLU | E1000_CTRL_ASDE);
}

// The address the device was configured with (QEMU loads it into receive
// address 0 at reset); then mark the entry valid so unicast frames to it
// pass the filter.
static void
e1000_read_mac(uchar *mac)
{
  uint32 lo = rd(E1000_RAL0), hi = rd(E1000_RAH0);

  for(int i = 0; i < 4; i++)
    mac[i] = lo >> (8 * i);
  mac[4] = hi;
  mac[5] = hi >> 8;
  wr(E1000_RAH0, hi | E1000_RAH_AV);
}

// Transmit set-up (14.5).  Every slot starts with DD set: free to use.
static void
e1000_tx_init(void)
{
  memset(tx_ring, 0, sizeof(tx_ring));
  for(int i = 0; i < TX_RING_SIZE; i++)
    tx_ring[i].status = E1000_TXD_STAT_DD;
  wr(E1000_TDBAL, (uint64)tx_ring);
  wr(E1000_TDBAH, (uint64)tx_ring >> 32);
  wr(E1000_TDLEN, sizeof(tx_ring));
  wr(E1000_TDH, 0);
  wr(E1000_TDT, 0);
  tx_next = 0;
  wr(E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP |
                 (E1000_TCTL_CT_VALUE << E1000_TCTL_CT_SHIFT) |
                 (E1000_TCTL_COLD_FULL << E1000_TCTL_COLD_SHIFT));
  wr(E1000_TIPG, E1000_TIPG_IPGT | E1000_TIPG_IPGR1 | E1000_TIPG_IPGR2);
}

// Give every receive slot an mbuf; -1 (and nothing allocated) if memory ran out.
static int
e1000_rx_buffers(void)
{
  for(int i = 0; i < RX_RING_SIZE; i++){
    if((rx_mbufs[i] = mbuf_alloc()) == 0){
      while(--i >= 0)
        mbuf_free(rx_mbufs[i]);
      return -1;
    }
    rx_ring[i].addr = (uint64)rx_mbufs[i]->head;
  }
  return 0;
}

// Receive set-up (14.4).  The device owns the slots from RDH up to, but
// not including, RDT (3.2.6): starting with RDH = 0 and RDT = N-1 gives it
// all but one.  RCTL is written once, last: in QEMU every write to it
// stalls reception for a second.
static void
e1000_rx_init(void)
{
  wr(E1000_RDBAL, (uint64)rx_ring);
  wr(E1000_RDBAH, (uint64)rx_ring >> 32);
  wr(E1000_RDLEN, sizeof(rx_ring));
  wr(E1000_RDH, 0);
  wr(E1000_RDT, RX_RING_SIZE - 1);
  for(int i = 0; i < E1000_MTA_WORDS; i++)
    wr(E1000_MTA + 4 * i, 0);                    // no multicast groups
  wr(E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM |   // ARP needs broadcast
                 E1000_RCTL_BSIZE_2048 | E1000_RCTL_SECRC);
}

// Interrupt on received frames (RXT0), and when free receive slots run low
// or out, which only happens if we fall behind.  No transmit interrupt:
// e1000_transmit() reclaims a slot when it comes round to it again.
static void
e1000_intr_init(void)
{
  wr(E1000_RDTR, 0);   // no receive delay: RXT0 fires as a frame lands
  wr(E1000_ITR, E1000_ITR_INTERVAL);
  wr(E1000_IMS, E1000_INT_RXT0 | E1000_INT_RXDMT0 | E1000_INT_RXO);
}

// Start the device whose registers are mapped at base (e1000_attach(), and
// the grader's device model).
void
e1000_init(volatile uint32 *base)
{
  uchar mac[ETH_ALEN];

  initlock(&e1000_lock, "e1000");
  regs = base;
  e1000_reset();
  if(e1000_rx_buffers() < 0){
    printf("e1000: no memory for receive buffers; networking is off\n");
    return;
  }
  e1000_read_mac(mac);
  e1000_tx_init();
  e1000_rx_init();
  e1000_intr_init();
  net_start(mac);
}

// Queue the frame in m (m->len bytes at m->head) for sending.  0: the
// frame is in the ring and the driver owns m, freeing it once the device
// is done with it (when the slot comes round again, or in e1000_settle());
// -1: every slot is still busy, and m stays the caller's.  Any hart may
// call it: hold e1000_lock throughout.  The descriptor: 3.3.3 and
// e1000_dev.h.  The steps, the barrier before the TDT write and the usual
// mistakes: LAB.md (the e1000 lab), "What to write", "The barrier" and
// "The mistakes that cost the most time".
int
e1000_transmit(struct mbuf *m)
{
  // >>> solution
  struct tx_desc *d;
  uint i;

  acquire(&e1000_lock);
  i = tx_next;
  d = &tx_ring[i];
  if((d->status & E1000_TXD_STAT_DD) == 0){
    release(&e1000_lock);
    return -1;
  }
  if(tx_mbufs[i])
    mbuf_free(tx_mbufs[i]);
  tx_mbufs[i] = m;
  d->addr = (uint64)m->head;
  d->length = m->len;
  d->cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS;
  d->status = 0;
  __sync_synchronize();
  tx_next = (i + 1) % TX_RING_SIZE;
  wr(E1000_TDT, tx_next);
  release(&e1000_lock);
  return 0;
  // === stub
  // // Your code here.
  // return -1;
  // <<< solution
}

// Pass every frame the device has received to the network stack: each
// full mbuf goes to eth_input(), which owns it from then on, and its slot
// gets a fresh one (a dropped frame's slot keeps its own).  Only
// e1000_intr() calls it, and the PLIC does not interrupt another hart for
// the e1000 until this one completes its claim: the receive ring needs no
// lock, and e1000_lock must not be held around eth_input().  The ring:
// 3.2.6, the descriptor: 3.2.3.  The steps, the barriers and the usual
// mistakes: LAB.md (the e1000 lab), "What to write", "The barrier" and
// "The mistakes that cost the most time".
void
e1000_recv(void)
{
  // >>> solution
  uint tail = rd(E1000_RDT);
  uint i = (tail + 1) % RX_RING_SIZE;
  struct rx_desc *d;
  struct mbuf *m, *fresh;

  while(rx_ring[i].status & E1000_RXD_STAT_DD){
    do {
      d = &rx_ring[i];
      __sync_synchronize();   // read the rest of d only after seeing DD
      if(d->errors & E1000_RXD_ERR_FRAME){
        netstat_inc(rx_desc_errors);
      } else if((d->status & E1000_RXD_STAT_EOP) == 0){
        netstat_inc(rx_not_eop);
      } else if((fresh = mbuf_alloc()) == 0){
        netstat_inc(rx_no_mbuf);
      } else {
        m = rx_mbufs[i];
        m->len = d->length;
        rx_mbufs[i] = fresh;
        d->addr = (uint64)fresh->head;
        eth_input(m);
      }
      d->status = 0;
      tail = i;
      i = (i + 1) % RX_RING_SIZE;
    } while(rx_ring[i].status & E1000_RXD_STAT_DD);
    __sync_synchronize();     // the slots are ready before the device sees them
    wr(E1000_RDT, tail);
  }
  // === stub
  // // Your code here.
  // <<< solution
}

// Reading ICR acknowledges every pending cause (13.4.17) and lowers the
// interrupt line; one pass over the ring then serves them all.
void
e1000_intr(void)
{
  rd(E1000_ICR);
  e1000_recv();
}

// Bring what netinfo() reports up to date.  The device counts the frames
// it had no room for (MPC, ch. 13 statistics); QEMU keeps that as a running
// total, never clearing it on a read.  And the mbufs of frames already
// sent are freed now rather than when their slots come round again, so
// that a quiet interface holds exactly RX_RING_SIZE mbufs and leak checks
// can compare counts.
static void
e1000_settle(void)
{
  __atomic_store_n(&netstats.rx_missed, rd(E1000_MPC), __ATOMIC_RELAXED);
  // Frames longer than 1522 bytes (1518 from QEMU 8.1) never reach the
  // ring: the device drops them and counts them in ROC, which reading clears.
  netstat_add(rx_oversize, rd(E1000_ROC));
  // The card's own count of the frames it stored and sent (also cleared on
  // read): set beside rx_packets and tx_packets, they tell a frame the
  // driver never passed up from one that never arrived, and a frame the
  // card never sent from one e1000_transmit() refused.
  netstat_add(rx_card_packets, rd(E1000_GPRC));
  netstat_add(tx_card_packets, rd(E1000_GPTC));
  // The empty buffers the card holds, [RDH, RDT): 0 means it has nowhere
  // to put a frame.
  __atomic_store_n(&netstats.rx_card_buffers,
                   (rd(E1000_RDT) - rd(E1000_RDH) + RX_RING_SIZE) % RX_RING_SIZE,
                   __ATOMIC_RELAXED);
  acquire(&e1000_lock);
  for(int i = 0; i < TX_RING_SIZE; i++){
    if(tx_mbufs[i] && (tx_ring[i].status & E1000_TXD_STAT_DD)){
      mbuf_free(tx_mbufs[i]);
      tx_mbufs[i] = 0;
    }
  }
  release(&e1000_lock);
}

// A snapshot of both rings for ringinfo() (httpd's /net page draws it):
// the registers and every slot's DD bit.  It only reads, so the picture
// may be a little behind a ring in motion.
static void
e1000_ringinfo(struct ringinfo *ri)
{
  _Static_assert(RX_RING_SIZE <= RINGINFO_MAXSLOTS && TX_RING_SIZE <= RINGINFO_MAXSLOTS,
                 "ringinfo too small for the rings");
  memset(ri, 0, sizeof(*ri));
  ri->present = 1;
  ri->kind = RING_E1000;
  ri->tx_size = TX_RING_SIZE;
  ri->rx_size = RX_RING_SIZE;
  ri->tx_head = rd(E1000_TDH);
  ri->tx_tail = rd(E1000_TDT);
  ri->rx_head = rd(E1000_RDH);
  ri->rx_tail = rd(E1000_RDT);
  for(int i = 0; i < TX_RING_SIZE; i++)
    if(tx_ring[i].status & E1000_TXD_STAT_DD)
      ringinfo_mark(ri->tx_dd, i);
  for(int i = 0; i < RX_RING_SIZE; i++)
    if(rx_ring[i].status & E1000_RXD_STAT_DD)
      ringinfo_mark(ri->rx_dd, i);
}

// The stack reaches the card through this (net.h), so the assignment's
// functions keep their plain names.
static const struct netdev e1000_netdev = {
  .name = "e1000",
  .transmit = e1000_transmit,
  .settle = e1000_settle,
  .intr = e1000_intr,
  .ringinfo = e1000_ringinfo,
};

// Called by pci.c, which found the card, mapped its registers at base and
// routed its interrupt to PLIC source irq: start it, and take the
// interrupt once it runs.
void
e1000_attach(volatile uint32 *base, int irq)
{
  net_dev = &e1000_netdev;
  e1000_init(base);
  if(net_present){
    net_irq = irq;
    plic_enable(irq);
  }
}
