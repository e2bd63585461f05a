// proc.h: processes, per-hart state and the saved-register layouts.
#pragma once
#include "types.h"
#include "param.h"
#include "spinlock.h"

// Callee-saved registers that swtch() saves when one kernel thread gives
// the CPU to another.
struct context {
  uint64 ra;
  uint64 sp;
  uint64 s[12];   // s0 .. s11
};

struct cpu {
  struct context context; // scheduler's registers, for swtch()
  int noff;               // depth of push_off() nesting
  int intena;             // were interrupts on before the first push_off()?
  volatile int idle;      // in the scheduler with nothing to run (may be in wfi)
};
extern struct cpu cpus[NCPU];

// Saved user registers, one page per process.  uservec.S depends on this
// layout: the four kernel words come first, then register xN at byte
// offset 24 + 8*N (N = 1..31; x0 needs no slot, so kernel_hartid takes it).
struct trapframe {
  uint64 kernel_sp;     //  0: top of this process's kernel stack
  uint64 kernel_trap;   //  8: usertrap()
  uint64 epc;           // 16: user pc
  uint64 kernel_hartid; // 24: tp to restore in the kernel
  uint64 ra, sp, gp, tp, t0, t1, t2, s0, s1;       // x1 .. x9
  uint64 a0, a1, a2, a3, a4, a5, a6, a7;           // x10 .. x17
  uint64 s2, s3, s4, s5, s6, s7, s8, s9, s10, s11; // x18 .. x27
  uint64 t3, t4, t5, t6;                           // x28 .. x31
};

enum procstate { UNUSED, USED, SLEEPING, RUNNABLE, RUNNING, ZOMBIE };

struct proc {
  struct spinlock lock;

  // Guarded by lock.
  enum procstate state;
  void *chan;             // what a SLEEPING process waits for
  int killed;
  int xstate;             // exit status, for the parent's wait()
  int pid;
  int hart;               // the hart running it, while RUNNING (shown by ^P)

  // Guarded by wait_lock (proc.c).
  struct proc *parent;

  // Private to the process: no lock needed while it runs.
  uint64 kstack;          // kernel stack virtual address
  uint64 sz;              // bytes of user memory
  pagetable_t pagetable;
  struct trapframe *trapframe;
  struct context context; // swtch() here to run the process
  struct file *ofile[NOFILE];
  struct inode *cwd;
  char name[16];
};
