// memlayout.h: physical addresses of QEMU virt devices and the kernel's virtual layout.
#pragma once

// Devices (QEMU hw/riscv/virt.c): physical addresses.  Machine mode uses
// them as they are; the kernel reaches each one at KDEV(address).
#define CLINT       0x02000000L
#define CLINT_MSIP(hart) (CLINT + 4 * (hart))   // write 1: software interrupt to that hart
#define CLINT_MTIMECMP(hart) (CLINT + 0x4000 + 8 * (hart))   // machine timer compare
#define PLIC        0x0c000000L
#define PLIC_SIZE   0x00400000L
#define UART0       0x10000000L
#define UART0_IRQ   10
#define VIRTIO0     0x10001000L   // first virtio-mmio slot
#define VIRTIO0_IRQ 1
#define PCIE_ECAM   0x30000000L   // PCI configuration space, bus 0 .. 255
#define PCIE_ECAM_BUS0 0x100000L  // the kernel maps only bus 0 (32 slots x 8 functions x 4 KiB)
#define PCIE_MMIO   0x40000000L   // window for PCI BARs (PCI address == CPU address)
#define PCIE_MMIO_MAPPED 0x100000L  // the part of it the kernel maps (room for the e1000's 128 KiB BAR0)

// PLIC registers (per interrupt source and per hart context).
#define PLIC_PRIORITY(irq)   (PLIC + 4 * (irq))
#define PLIC_SENABLE(hart)   (PLIC + 0x2000 + 0x80 * (2 * (hart) + 1))
#define PLIC_SENABLE2(hart)  (PLIC_SENABLE(hart) + 4)      // sources 32..63
#define PLIC_STHRESHOLD(hart) (PLIC + 0x200000 + 0x1000 * (2 * (hart) + 1))
#define PLIC_SCLAIM(hart)    (PLIC_STHRESHOLD(hart) + 4)

// RAM the kernel manages: from the load address to PHYSTOP.
#define KERNBASE 0x80000000L
#define PHYSTOP  (KERNBASE + 128 * 1024 * 1024)

// One address space for both: every user page table also holds the
// kernel's mappings (without PTE_U, so user code cannot touch them), and a
// trap changes privilege but not satp.  User memory is everything below
// USERTOP; the kernel maps nothing there.  Above it come RAM, mapped at
// its own address, the devices at KDEV(physical address), and the kernel
// stacks at the top.  (See vm.c for why one address space.)
#define USERTOP  KERNBASE
#define KDEV_OFFSET 0x2000000000L   // 128 GiB, past RAM: devices at 128 GiB + their address
#define KDEV(pa) (KDEV_OFFSET + (pa))

// Kernel stacks at the top of the address space, each with an unmapped
// guard page below it, so an overflow faults instead of corrupting a
// neighbour.
#define KSTACK(slot) (MAXVA - ((slot) + 1) * 2 * PGSIZE)
#define KSTACK_SLOT(addr) ((MAXVA - 1 - (addr)) / (2 * PGSIZE))   // the inverse
