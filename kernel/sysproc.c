// sysproc.c: system calls about processes, memory and time.
#include "types.h"
#include "riscv.h"
#include "param.h"
#include "memlayout.h"
#include "spinlock.h"
#include "proc.h"
#include "defs.h"

uint64
sys_exit(void)
{
  int status;
  argint(0, &status);
  exit(status);
}

uint64
sys_getpid(void)
{
  return myproc()->pid;
}

uint64
sys_fork(void)
{
  return fork();
}

uint64
sys_wait(void)
{
  uint64 status_addr;
  argaddr(0, &status_addr);
  return wait(status_addr);
}

uint64
sys_sbrk(void)
{
  int n;
  argint(0, &n);
  uint64 old = myproc()->sz;
  if(growproc(n) < 0)
    return -1;
  return old;
}

// Sleep for n clock ticks; -1 if killed meanwhile.
uint64
sys_sleep(void)
{
  int n;
  argint(0, &n);
  if(n < 0)
    n = 0;

  acquire(&tickslock);
  uint start = ticks;
  while(ticks - start < (uint)n){
    if(sleep_killable(&ticks, &tickslock) < 0){
      release(&tickslock);
      return -1;
    }
  }
  release(&tickslock);
  return 0;
}

uint64
sys_kill(void)
{
  int pid;
  argint(0, &pid);
  return kill(pid);
}

uint64
sys_uptime(void)
{
  acquire(&tickslock);
  uint t = ticks;
  release(&tickslock);
  return t;
}

uint64
sys_freepages(void)
{
  return kfreecount();
}
