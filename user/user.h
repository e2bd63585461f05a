// user.h: system calls and library functions for user programs.
#pragma once
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/netinfo.h"

// System calls (stubs generated into usys.S by usys.py).
int fork(void);
int exit(int status) __attribute__((noreturn));
int wait(int *status);                  // pid of a child that exited, or -1
int pipe(int fds[2]);
int write(int fd, const void *buf, int n);
int read(int fd, void *buf, int n);
int close(int fd);
int kill(int pid);
int exec(const char *path, char **argv);
int open(const char *path, int flags);
int mknod(const char *path, short major, short minor);
int unlink(const char *path);
int fstat(int fd, struct stat *st);
int link(const char *oldpath, const char *newpath);
int mkdir(const char *path);
int chdir(const char *path);
int dup(int fd);
int getpid(void);
char *sbrk(int n);                      // old break, or (char*)-1
int sleep(int ticks);
int uptime(void);                       // ticks since boot
int freepages(void);                    // free physical pages

// Network system calls.  Addresses are IPv4 in host byte order (IPADDR()).
int socket(int type);                   // SOCK_UDP or SOCK_ICMP: a new fd
int bind(int fd, int port);             // local port (0: any free one); returns it
int connect(int fd, uint addr, int port);   // then read/write talk to addr:port
int sendto(int fd, const void *buf, int n, uint addr, int port);
int recvfrom(int fd, void *buf, int n, uint *addr, int *port);
int sockinfo(int fd, struct sockinfo *si);
int netinfo(struct netinfo *ni);
int nettrace(int on);
int arppin(uint addr, const uchar *mac);   // static ARP entry for addr; mac 0 removes it

// ulib.c
int stat(const char *path, struct stat *st);
char *strcpy(char *dst, const char *src);
void *memmove(void *dst, const void *src, int n);
char *strchr(const char *s, char c);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, uint n);
char *gets(char *buf, int max);
uint strlen(const char *s);
void *memset(void *dst, int c, uint n);
int atoi(const char *s);
int memcmp(const void *a, const void *b, uint n);
void *memcpy(void *dst, const void *src, uint n);
uint64 uptime_us(void);                 // microseconds since boot (rdtime)
char *append_str(char *p, const char *s);   // no terminator; returns the new end
char *append_uint(char *p, uint64 v);

// printf.c: %d %u %x %p %s %c %l(d|u|x) and %%
void fprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

// umalloc.c
void *malloc(uint n);
void free(void *p);
