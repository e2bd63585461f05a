// syscall.h: system call numbers, shared by the kernel and user/usys.py.
#pragma once

#define SYS_fork     1
#define SYS_exit     2
#define SYS_wait     3
#define SYS_pipe     4
#define SYS_read     5
#define SYS_kill     6
#define SYS_exec     7
#define SYS_fstat    8
#define SYS_chdir    9
#define SYS_dup     10
#define SYS_getpid  11
#define SYS_sbrk    12
#define SYS_sleep   13
#define SYS_uptime  14
#define SYS_open    15
#define SYS_write   16
#define SYS_mknod   17
#define SYS_unlink  18
#define SYS_link    19
#define SYS_mkdir   20
#define SYS_close   21
#define SYS_freepages 22 // number of free physical pages (leak checks)
#define SYS_diskstat 23  // buffer-cache and disk-request counters (struct bstat)
// Numbers 30 and up belong to the network lab (sockets, counters).
#define SYS_socket   30  // new socket of a type (SOCK_UDP, SOCK_ICMP)
#define SYS_bind     31  // bind a local port (0 = pick one)
#define SYS_connect  32  // fix the remote address and port
#define SYS_sendto   33  // send one datagram to an address and port
#define SYS_recvfrom 34  // receive one datagram and learn its sender
#define SYS_sockinfo 35  // a socket's ports, queue length and drops
#define SYS_netinfo  36  // interface addresses and every network counter
#define SYS_nettrace 37  // console line per frame on (1) / off (0)
#define SYS_arppin   38  // pin an address's Ethernet address in the ARP cache
#define SYS_listen   39  // TCP: accept connections on the bound port
#define SYS_accept   40  // TCP: wait for a connection; a new fd and the peer
#define SYS_shutdown 41  // TCP: send FIN (SHUT_WR), keep reading
#define SYS_ringinfo 42  // the card's two rings (or queues), for /net
#define SYS_sockopt  43  // TCP: set an option (SO_RCVTIMEO)
