// hostnet.h: what the host shim (netport_host.c) lets the packet-path tests see and steer.
#pragma once
#include "net.h"

extern uint64 host_entropy_seed;   // what net_entropy() derives its bytes from
extern int host_ring_full;      // the host "driver" refuses frames while set
extern int host_killed;         // sleep_killable() answers this
extern int host_wakeups;        // wakeup() calls so far
extern long host_pages;         // pages from kalloc() not yet freed
extern void (*host_tx_hook)(void);   // run once, by the next transmit, before it
                                     // takes its frame: another hart's send, forced in

struct mbuf *host_sent(void);   // oldest frame "transmitted" and not yet taken, or 0
int host_nsent(void);           // frames waiting in host_sent()
