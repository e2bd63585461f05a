// netport.h: the only kernel services the packet path (mbuf, ethernet, arp,
// ip, udp, icmp, socket) may use, so that it also builds and runs on the host.
//
// The kernel provides them as usual; test/host/netport_host.c provides the
// same functions for the host unit tests and fuzzers (built with
// -DNETPORT_HOST).  A protocol file that reached for anything else would
// stop compiling on the host, which is how this boundary stays honest.
#pragma once
#include "types.h"
#include "param.h"
#include "spinlock.h"

#ifdef NETPORT_HOST
#include <stdio.h>    // printf
#include <string.h>   // memmove, memset, memcmp
#else
#include "defs.h"
#endif

// One page of memory (NET_PAGESIZE bytes), or 0 when none is left.
void *kalloc(void);
void  kfree(void *pa);
#define NET_PAGESIZE 4096

// Spin locks; sleep() releases lk while waiting and takes it back.
// sleep_killable() does too, but returns -1 (lk held) instead once the
// caller is killed, before or during the wait: that ends a blocked socket
// read.
void initlock(struct spinlock *lk, char *name);
void acquire(struct spinlock *lk);
void release(struct spinlock *lk);
void sleep(void *chan, struct spinlock *lk);
int  sleep_killable(void *chan, struct spinlock *lk);
void wakeup(void *chan);
int  sleepers(void *chan);                   // processes asleep on chan now
void lock_widen(struct spinlock *lk, int ms, int at_acquire);   // a race test's pauses

// Copies to and from the caller's memory; -1 on a bad address.
int either_copyout(int user_dst, uint64 dst, void *src, uint64 len);
int either_copyin(void *dst, int user_src, uint64 src, uint64 len);

// Clock: TICK_HZ ticks per second, and a finer one in microseconds (the
// time CSR; TCP's initial sequence numbers need both a key and a clock).
extern uint ticks;
uint64 net_usec(void);

// n bytes for a secret key (TCP's ISN key, RFC 6528): from the platform's
// entropy source, in the kernel virtio-rng (virtio_rng.c).
void net_entropy(void *dst, int n);

// The driver is reached through net_dev (net.h).  The code that attaches a
// card also takes its interrupt: the PLIC source trap.c passes to
// net_dev->intr(), enabled on hart 0.
extern int net_irq;
void plic_enable(int irq);
