// main.c: supervisor-mode start: hart 0 initialises the kernel, the others wait for it.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "defs.h"

static volatile int kernel_ready;

// Set-up that every hart needs for itself, once paging is on.
static void
hart_init(void)
{
  trapinithart();   // kernel trap vector, timer
  plicinithart();   // accept device interrupts
}

void
main(void)
{
  if(cpuid() == 0){
    // Paging first: the kernel reaches devices, the console included,
    // only through its page table (memlayout.h).
    kinit();
    kvminit();
    kvminithart();
    consoleinit();
    printfinit();
    printf("\nxv6-net kernel booting\n");
    procinit();
    trapinit();
    plicinit();
    // The network card, before hart_init() enables its interrupt: the
    // e1000 if there is one, else a virtio-net card.
    if(!pci_init())
      virtio_net_init();
    binit();
    iinit();
    fileinit();
    virtio_disk_init();
    userinit();
    hart_init();
    __sync_synchronize();
    kernel_ready = 1;
  } else {
    while(kernel_ready == 0)
      ;
    __sync_synchronize();
    kvminithart();
    hart_init();
  }
  scheduler();
}
