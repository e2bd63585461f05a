// syscall.c: system call dispatch, and fetching arguments from the trap frame and user memory.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "syscall.h"
#include "defs.h"

// Read a 64-bit word at user address addr.
int
fetchaddr(uint64 addr, uint64 *ip)
{
  struct proc *p = myproc();
  if(addr >= p->sz || addr + sizeof(uint64) > p->sz || addr + sizeof(uint64) < addr)
    return -1;
  return copyin(p->pagetable, (char *)ip, addr, sizeof(*ip));
}

// Copy the string at user address addr into buf.  Its length, or -1.
int
fetchstr(uint64 addr, char *buf, int max)
{
  if(copyinstr(myproc()->pagetable, buf, addr, max) < 0)
    return -1;
  return strlen(buf);
}

// The n-th argument register (a0 .. a5).
static uint64
argraw(int n)
{
  struct trapframe *tf = myproc()->trapframe;
  uint64 regs[] = { tf->a0, tf->a1, tf->a2, tf->a3, tf->a4, tf->a5 };
  if(n < 0 || n >= NELEM(regs))
    panic("argraw: no such argument");
  return regs[n];
}

// Fetching an integer or address cannot fail; whether the address is
// usable is checked when it is used (copyin/copyout).
void
argint(int n, int *ip)
{
  *ip = argraw(n);
}

void
argaddr(int n, uint64 *ip)
{
  *ip = argraw(n);
}

// Fetch the n-th argument as a string of at most max bytes (terminator
// included).  Its length, or -1.
int
argstr(int n, char *buf, int max)
{
  uint64 addr;
  argaddr(n, &addr);
  return fetchstr(addr, buf, max);
}

uint64 sys_fork(void), sys_exit(void), sys_wait(void), sys_pipe(void);
uint64 sys_read(void), sys_kill(void), sys_exec(void), sys_fstat(void);
uint64 sys_chdir(void), sys_dup(void), sys_getpid(void), sys_sbrk(void);
uint64 sys_sleep(void), sys_uptime(void), sys_open(void), sys_write(void);
uint64 sys_mknod(void), sys_unlink(void), sys_link(void), sys_mkdir(void);
uint64 sys_close(void), sys_freepages(void), sys_diskstat(void);
uint64 sys_socket(void), sys_bind(void), sys_connect(void), sys_sendto(void);
uint64 sys_recvfrom(void), sys_sockinfo(void), sys_netinfo(void), sys_nettrace(void);
uint64 sys_listen(void), sys_accept(void), sys_shutdown(void), sys_ringinfo(void);
uint64 sys_sockopt(void);
uint64 sys_arppin(void);

static uint64 (*const syscalls[])(void) = {
  [SYS_fork]   sys_fork,   [SYS_exit]   sys_exit,   [SYS_wait]      sys_wait,
  [SYS_pipe]   sys_pipe,   [SYS_read]   sys_read,   [SYS_kill]      sys_kill,
  [SYS_exec]   sys_exec,   [SYS_fstat]  sys_fstat,  [SYS_chdir]     sys_chdir,
  [SYS_dup]    sys_dup,    [SYS_getpid] sys_getpid, [SYS_sbrk]      sys_sbrk,
  [SYS_sleep]  sys_sleep,  [SYS_uptime] sys_uptime, [SYS_open]      sys_open,
  [SYS_write]  sys_write,  [SYS_mknod]  sys_mknod,  [SYS_unlink]    sys_unlink,
  [SYS_link]   sys_link,   [SYS_mkdir]  sys_mkdir,  [SYS_close]     sys_close,
  [SYS_freepages] sys_freepages, [SYS_diskstat] sys_diskstat,
  [SYS_socket] sys_socket, [SYS_bind]   sys_bind,   [SYS_connect]   sys_connect,
  [SYS_sendto] sys_sendto, [SYS_recvfrom] sys_recvfrom, [SYS_sockinfo] sys_sockinfo,
  [SYS_netinfo] sys_netinfo, [SYS_nettrace] sys_nettrace, [SYS_arppin] sys_arppin,
  [SYS_listen] sys_listen, [SYS_accept] sys_accept, [SYS_shutdown] sys_shutdown,
  [SYS_ringinfo] sys_ringinfo, [SYS_sockopt] sys_sockopt,
};

void
syscall(void)
{
  struct proc *p = myproc();
  uint64 num = p->trapframe->a7;

  if(num < NELEM(syscalls) && syscalls[num]){
    p->trapframe->a0 = syscalls[num]();
  } else {
    printf("pid %d (%s): unknown system call %ld\n", p->pid, p->name, num);
    p->trapframe->a0 = -1;
  }
}
