// mstart.c: machine-mode setup on each hart, then a jump to main() in supervisor mode.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "defs.h"

void main(void);

void machinevec(void);

// One 4 KiB boot stack per hart, used until the hart runs its first process.
__attribute__((aligned(16))) char boot_stacks[4096 * NCPU];

// Two registers' worth of scratch space per hart for machinevec.
uint64 machine_scratch[NCPU][2];

void
mstart(void)
{
  // mret will "return" to supervisor mode at main().
  w_mstatus((r_mstatus() & ~MSTATUS_MPP_MASK) | MSTATUS_MPP_S);
  w_mepc((uint64)main);

  // Paging stays off until kvminithart() builds the kernel page table.
  w_satp(0);

  // Hand every exception and interrupt to supervisor mode.
  w_medeleg(0xffff);
  w_mideleg(0xffff);
  w_sie(r_sie() | SIE_SEIE | SIE_STIE | SIE_SSIE);

  // Physical memory protection is deny-all for S-mode until a region is
  // opened: one top-of-range entry covering all of memory, RWX.
  w_pmpaddr0(0x3fffffffffffffULL);
  w_pmpcfg0(0xf);

  // Sstc: supervisor mode programs its own timer through stimecmp, so no
  // machine-mode timer handler is needed.  Arm it far in the future for now.
  w_menvcfg(r_menvcfg() | MENVCFG_STCE);
  w_mcounteren(r_mcounteren() | MCOUNTEREN_TM);
  w_stimecmp(~0UL);
  // The machine timer is never used, but its comparator resets to 0, which
  // leaves mip.MTIP pending for ever.  QEMU then wakes a hart sleeping in
  // wfi at every interrupt-controller update, only for it to find nothing
  // to do: under network load each idle hart burnt host CPU time, and
  // make bench's RTT fell once the comparator was parked.
  *(volatile uint64 *)CLINT_MTIMECMP(r_mhartid()) = ~0UL;

  // The only interrupt machine mode keeps: the software interrupt one hart
  // sends another to wake it from wfi (see wake_idle_hart in proc.c).
  w_mscratch((uint64)machine_scratch[r_mhartid()]);
  w_mtvec((uint64)machinevec);
  w_mie(r_mie() | MIE_MSIE);

  // cpuid() reads tp; keep the hart number there for the kernel's lifetime.
  w_tp(r_mhartid());

  asm volatile("mret");
}
