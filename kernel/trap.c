// trap.c: traps from user and kernel mode: system calls, faults, device and timer interrupts.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "defs.h"
#include "net.h"

struct spinlock tickslock;
uint ticks;   // timer ticks since boot, advanced by hart 0
int net_irq;  // set by the code that attaches the network card

#define TIMER_HZ       10000000   // the `time` CSR runs at 10 MHz on QEMU virt
#define TICK_INTERVAL  (TIMER_HZ / TICK_HZ)

void uservec(void);
void userret(struct trapframe *tf);
void kernelvec(void);

// What devintr() found.
enum { INTR_NONE, INTR_DEVICE, INTR_TIMER };

void
trapinit(void)
{
  initlock(&tickslock, "ticks");
}

static void
timer_arm(void)
{
  w_stimecmp(r_time() + TICK_INTERVAL);
}

void
trapinithart(void)
{
  w_stvec((uint64)kernelvec);
  // Programs may read the clock themselves (rdtime): ping times round
  // trips of a few hundred microseconds, far below one tick.
  w_scounteren(r_scounteren() | SCOUNTEREN_TM);
  timer_arm();
}

// The scheduler's wait when it has nothing to run, with interrupts off
// (a pending one still ends the wfi).  Only hart 0 counts ticks, so the
// other harts stop their timer while idle: a wake-up that finds nothing to
// do costs host CPU under QEMU (it showed in make bench's QEMU CPU time
// per echoed datagram).  The timer is
// back on before the hart runs anything, so running processes are still
// preempted.  While idle, such a hart wakes only when another sends it an
// IPI, so proc.c sends one for every process made runnable while a hart
// idles (wake_idle_hart).
void
hart_idle(void)
{
  int tickless = cpuid() != 0;

  if(tickless)
    w_stimecmp(~0UL);
  asm volatile("wfi");
  if(tickless)
    timer_arm();
}

// The network's fine clock (netport.h).
uint64
net_usec(void)
{
  return r_time() / (TIMER_HZ / 1000000);
}

static void
clock_tick(void)
{
  if(cpuid() == 0){
    acquire(&tickslock);
    ticks++;
    wakeup(&ticks);
    release(&tickslock);
    dhcp_tick();   // the DHCP client's retries, fallback and renewal
    tcp_timer();   // TCP's retransmission, ACK, persist and TIME_WAIT timers
    if(net_dev && net_dev->tick)
      net_dev->tick();
  }
  timer_arm();   // also clears the pending timer interrupt
}

// Handle a device or timer interrupt, if that is what the trap was.
static int
devintr(void)
{
  uint64 cause = r_scause();

  if(cause == SCAUSE_STIMER){
    clock_tick();
    return INTR_TIMER;
  }
  if(cause == SCAUSE_SSOFT){
    // A wake-up from another hart (machinevec): nothing to do beyond
    // returning to the scheduler loop, which looks for work again.
    w_sip(r_sip() & ~SIP_SSIP);
    return INTR_DEVICE;
  }
  if(cause != SCAUSE_SEXTERNAL)
    return INTR_NONE;

  int irq = plic_claim();
  if(irq == UART0_IRQ)
    uartintr();
  else if(irq == VIRTIO0_IRQ)
    virtio_disk_intr();
  else if(irq && irq == net_irq)
    net_dev->intr();
  else if(irq)
    printf("devintr: unexpected interrupt %d\n", irq);
  if(irq)
    plic_complete(irq);
  return INTR_DEVICE;
}

static const char *
exception_name(uint64 cause)
{
  static const char *names[] = {
    [0] "misaligned instruction", [1] "instruction access fault",
    [2] "illegal instruction",    [3] "breakpoint",
    [4] "misaligned load",        [5] "load access fault",
    [6] "misaligned store",       [7] "store access fault",
    [12] "instruction page fault",[13] "load page fault",
    [15] "store page fault",
  };
  if(cause < NELEM(names) && names[cause])
    return names[cause];
  return "unknown exception";
}

// Entry from uservec.S for every trap taken in user mode.
void
usertrap(void)
{
  if(r_sstatus() & SSTATUS_SPP)
    panic("usertrap: trap did not come from user mode");

  // Traps from now on are kernel traps.
  w_stvec((uint64)kernelvec);

  struct proc *p = myproc();
  p->trapframe->epc = r_sepc();

  int intr = INTR_NONE;
  uint64 cause = r_scause();
  if(cause == SCAUSE_ECALL_U){
    if(killed(p))
      exit(-1);
    p->trapframe->epc += 4;   // resume after the ecall
    intr_on();                // the saved registers are safe: allow interrupts
    syscall();
  } else if((intr = devintr()) == INTR_NONE){
    printf("pid %d (%s) killed: %s (scause %p) sepc=%p stval=%p\n",
           p->pid, p->name, exception_name(cause), (void *)cause,
           (void *)r_sepc(), (void *)r_stval());
    setkilled(p);
  }

  if(killed(p))
    exit(-1);
  if(intr == INTR_TIMER)
    yield();
  usertrapret();
}

// Return to user mode through userret (uservec.S).
void
usertrapret(void)
{
  struct proc *p = myproc();

  // A trap between here and sret would go to usertrap() while still in the
  // kernel: keep interrupts off until sret turns them back on.
  intr_off();
  w_stvec((uint64)uservec);

  p->trapframe->kernel_sp = p->kstack + PGSIZE;
  p->trapframe->kernel_trap = (uint64)usertrap;
  p->trapframe->kernel_hartid = r_tp();

  // sret goes to user mode with interrupts enabled.
  uint64 s = r_sstatus();
  s &= ~SSTATUS_SPP;
  s |= SSTATUS_SPIE;
  w_sstatus(s);
  w_sepc(p->trapframe->epc);

  userret(p->trapframe);
}

// Traps in supervisor mode arrive here via kernelvec.S.
void
kerneltrap(void)
{
  // yield() may run other code that traps: keep this trap's state.
  uint64 sepc = r_sepc();
  uint64 sstatus = r_sstatus();

  if((sstatus & SSTATUS_SPP) == 0)
    panic("kerneltrap: not from supervisor mode");
  if(intr_get())
    panic("kerneltrap: interrupts enabled");

  int intr = devintr();
  if(intr == INTR_NONE){
    printf("scause=%p sepc=%p stval=%p\n", (void *)r_scause(), (void *)sepc,
           (void *)r_stval());
    panic("kerneltrap: unexpected trap in the kernel");
  }
  if(intr == INTR_TIMER && myproc() != 0)
    yield();

  w_sepc(sepc);
  w_sstatus(sstatus);
}
