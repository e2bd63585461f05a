// plic.c: the platform-level interrupt controller routes device interrupts to harts.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "defs.h"

#define REG(addr) (*(volatile uint32 *)KDEV(addr))

// Interrupt sources that hart 0 accepts.
static uint64 enabled_irqs;

// Device interrupts go to one hart.  A source enabled on every hart raises
// every hart's line, so each interrupt woke all the idle harts, of which
// all but one then found nothing to claim; with QEMU on a 2-core host that
// multiplied make bench's RTT p99 and raised its QEMU CPU time per echo.
#define DEVICE_HART 0

void
plic_enable(int irq)
{
  REG(PLIC_PRIORITY(irq)) = 1;   // any nonzero priority beats threshold 0
  enabled_irqs |= 1UL << irq;
}

void
plicinit(void)
{
  plic_enable(UART0_IRQ);
  plic_enable(VIRTIO0_IRQ);
}

// Apply the enable set to this hart's supervisor context (none but
// DEVICE_HART gets any).  Drivers call plic_enable() during hart 0's
// set-up, before any hart gets here.
void
plicinithart(void)
{
  int hart = cpuid();
  uint64 irqs = hart == DEVICE_HART ? enabled_irqs : 0;

  REG(PLIC_SENABLE(hart)) = (uint32)irqs;
  REG(PLIC_SENABLE2(hart)) = (uint32)(irqs >> 32);
  REG(PLIC_STHRESHOLD(hart)) = 0;
}

// The highest-priority pending interrupt, or 0 if none.
int
plic_claim(void)
{
  return REG(PLIC_SCLAIM(cpuid()));
}

void
plic_complete(int irq)
{
  REG(PLIC_SCLAIM(cpuid())) = irq;
}
