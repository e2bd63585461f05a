// sysfile.c: file-system system calls: argument checking, then calls into file.c and fs.c.
#include "types.h"
#include "riscv.h"
#include "param.h"
#include "stat.h"
#include "spinlock.h"
#include "proc.h"
#include "fs.h"
#include "sleeplock.h"
#include "file.h"
#include "fcntl.h"
#include "defs.h"

#define O_ACCMODE (O_RDONLY | O_WRONLY | O_RDWR)

// The open file named by descriptor argument n, or 0; its number goes to
// *pfd if pfd is not null.
struct file *
argfile(int n, int *pfd)
{
  int fd;
  struct file *f;

  argint(n, &fd);
  if(fd < 0 || fd >= NOFILE)
    return 0;
  f = myproc()->ofile[fd];
  if(f && pfd)
    *pfd = fd;
  return f;
}

// Give f the lowest free descriptor of the current process, or -1.
int
fd_install(struct file *f)
{
  struct proc *p = myproc();

  for(int fd = 0; fd < NOFILE; fd++){
    if(p->ofile[fd] == 0){
      p->ofile[fd] = f;
      return fd;
    }
  }
  return -1;
}

uint64
sys_dup(void)
{
  struct file *f = argfile(0, 0);
  int fd;

  if(f == 0 || (fd = fd_install(f)) < 0)
    return -1;
  filedup(f);
  return fd;
}

// Shared argument handling of read and write: fd, buffer, length >= 0.
static struct file *
args_rw(uint64 *addr, int *n)
{
  argaddr(1, addr);
  argint(2, n);
  if(*n < 0)
    return 0;
  return argfile(0, 0);
}

uint64
sys_read(void)
{
  uint64 addr;
  int n;
  struct file *f = args_rw(&addr, &n);

  return f ? fileread(f, addr, n) : -1;
}

uint64
sys_write(void)
{
  uint64 addr;
  int n;
  struct file *f = args_rw(&addr, &n);

  return f ? filewrite(f, addr, n) : -1;
}

uint64
sys_close(void)
{
  int fd;
  struct file *f = argfile(0, &fd);

  if(f == 0)
    return -1;
  myproc()->ofile[fd] = 0;
  fileclose(f);
  return 0;
}

uint64
sys_fstat(void)
{
  uint64 st;
  struct file *f = argfile(0, 0);

  argaddr(1, &st);
  return f ? filestat(f, st) : -1;
}

// The buffer cache's and the disk's counters, copied to a struct bstat.
uint64
sys_diskstat(void)
{
  uint64 addr;
  struct bstat st;

  argaddr(0, &addr);
  bstats(&st);
  return copyout(myproc()->pagetable, addr, (char *)&st, sizeof(st));
}

// ---------------------------------------------------------------- names

// Fetch path argument n into buf (MAXPATH bytes).
static int
argpath(int n, char *buf)
{
  return argstr(n, buf, MAXPATH) < 0 ? -1 : 0;
}

// Does locked directory dp hold anything besides "." and ".."?
static int
dir_has_entries(struct inode *dp)
{
  struct dirent de;

  for(uint off = 2 * sizeof(de); off + sizeof(de) <= dp->size; off += sizeof(de)){
    if(readi(dp, 0, (uint64)&de, off, sizeof(de)) != sizeof(de))
      return 1;   // unreadable: treat as occupied rather than lose data
    if(de.inum != 0)
      return 1;
  }
  return 0;
}

// link(old, new): a second name for an existing non-directory.
static int
make_link(char *old, char *new)
{
  char name[DIRSIZ];
  struct inode *ip, *dp;

  if((ip = namei(old)) == 0)
    return -1;
  ilock(ip);
  if(ip->type == T_DIR){
    iunlockput(ip);
    return -1;
  }
  // Count the link first: a crash then leaves a too-high count, which
  // wastes an inode but never frees one still named.
  ip->nlink++;
  iupdate(ip);
  iunlock(ip);

  dp = nameiparent(new, name);
  if(dp){
    ilock(dp);
    if(dp->dev == ip->dev && dirlink(dp, name, ip->inum) == 0){
      iunlockput(dp);
      iput(ip);
      return 0;
    }
    iunlockput(dp);
  }
  ilock(ip);
  ip->nlink--;
  iupdate(ip);
  iunlockput(ip);
  return -1;
}

uint64
sys_link(void)
{
  char old[MAXPATH], new[MAXPATH];
  int r;

  if(argpath(0, old) < 0 || argpath(1, new) < 0)
    return -1;
  begin_op();
  r = make_link(old, new);
  end_op();
  return r;
}

// Remove the entry `name` (at offset off) for ip from directory dp; both
// are locked.  Fails for a non-empty directory.
static int
drop_entry(struct inode *dp, struct inode *ip, uint off)
{
  struct dirent blank;

  if(ip->nlink < 1)
    panic("unlink: inode with no links");
  if(ip->type == T_DIR && dir_has_entries(ip))
    return -1;
  memset(&blank, 0, sizeof(blank));
  if(writei(dp, 0, (uint64)&blank, off, sizeof(blank)) != sizeof(blank))
    return -1;
  if(ip->type == T_DIR){
    dp->nlink--;   // ip's ".." no longer refers to dp
    iupdate(dp);
  }
  ip->nlink--;
  iupdate(ip);
  return 0;
}

static int
remove_name(char *path)
{
  char name[DIRSIZ];
  struct inode *dp, *ip;
  uint off;
  int r = -1;

  if((dp = nameiparent(path, name)) == 0)
    return -1;
  ilock(dp);
  if(namecmp(name, ".") != 0 && namecmp(name, "..") != 0 &&
     (ip = dirlookup(dp, name, &off)) != 0){
    ilock(ip);
    r = drop_entry(dp, ip, off);
    iunlockput(ip);
  }
  iunlockput(dp);
  return r;
}

uint64
sys_unlink(void)
{
  char path[MAXPATH];
  int r;

  if(argpath(0, path) < 0)
    return -1;
  begin_op();
  r = remove_name(path);
  end_op();
  return r;
}

// Fill in a new directory ip (locked) with "." and "..", parent dp.
static int
init_dir(struct inode *ip, struct inode *dp)
{
  if(dirlink(ip, ".", ip->inum) < 0 || dirlink(ip, "..", dp->inum) < 0)
    return -1;
  return 0;
}

// The name already exists: open(O_CREATE) may reuse a file or device,
// every other creation fails.  Returns ip locked, or 0.
static struct inode *
reuse_existing(struct inode *ip, short type)
{
  ilock(ip);
  if(type != T_FILE || ip->type == T_DIR){
    iunlockput(ip);
    return 0;
  }
  return ip;
}

// Make a new inode and enter it as `name` in locked directory dp.
// Returns it locked, or 0 having left nothing behind.
static struct inode *
make_entry(struct inode *dp, char *name, short type, short major, short minor)
{
  struct inode *ip = ialloc(dp->dev, type);

  if(ip == 0)
    return 0;
  ilock(ip);
  ip->major = major;
  ip->minor = minor;
  ip->nlink = 1;
  iupdate(ip);

  if((type == T_DIR && init_dir(ip, dp) < 0) || dirlink(dp, name, ip->inum) < 0){
    ip->nlink = 0;   // iput below then frees the inode and any blocks
    iupdate(ip);
    iunlockput(ip);
    return 0;
  }
  if(type == T_DIR){
    dp->nlink++;   // for the child's ".."
    iupdate(dp);
  }
  return ip;
}

// Create path with the given type and return its inode locked, or 0.
static struct inode *
create(char *path, short type, short major, short minor)
{
  char name[DIRSIZ];
  struct inode *dp, *ip;

  if((dp = nameiparent(path, name)) == 0)
    return 0;
  ilock(dp);
  if((ip = dirlookup(dp, name, 0)) != 0){
    iunlockput(dp);
    return reuse_existing(ip, type);
  }
  ip = make_entry(dp, name, type, major, minor);
  iunlockput(dp);
  return ip;
}

// Create a node and keep nothing open; shared by mkdir and mknod.
static int
make_node(char *path, short type, short major, short minor)
{
  struct inode *ip;

  begin_op();
  ip = create(path, type, major, minor);
  if(ip)
    iunlockput(ip);
  end_op();
  return ip ? 0 : -1;
}

uint64
sys_mkdir(void)
{
  char path[MAXPATH];

  if(argpath(0, path) < 0)
    return -1;
  return make_node(path, T_DIR, 0, 0);
}

uint64
sys_mknod(void)
{
  char path[MAXPATH];
  int major, minor;

  argint(1, &major);
  argint(2, &minor);
  if(argpath(0, path) < 0 || major < 0 || major >= NDEV || minor < 0)
    return -1;
  return make_node(path, T_DEVICE, major, minor);
}

// ---------------------------------------------------------------- open

// Find or create the inode for open(); returned locked, or 0.
static struct inode *
open_inode(char *path, int omode)
{
  struct inode *ip;

  if(omode & O_CREATE)
    return create(path, T_FILE, 0, 0);
  if((ip = namei(path)) == 0)
    return 0;
  ilock(ip);
  return ip;
}

// Can a file of this inode be opened with this access mode?
static int
open_allowed(struct inode *ip, int acc)
{
  if(ip->type == T_DIR && acc != O_RDONLY)
    return 0;
  if(ip->type == T_DEVICE && (ip->major < 0 || ip->major >= NDEV))
    return 0;
  return 1;
}

uint64
sys_open(void)
{
  char path[MAXPATH];
  int omode, acc, fd = -1;
  struct inode *ip;
  struct file *f = 0;

  argint(1, &omode);
  acc = omode & O_ACCMODE;
  if(argpath(0, path) < 0 || acc == O_ACCMODE)
    return -1;

  begin_op();
  if((ip = open_inode(path, omode)) == 0){
    end_op();
    return -1;
  }
  f = open_allowed(ip, acc) ? filealloc() : 0;
  if(f && (fd = fd_install(f)) < 0){
    fileclose(f);
    f = 0;
  }
  if(f == 0){
    iunlockput(ip);
    end_op();
    return -1;
  }

  if(ip->type == T_DEVICE){
    f->type = FD_DEVICE;
    f->major = ip->major;
  } else {
    f->type = FD_INODE;
    f->off = f->ra_next = f->ra_end = f->ra_win = 0;
  }
  f->ip = ip;
  f->readable = acc != O_WRONLY;
  f->writable = acc != O_RDONLY;
  if((omode & O_TRUNC) && ip->type == T_FILE)
    itrunc(ip);

  iunlock(ip);
  end_op();
  return fd;
}

uint64
sys_chdir(void)
{
  char path[MAXPATH];
  struct proc *p = myproc();
  struct inode *ip;

  if(argpath(0, path) < 0)
    return -1;
  begin_op();
  if((ip = namei(path)) == 0){
    end_op();
    return -1;
  }
  ilock(ip);
  if(ip->type != T_DIR){
    iunlockput(ip);
    end_op();
    return -1;
  }
  iunlock(ip);
  iput(p->cwd);
  end_op();
  p->cwd = ip;
  return 0;
}

uint64
sys_pipe(void)
{
  struct proc *p = myproc();
  struct file *rf, *wf;
  uint64 uaddr;
  int fds[2];

  argaddr(0, &uaddr);
  if(pipealloc(&rf, &wf) < 0)
    return -1;
  fds[0] = fd_install(rf);
  fds[1] = fds[0] < 0 ? -1 : fd_install(wf);
  if(fds[1] < 0 || copyout(p->pagetable, uaddr, (char *)fds, sizeof(fds)) < 0){
    for(int i = 0; i < 2; i++)
      if(fds[i] >= 0)
        p->ofile[fds[i]] = 0;
    fileclose(rf);
    fileclose(wf);
    return -1;
  }
  return 0;
}

// ---------------------------------------------------------------- exec

// Copy the user's NULL-terminated argv array into kalloc'd pages listed in
// argv[] (zeroed first, so free_args() works after any failure).
static int
fetch_args(uint64 uargv, char **argv)
{
  uint64 uarg;

  memset(argv, 0, MAXARG * sizeof(char *));
  for(int i = 0; i < MAXARG; i++){
    if(fetchaddr(uargv + i * sizeof(uint64), &uarg) < 0)
      return -1;
    if(uarg == 0)
      return 0;
    if((argv[i] = kalloc()) == 0)
      return -1;
    if(fetchstr(uarg, argv[i], PGSIZE) < 0)
      return -1;
  }
  return -1;   // no terminating NULL within MAXARG - 1 arguments
}

static void
free_args(char **argv)
{
  for(int i = 0; i < MAXARG && argv[i]; i++)
    kfree(argv[i]);
}

uint64
sys_exec(void)
{
  char path[MAXPATH];
  char *argv[MAXARG];
  uint64 uargv;
  int r = -1;

  argaddr(1, &uargv);
  if(argpath(0, path) < 0)
    return -1;
  if(fetch_args(uargv, argv) == 0)
    r = kexec(path, argv);
  free_args(argv);
  return r;
}
