// fuzz_tcp.c: libFuzzer target: any bytes as a script of TCP segments and socket calls against a listener, then no leak and every control block gone.
//
// Build and run with `make -C test/host fuzz-tcp RUNS=N`.  Random bytes as
// raw frames rarely get past the checksum, so each 12-byte record of the
// input describes one segment instead (flags, sequence and ACK numbers
// relative to where the connection is, window, options, data length), which
// this harness wraps in valid headers; and what the application does next
// (accept, read, write, shutdown, close) and how much time passes.  At the
// end every socket is closed, the peer resets whatever is still open, and
// no control block, mbuf or page may be left.
#include "hostnet.h"
#include <stdint.h>
#include <stdlib.h>

#define PEER_IP  0x0a000202u   // 10.0.2.2
#define PORT     80
#define NPEER    4             // peer ports the script can use
#define RECLEN   12

static const uchar our_mac[ETH_ALEN]  = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uchar peer_mac[ETH_ALEN] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };

static struct tcpcb *listener;
static struct tcpcb *conns[NPEER * 2];
static int nconns;
static uint peer_seq[NPEER], peer_ack[NPEER];   // what the stack last said to each peer port

static void
fail(const char *why)
{
  fprintf(stderr, "fuzz_tcp: %s\n", why);
  abort();
}

static void
put16(uchar *p, uint v) { p[0] = v >> 8; p[1] = v; }
static void
put32(uchar *p, uint v) { put16(p, v >> 16); put16(p + 2, v); }
static uint
get16(const uchar *p) { return p[0] << 8 | p[1]; }
static uint
get32(const uchar *p) { return get16(p) << 16 | get16(p + 2); }

// A segment from 10.0.2.2:sport to our dport, with valid checksums.
static void
send_segment(int sport, int dport, uint seq, uint ack, int flags, uint win,
             const uchar *opt, int optlen, const uchar *data, int len)
{
  struct mbuf *m = mbuf_alloc();
  uchar *f, *ip, *th;
  int hlen = TCP_HDRLEN + (optlen & ~3);
  uint sum;

  f = (uchar *)mbuf_put(m, ETH_HDRLEN + IP_HDRLEN + hlen + len);
  memcpy(f, our_mac, ETH_ALEN);
  memcpy(f + ETH_ALEN, peer_mac, ETH_ALEN);
  put16(f + 12, ETH_TYPE_IP);
  ip = f + ETH_HDRLEN;
  memset(ip, 0, IP_HDRLEN);
  ip[0] = 0x45;
  put16(ip + 2, IP_HDRLEN + hlen + len);
  ip[8] = 64;
  ip[9] = IP_PROTO_TCP;
  put32(ip + 12, PEER_IP);
  put32(ip + 16, NET_IPADDR);
  put16(ip + 10, in_cksum(ip, IP_HDRLEN, 0));
  th = ip + IP_HDRLEN;
  memset(th, 0, TCP_HDRLEN);
  put16(th, sport);
  put16(th + 2, dport);
  put32(th + 4, seq);
  put32(th + 8, ack);
  th[12] = (hlen / 4) << 4;
  th[13] = flags;
  put16(th + 14, win);
  if(optlen >= 4)
    memcpy(th + TCP_HDRLEN, opt, optlen & ~3);
  if(len > 0)
    memcpy(th + hlen, data, len);
  sum = (PEER_IP >> 16) + (PEER_IP & 0xffff) + (NET_IPADDR >> 16) + (NET_IPADDR & 0xffff) +
        IP_PROTO_TCP + hlen + len;
  put16(th + 16, in_cksum(th, hlen + len, sum));
  eth_input(m);
}

// Check what the stack sent and remember, per peer port, where it is.
// With reset set, answer each segment with an exact-match RST.
static void
drain_sent(int reset)
{
  struct mbuf *m;
  const uchar *ip, *th;
  uint len, hlen, sum;
  int port;

  while((m = host_sent()) != 0){
    ip = (const uchar *)m->head + ETH_HDRLEN;
    if(m->len < ETH_HDRLEN + IP_HDRLEN + TCP_HDRLEN || ip[9] != IP_PROTO_TCP){
      mbuf_free(m);
      continue;
    }
    len = get16(ip + 2) - IP_HDRLEN;
    th = ip + IP_HDRLEN;
    hlen = (th[12] >> 4) * 4;
    sum = (NET_IPADDR >> 16) + (NET_IPADDR & 0xffff) + (PEER_IP >> 16) + (PEER_IP & 0xffff) +
          IP_PROTO_TCP + len;
    if(in_cksum(th, len, sum) != 0 || hlen < TCP_HDRLEN || hlen > len)
      fail("sent a TCP segment with a bad checksum or header");
    port = get16(th + 2);
    if(port >= 1000 && port < 1000 + NPEER){
      peer_seq[port - 1000] = get32(th + 4) + (len - hlen) + !!(th[13] & (TCP_SYN | TCP_FIN));
      peer_ack[port - 1000] = get32(th + 8);
    }
    if(reset && !(th[13] & TCP_RST) && (th[13] & TCP_ACK))
      send_segment(port, get16(th), get32(th + 8), 0, TCP_RST, 0, 0, 0, 0, 0);
    mbuf_free(m);
  }
}

static void
advance(int n, int reset)
{
  for(int i = 0; i < n; i++){
    ticks++;
    tcp_timer();
    drain_sent(reset);
  }
}

// What the application does, from one byte of the script.
static void
app(uint what)
{
  static char buf[4096];
  struct tcpcb *c;
  int i = what >> 5 & 7;

  if((what & 1) && nconns < NPEER * 2 && tcp_accept(listener, &c, 0) == 0)
    conns[nconns++] = c;
  if(i >= nconns)
    return;
  if(what & 2)
    tcp_recv(conns[i], 0, (uint64)buf, sizeof(buf), 0);
  if(what & 4)
    tcp_send(conns[i], 0, (uint64)buf, 1 + (what & 0x18) * 100, 0);
  if(what & 8)
    tcp_shutdown(conns[i]);
  if(what & 16){
    tcp_close(conns[i]);
    conns[i] = conns[--nconns];
  }
}

static void
setup(void)
{
  net_start(our_mac);
  arp_pin(PEER_IP, peer_mac);
  listener = tcp_open();
  if(tcp_listen(listener, PORT, 4) != 0)
    fail("cannot listen");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static int ready;
  const uint8_t *r;
  int peer, dport, optlen, len;

  if(!ready){
    setup();
    ready = 1;
  }
  for(r = data; r + RECLEN <= data + size; r += RECLEN){
    peer = r[1] & (NPEER - 1);
    dport = (r[1] & 0x80) ? PORT + 1 : PORT;   // sometimes a closed port
    optlen = r[10] & 0x1c;
    len = r[8] * 6;
    if(r + RECLEN + optlen > data + size)
      optlen = 0;
    if(len > (int)(data + size - r))
      len = data + size - r;
    if(len > 1400)
      len = 1400;
    send_segment(1000 + peer, dport,
                 peer_ack[peer] + (int16_t)get16(r + 2),
                 peer_seq[peer] + (int16_t)get16(r + 4),
                 r[0], get16(r + 6), r + RECLEN, optlen, r, len);
    drain_sent(0);
    app(r[11]);
    advance(r[9] & 0x3f, 0);
  }
  // The end: the application closes everything, the peer resets what is
  // still open, and time passes until every connection is gone.
  while(nconns < NPEER * 2 && tcp_accept(listener, &conns[nconns], 0) == 0)
    nconns++;
  while(nconns > 0)
    tcp_close(conns[--nconns]);
  drain_sent(1);
  for(int i = 0; i < 300 * TICK_HZ && tcp_count() > 1; i++)
    advance(1, 1);
  if(tcp_count() != 1)
    fail("a connection outlived its close");
  if(netstats.mbufs_in_use != 0 || host_pages != 0)
    fail("an mbuf or a page leaked");
  return 0;
}
