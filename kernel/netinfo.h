// netinfo.h: what the network system calls report, shared with user programs.
#pragma once

#define SOCK_UDP  1   // datagrams to and from one local UDP port
#define SOCK_ICMP 2   // ICMP echo: write an echo message, read back IP header + reply
#define SOCK_TCP  3   // a TCP connection (connect, or listen + accept), or a listener

#define SHUT_WR   1   // shutdown(fd, SHUT_WR): send FIN, keep reading

#define SO_RCVTIMEO 1 // sockopt(fd, SO_RCVTIMEO, ms): a TCP read waiting longer fails
                      // ("timed out"); 0 waits for ever
// sockopt(fd, SO_WIDEN, ms), a UDP or ICMP socket: for ms milliseconds every
// socket call that releases the socket lock with interrupts on pauses
// there (SO_WIDEN_ACQUIRE: pauses before taking it), so that a gap between
// a reader's look at its queue and its sleep cannot be missed (nettests
// wakeup; kernel/spinlock.c, lock_widen()).
#define SO_WIDEN         2
#define SO_WIDEN_ACQUIRE 3
#define SO_WIDEN_MAX     10000

// TCP states (RFC 9293 3.3.2), as sockinfo reports them.
enum {
  TCPS_CLOSED, TCPS_LISTEN, TCPS_SYN_SENT, TCPS_SYN_RECEIVED, TCPS_ESTABLISHED,
  TCPS_FIN_WAIT_1, TCPS_FIN_WAIT_2, TCPS_CLOSE_WAIT, TCPS_CLOSING, TCPS_LAST_ACK,
  TCPS_TIME_WAIT, TCPS_NSTATES
};

// Why a socket call failed: sockinfo.error keeps the latest reason, so a
// program that got -1 can say what happened (user.h: sockerrstr()).
enum {
  SOCKERR_NONE,       // no error recorded
  SOCKERR_REFUSED,    // the peer answered our SYN with RST
  SOCKERR_RESET,      // the peer reset an open connection
  SOCKERR_TIMEDOUT,   // no answer after the last retransmission
  SOCKERR_NOTCONN,    // not connected, or that direction is shut down
  SOCKERR_INUSE,      // port or connection already in use
  SOCKERR_NOBUFS,     // out of control blocks or memory
  SOCKERR_INVAL,      // the call does not apply to this socket or state
  SOCKERR_INTR,       // the process was killed while waiting
  SOCKERR_N
};

// Build an IPv4 address in host byte order: IPADDR(10,0,2,2).
#define IPADDR(a, b, c, d) \
  (((uint)(a) << 24) | ((uint)(b) << 16) | ((uint)(c) << 8) | (uint)(d))

// Datagrams a socket holds for its reader; more are dropped and counted
// (sockinfo.dropped, sock_rx_queue_full).  socket.c says why 64.
#define SOCK_QUEUE_MAX 64

struct sockinfo {
  int type;          // SOCK_UDP, SOCK_ICMP or SOCK_TCP
  int lport;         // local port (ICMP: echo identifier), 0 if unbound
  uint raddr;        // connected remote address, 0 if none
  int rport;
  int queued;        // datagrams (TCP: bytes) waiting to be read
  uint64 dropped;    // datagrams dropped because the queue was full
  int error;         // SOCKERR_*: why the last call failed
  int waiting;       // UDP, ICMP: processes asleep on the queue (sock_recvfrom)
  // TCP only.
  int state;         // TCPS_*
  int sendq;         // bytes written and not yet acknowledged
  int rcvwnd;        // window we advertise
  int sndwnd;        // window the peer advertises
  int cwnd;          // congestion window
  int rto_ms;        // current retransmission timeout
};

// The card's rings as ringinfo() reports them (httpd's /net draws them).
// The e1000 (RING_E1000): where the device (head) and the driver (tail)
// are, and which slots have DD set.  virtio-net (RING_VIRTIO): each
// queue's avail->idx and used->idx, and which transmit slots and receive
// descriptors the card holds (offered, not handed back yet); head is the
// one the card takes next, tail the next transmit slot the driver fills
// (-1: none).
#define RINGINFO_MAXSLOTS 256
#define RING_E1000  0
#define RING_VIRTIO 1
struct ringinfo {
  int present;                         // 1 if the card has rings to show
  int kind;                            // RING_*
  int tx_size, tx_head, tx_tail;
  int rx_size, rx_head, rx_tail;
  int tx_avail, tx_used;               // virtio-net: the queues' indexes
  int rx_avail, rx_used;
  uchar tx_dd[RINGINFO_MAXSLOTS / 8];  // bit i of byte i/8: slot i has DD (e1000),
  uchar rx_dd[RINGINFO_MAXSLOTS / 8];  // or the card holds it (virtio-net)
};

#define NETINFO_MAXCOUNTERS 100
#define NETINFO_NAMELEN     24

struct netcounter {
  char name[NETINFO_NAMELEN];   // e.g. "rx_packets", "arp_requests_sent"
  uint64 value;
};

// The DHCP client's state (netlease.state).  Until it is bound, and once
// it has fallen back, the interface uses the static 10.0.2.15/24.
#define DHCP_SELECTING  0   // asking for offers (DISCOVER)
#define DHCP_REQUESTING 1   // REQUEST sent for an offer, waiting for the ACK
#define DHCP_BOUND      2
#define DHCP_RENEWING   3   // past T1: asking our server again
#define DHCP_REBINDING  4   // past T2: asking any server
#define DHCP_STATIC     5   // no answer in time: static address, no more asking

struct netlease {
  int state;                  // DHCP_*
  uint server;                // the server that leased, host byte order
  uint router, dns;           // as offered: shown, never used
  uint secs, left;            // lease time granted and left, in seconds
};

struct netinfo {
  uchar mac[6];
  uint ipaddr, netmask, gateway;   // host byte order
  int present;                     // 1 if a network card was found
  char card[NETINFO_NAMELEN];      // its driver: "e1000" or "virtio-net"
  int ncounters;
  struct netcounter counters[NETINFO_MAXCOUNTERS];
  struct netlease lease;           // last, so that the fields above keep their place
};
