// vm.c: Sv39 page tables: the kernel's own, user address spaces, and copies across them.
#include "param.h"
#include "types.h"
#include "memlayout.h"
#include "riscv.h"
#include "defs.h"

// Why one address space for the kernel and each process (memlayout.h):
// under QEMU, every satp write and every sfence.vma empties the hart's
// whole software TLB and its cache of translated code, and a trap that
// switched page tables paid for that twice on the way in and twice on the
// way out.  With the kernel mapped in every user page table and satp left
// alone, a system call costs a fraction of what it did, and so does an
// echo (bench/README.md, the cost model).  Page tables now change only
// when a hart switches processes (scheduler(), exec()).
pagetable_t kernel_pagetable;

extern char etext[];       // end of kernel code (kernel.ld)

// The kernel's half of every address space: RAM at its own address, the
// devices at KDEV(their address), one kernel stack per process slot.
static pagetable_t
kvmmake(void)
{
  pagetable_t kpt = kalloc();
  if(kpt == 0)
    panic("kvmmake: out of memory");
  memset(kpt, 0, PGSIZE);

  kvmmap(kpt, KDEV(CLINT), CLINT, PGSIZE, PTE_R | PTE_W);   // msip words, for wake-ups
  kvmmap(kpt, KDEV(UART0), UART0, PGSIZE, PTE_R | PTE_W);
  kvmmap(kpt, KDEV(VIRTIO0), VIRTIO0, 8 * PGSIZE, PTE_R | PTE_W);
  kvmmap(kpt, KDEV(PLIC), PLIC, PLIC_SIZE, PTE_R | PTE_W);
  kvmmap(kpt, KDEV(PCIE_ECAM), PCIE_ECAM, PCIE_ECAM_BUS0, PTE_R | PTE_W);
  kvmmap(kpt, KDEV(PCIE_MMIO), PCIE_MMIO, PCIE_MMIO_MAPPED, PTE_R | PTE_W);
  kvmmap(kpt, KERNBASE, KERNBASE, (uint64)etext - KERNBASE, PTE_R | PTE_X);
  kvmmap(kpt, (uint64)etext, (uint64)etext, PHYSTOP - (uint64)etext, PTE_R | PTE_W);
  proc_mapstacks(kpt);
  return kpt;
}

void
kvminit(void)
{
  kernel_pagetable = kvmmake();
}

// Turn on paging for this hart.
void
kvminithart(void)
{
  use_pagetable(kernel_pagetable);
}

// Run on page table pt from now on.  The fence drops what this hart cached
// from the old table, and orders the stores that built pt (made on this
// hart, or on another before a lock hand-off) before the walker reads it.
void
use_pagetable(pagetable_t pt)
{
  w_satp(MAKE_SATP(pt));
  sfence_vma();
}

// The PTE for va in the leaf table, creating missing middle tables when
// alloc is set.  Returns 0 if a table is missing (or cannot be allocated).
pte_t *
walk(pagetable_t pt, uint64 va, int alloc)
{
  if(va >= MAXVA)
    panic("walk: address beyond MAXVA");

  for(int level = 2; level > 0; level--){
    pte_t *pte = &pt[PX(level, va)];
    if(*pte & PTE_V){
      pt = (pagetable_t)PTE2PA(*pte);
      continue;
    }
    if(!alloc || (pt = kalloc()) == 0)
      return 0;
    memset(pt, 0, PGSIZE);
    *pte = PA2PTE(pt) | PTE_V;
  }
  return &pt[PX(0, va)];
}

// Physical address behind a user virtual address, or 0 if it is not
// mapped for user access.
uint64
walkaddr(pagetable_t pt, uint64 va)
{
  if(va >= USERTOP)
    return 0;
  pte_t *pte = walk(pt, va, 0);
  if(pte == 0 || (*pte & (PTE_V | PTE_U)) != (PTE_V | PTE_U))
    return 0;
  return PTE2PA(*pte);
}

// Map [va, va+size) to [pa, pa+size).  va and size must be page aligned.
// Returns -1 when a page-table page cannot be allocated.
int
mappages(pagetable_t pt, uint64 va, uint64 size, uint64 pa, int perm)
{
  if(va % PGSIZE || size % PGSIZE || size == 0)
    panic("mappages: unaligned or empty range");

  for(uint64 off = 0; off < size; off += PGSIZE){
    pte_t *pte = walk(pt, va + off, 1);
    if(pte == 0)
      return -1;
    if(*pte & PTE_V)
      panic("mappages: page already mapped");
    *pte = PA2PTE(pa + off) | perm | PTE_V;
  }
  return 0;
}

// Kernel-only mapping at boot, when running out of memory is fatal.
void
kvmmap(pagetable_t kpt, uint64 va, uint64 pa, uint64 sz, int perm)
{
  if(va < USERTOP)
    panic("kvmmap: below USERTOP, where user memory goes");
  if(mappages(kpt, va, PGROUNDUP(sz), pa, perm) != 0)
    panic("kvmmap: out of memory");
}

// Remove npages mappings from va, freeing the physical pages if asked.
// Pages that were never mapped (lazy holes) are skipped.
void
uvmunmap(pagetable_t pt, uint64 va, uint64 npages, int do_free)
{
  if(va % PGSIZE)
    panic("uvmunmap: unaligned");

  for(uint64 a = va; a < va + npages * PGSIZE; a += PGSIZE){
    pte_t *pte = walk(pt, a, 0);
    if(pte == 0 || (*pte & PTE_V) == 0)
      continue;
    if(PTE_FLAGS(*pte) == PTE_V)
      panic("uvmunmap: not a leaf");
    if(do_free)
      kfree((void *)PTE2PA(*pte));
    *pte = 0;
  }
}

// Root-table slots at and above this one belong to the kernel: every user
// page table points them at the kernel's own lower-level tables.  Copying
// the slots once is enough because kvmmake() maps everything the kernel
// will ever map before the first process exists.
#define KERNEL_ROOT_SLOT PX(2, USERTOP)

// A user page table with no user memory yet, only the kernel's half; 0
// when memory is short.
pagetable_t
uvmcreate(void)
{
  pagetable_t pt = kalloc();
  if(pt == 0)
    return 0;
  memset(pt, 0, PGSIZE);
  for(int i = KERNEL_ROOT_SLOT; i < 512; i++)
    pt[i] = kernel_pagetable[i];
  return pt;
}

// Grow a process from oldsz to newsz bytes with zeroed pages.
// Returns the new size, or 0 (with nothing allocated) on failure.
uint64
uvmalloc(pagetable_t pt, uint64 oldsz, uint64 newsz, int xperm)
{
  if(newsz <= oldsz)
    return oldsz;
  if(newsz > USERTOP)
    return 0;

  for(uint64 a = PGROUNDUP(oldsz); a < newsz; a += PGSIZE){
    char *mem = kalloc();
    if(mem == 0){
      uvmdealloc(pt, a, oldsz);
      return 0;
    }
    memset(mem, 0, PGSIZE);
    if(mappages(pt, a, PGSIZE, (uint64)mem, PTE_R | PTE_U | xperm) != 0){
      kfree(mem);
      uvmdealloc(pt, a, oldsz);
      return 0;
    }
  }
  return newsz;
}

// Shrink a process from oldsz to newsz bytes.  Returns the new size.
uint64
uvmdealloc(pagetable_t pt, uint64 oldsz, uint64 newsz)
{
  if(newsz >= oldsz)
    return oldsz;
  uint64 keep = PGROUNDUP(newsz), had = PGROUNDUP(oldsz);
  if(keep < had)
    uvmunmap(pt, keep, (had - keep) / PGSIZE, 1);
  return newsz;
}

// Free the page-table pages themselves; every leaf must already be gone.
static void
free_tables(pagetable_t pt)
{
  for(int i = 0; i < 512; i++){
    pte_t pte = pt[i];
    if((pte & PTE_V) == 0)
      continue;
    if(pte & (PTE_R | PTE_W | PTE_X))
      panic("free_tables: leaf still mapped");
    free_tables((pagetable_t)PTE2PA(pte));
    pt[i] = 0;
  }
  kfree(pt);
}

// Free a user address space: sz bytes of memory, then its own tables
// (the kernel's half is shared, and stays).
void
uvmfree(pagetable_t pt, uint64 sz)
{
  if(sz > 0)
    uvmunmap(pt, 0, PGROUNDUP(sz) / PGSIZE, 1);
  for(int i = KERNEL_ROOT_SLOT; i < 512; i++)
    pt[i] = 0;
  free_tables(pt);
}

// Give the child (new) a private copy of the parent's first sz bytes.
// On failure, everything copied so far is freed and -1 returned.
int
uvmcopy(pagetable_t old, pagetable_t new, uint64 sz)
{
  for(uint64 a = 0; a < sz; a += PGSIZE){
    pte_t *pte = walk(old, a, 0);
    if(pte == 0 || (*pte & PTE_V) == 0)
      continue;
    char *mem = kalloc();
    if(mem == 0)
      goto fail;
    memmove(mem, (char *)PTE2PA(*pte), PGSIZE);
    if(mappages(new, a, PGSIZE, (uint64)mem, PTE_FLAGS(*pte)) != 0){
      kfree(mem);
      goto fail;
    }
  }
  return 0;

fail:
  uvmunmap(new, 0, PGROUNDUP(sz) / PGSIZE, 1);
  return -1;
}

// Make a page inaccessible to user code (exec's stack guard page).
void
uvmclear(pagetable_t pt, uint64 va)
{
  pte_t *pte = walk(pt, va, 0);
  if(pte == 0)
    panic("uvmclear: no mapping");
  *pte &= ~PTE_U;
}

// Physical page behind a user address that allows the given access,
// or 0.  Every user copy below goes through this check.
static char *
user_page(pagetable_t pt, uint64 va, int need)
{
  if(va >= USERTOP)
    return 0;
  pte_t *pte = walk(pt, va, 0);
  if(pte == 0)
    return 0;
  int want = PTE_V | PTE_U | need;
  if((*pte & want) != want)
    return 0;
  return (char *)PTE2PA(*pte);
}

// Move len bytes between kernel memory and the user range at uva, one page
// at a time.  -1 if any byte falls outside user memory with the access
// needed (writable when copying out).
static int
copy_user(pagetable_t pt, uint64 uva, char *kbuf, uint64 len, int to_user)
{
  while(len > 0){
    uint64 page = PGROUNDDOWN(uva);
    char *pa = user_page(pt, page, to_user ? PTE_W : PTE_R);
    if(pa == 0)
      return -1;
    uint64 n = PGSIZE - (uva - page);
    if(n > len)
      n = len;
    if(to_user)
      memmove(pa + (uva - page), kbuf, n);
    else
      memmove(kbuf, pa + (uva - page), n);
    len -= n;
    kbuf += n;
    uva += n;
  }
  return 0;
}

int
copyout(pagetable_t pt, uint64 dstva, char *src, uint64 len)
{
  return copy_user(pt, dstva, src, len, 1);
}

int
copyin(pagetable_t pt, char *dst, uint64 srcva, uint64 len)
{
  return copy_user(pt, srcva, dst, len, 0);
}

// Copy a NUL-terminated string of at most max bytes (terminator included)
// from user space.  -1 on a bad address or a string that is too long.
int
copyinstr(pagetable_t pt, char *dst, uint64 srcva, uint64 max)
{
  while(max > 0){
    uint64 page = PGROUNDDOWN(srcva);
    char *pa = user_page(pt, page, PTE_R);
    if(pa == 0)
      return -1;
    for(uint64 off = srcva - page; off < PGSIZE && max > 0; off++, max--){
      *dst = pa[off];
      if(*dst == 0)
        return 0;
      dst++;
    }
    srcva = page + PGSIZE;
  }
  return -1;
}
