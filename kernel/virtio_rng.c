// virtio_rng.c: the virtio entropy device (virtio 1.1, 5.4), read at boot for the key of TCP's initial sequence numbers.
//
// RFC 6528 wants the ISN key hard to guess; the boot time is not (about
// 20 bits).  QEMU's virt offers no Zkr `seed` CSR, but a virtio-rng
// device (the Makefile puts one in virtio-mmio slot 2) hands out bytes
// from the host's getrandom().  It is read once, on hart 0 during boot,
// by polling: interrupts are not on yet, and QEMU answers within
// microseconds.  Its queue stays allocated (two pages) rather than be
// freed under a device that was told where it is.
//
// Without the device (a QEMU started by hand), the bytes come from timing
// jitter: the low bits of the time CSR around MMIO reads, each a trip out
// of the guest whose length varies with the host.  That is weaker, so the
// kernel says so at boot.
#include "net.h"
#include "memlayout.h"
#include "riscv.h"
#include "virtio.h"

#define RNG_WAIT_US 100000         // the device answers at once; a bound, not a delay
#define JITTER_ROUNDS 4096         // time CSR samples per 64-bit word

static uchar rngbuf[64] __attribute__((aligned(64)));

// n (at most sizeof(rngbuf)) bytes from the virtio-rng device at base
// into rngbuf; the count the device gave, 0 on any failure.
static int
rng_read(uint64 base, int n)
{
  static struct virtq q;
  uint64 features = VIO_F_VERSION_1, start;
  uint32 len = 0;

  if(vio_start(base, &features) != 0 || vq_init(&q, base, 0, 1) != 0){
    vio_fail(base);
    return 0;
  }
  q.desc[0].addr = (uint64)rngbuf;
  q.desc[0].len = n;
  q.desc[0].flags = VQ_DESC_WRITE;
  q.avail->flags = VQ_AVAIL_NO_INTERRUPT;
  vio_go(base);
  vq_push(&q, 0);
  vq_notify(&q);
  for(start = net_usec(); vq_pop(&q, &len) < 0; )
    if(net_usec() - start > RNG_WAIT_US){
      len = 0;
      break;
    }
  vio_fail(base);   // done with it: the device is not used again
  return len < n ? len : n;
}

// Entropy from timing: the time CSR's low bits around MMIO reads.
static uint64
jitter64(uint64 probe)
{
  uint64 x = 0;

  for(int i = 0; i < JITTER_ROUNDS; i++){
    (void)*(volatile uint32 *)probe;
    x = (x << 5 | x >> 59) ^ r_time();
  }
  return x;
}

// netport.h: n bytes for a secret key.
void
net_entropy(void *dst, int n)
{
  int got = 0, slot;

  for(slot = 0; slot < VIO_SLOTS; slot++){
    uint64 base = KDEV(VIRTIO0) + slot * VIO_SLOT_SIZE;
    if(vio_is(base, VIO_DEVID_RNG) && (got = rng_read(base, n < sizeof(rngbuf) ? n : sizeof(rngbuf))) > 0)
      break;
  }
  if(got >= n){
    printf("virtio-rng: slot %d: %d bytes for TCP's sequence-number key\n", slot, n);
    memmove(dst, rngbuf, n);
    return;
  }
  printf("net: no virtio-rng device: TCP's sequence-number key comes from timing jitter\n");
  for(int i = 0; i < n; i += 8){
    uint64 x = jitter64(KDEV(VIRTIO0));
    memmove((uchar *)dst + i, &x, n - i < 8 ? n - i : 8);
  }
}
