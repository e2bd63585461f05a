// exec.c: replace the calling process's memory with a program loaded from an ELF file.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "defs.h"
#include "elf.h"

// Page permissions for a program segment's ELF flags (read is implied).
static int
segment_perm(uint32 flags)
{
  int perm = 0;
  if(flags & ELF_PROG_FLAG_EXEC)
    perm |= PTE_X;
  if(flags & ELF_PROG_FLAG_WRITE)
    perm |= PTE_W;
  return perm;
}

// Copy filesz bytes at file offset off into the already-mapped user range
// starting at page-aligned va.
static int
load_segment(pagetable_t pt, uint64 va, struct inode *ip, uint off, uint filesz)
{
  for(uint done = 0; done < filesz; done += PGSIZE){
    uint64 pa = walkaddr(pt, va + done);
    if(pa == 0)
      panic("load_segment: page not mapped");
    uint n = filesz - done < PGSIZE ? filesz - done : PGSIZE;
    if(readi(ip, 0, pa, off + done, n) != n)
      return -1;
  }
  return 0;
}

// Map every loadable segment of the ELF file, keeping *szp at the end of
// what is mapped so far (the caller frees that much on failure).
// -1 on a malformed file or lack of memory.
static int
load_program(pagetable_t pt, struct inode *ip, struct elfhdr *eh, uint64 *szp)
{
  for(int i = 0; i < eh->phnum; i++){
    struct proghdr ph;
    uint off = eh->phoff + i * sizeof(ph);
    if(readi(ip, 0, (uint64)&ph, off, sizeof(ph)) != sizeof(ph))
      return -1;
    if(ph.type != ELF_PROG_LOAD)
      continue;
    if(ph.memsz < ph.filesz || ph.vaddr + ph.memsz < ph.vaddr ||
       ph.vaddr % PGSIZE != 0 || ph.vaddr < *szp)
      return -1;
    uint64 newsz = uvmalloc(pt, *szp, ph.vaddr + ph.memsz, segment_perm(ph.flags));
    if(newsz == 0)
      return -1;
    *szp = newsz;
    if(load_segment(pt, ph.vaddr, ip, ph.off, ph.filesz) < 0)
      return -1;
  }
  return 0;
}

// Build the initial stack: the argument strings, then the argv array that
// points at them.  Returns the new stack pointer, or 0 if they do not fit.
static uint64
push_arguments(pagetable_t pt, uint64 sp, uint64 stackbase, char **argv, int *argcp)
{
  uint64 ustack[MAXARG + 1];
  int argc;

  for(argc = 0; argv[argc]; argc++){
    if(argc >= MAXARG)
      return 0;
    sp -= strlen(argv[argc]) + 1;
    sp -= sp % 16;   // the RISC-V ABI keeps sp 16-byte aligned
    if(sp < stackbase || copyout(pt, sp, argv[argc], strlen(argv[argc]) + 1) < 0)
      return 0;
    ustack[argc] = sp;
  }
  ustack[argc] = 0;

  sp -= (argc + 1) * sizeof(uint64);
  sp -= sp % 16;
  if(sp < stackbase || copyout(pt, sp, (char *)ustack, (argc + 1) * sizeof(uint64)) < 0)
    return 0;
  *argcp = argc;
  return sp;
}

int
kexec(char *path, char **argv)
{
  struct proc *p = myproc();
  struct elfhdr eh;
  pagetable_t pt = 0;
  uint64 sz = 0;

  begin_op();
  struct inode *ip = namei(path);
  if(ip == 0){
    end_op();
    return -1;
  }
  ilock(ip);

  if(readi(ip, 0, (uint64)&eh, 0, sizeof(eh)) != sizeof(eh) || eh.magic != ELF_MAGIC)
    goto bad;
  if((pt = uvmcreate()) == 0)
    goto bad;
  if(load_program(pt, ip, &eh, &sz) < 0)
    goto bad;
  iunlockput(ip);
  end_op();
  ip = 0;

  // The stack goes on the next page boundary, with an inaccessible guard
  // page below it to catch overflows.
  sz = PGROUNDUP(sz);
  uint64 top = uvmalloc(pt, sz, sz + (USERSTACK + 1) * PGSIZE, PTE_W);
  if(top == 0)
    goto bad;
  sz = top;
  uvmclear(pt, sz - (USERSTACK + 1) * PGSIZE);

  int argc;
  uint64 sp = push_arguments(pt, sz, sz - USERSTACK * PGSIZE, argv, &argc);
  if(sp == 0)
    goto bad;

  // Past the point of no return: install the new image.
  char *last = path;
  for(char *s = path; *s; s++)
    if(*s == '/')
      last = s + 1;
  safestrcpy(p->name, last, sizeof(p->name));

  pagetable_t oldpt = p->pagetable;
  uint64 oldsz = p->sz;
  p->pagetable = pt;
  p->sz = sz;
  p->trapframe->epc = eh.entry;
  p->trapframe->sp = sp;
  p->trapframe->a1 = sp;        // argv; argc is returned in a0
  use_pagetable(pt);            // off the old table before freeing it
  uvmfree(oldpt, oldsz);
  return argc;

bad:
  if(pt)
    uvmfree(pt, sz);
  if(ip){
    iunlockput(ip);
    end_op();
  }
  return -1;
}
