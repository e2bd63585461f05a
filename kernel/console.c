// console.c: the console device: line editing on input, output through the UART.
//
// Typed characters collect in a line buffer until Enter or ^D; read()
// returns only completed lines.  Special keys:
//   Backspace/Delete  erase one character     ^U  erase the whole line
//   ^D                end of file             ^P  list processes
#include "types.h"
#include "param.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "fs.h"
#include "file.h"
#include "memlayout.h"
#include "riscv.h"
#include "proc.h"
#include "defs.h"

#define CTRL(x) ((x) - '@')
#define KEY_BACKSPACE 0x08
#define KEY_DELETE    0x7f

#define LINEBUF 512   // long enough for any command a test harness types
static struct {
  struct spinlock lock;
  char buf[LINEBUF];
  uint64 rd;    // next byte read() will take
  uint64 done;  // end of the last completed line
  uint64 ed;    // end of the line being edited
} cons;

// Output one character, turning a backspace into "erase on screen".
void
consputc(int c)
{
  if(c == KEY_BACKSPACE){
    uartputc_sync('\b');
    uartputc_sync(' ');
    uartputc_sync('\b');
  } else {
    uartputc_sync(c);
  }
}

static int
console_write(int user_src, uint64 src, int n)
{
  int i;
  for(i = 0; i < n; i++){
    char c;
    if(either_copyin(&c, user_src, src + i, 1) == -1)
      return i > 0 ? i : -1;   // a bad buffer is an error, not an empty write
    uartputc(c);
  }
  return i;
}

// Returns bytes of completed lines.  ^D ends a read early; at the start of
// a read it yields 0 bytes, which programs take as end of file.
static int
console_read(int user_dst, uint64 dst, int n)
{
  int want = n;

  acquire(&cons.lock);
  while(n > 0){
    while(cons.rd == cons.done){
      if(sleep_killable(&cons.rd, &cons.lock) < 0){
        release(&cons.lock);
        return -1;
      }
    }
    char c = cons.buf[cons.rd++ % LINEBUF];
    if(c == CTRL('D')){
      // Leave ^D for the next read if this one already has data.
      if(n < want)
        cons.rd--;
      break;
    }
    if(either_copyout(user_dst, dst, &c, 1) == -1)
      break;
    dst++;
    n--;
    if(c == '\n')
      break;
  }
  release(&cons.lock);
  return want - n;
}

static void
erase_last(void)
{
  cons.ed--;
  consputc(KEY_BACKSPACE);
}

// Called by the UART interrupt for every received byte.
void
consoleintr(int c)
{
  acquire(&cons.lock);
  switch(c){
  case CTRL('P'):
    procdump();
    break;
  case CTRL('U'):
    while(cons.ed != cons.done && cons.buf[(cons.ed - 1) % LINEBUF] != '\n')
      erase_last();
    break;
  case KEY_BACKSPACE:
  case KEY_DELETE:
    if(cons.ed != cons.done)
      erase_last();
    break;
  default:
    if(c == 0 || cons.ed - cons.rd >= LINEBUF)
      break;
    if(c == '\r')
      c = '\n';
    consputc(c);
    cons.buf[cons.ed++ % LINEBUF] = c;
    // A line is complete at Enter, at ^D, or when the buffer is full.
    if(c == '\n' || c == CTRL('D') || cons.ed - cons.rd == LINEBUF){
      cons.done = cons.ed;
      wakeup(&cons.rd);
    }
    break;
  }
  release(&cons.lock);
}

void
consoleinit(void)
{
  initlock(&cons.lock, "console");
  uartinit();
  devsw[CONSOLE].read = console_read;
  devsw[CONSOLE].write = console_write;
}
