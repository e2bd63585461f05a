// net.h: wire formats, byte order, counters and the interfaces between the
// layers of the packet path (driver, Ethernet, ARP, IPv4, UDP, TCP, ICMP, sockets).
#pragma once
#include "netport.h"
#include "netinfo.h"
#include "mbuf.h"

// ---- Byte order.  Both targets (RISC-V and the x86-64 host) are
// little-endian; headers hold network (big-endian) order.  Plain shifts,
// not __builtin_bswap32, which rv64gc turns into a libgcc call.
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "little-endian only");
static inline ushort htons(ushort v) { return (ushort)(v << 8 | v >> 8); }
static inline ushort ntohs(ushort v) { return htons(v); }
static inline uint htonl(uint v)
{
  return v << 24 | (v & 0xff00) << 8 | (v >> 8 & 0xff00) | v >> 24;
}
static inline uint ntohl(uint v) { return htonl(v); }

// ---- Our interface.  The address and mask are what the DHCP client
// (dhcp.c) leased; until a lease comes, and when none does, they are the
// static ones QEMU's user-mode network hands out.  The gateway is always
// 10.0.2.2, the only host we talk to: a router a server offers is only shown.
#define NET_STATIC_IPADDR  IPADDR(10, 0, 2, 15)
#define NET_STATIC_NETMASK IPADDR(255, 255, 255, 0)
struct net_config {
  uint ip, mask;   // host byte order
};
extern struct net_config net_config;
#define NET_IPADDR  (net_config.ip)
#define NET_NETMASK (net_config.mask)
#define NET_GATEWAY IPADDR(10, 0, 2, 2)
#define NET_BCAST   (NET_IPADDR | ~NET_NETMASK)   // 10.0.2.255
#define IP_BCAST    0xFFFFFFFFu

// Headers are packed: they sit at any offset in a frame, and packing makes
// the compiler access their fields safely whatever the alignment.
#define PACKED __attribute__((packed))

// ---- Ethernet II.
#define ETH_ALEN     6
#define ETH_HDRLEN   14
#define ETH_MINFRAME 60      // shortest frame on the wire, without CRC
#define ETH_MTU      1500    // largest payload
#define ETH_TYPE_IP  0x0800
#define ETH_TYPE_ARP 0x0806

struct eth_hdr {
  uchar  dst[ETH_ALEN];
  uchar  src[ETH_ALEN];
  ushort type;
} PACKED;

// ---- ARP for IPv4 over Ethernet (RFC 826).
#define ARP_HRD_ETHER 1
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY   2

struct arp_pkt {
  ushort hrd;              // hardware type
  ushort pro;              // protocol type
  uchar  hln;              // hardware address length
  uchar  pln;              // protocol address length
  ushort op;
  uchar  sha[ETH_ALEN];    // sender hardware address
  uint   sip;              // sender IP address
  uchar  tha[ETH_ALEN];    // target hardware address
  uint   tip;              // target IP address
} PACKED;

// ---- IPv4 (RFC 791).
#define IP_VERSION    4
#define IP_HDRLEN     20     // without options
#define IP_TTL        64
#define IP_FLAG_MF    0x2000 // more fragments
#define IP_OFFMASK    0x1FFF // fragment offset
#define IP_PROTO_ICMP 1
#define IP_PROTO_TCP  6
#define IP_PROTO_UDP  17

struct ip_hdr {
  uchar  vhl;        // version << 4 | header length in words
  uchar  tos;
  ushort len;        // total length
  ushort id;
  ushort off;        // flags and fragment offset
  uchar  ttl;
  uchar  proto;
  ushort sum;
  uint   src;
  uint   dst;
} PACKED;

// ---- UDP (RFC 768).
#define UDP_HDRLEN  8
#define UDP_MAXDATA (ETH_MTU - IP_HDRLEN - UDP_HDRLEN)   // 1472

struct udp_hdr {
  ushort sport;
  ushort dport;
  ushort len;        // header and data
  ushort sum;        // 0: sender computed none
} PACKED;

// ---- TCP (RFC 9293 3.1).
#define TCP_HDRLEN 20        // without options
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20

struct tcp_hdr {
  ushort sport;
  ushort dport;
  uint   seq;
  uint   ack;
  uchar  off;        // data offset in words << 4
  uchar  flags;
  ushort win;
  ushort sum;
  ushort urp;
} PACKED;

// ---- ICMP echo (RFC 792).
#define ICMP_ECHOREPLY 0
#define ICMP_ECHO      8
#define ICMP_HDRLEN    8
#define ICMP_MAXMSG    (ETH_MTU - IP_HDRLEN)   // header and data, 1480

struct icmp_echo {
  uchar  type;
  uchar  code;
  ushort sum;
  ushort id;
  ushort seq;
} PACKED;

// ---- Counters, reported by name through netinfo().  Each X(name) becomes a
// field of struct netstats; netinfo lists them in this order.  Drops are
// counted where they happen, by cause: *_bad_* for malformed input, *_no_*
// for a missing buffer, port or socket.
#define NETSTATS(X) \
  /* driver and interface */ \
  X(rx_packets) X(rx_bytes) X(tx_packets) X(tx_bytes) \
  X(rx_desc_errors) X(rx_not_eop) X(rx_no_mbuf) X(rx_missed) \
  X(rx_oversize) X(rx_card_packets) X(tx_card_packets) X(rx_card_buffers) \
  X(tx_ring_full) X(tx_no_mbuf) X(mbufs_in_use) \
  X(eth_rx_runt) X(eth_rx_not_ours) X(eth_rx_bad_type) \
  /* ARP */ \
  X(arp_rx_bad) X(arp_rx_ignored) X(arp_requests_rcvd) X(arp_replies_rcvd) \
  X(arp_requests_sent) X(arp_replies_sent) X(arp_cache_hits) \
  X(arp_held) X(arp_hold_drops) X(arp_cache_full) \
  /* IPv4 */ \
  X(ip_rx_packets) X(ip_rx_bad_header) X(ip_rx_bad_length) \
  X(ip_rx_bad_checksum) X(ip_rx_not_ours) X(ip_rx_fragments) \
  X(ip_rx_bad_proto) X(ip_tx_packets) X(ip_tx_refused) \
  /* UDP */ \
  X(udp_rx_packets) X(udp_rx_bad_length) X(udp_rx_bad_checksum) \
  X(udp_rx_no_port) X(udp_tx_packets) \
  /* ICMP */ \
  X(icmp_rx_bad) X(icmp_rx_other) X(icmp_rx_no_sock) X(icmp_echo_requests) \
  X(icmp_echo_replies_sent) X(icmp_echo_replies_rcvd) X(icmp_tx_requests) \
  /* sockets */ \
  X(sock_rx_queue_full) X(sock_rx_wrong_peer) \
  /* DHCP client: sent, replies taken, malformed, not for our exchange, NAKs */ \
  X(dhcp_tx_packets) X(dhcp_rx_packets) X(dhcp_rx_bad) X(dhcp_rx_foreign) \
  X(dhcp_rx_naks) \
  /* TCP */ \
  X(tcp_rx_segs) X(tcp_rx_bad_header) X(tcp_rx_bad_checksum) \
  X(tcp_rx_no_port) X(tcp_rx_out_of_window) X(tcp_rx_dup_data) \
  X(tcp_rx_ooo) X(tcp_ooo_drops) X(tcp_rx_win_full) X(tcp_tx_segs) \
  X(tcp_tx_no_mbuf) X(tcp_rexmit_timeouts) X(tcp_fast_rexmits) \
  X(tcp_rexmit_bytes) X(tcp_dup_acks) X(tcp_delayed_acks) \
  X(tcp_persist_probes) X(tcp_rst_sent) X(tcp_rst_rcvd) \
  X(tcp_challenge_acks) X(tcp_conn_opened) X(tcp_conn_accepted) \
  X(tcp_conn_timeouts) X(tcp_syn_dropped) X(tcp_accept_queue_full) \
  X(tcp_tcb_full) X(tcp_tw_recycled) X(tcp_tcbs_in_use) \
  X(tcp_rx_ack_unsent) X(tcp_ack_ratelimited) X(tcp_probe_timeouts)

#define NETSTAT_FIELD(name) uint64 name;
struct netstats {
  NETSTATS(NETSTAT_FIELD)
};
#undef NETSTAT_FIELD
extern struct netstats netstats;

// Counters change on every hart and in interrupts: update them atomically.
#define netstat_add(field, n) \
  __atomic_fetch_add(&netstats.field, (n), __ATOMIC_RELAXED)
#define netstat_inc(field) netstat_add(field, 1)
#define netstat_dec(field) \
  __atomic_fetch_sub(&netstats.field, 1, __ATOMIC_RELAXED)
// Free m and count the reason, one of the netstats fields.
void net_drop(struct mbuf *m, uint64 *why);

// ---- The interface between the layers.  An input function owns the mbuf
// it is given: it frees it, queues it, or reuses it for a reply.  An output
// function owns it too and returns -1 if the frame could not be sent.

// The card under the stack, whichever the kernel found: its driver's
// attach (e1000_attach(), virtio_net_attach()) sets net_dev, then calls
// net_start() with the card's MAC address once it can send and receive.
// Received frames come up through eth_input().
struct netdev {
  const char *name;                    // "e1000", "virtio-net": boot and trace lines
  int  (*transmit)(struct mbuf *m);    // -1 if the ring is full; caller frees
  void (*settle)(void);                // settle counters, free sent mbufs (netinfo)
  void (*intr)(void);                  // its interrupt (trap.c)
  void (*ringinfo)(struct ringinfo *ri);   // a look at its rings (/net); 0 if it has none
  void (*tick)(void);                  // every clock tick, on hart 0; 0 if it needs none
};

// e1000.c: the Intel card's driver (pci.c finds the device).
void e1000_attach(volatile uint32 *regs, int irq);   // sets net_dev
void e1000_init(volatile uint32 *regs);
int  e1000_transmit(struct mbuf *m);   // -1 if the ring is full; caller frees
void e1000_intr(void);
// Mark slot i in one of struct ringinfo's bitmaps.
static inline void ringinfo_mark(uchar *map, int i) { map[i / 8] |= 1 << (i % 8); }

// ethernet.c: the interface itself.
extern const struct netdev *net_dev;
extern uchar net_mac[ETH_ALEN];
extern int   net_present;              // a card was found and started: the link is up
void net_start(const uchar *mac);
void eth_input(struct mbuf *m);        // a received frame, from the driver
int  eth_output(struct mbuf *m, const uchar *dst, ushort type);

// netinfo.c: the interface's report (netinfo()) and its frame trace.
extern int   net_tracing;              // console line per frame
void net_fillinfo(struct netinfo *ni); // addresses and every counter
void netinfo_add(struct netinfo *ni, const char *name, uint64 value);
void net_trace(const char *dir, struct mbuf *m);   // dir "RX" or "TX"

// arp.c
void arp_init(void);
void arp_input(struct mbuf *m);
int  arp_output(struct mbuf *m, uint nexthop);   // m holds an IPv4 datagram
void arp_expire(void);                           // drop stale entries now
int  arp_pin(uint ip, const uchar *mac);          // a static entry; mac 0: remove it

// ip.c
ushort in_cksum(const void *data, uint len, uint sum);
void   ip_input(struct mbuf *m);
int    ip_output(struct mbuf *m, uchar proto, uint dst);
int    ip_broadcast(struct mbuf *m, uchar proto);   // to 255.255.255.255

// udp.c
void udp_input(struct mbuf *m, struct ip_hdr *ip);
int  udp_output(struct mbuf *m, ushort sport, uint dst, ushort dport);
int  udp_broadcast(struct mbuf *m, ushort sport, ushort dport);   // the DHCP client's

// dhcp.c: the DHCP client, driven by replies to its port and by the clock.
#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
struct dhcp_opts {
  int type;                          // message type; 0 if absent
  uint server, mask, router, dns;    // host order; 0 if absent
  uint lease, t1, t2;                // seconds; 0 if absent
};
void dhcp_start(void);
void dhcp_input(struct mbuf *m);     // a datagram to DHCP_CLIENT_PORT
void dhcp_tick(void);                // every clock tick, on one hart
void dhcp_fillinfo(struct netlease *l);
int  dhcp_parse(const uchar *opt, uint len, struct dhcp_opts *o);   // -1: malformed

// tcp.c: the protocol.  Calls that may wait take `block`; with block 0
// they return TCP_AGAIN instead of sleeping (the host tests use that).
// On -1 the reason is in the control block's error (tcp_info).
#define TCP_AGAIN (-2)
struct tcpcb;
void tcp_init(void);
void tcp_input(struct mbuf *m, struct ip_hdr *ip);
void tcp_timer(void);                   // once per clock tick
struct tcpcb *tcp_open(void);           // a CLOSED control block for a socket, or 0
int  tcp_listen(struct tcpcb *t, ushort lport, int backlog);
int  tcp_accept(struct tcpcb *t, struct tcpcb **child, int block);
int  tcp_connect(struct tcpcb *t, ushort lport, uint raddr, ushort rport, int block);
int  tcp_send(struct tcpcb *t, int user_src, uint64 src, int n, int block);
int  tcp_recv(struct tcpcb *t, int user_dst, uint64 dst, int n, int block);
int  tcp_shutdown(struct tcpcb *t);
void tcp_close(struct tcpcb *t);        // the socket lets go of t
void tcp_info(struct tcpcb *t, struct sockinfo *si);
int  tcp_seterror(struct tcpcb *t, int err);   // record err; returns -1
int  tcp_setrcvtimeo(struct tcpcb *t, int ms);  // reads wait at most ms (0: for ever)
int  tcp_count(void);                   // control blocks in use

// icmp.c
void icmp_input(struct mbuf *m, struct ip_hdr *ip);
int  icmp_output_echo(struct mbuf *m, ushort id, uint dst);

// socket.c: sockets as the layers see them (files see sock_read & co.).
struct sock;
void sock_init(void);
struct sock *sock_alloc(int type);
void sock_close(struct sock *s);
int  sock_read(struct sock *s, uint64 addr, int n);
int  sock_write(struct sock *s, uint64 addr, int n);
int  sock_bind(struct sock *s, int port);
int  sock_connect(struct sock *s, uint addr, int port);
int  sock_sendto(struct sock *s, uint64 addr, int n, uint raddr, int rport);
int  sock_recv(struct sock *s, uint64 addr, int n, uint *raddr, int *rport);
int  sock_recvfrom(struct sock *s, uint64 addr, int n, uint *raddr, int *rport);
void sock_info(struct sock *s, struct sockinfo *si);
int  sock_listen(struct sock *s, int backlog);
struct sock *sock_accept(struct sock *s, uint *raddr, int *rport);
int  sock_shutdown(struct sock *s, int how);
int  sock_setopt(struct sock *s, int opt, int value);
int  sock_deliver(int type, ushort lport, struct mbuf *m);   // -1: no such socket
