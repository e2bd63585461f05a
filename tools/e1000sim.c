// e1000sim.c: the grader's model of an e1000, to check kernel/e1000.c's rings on the host.
//
//   e1000sim tx|rx
//
// Links the unchanged kernel/e1000.c and kernel/mbuf.c (built with
// -DNETPORT_HOST, see kernel/netport.h) with a fake register file and the
// kernel services they use.  The "device" works on the descriptor rings
// the way the 8254x does (sections 3.2-3.4 of the manual), but only when a
// check tells it to, so that a check can stall it and fill the transmit
// ring, or land exactly the frames it wants in the receive ring.
//
// Prints "tx: OK" or "tx: FAILED [key]: what went wrong" (likewise rx) and
// exits 0 or 1; the key names the symptom, for grade-lab-net's hints.
#include "net.h"
#include "e1000_dev.h"
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>

#define REGS_BYTES   (128 * 1024)      // BAR0 size
#define MAX_PAGES    4096              // kalloc() limit, like a small machine
#define FRAME_LEN    60
#define TX_ROUNDS    3                 // times round the ring in the busy checks
#define RX_ROUNDS    4

// Bits that the real device clears by itself (13.4.1, 13.4.4): a driver
// may spin on them during e1000_init().
#define REG_EERD        0x0014
#define EERD_START      (1u << 0)
#define EERD_DONE       (1u << 4)
#define EERD_ADDR_SHIFT 8
#define EERD_DATA_SHIFT 16
#define STATUS_LU       (1u << 1)
#define RXD_ERR_RXE     0x80           // 3.2.3.2: receive data error
#define RAH_AV          (1u << 31)

static const uchar sim_mac[ETH_ALEN] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static uint32 regs[REGS_BYTES / 4] __attribute__((aligned(4096)));
static volatile int init_done;

static const char *group;   // "tx" or "rx", for the result line

struct netstats netstats;
uint ticks;

// What e1000_attach() sets and calls; the model starts the driver with
// e1000_init() itself, so they are never used.
const struct netdev *net_dev;
int net_present;
int net_irq;
void plic_enable(int irq) { }

// ---- results ----------------------------------------------------------------

static void __attribute__((noreturn, format(printf, 2, 3)))
fail(const char *key, const char *fmt, ...)
{
  va_list ap;

  fflush(stdout);
  printf("%s: FAILED [%s]: ", group, key);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  exit(1);
}

static uint32
reg(uint off)
{
  return __atomic_load_n(&regs[off / 4], __ATOMIC_SEQ_CST);
}

static void
setreg(uint off, uint32 v)
{
  __atomic_store_n(&regs[off / 4], v, __ATOMIC_SEQ_CST);
}

// ---- kernel services (netport.h) ----------------------------------------------

static void *pages[MAX_PAGES];   // live kalloc() pages
static int npages;
static int kalloc_fails;         // set: kalloc() returns 0

void *
kalloc(void)
{
  void *p;

  if(kalloc_fails || npages == MAX_PAGES)
    return 0;
  if((p = aligned_alloc(NET_PAGESIZE, NET_PAGESIZE)) == 0)
    return 0;
  memset(p, 0xA5, NET_PAGESIZE);
  pages[npages++] = p;
  return p;
}

static int
page_index(void *p)
{
  for(int i = 0; i < npages; i++)
    if(pages[i] == p)
      return i;
  return -1;
}

void
kfree(void *p)
{
  int i = page_index(p);

  if(i < 0)
    fail("double-free", "kfree(%p): not an allocated page (freed twice?)", p);
  pages[i] = pages[--npages];
  memset(p, 0x5A, NET_PAGESIZE);
  free(p);
}

static int locks_held;
static const char *last_lock;

void
initlock(struct spinlock *lk, char *name)
{
  lk->locked = 0;
  lk->name = name;
}

void
acquire(struct spinlock *lk)
{
  if(lk->locked)
    fail("deadlock", "acquire(%s): already held by this CPU; it would spin forever",
         lk->name);
  lk->locked = 1;
  locks_held++;
  last_lock = lk->name;
}

void
release(struct spinlock *lk)
{
  if(!lk->locked)
    fail("lock", "release(%s): not held", lk->name);
  lk->locked = 0;
  locks_held--;
}

void
sleep(void *chan, struct spinlock *lk)
{
  fail("sleep", "the driver called sleep(), which an interrupt handler must not");
}

int
sleep_killable(void *chan, struct spinlock *lk)
{
  fail("sleep", "the driver called sleep_killable(), which an interrupt handler must not");
}

void wakeup(void *chan) { }

int
either_copyout(int user_dst, uint64 dst, void *src, uint64 len)
{
  return -1;
}

int
either_copyin(void *dst, int user_src, uint64 src, uint64 len)
{
  return -1;
}

// ---- the network stack above the driver ------------------------------------------

static struct mbufq delivered;   // frames passed to eth_input()
static int started;

void
net_start(const uchar *mac)
{
  if(memcmp(mac, sim_mac, ETH_ALEN) != 0)
    fail("mac", "e1000_init() read a MAC address other than the device's");
  started = 1;
}

void
eth_input(struct mbuf *m)
{
  if(locks_held)
    fail("lock-held", "eth_input() was called with %s held; a reply sent from "
         "there would take it again", last_lock);
  mbufq_pushtail(&delivered, m);
}

// A driver may drop a frame through the stack's helper.
void
net_drop(struct mbuf *m, uint64 *why)
{
  (*why)++;
  mbuf_free(m);
}

// ---- the device -------------------------------------------------------------

// During e1000_init() the device acts on its own, as hardware does: it
// finishes a reset and answers EEPROM reads.
static void *
selfclear(void *arg)
{
  while(!__atomic_load_n(&init_done, __ATOMIC_SEQ_CST)){
    uint32 ctrl = reg(E1000_CTRL), eerd = reg(REG_EERD);

    if(ctrl & E1000_CTRL_RST)
      setreg(E1000_CTRL, ctrl & ~E1000_CTRL_RST);
    if((eerd & EERD_START) && !(eerd & EERD_DONE)){
      uint word = (eerd >> EERD_ADDR_SHIFT) & 0xff;
      uint32 data = word < 3 ? sim_mac[2 * word] | sim_mac[2 * word + 1] << 8 : 0;
      setreg(REG_EERD, eerd | EERD_DONE | data << EERD_DATA_SHIFT);
    }
    sched_yield();
  }
  return 0;
}

static void
power_on(void)
{
  setreg(E1000_STATUS, STATUS_LU);
  setreg(E1000_RAL0, sim_mac[0] | sim_mac[1] << 8 | sim_mac[2] << 16 |
                     (uint32)sim_mac[3] << 24);
  setreg(E1000_RAH0, sim_mac[4] | sim_mac[5] << 8 | RAH_AV);
}

static void
init_driver(void)
{
  pthread_t t;

  power_on();
  mbufq_init(&delivered);
  if(pthread_create(&t, 0, selfclear, 0) != 0)
    fail("sim", "cannot start the device thread");
  e1000_init((volatile uint32 *)regs);
  __atomic_store_n(&init_done, 1, __ATOMIC_SEQ_CST);
  pthread_join(t, 0);
  if(!started)
    fail("init", "e1000_init() did not start the network (net_start)");
  if(locks_held)
    fail("lock-leak", "a lock (%s) is still held after e1000_init()", last_lock);
}

static void *
ring_base(uint lo, uint hi)
{
  return (void *)((uint64)reg(hi) << 32 | reg(lo));
}

static struct tx_desc *tx_ring(void) { return ring_base(E1000_TDBAL, E1000_TDBAH); }
static struct rx_desc *rx_ring(void) { return ring_base(E1000_RDBAL, E1000_RDBAH); }
static uint tx_size(void) { return reg(E1000_TDLEN) / sizeof(struct tx_desc); }
static uint rx_size(void) { return reg(E1000_RDLEN) / sizeof(struct rx_desc); }

static uchar sent[FRAME_LEN];   // the last frame the device sent
static uint sentlen;

// Send the frame in the slot at TDH and move TDH on.
static void
dev_send_head(void)
{
  uint h = reg(E1000_TDH);
  struct tx_desc *d = &tx_ring()[h];

  if(!(d->cmd & E1000_TXD_CMD_EOP))
    fail("eop", "descriptor %u has no EOP: the device would glue it to the next frame", h);
  if(d->length == 0 || d->length > sizeof(sent) || d->addr == 0)
    fail("tx-desc", "descriptor %u: address %#lx length %u is not the frame queued",
         h, (unsigned long)d->addr, d->length);
  memmove(sent, (void *)d->addr, d->length);
  sentlen = d->length;
  if(d->cmd & E1000_TXD_CMD_RS)
    d->status |= E1000_TXD_STAT_DD;
  setreg(E1000_TDH, (h + 1) % tx_size());
}

// Send what the driver queued between TDH and TDT (3.3): what QEMU does on
// every write to TDT.
static void
dev_transmit(void)
{
  while(reg(E1000_TDH) != reg(E1000_TDT))
    dev_send_head();
}

// After a stall: send the count frames queued meanwhile.  (A driver that
// fills every slot leaves TDT == TDH, which a real device takes for an
// empty ring; the model forgives that, since QEMU sends at once.)
static void
dev_catch_up(int count)
{
  while(count-- > 0)
    dev_send_head();
}

// Store one frame in the next descriptor the device owns (3.2); 0 if the
// driver left it none.  errors: the descriptor's error bits.
static int
dev_receive(const uchar *frame, uint len, uchar errors)
{
  uint h = reg(E1000_RDH);
  struct rx_desc *d = &rx_ring()[h];

  if(h == reg(E1000_RDT))
    return 0;
  if(d->addr == 0)
    fail("rx-buffer", "receive descriptor %u has no buffer address", h);
  memmove((void *)d->addr, frame, len);
  d->length = len;
  d->errors = errors;
  d->status = E1000_RXD_STAT_DD | E1000_RXD_STAT_EOP;
  setreg(E1000_RDH, (h + 1) % rx_size());
  setreg(E1000_ICR, reg(E1000_ICR) | E1000_INT_RXT0);
  return 1;
}

// ---- frames -------------------------------------------------------------------

// A broadcast frame whose payload carries a sequence number.
static void
make_frame(uchar *f, uint seq)
{
  memset(f, 0, FRAME_LEN);
  memset(f, 0xff, ETH_ALEN);
  memmove(f + ETH_ALEN, sim_mac, ETH_ALEN);
  f[12] = 0x88;    // an experimental EtherType, 0x88B5
  f[13] = 0xB5;
  for(int i = 14; i < FRAME_LEN; i++)
    f[i] = seq + i;
  f[14] = seq >> 8;
  f[15] = seq;
}

static uint
frame_seq(struct mbuf *m)
{
  uchar *p = (uchar *)m->head;
  return p[14] << 8 | p[15];
}

static struct mbuf *
frame_mbuf(uint seq)
{
  struct mbuf *m = mbuf_alloc();

  if(m == 0)
    fail("sim", "out of mbufs");
  make_frame((uchar *)mbuf_put(m, FRAME_LEN), seq);
  return m;
}

static int
mbuf_live(struct mbuf *m)
{
  return page_index(m) >= 0;
}

// ---- transmit checks ------------------------------------------------------------

static void
send_one(uint seq)
{
  uint n = tx_size(), t = reg(E1000_TDT);
  struct mbuf *m = frame_mbuf(seq);
  struct tx_desc *d = &tx_ring()[t];
  uchar want[FRAME_LEN];

  if(e1000_transmit(m) != 0)
    fail("tx-refused", "e1000_transmit() returned -1 although slot %u (TDT) was free", t);
  if(locks_held)
    fail("lock-leak", "e1000_transmit() returned with %s still held", last_lock);
  if(reg(E1000_TDT) != (t + 1) % n)
    fail("tdt", "TDT went from %u to %u; it must move on by one, modulo %u",
         t, reg(E1000_TDT), n);
  if(d->addr != (uint64)m->head || d->length != FRAME_LEN)
    fail("tx-desc", "slot %u holds address %#lx length %u, not the mbuf's data "
         "(%p, %u bytes)", t, (unsigned long)d->addr, d->length, m->head, FRAME_LEN);
  if(!(d->cmd & E1000_TXD_CMD_RS))
    fail("rs", "slot %u lacks RS: the device will never set DD, so the slot never "
         "looks free again", t);
  dev_transmit();
  make_frame(want, seq);
  if(sentlen != FRAME_LEN || memcmp(sent, want, FRAME_LEN) != 0)
    fail("tx-data", "the device sent other bytes than frame %u", seq);
}

static void
tx_checks(void)
{
  uint n = tx_size(), seq = 0;
  int accepted = 0;
  long rxbufs = netstats.mbufs_in_use, held;   // the receive ring's

  for(uint i = 0; i < TX_ROUNDS * n; i++)
    send_one(seq++);
  if((held = netstats.mbufs_in_use - rxbufs) > n)
    fail("tx-leak", "after %u frames sent through %u slots, %ld of their mbufs are still "
         "in use: free the mbuf a slot sent last time", TX_ROUNDS * n, n, held);

  // The device stalls: the ring fills up.
  for(uint i = 0; i <= n; i++){
    uint t = reg(E1000_TDT);
    int busy = !(tx_ring()[t].status & E1000_TXD_STAT_DD);
    struct mbuf *m = frame_mbuf(seq++);

    if(e1000_transmit(m) != 0){
      if(!busy)
        fail("tx-refused", "e1000_transmit() returned -1 with slot %u free (DD set)", t);
      if(!mbuf_live(m))
        fail("tx-full-freed", "e1000_transmit() returned -1 and freed the mbuf; "
             "the caller frees it then");
      if(reg(E1000_TDT) != t)
        fail("tdt", "TDT moved although the frame was refused");
      mbuf_free(m);
      dev_catch_up(accepted);
      send_one(seq++);
      printf("tx: OK (%d frames queued before the ring was full)\n", accepted);
      return;
    }
    if(busy)
      fail("ring-full", "e1000_transmit() took slot %u although the device had not "
           "sent it (DD clear): the ring was full and it must return -1", t);
    accepted++;
  }
  fail("ring-full", "the device sent nothing, yet e1000_transmit() accepted %u frames "
       "into a ring of %u: a slot is free only once the device has set DD in it, "
       "so clear the status of a slot you fill, and return -1 while DD is clear", n + 1, n);
}

// ---- receive checks -----------------------------------------------------------------

// Hand the frames from seq up to the driver, as many as the ring takes;
// returns how many it took.
static uint
deliver(uint seq, uint count, uchar errors)
{
  uchar f[FRAME_LEN];
  uint i;

  for(i = 0; i < count; i++){
    make_frame(f, seq + i);
    if(!dev_receive(f, FRAME_LEN, errors))
      break;
  }
  return i;
}

// Take the frames the driver passed up, which must be exactly [seq, seq+count).
static void
expect_frames(uint seq, uint count)
{
  struct mbuf *m;
  uint got = 0;

  while((m = mbufq_pophead(&delivered)) != 0){
    if(m->len != FRAME_LEN)
      fail("rx-len", "a frame came up with len %u; the descriptor said %u", m->len, FRAME_LEN);
    if(got >= count || frame_seq(m) != seq + got)
      fail("rx-order", "frame %u came up where %u was due (%u of %u so far): "
           "stale or skipped descriptors", frame_seq(m), seq + got, got, count);
    mbuf_free(m);
    got++;
  }
  if(got < count)
    fail(got ? "rx-stuck" : "rx-none", "%u frames were waiting in the ring, e1000_recv() "
         "passed up %u", count, got);
}

// The first frame, with a trap: slot RDT, which the device never fills,
// holds a frame with DD set too, so that a driver that starts there (not
// at RDT+1) passes it up and can be told apart from one that takes nothing.
#define TRAP_SEQ 0xFFFF

static void
rx_first(void)
{
  uint n = rx_size(), t = reg(E1000_RDT), first = reg(E1000_RDH);
  struct rx_desc *trap = &rx_ring()[t];
  struct mbuf *m;

  if(deliver(0, 1, 0) != 1)
    fail("rx-init", "the device owns no receive descriptor after e1000_init()");
  make_frame((uchar *)trap->addr, TRAP_SEQ);
  trap->length = FRAME_LEN;
  trap->status = E1000_RXD_STAT_DD | E1000_RXD_STAT_EOP;
  e1000_intr();
  trap->status = 0;
  if((m = delivered.head) != 0 && frame_seq(m) == TRAP_SEQ)
    fail("rx-start", "e1000_recv() passed up the frame in slot %u, which is RDT's: the "
         "device never fills that slot (it owns RDH up to RDT), so what is there is stale. "
         "Start at (RDT+1) %% %u", t, n);
  if(delivered.len == 0)
    fail("rx-none", "slot %u, which follows RDT (%u), holds a frame with DD set, and "
         "e1000_recv() passed nothing up", first, t);
  expect_frames(0, 1);
  if(rx_ring()[first].status & E1000_RXD_STAT_DD)
    fail("dd-not-cleared", "slot %u still has DD set after its frame was passed up", first);
  if(reg(E1000_RDT) != first)
    fail("rdt", "RDT is %u after the frame in slot %u was handled; it must be set to "
         "the last slot handled", reg(E1000_RDT), first);
}

static void
rx_checks(void)
{
  uint n = rx_size(), seq = 1, k;
  uint64 ring_mbufs;

  rx_first();
  ring_mbufs = netstats.mbufs_in_use;
  for(int round = 0; round < RX_ROUNDS; round++){
    k = deliver(seq, n, 0);
    if(k < n - 1)
      fail("rdt", "the device could store only %u frames; the driver gave back "
           "too few slots (RDT %u, RDH %u)", k, reg(E1000_RDT), reg(E1000_RDH));
    e1000_intr();
    expect_frames(seq, k);
    seq += k;
  }
  if(netstats.mbufs_in_use != ring_mbufs)
    fail("rx-leak", "%ld mbufs in use after the bursts, %ld before",
         (long)netstats.mbufs_in_use, (long)ring_mbufs);

  // A frame with an error bit is dropped, its slot reused.
  deliver(seq, 1, RXD_ERR_RXE);
  deliver(seq + 1, 1, 0);
  e1000_intr();
  expect_frames(seq + 1, 1);
  if(netstats.rx_desc_errors != 1 || netstats.mbufs_in_use != ring_mbufs)
    fail("rx-errors", "a frame with error bits must be dropped and counted "
         "(rx_desc_errors %ld, mbufs %ld, expected 1 and %ld)",
         (long)netstats.rx_desc_errors, (long)netstats.mbufs_in_use, (long)ring_mbufs);
  seq += 2;

  // No memory for a fresh buffer: drop the frame, keep the slot's buffer.
  kalloc_fails = 1;
  deliver(seq, 1, 0);
  e1000_intr();
  kalloc_fails = 0;
  if(delivered.len != 0 || netstats.rx_no_mbuf != 1)
    fail("rx-nomem", "with no memory left the frame must be dropped and counted in rx_no_mbuf");
  deliver(seq + 1, 1, 0);
  e1000_intr();
  expect_frames(seq + 1, 1);
  printf("rx: OK (%u frames through a ring of %u)\n", seq + 2, n);
}

int
main(int argc, char **argv)
{
  setvbuf(stdout, 0, _IOLBF, 0);
  if(argc != 2 || (strcmp(argv[1], "tx") != 0 && strcmp(argv[1], "rx") != 0)){
    fprintf(stderr, "usage: e1000sim tx|rx\n");
    return 2;
  }
  group = argv[1];
  init_driver();
  if(strcmp(group, "tx") == 0)
    tx_checks();
  else
    rx_checks();
  return 0;
}
