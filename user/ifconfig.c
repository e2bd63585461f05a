// ifconfig.c: show the network interface's addresses and every kernel network counter.
#include "kernel/types.h"
#include "user/user.h"

static struct netinfo ni;   // too big for the one-page user stack

static void
showaddr(const char *label, uint a)
{
  printf("  %-8s %d.%d.%d.%d\n", label, a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
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
  n = ni.ncounters < NETINFO_MAXCOUNTERS ? ni.ncounters : NETINFO_MAXCOUNTERS;
  printf("counters:\n");
  for(i = 0; i < n; i++){
    ni.counters[i].name[NETINFO_NAMELEN - 1] = 0;
    printf("  %-24s %lu\n", ni.counters[i].name, ni.counters[i].value);
  }
  exit(0);
}
