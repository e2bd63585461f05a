// sysnet.c: the network system calls: socket, bind, connect, sendto, recvfrom, sockinfo, netinfo, nettrace, arppin.
#include "types.h"
#include "param.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "sleeplock.h"
#include "fs.h"
#include "file.h"
#include "defs.h"
#include "net.h"

// The socket behind file-descriptor argument n, or 0.
static struct sock *
argsock(int n)
{
  struct file *f = argfile(n, 0);
  if(f == 0 || f->type != FD_SOCKET)
    return 0;
  return f->sock;
}

// int socket(int type): a new socket as a file descriptor.
uint64
sys_socket(void)
{
  struct sock *s;
  struct file *f;
  int type, fd;

  argint(0, &type);
  if(!net_present || (s = sock_alloc(type)) == 0)
    return -1;
  if((f = filealloc()) == 0){
    sock_close(s);
    return -1;
  }
  f->type = FD_SOCKET;
  f->readable = 1;
  f->writable = 1;
  f->sock = s;
  if((fd = fd_install(f)) < 0){
    fileclose(f);   // closes the socket too
    return -1;
  }
  return fd;
}

// int bind(int fd, int port): the bound port, or -1.
uint64
sys_bind(void)
{
  struct sock *s = argsock(0);
  int port;

  argint(1, &port);
  return s ? sock_bind(s, port) : -1;
}

// int connect(int fd, uint addr, int port)
uint64
sys_connect(void)
{
  struct sock *s = argsock(0);
  int addr, port;

  argint(1, &addr);
  argint(2, &port);
  return s ? sock_connect(s, addr, port) : -1;
}

// int sendto(int fd, const void *buf, int n, uint addr, int port)
uint64
sys_sendto(void)
{
  struct sock *s = argsock(0);
  uint64 buf;
  int n, addr, port;

  argaddr(1, &buf);
  argint(2, &n);
  argint(3, &addr);
  argint(4, &port);
  return s ? sock_sendto(s, buf, n, addr, port) : -1;
}

// int recvfrom(int fd, void *buf, int n, uint *addr, int *port)
// The sender is stored where addr and port point, unless they are 0.
uint64
sys_recvfrom(void)
{
  struct proc *p = myproc();
  struct sock *s = argsock(0);
  uint64 buf, addrp, portp;
  uint raddr = 0;
  int n, r, rport = 0;

  argaddr(1, &buf);
  argint(2, &n);
  argaddr(3, &addrp);
  argaddr(4, &portp);
  // Try the result pointers first, so that a bad one costs no datagram.
  if(s == 0 ||
     (addrp && copyout(p->pagetable, addrp, (char *)&raddr, sizeof(raddr)) < 0) ||
     (portp && copyout(p->pagetable, portp, (char *)&rport, sizeof(rport)) < 0))
    return -1;
  if((r = sock_recv(s, buf, n, &raddr, &rport)) < 0)
    return -1;
  if(addrp)
    copyout(p->pagetable, addrp, (char *)&raddr, sizeof(raddr));
  if(portp)
    copyout(p->pagetable, portp, (char *)&rport, sizeof(rport));
  return r;
}

// int sockinfo(int fd, struct sockinfo *si)
uint64
sys_sockinfo(void)
{
  struct sock *s = argsock(0);
  struct sockinfo si;
  uint64 dst;

  argaddr(1, &dst);
  if(s == 0)
    return -1;
  sock_info(s, &si);
  return copyout(myproc()->pagetable, dst, (char *)&si, sizeof(si));
}

// int netinfo(struct netinfo *ni): works without a card too (present = 0).
uint64
sys_netinfo(void)
{
  _Static_assert(sizeof(struct netinfo) <= PGSIZE, "netinfo must fit in a page");
  struct netinfo *ni;
  uint64 dst;
  int freepages, r;

  argaddr(0, &dst);
  if(net_present){
    net_dev->settle();
    arp_expire();   // so that datagrams given up on no longer count as in use
  }
  freepages = kfreecount();   // before our own page, too big for the stack
  if((ni = kalloc()) == 0)
    return -1;
  net_fillinfo(ni);
  netinfo_add(ni, "free_pages", freepages);
  r = copyout(myproc()->pagetable, dst, (char *)ni, sizeof(*ni));
  kfree(ni);
  return r;
}

// int nettrace(int on): a console line per frame while on.
uint64
sys_nettrace(void)
{
  int on;

  argint(0, &on);
  if(!net_present)
    return -1;
  net_tracing = on != 0;
  return 0;
}

// int arppin(uint addr, uchar *mac): addr (host order) is at mac until
// arppin(addr, 0).  addr must be another host on our link, mac a unicast
// address.
uint64
sys_arppin(void)
{
  uint addr;
  uint64 umac;
  uchar mac[ETH_ALEN];
  int i, zero = 1;

  argint(0, (int *)&addr);
  argaddr(1, &umac);
  if(!net_present || (addr & NET_NETMASK) != (NET_IPADDR & NET_NETMASK) ||
     addr == NET_IPADDR || (addr & ~NET_NETMASK) == 0 || (addr | NET_NETMASK) == ~0U)
    return -1;
  if(umac == 0)
    return arp_pin(addr, 0);
  if(copyin(myproc()->pagetable, (char *)mac, umac, ETH_ALEN) < 0)
    return -1;
  for(i = 0; i < ETH_ALEN; i++)
    zero &= mac[i] == 0;
  if(zero || (mac[0] & 1))   // no address, or a group address
    return -1;
  return arp_pin(addr, mac);
}

// int listen(int fd, int backlog): TCP connections to fd's bound port wait
// for accept(), at most backlog of them (capped by the kernel).
uint64
sys_listen(void)
{
  struct sock *s = argsock(0);
  int backlog;

  argint(1, &backlog);
  return s ? sock_listen(s, backlog) : -1;
}

// int accept(int fd, uint *addr, int *port): wait for a connection on
// listening fd; a new fd for it.  The peer goes where addr and port point,
// unless they are 0.
uint64
sys_accept(void)
{
  struct proc *p = myproc();
  struct sock *s = argsock(0), *ns;
  struct file *f;
  uint64 addrp, portp;
  uint raddr = 0;
  int rport = 0, fd;

  argaddr(1, &addrp);
  argaddr(2, &portp);
  // Try the result pointers first, so that a bad one costs no connection.
  if(s == 0 ||
     (addrp && copyout(p->pagetable, addrp, (char *)&raddr, sizeof(raddr)) < 0) ||
     (portp && copyout(p->pagetable, portp, (char *)&rport, sizeof(rport)) < 0))
    return -1;
  if((f = filealloc()) == 0)
    return -1;
  if((ns = sock_accept(s, &raddr, &rport)) == 0){
    fileclose(f);
    return -1;
  }
  f->type = FD_SOCKET;
  f->readable = 1;
  f->writable = 1;
  f->sock = ns;
  if((fd = fd_install(f)) < 0){
    fileclose(f);   // closes (resets) the connection too
    return -1;
  }
  if(addrp)
    copyout(p->pagetable, addrp, (char *)&raddr, sizeof(raddr));
  if(portp)
    copyout(p->pagetable, portp, (char *)&rport, sizeof(rport));
  return fd;
}

// int shutdown(int fd, int how): SHUT_WR sends FIN after what is queued.
uint64
sys_shutdown(void)
{
  struct sock *s = argsock(0);
  int how;

  argint(1, &how);
  return s ? sock_shutdown(s, how) : -1;
}

// int ringinfo(struct ringinfo *ri): the card's rings (present = 0 if it
// has none to show: only the e1000's are drawn).
uint64
sys_ringinfo(void)
{
  struct ringinfo ri;
  uint64 dst;

  argaddr(0, &dst);
  memset(&ri, 0, sizeof(ri));
  if(net_present && net_dev->ringinfo)
    net_dev->ringinfo(&ri);
  return copyout(myproc()->pagetable, dst, (char *)&ri, sizeof(ri));
}

// int sockopt(int fd, int opt, int value): SO_RCVTIMEO, in milliseconds.
uint64
sys_sockopt(void)
{
  struct sock *s = argsock(0);
  int opt, value;

  argint(1, &opt);
  argint(2, &value);
  return s ? sock_setopt(s, opt, value) : -1;
}
