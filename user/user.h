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
int diskstat(struct bstat *st);         // buffer cache and disk counters

// Network system calls.  Addresses are IPv4 in host byte order (IPADDR()).
int socket(int type);                   // SOCK_UDP, SOCK_ICMP or SOCK_TCP: a new fd
int bind(int fd, int port);             // local port (0: any free one); returns it
int connect(int fd, uint addr, int port);   // then read/write talk to addr:port
                                        // (TCP: waits until connected or failed)
int sendto(int fd, const void *buf, int n, uint addr, int port);
int recvfrom(int fd, void *buf, int n, uint *addr, int *port);
int sockinfo(int fd, struct sockinfo *si);
int netinfo(struct netinfo *ni);
int nettrace(int on);
int arppin(uint addr, const uchar *mac);   // static ARP entry for addr; mac 0 removes it
int listen(int fd, int backlog);        // TCP: accept connections on the bound port
int accept(int fd, uint *addr, int *port);  // TCP: wait for one; a new fd
int shutdown(int fd, int how);          // TCP: SHUT_WR sends FIN
int ringinfo(struct ringinfo *ri);      // the e1000's descriptor rings
int sockopt(int fd, int opt, int value);   // TCP: SO_RCVTIMEO (ms)

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
const char *sockerrstr(int fd);         // why the last call on socket fd failed
int parseport(const char *s);           // 1-65535, or -1
int header_is(const char *line, const char *name);   // HTTP header name, any case
int parseip(const char *s, const char *end, uint *ip);   // "a.b.c.d" (end 0: to the NUL)
int writeall(int fd, const void *buf, int n);   // all of it, or -1
#define FNV_INIT 2166136261u
uint fnv1a(uint h, const void *buf, int n);     // FNV-1a checksum, continued from h
const char *tcpstate(int state);        // TCPS_* by name

// printf.c: %d %u %x %p %s %c %l(d|u|x) and %%
void fprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

// umalloc.c
void *malloc(uint n);
void free(void *p);
