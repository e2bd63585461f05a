// uart.c: driver for the 16550A serial port that carries the console.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "defs.h"

// 16550A registers, one byte apart from UART0.
#define RBR 0   // receive buffer (read)
#define THR 0   // transmit holding (write)
#define IER 1   // interrupt enable
#define   IER_RX  0x01
#define   IER_TX  0x02
#define FCR 2   // FIFO control (write)
#define   FCR_ENABLE 0x01
#define   FCR_CLEAR  0x06   // flush both FIFOs
#define LCR 3   // line control
#define   LCR_8N1    0x03
#define   LCR_DLAB   0x80   // divisor latch access
#define LSR 5   // line status
#define   LSR_RX_READY 0x01
#define   LSR_TX_IDLE  0x20

static inline uchar
uart_get(int reg)
{
  return *(volatile uchar *)(KDEV(UART0) + reg);
}

static inline void
uart_set(int reg, uchar v)
{
  *(volatile uchar *)(KDEV(UART0) + reg) = v;
}

// Output waits in this ring until the transmitter is idle, so a process
// writing to the console sleeps instead of spinning on the line status.
#define OUTBUF 64
static struct {
  struct spinlock lock;
  char buf[OUTBUF];
  uint64 head;   // next byte to send
  uint64 tail;   // next free slot
} out;

void
uartinit(void)
{
  uart_set(IER, 0);
  // 38.4 kbaud: divisor 3 (QEMU ignores the rate, real 16550s do not).
  uart_set(LCR, LCR_DLAB);
  uart_set(0, 3);
  uart_set(1, 0);
  uart_set(LCR, LCR_8N1);
  uart_set(FCR, FCR_ENABLE | FCR_CLEAR);
  uart_set(IER, IER_RX | IER_TX);
  initlock(&out.lock, "uart");
}

// Move buffered bytes to the transmitter while it can take them.
// Caller holds out.lock.
static void
uart_kick(void)
{
  while(out.head != out.tail && (uart_get(LSR) & LSR_TX_IDLE)){
    uart_set(THR, out.buf[out.head % OUTBUF]);
    out.head++;
    wakeup(&out.head);   // room for a sleeping writer
  }
}

// Queue one byte for output, sleeping while the ring is full.
// Only for process context: it may sleep.
void
uartputc(int c)
{
  acquire(&out.lock);
  if(panicked){
    release(&out.lock);
    for(;;)
      ;
  }
  while(out.tail - out.head == OUTBUF)
    sleep(&out.head, &out.lock);
  out.buf[out.tail % OUTBUF] = c;
  out.tail++;
  uart_kick();
  release(&out.lock);
}

// Send one byte by polling, for printf and for echoing typed characters:
// usable with interrupts off and from interrupt handlers.
void
uartputc_sync(int c)
{
  push_off();
  if(panicked && cpuid() != panicked - 1){
    // Another hart panicked: freeze so its message stays readable.
    for(;;)
      ;
  }
  while((uart_get(LSR) & LSR_TX_IDLE) == 0)
    ;
  uart_set(THR, c);
  pop_off();
}

// Receive interrupt (a byte arrived) or transmit interrupt (room to send).
void
uartintr(void)
{
  while(uart_get(LSR) & LSR_RX_READY)
    consoleintr(uart_get(RBR));

  acquire(&out.lock);
  uart_kick();
  release(&out.lock);
}
