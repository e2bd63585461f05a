// spinlock.h: a busy-waiting mutual-exclusion lock.
#pragma once
#include "types.h"

struct spinlock {
  uint locked;        // nonzero while held
  char *name;         // for panics and debugging
  struct cpu *owner;  // hart holding it
  uint64 widen_until; // lock_widen(): r_time() before which it pauses,
  int widen_acquire;  // before each acquire (1) or after each release (0)
};
