// mbuf.h: packet buffers (one page each) and FIFO queues of them.
#pragma once
#include "types.h"

// Room kept in front of the data of a new mbuf, enough for the Ethernet,
// IPv4 (with options) and UDP headers that the send path prepends.
#define MBUF_HEADROOM 128

// An mbuf lives at the start of its own page; the rest of the page is buf.
// The data are the len bytes from head, which moves as headers are added
// (push) and removed (pull).  Received frames land at head too, so a reply
// can be built in the same buffer.
struct mbuf {
  struct mbuf *next;   // next in an mbufq
  char *head;          // first byte of data
  uint len;            // bytes of data
  uint raddr;          // sender address (host order), set before queuing
  ushort rport;        // sender port, set before queuing
  uint seq;            // TCP: sequence number of the first data byte
  char buf[];          // to the end of the page
};

struct mbuf *mbuf_alloc(void);
void  mbuf_free(struct mbuf *m);
char *mbuf_push(struct mbuf *m, uint n);   // prepend n bytes; the new head
char *mbuf_pull(struct mbuf *m, uint n);   // strip n from the front; the old head
char *mbuf_put(struct mbuf *m, uint n);    // append n bytes; where they go
char *mbuf_trim(struct mbuf *m, uint n);   // drop n from the end; where they were
uint  mbuf_tailroom(struct mbuf *m);
// Each of push/pull/put/trim returns 0 and changes nothing rather than
// step outside the page or below zero length.

// A first-in first-out queue of mbufs.
struct mbufq {
  struct mbuf *head;
  struct mbuf *tail;
  int len;
};

void         mbufq_init(struct mbufq *q);
void         mbufq_pushtail(struct mbufq *q, struct mbuf *m);
struct mbuf *mbufq_pophead(struct mbufq *q);
void         mbufq_freeall(struct mbufq *q);
