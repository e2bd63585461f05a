// netinfo.h: what the network system calls report, shared with user programs.
#pragma once

#define SOCK_UDP  1   // datagrams to and from one local UDP port
#define SOCK_ICMP 2   // ICMP echo: write an echo message, read back IP header + reply

// Build an IPv4 address in host byte order: IPADDR(10,0,2,2).
#define IPADDR(a, b, c, d) \
  (((uint)(a) << 24) | ((uint)(b) << 16) | ((uint)(c) << 8) | (uint)(d))

// Datagrams a socket holds for its reader; more are dropped and counted
// (sockinfo.dropped, sock_rx_queue_full).  socket.c says why 64.
#define SOCK_QUEUE_MAX 64

struct sockinfo {
  int type;          // SOCK_UDP or SOCK_ICMP
  int lport;         // local port (ICMP: echo identifier), 0 if unbound
  uint raddr;        // connected remote address, 0 if none
  int rport;
  int queued;        // datagrams waiting to be read
  uint64 dropped;    // datagrams dropped because the queue was full
};

#define NETINFO_MAXCOUNTERS 64
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
