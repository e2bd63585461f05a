// fsstat.c: print the buffer cache's and the disk's counters on one line (tests read it).
#include "user/user.h"

int
main(void)
{
  struct bstat st;

  if(diskstat(&st) < 0){
    fprintf(2, "fsstat: diskstat failed\n");
    exit(1);
  }
  printf("fsstat: nbuf %ld hits %ld misses %ld rreqs %ld rblocks %ld rareqs %ld wreqs %ld wblocks %ld\n",
         st.nbuf, st.hits, st.misses, st.rreqs, st.rblocks, st.rareqs, st.wreqs, st.wblocks);
  exit(0);
}
