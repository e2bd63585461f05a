// pci.c: find the e1000 on PCI bus 0 (ECAM), give it its register window and its interrupt line.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "defs.h"
#include "net.h"

// Configuration-space offsets (PCI Local Bus spec, type 0 header).
#define PCI_ID        0x00   // vendor in the low 16 bits, device in the high
#define PCI_COMMAND   0x04
#define PCI_BAR0      0x10
#define PCI_INTPIN    0x3D   // 1 = INTA .. 4 = INTD, 0 = none

#define PCI_CMD_MEMORY 0x2   // respond to memory accesses (the BARs)
#define PCI_CMD_MASTER 0x4   // may DMA: without it the e1000 never receives

#define PCI_SLOTS     32
#define PCI_IRQ_BASE  32     // QEMU virt: slot s, pin p (0 = INTA) -> 32 + (s + p) % 4
#define PCI_NINTX     4

#define E1000_PCI_ID  ((0x100Eu << 16) | 0x8086u)   // Intel 82540EM

// Configuration space of bus 0, function 0 of a slot.
static volatile uchar *
pci_config(int slot)
{
  return (volatile uchar *)(KDEV(PCIE_ECAM) + ((uint64)slot << 15));
}

// Give the e1000 in slot its registers and its interrupt, then hand it to
// its driver.
static void
pci_setup_e1000(int slot, volatile uchar *cfg)
{
  int pin = cfg[PCI_INTPIN];
  int irq;

  if(pin < 1 || pin > PCI_NINTX){
    printf("pci: e1000 in slot %d has no interrupt pin; networking is off\n", slot);
    return;
  }
  irq = PCI_IRQ_BASE + (slot + pin - 1) % PCI_NINTX;
  // No firmware ran before us (-bios none): the BAR is ours to assign.
  *(volatile uint32 *)(cfg + PCI_BAR0) = (uint32)PCIE_MMIO;
  *(volatile uint16 *)(cfg + PCI_COMMAND) |= PCI_CMD_MEMORY | PCI_CMD_MASTER;
  __sync_synchronize();
  printf("pci: slot %d: 8086:100e Intel 82540EM (e1000), registers at %p, irq %d\n",
         slot, (void *)PCIE_MMIO, irq);
  e1000_attach((volatile uint32 *)KDEV(PCIE_MMIO), irq);
}

// Called on hart 0 before its plicinithart(), which enables the e1000's
// interrupt on hart 0, the only hart that takes device interrupts (plic.c).
// 1 if there is an e1000 (even one that failed to start), 0 if the kernel
// should look for another card.
int
pci_init(void)
{
  for(int slot = 0; slot < PCI_SLOTS; slot++){
    volatile uchar *cfg = pci_config(slot);
    if(*(volatile uint32 *)(cfg + PCI_ID) == E1000_PCI_ID){
      pci_setup_e1000(slot, cfg);
      return 1;
    }
  }
  printf("pci: no e1000 (8086:100e) on bus 0\n");
  return 0;
}
