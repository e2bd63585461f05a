// riscv.h: access to RISC-V control registers, and Sv39 page-table definitions.
#pragma once
#ifndef __ASSEMBLER__
#include "types.h"

// One reader and one writer per CSR, generated so the list below stays short.
#define CSR_READ(name) \
  static inline uint64 r_##name(void) { uint64 v; asm volatile("csrr %0, " #name : "=r"(v)); return v; }
#define CSR_WRITE(name) \
  static inline void w_##name(uint64 v) { asm volatile("csrw " #name ", %0" : : "r"(v)); }
#define CSR_RW(name) CSR_READ(name) CSR_WRITE(name)

// Machine mode (used only by mstart.c before dropping to supervisor mode).
CSR_READ(mhartid)
CSR_RW(mstatus) CSR_RW(mepc) CSR_RW(medeleg) CSR_RW(mideleg) CSR_RW(mie)
CSR_RW(mcounteren) CSR_RW(menvcfg) CSR_RW(pmpcfg0) CSR_RW(pmpaddr0)
CSR_RW(mtvec) CSR_RW(mscratch)
// Supervisor mode.
CSR_RW(sstatus) CSR_RW(sie) CSR_RW(sip) CSR_RW(sepc) CSR_RW(stvec) CSR_RW(satp)
CSR_RW(scause) CSR_RW(stval) CSR_RW(sscratch) CSR_RW(stimecmp) CSR_RW(scounteren)
CSR_READ(time)

#define MSTATUS_MPP_MASK (3L << 11)   // previous privilege mode
#define MSTATUS_MPP_S    (1L << 11)
#define MENVCFG_STCE     (1L << 63)   // Sstc: S-mode owns stimecmp
#define MCOUNTEREN_TM    (1L << 1)    // S-mode may read `time`
#define MIE_MSIE         (1L << 3)    // machine software interrupt (CLINT msip)

#define SCOUNTEREN_TM (1L << 1)  // user mode may read `time` (rdtime)

#define SSTATUS_SPP  (1L << 8)   // trap came from supervisor mode
#define SSTATUS_SPIE (1L << 5)   // interrupts enabled before the trap
#define SSTATUS_SIE  (1L << 1)   // supervisor interrupt enable

#define SIE_SSIE (1L << 1)   // software
#define SIP_SSIP (1L << 1)
#define SIE_STIE (1L << 5)   // timer
#define SIE_SEIE (1L << 9)   // external (PLIC)

// scause values (interrupt bit set for interrupts).
#define SCAUSE_INTR      (1UL << 63)
#define SCAUSE_SSOFT     (SCAUSE_INTR | 1)
#define SCAUSE_STIMER    (SCAUSE_INTR | 5)
#define SCAUSE_SEXTERNAL (SCAUSE_INTR | 9)
#define SCAUSE_ECALL_U   8

static inline uint64 r_tp(void) { uint64 v; asm volatile("mv %0, tp" : "=r"(v)); return v; }
static inline void w_tp(uint64 v) { asm volatile("mv tp, %0" : : "r"(v)); }
static inline uint64 r_sp(void) { uint64 v; asm volatile("mv %0, sp" : "=r"(v)); return v; }
static inline uint64 r_ra(void) { uint64 v; asm volatile("mv %0, ra" : "=r"(v)); return v; }

static inline void intr_on(void)  { w_sstatus(r_sstatus() | SSTATUS_SIE); }
static inline void intr_off(void) { w_sstatus(r_sstatus() & ~SSTATUS_SIE); }
static inline int  intr_get(void) { return (r_sstatus() & SSTATUS_SIE) != 0; }

// Drop every cached translation (after a page-table change or satp write).
static inline void sfence_vma(void) { asm volatile("sfence.vma zero, zero"); }

#endif // __ASSEMBLER__

#define PGSIZE  4096
#define PGSHIFT 12
#define PGROUNDUP(a)   (((a) + PGSIZE - 1) & ~(PGSIZE - 1))
#define PGROUNDDOWN(a) ((a) & ~(PGSIZE - 1))

// Sv39 page-table entry bits.
#define PTE_V (1L << 0)
#define PTE_R (1L << 1)
#define PTE_W (1L << 2)
#define PTE_X (1L << 3)
#define PTE_U (1L << 4)

#define PA2PTE(pa)    ((((uint64)(pa)) >> 12) << 10)
#define PTE2PA(pte)   (((pte) >> 10) << 12)
#define PTE_FLAGS(pte) ((pte) & 0x3FF)

// Nine index bits per level; level 2 is the root.
#define PX(level, va) ((((uint64)(va)) >> (PGSHIFT + 9 * (level))) & 0x1FF)

// satp value selecting Sv39 with the given root table.
#define SATP_SV39 (8L << 60)
#define MAKE_SATP(pt) (SATP_SV39 | (((uint64)(pt)) >> 12))

// One bit less than Sv39 allows, so addresses never need sign extension.
#define MAXVA (1L << (9 + 9 + 9 + 12 - 1))
