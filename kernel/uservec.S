# uservec.S: entering the kernel from user mode, and going back.
#
# The kernel is mapped in every user page table (memlayout.h), so neither
# direction changes satp: a trap only saves the user registers and moves
# to the process's kernel stack.  While a process runs in user mode,
# sscratch holds the kernel address of its trap frame (proc.h gives the
# layout: register xN lives at offset 24 + 8*N).

#define XOFF(n) (24 + 8 * (n))

        .section .text
# Trap from user mode (stvec points here).
        .align 4
        .globl uservec
uservec:
        .cfi_startproc
        .cfi_undefined ra               # debuggers: the outermost kernel frame
        csrrw   a0, sscratch, a0        # a0 = trap frame, sscratch = user a0
        .irp n, 1,2,3,4,5,6,7,8,9,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        sd      x\n, XOFF(\n)(a0)
        .endr
        csrr    t0, sscratch
        sd      t0, XOFF(10)(a0)        # the user's a0

        ld      sp, 0(a0)               # kernel_sp
        ld      tp, 24(a0)              # kernel_hartid
        ld      t0, 8(a0)               # kernel_trap: usertrap()
        jalr    t0                      # usertrap() never returns here
        .cfi_endproc

# userret(trapframe): return to user mode with the registers saved in the
# trap frame.  No fence: the user half of the page table changes only in
# exec() and sbrk(), which fence themselves.
        .globl userret
userret:
        csrw    sscratch, a0            # where the next trap saves registers
        .irp n, 1,2,3,4,5,6,7,8,9,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        ld      x\n, XOFF(\n)(a0)
        .endr
        ld      a0, XOFF(10)(a0)
        sret
