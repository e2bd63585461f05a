// sleeplock.h: a lock whose waiters sleep, for long holds such as disk I/O.
#pragma once
#include "spinlock.h"

struct sleeplock {
  uint held;
  struct spinlock guard;  // protects `held` and `pid`
  char *name;
  int pid;                // holder
};
