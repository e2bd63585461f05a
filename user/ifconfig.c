// ifconfig.c: show the network interface's addresses and every kernel network counter.
#include "kernel/types.h"
#include "user/user.h"

static struct netinfo ni;   // too big for the one-page user stack

static void
showaddr(const char *label, uint a)
{
  printf("  %-8s %d.%d.%d.%d\n", label, a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

// What the DHCP client got; the router and DNS server are shown as offered,
// the stack uses neither (the gateway is always 10.0.2.2).
static void
showlease(struct netlease *l)
{
  static char *states[] = {
    [DHCP_SELECTING] "selecting (asking for offers)", [DHCP_REQUESTING] "requesting (an offer)",
    [DHCP_BOUND] "bound", [DHCP_RENEWING] "renewing", [DHCP_REBINDING] "rebinding",
    [DHCP_STATIC] "static (no DHCP answer)",
  };

  if(l->state < 0 || l->state > DHCP_STATIC){
    printf("dhcp:\n  state    %d?\n", l->state);
    return;
  }
  printf("dhcp:\n  %-8s %s\n", "state", states[l->state]);
  if(l->secs == 0)
    return;
  showaddr("server", l->server);
  showaddr("router", l->router);
  showaddr("dns", l->dns);
  printf("  %-8s %d s, %d s left\n", "lease", l->secs, l->left);
}

int
main(void)
{
  int i, n;

  if(netinfo(&ni) < 0){
    fprintf(2, "ifconfig: netinfo failed\n");
    exit(1);
  }
  if(!ni.present){
    printf("ifconfig: no network card was found\n");
    exit(1);
  }
  printf("%s:\n  %-8s %02x:%02x:%02x:%02x:%02x:%02x\n", ni.card, "ether", ni.mac[0], ni.mac[1], ni.mac[2],
         ni.mac[3], ni.mac[4], ni.mac[5]);
  showaddr("inet", ni.ipaddr);
  showaddr("netmask", ni.netmask);
  showaddr("gateway", ni.gateway);
  showlease(&ni.lease);
  n = ni.ncounters < NETINFO_MAXCOUNTERS ? ni.ncounters : NETINFO_MAXCOUNTERS;
  printf("counters:\n");
  for(i = 0; i < n; i++){
    ni.counters[i].name[NETINFO_NAMELEN - 1] = 0;
    printf("  %-24s %lu\n", ni.counters[i].name, ni.counters[i].value);
  }
  exit(0);
}
