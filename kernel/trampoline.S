# trampoline.S: the page that switches between user and kernel address spaces.
#
# It is mapped at TRAMPOLINE in the kernel's and every user page table, so
# execution continues across the satp write.  While a process runs in user
# mode, sscratch holds the user address of its trap frame (proc.h gives the
# layout: register xN lives at offset 32 + 8*N).

#define XOFF(n) (32 + 8 * (n))

        .section trampsec
        .globl trampoline
trampoline:

# Trap from user mode (stvec points here).
        .align 4
        .globl uservec
uservec:
        csrrw   a0, sscratch, a0        # a0 = trap frame, sscratch = user a0
        .irp n, 1,2,3,4,5,6,7,8,9,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        sd      x\n, XOFF(\n)(a0)
        .endr
        csrr    t0, sscratch
        sd      t0, XOFF(10)(a0)        # the user's a0

        ld      sp, 8(a0)               # kernel_sp
        ld      tp, 32(a0)              # kernel_hartid
        ld      t0, 16(a0)              # kernel_trap: usertrap()
        ld      t1, 0(a0)               # kernel_satp

        # No fence before the switch: user mode cannot change a page table.
        # The one after it drops user translations that would otherwise
        # shadow kernel addresses (there are no ASIDs).
        csrw    satp, t1
        sfence.vma zero, zero
        jr      t0                      # usertrap() never returns here

# userret(satp, trapframe): switch to the user page table and return to
# user mode with the registers saved in the trap frame.
        .globl userret
userret:
        # One fence, after the switch, both publishes the kernel's page-table
        # stores (sbrk, exec) and drops the kernel's translations.  Under
        # QEMU each fence empties the whole software TLB: a second one cost
        # about 10% of the CPU time per echoed datagram (tools/bench.py).
        csrw    satp, a0
        sfence.vma zero, zero
        csrw    sscratch, a1            # where the next trap saves registers
        mv      a0, a1
        .irp n, 1,2,3,4,5,6,7,8,9,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        ld      x\n, XOFF(\n)(a0)
        .endr
        ld      a0, XOFF(10)(a0)
        sret
