// mbuf.c: page-sized packet buffers with headroom, and FIFO queues of them.
#include "net.h"

#define MBUF_BUFSIZE (NET_PAGESIZE - sizeof(struct mbuf))
_Static_assert(MBUF_HEADROOM + 2048 <= MBUF_BUFSIZE,
               "a received frame of 2048 bytes must fit after the headroom");

// A fresh, empty mbuf whose data start MBUF_HEADROOM bytes into the buffer,
// or 0 when memory is exhausted.
struct mbuf *
mbuf_alloc(void)
{
  struct mbuf *m = kalloc();

  if(m == 0)
    return 0;
  m->next = 0;
  m->head = m->buf + MBUF_HEADROOM;
  m->len = 0;
  m->raddr = 0;
  m->rport = 0;
  netstat_inc(mbufs_in_use);
  return m;
}

void
mbuf_free(struct mbuf *m)
{
  kfree(m);
  netstat_dec(mbufs_in_use);
}

static uint
headroom(struct mbuf *m)
{
  return m->head - m->buf;
}

uint
mbuf_tailroom(struct mbuf *m)
{
  return MBUF_BUFSIZE - headroom(m) - m->len;
}

char *
mbuf_push(struct mbuf *m, uint n)
{
  if(n > headroom(m))
    return 0;
  m->head -= n;
  m->len += n;
  return m->head;
}

char *
mbuf_pull(struct mbuf *m, uint n)
{
  char *old = m->head;

  if(n > m->len)
    return 0;
  m->head += n;
  m->len -= n;
  return old;
}

char *
mbuf_put(struct mbuf *m, uint n)
{
  char *tail = m->head + m->len;

  if(n > mbuf_tailroom(m))
    return 0;
  m->len += n;
  return tail;
}

char *
mbuf_trim(struct mbuf *m, uint n)
{
  if(n > m->len)
    return 0;
  m->len -= n;
  return m->head + m->len;
}

void
mbufq_init(struct mbufq *q)
{
  q->head = q->tail = 0;
  q->len = 0;
}

void
mbufq_pushtail(struct mbufq *q, struct mbuf *m)
{
  m->next = 0;
  if(q->tail)
    q->tail->next = m;
  else
    q->head = m;
  q->tail = m;
  q->len++;
}

// The oldest mbuf, removed from the queue, or 0 if the queue is empty.
struct mbuf *
mbufq_pophead(struct mbufq *q)
{
  struct mbuf *m = q->head;

  if(m == 0)
    return 0;
  q->head = m->next;
  if(q->head == 0)
    q->tail = 0;
  q->len--;
  m->next = 0;
  return m;
}

void
mbufq_freeall(struct mbufq *q)
{
  struct mbuf *m;

  while((m = mbufq_pophead(q)) != 0)
    mbuf_free(m);
}
