# entry.S: first instructions of every hart, in machine mode at 0x80000000.
# Give each hart its own boot stack, then continue in C (mstart.c).
        .section .text.entry
        .globl _entry
_entry:
        csrr    t0, mhartid
        addi    t0, t0, 1
        li      t1, 4096
        mul     t0, t0, t1          # (hartid + 1) * 4096: top of this hart's stack
        la      sp, boot_stacks
        add     sp, sp, t0
        call    mstart
hang:
        wfi                         # mstart never returns; just in case
        j       hang

# machinevec: machine-mode trap handler.  Supervisor mode cannot receive an
# inter-processor interrupt directly on this machine, so a hart that wants to
# wake another writes that hart's CLINT msip; the machine software interrupt
# lands here, is cleared, and is passed on as a supervisor software interrupt.
        .globl machinevec
        .align 4
machinevec:
        csrrw   a0, mscratch, a0        # a0 = this hart's scratch area
        sd      a1, 0(a0)
        sd      a2, 8(a0)
        csrr    a1, mhartid
        slli    a1, a1, 2
        li      a2, 0x2000000           # CLINT: msip of hart h at +4*h
        add     a1, a1, a2
        sw      zero, 0(a1)
        li      a1, 2                   # mip.SSIP
        csrs    mip, a1
        ld      a1, 0(a0)
        ld      a2, 8(a0)
        csrrw   a0, mscratch, a0
        mret
