# kernelvec.S: entry for traps taken while in supervisor mode.
#
# Only caller-saved registers need saving: kerneltrap() is a C function and
# keeps the callee-saved ones itself.  tp is not restored, because a timer
# interrupt may yield and resume this thread on a different hart.

#define CALLER_SAVED ra,t0,t1,t2,a0,a1,a2,a3,a4,a5,a6,a7,t3,t4,t5,t6

        .globl kerneltrap
        .globl kernelvec
        .align 4
kernelvec:
        addi    sp, sp, -128
        .set    slot, 0
        .irp r, CALLER_SAVED
        sd      \r, slot(sp)
        .set    slot, slot + 8
        .endr

        call    kerneltrap

        .set    slot, 0
        .irp r, CALLER_SAVED
        ld      \r, slot(sp)
        .set    slot, slot + 8
        .endr
        addi    sp, sp, 128
        sret
