"""hints.py: what a symptom usually means, in the words a failed test prints.

Each hint names the rule a failure most likely broke and ends with the
LAB.md section that holds the long form, (LAB.md: "Title") with the heading's
backticks dropped; grade-docs checks each one against the LAB.md of every
variant that can print it.  A key "NIC:key" is that card's own text for key (Card.hint in
grade-lab-net).  Reviewed beside LAB.md: a hint that sends a student after
the wrong cause is a bug.
"""

# Hints that blame a hang on the driver itself: every guest would hang.
DRIVER_HANGS = ("stuck-recv", "stuck-tx", "deadlock", "no-answer")

# What nettests says when a rule of the socket code is broken: (pattern in
# the reason, hint), first match wins (Grader.socket_symptom).
SOCKET_REASONS = [
    (r"with a pause (after each release|before each acquire) of socklock", "gap"),
    (r"its wakeup was lost", "lost-wakeup"),
    (r"wrote past the \d+ bytes it was given", "copy-past-n"),
    (r"returned \d+, not \d+, the number of bytes it copied", "short-return"),
    (r"after a short read", "short-rest"),
    (r"into an address the process does not have|after a failed read", "copy-fail"),
    (r"in network byte order", "sender-order"),
    (r"datagram from [\d.]+:\d+, not 10\.0\.2\.2", "sender"),
    (r"connected to 10\.0\.2\.2:\d+ queued a datagram", "wrong-peer"),
    (r"not counted in udp_rx_no_port", "no-port-count"),
]


HINTS = {
    "no-tx": "No frame left the guest.  e1000_transmit() must fill the descriptor "
             "at TDT (address, length, EOP|RS), then move TDT on by one modulo the "
             "ring size, and return 0.  (With bus mastering off the device could "
             "not read the ring either; pci.c turns it on.)"
             "  (LAB.md: \"e1000_transmit(struct mbuf *m)\")",
    "no-tx-barrier": "No frame left the guest, and e1000_transmit() has no memory "
                     "barrier: kernel/e1000.o holds no fence instruction in it.  The "
                     "compiler may move the descriptor's stores after the volatile "
                     "write to TDT (gcc -O2 does), and QEMU reads the descriptor during "
                     "that write, so it finds a stale one and sends nothing.  Put "
                     "__sync_synchronize() after filling the descriptor and before "
                     "writing TDT.  (LAB.md: \"The barrier\")",
    "barrier-tx": "e1000_transmit() has no memory barrier between filling the "
                  "descriptor and writing TDT (no fence instruction in kernel/e1000.o). "
                  "__sync_synchronize() is both a compiler fence (gcc may otherwise "
                  "move the descriptor's stores after the volatile TDT write) and a "
                  "CPU fence (the card reads the ring by DMA as soon as TDT moves)."
                  "  (LAB.md: \"The barrier\")",
    "barrier-rx": "e1000_recv() has no memory barrier (no fence instruction in "
                  "kernel/e1000.o).  Without __sync_synchronize() between clearing "
                  "the slots and writing RDT, and between writing RDT and looking at "
                  "DD again, gcc may reorder those accesses or drop the second look "
                  "at DD, and frames that landed meanwhile wait for the next interrupt."
                  "  (LAB.md: \"The barrier\")",
    "use-after-free": "The device still owns a buffer until it sets DD in that slot: "
                      "it reads the frame by DMA after e1000_transmit() returns (a "
                      "real card long after).  Keep the mbuf in tx_mbufs[] and free it "
                      "when the slot comes round again, not right after writing TDT."
                      "  (LAB.md: \"e1000_transmit(struct mbuf *m)\")",
    "tx-refused": "e1000_transmit() refuses frames (tx_ring_full counts them): it "
                  "returns -1 although the slot at TDT has DD set and is free."
                  "  (LAB.md: \"e1000_transmit(struct mbuf *m)\")",
    "no-rx": "Frames went out and replies came back from 10.0.2.2 (see the frames), "
             "but the stack received none.  e1000_recv() must start at (RDT+1) mod "
             "N, take each slot whose DD is set, pass the mbuf to eth_input() with "
             "len from the descriptor, put a fresh mbuf in the slot, clear its "
             "status, and finally set RDT to the last slot handled.  (The ring must "
             "be handed to the device, RDT = N-1 at start, and the interrupt "
             "acknowledged by reading ICR; e1000_init() and e1000_intr() do that.)"
             "  (LAB.md: \"e1000_recv(void)\")",
    "rx-stalled": "Reception stopped after about one ring's worth of frames: the "
                  "device ran out of slots.  Set RDT to the last slot handled after "
                  "each pass, and clear each slot's status (DD) before giving it "
                  "back, or old frames come up again.  (LAB.md: \"e1000_recv(void)\")",
    "panic": "The kernel panicked; the panic line and the console tail show where.",
    "panic-lock": "A lock was taken twice on one hart.  Is e1000_lock still held "
                  "while e1000_recv() calls eth_input()?  A reply goes straight back "
                  "out through e1000_transmit(), which takes it again."
                  "  (LAB.md: \"e1000_recv(void)\")",
    "deadlock": "The kernel stopped answering the console (^P printed nothing) and a "
                "hart spins in acquire(): a lock is never released, or a hart takes "
                "one it already holds with interrupts off.  Is e1000_lock held "
                "while e1000_recv() calls eth_input(), or left held on a return "
                "path of e1000_transmit()?  The stacks below show who waits where."
                "  (LAB.md: \"e1000_recv(void)\")",
    "no-answer": "The kernel stopped answering the console (^P printed nothing): "
                 "some hart is stuck with interrupts off, spinning on a lock or "
                 "looping in an interrupt handler such as e1000_recv()."
                 "  (LAB.md: \"The mistakes that cost the most time\")",
    "stuck-recv": "A hart never leaves e1000_recv(): it keeps finding slots with "
                  "DD set.  Clear each slot's status when you hand it back, and "
                  "stop at the first slot without DD.  (LAB.md: \"e1000_recv(void)\")",
    "stuck-tx": "A hart never leaves e1000_transmit(): is it waiting for the "
                "device inside the lock?  Return -1 when the ring is full."
                "  (LAB.md: \"e1000_transmit(struct mbuf *m)\")",
    "hang": "The test did not finish in time although the kernel still answers: "
            "a process waits for a datagram that never came.  Compare the frames "
            "sent and received below.",
    "leak": "mbufs or pages are not back at their starting values: e1000_transmit() "
            "must free the mbuf a slot sent last time; e1000_recv() must not lose "
            "the mbuf of a dropped frame (keep it in the slot)."
            "  (LAB.md: \"The mistakes that cost the most time\")",
    "ring-full": "When the descriptor at TDT has no DD the device still owns it: "
                 "return -1 (the caller frees the mbuf) instead of overwriting it."
                 "  (LAB.md: \"e1000_transmit(struct mbuf *m)\")",
    "tx-full-freed": "When e1000_transmit() returns -1 the caller still owns the "
                     "mbuf and frees it; the driver must not."
                     "  (LAB.md: \"e1000_transmit(struct mbuf *m)\")",
    "tdt": "TDT is the index of the next slot to fill: after filling slot i, "
           "write (i+1) mod TX_RING_SIZE to it.  (LAB.md: \"e1000_transmit(struct mbuf *m)\")",
    "rs": "Set RS in every descriptor, or the device never sets DD and the slot "
          "never looks free again.  (LAB.md: \"e1000_transmit(struct mbuf *m)\")",
    "eop": "Set EOP: each frame fits in one descriptor."
    "  (LAB.md: \"e1000_transmit(struct mbuf *m)\")",
    "tx-desc": "Fill addr with m->head and length with m->len."
    "  (LAB.md: \"e1000_transmit(struct mbuf *m)\")",
    "tx-data": "The descriptor must point at the frame's first byte (m->head)."
    "  (LAB.md: \"e1000_transmit(struct mbuf *m)\")",
    "tx-leak": "Free the mbuf a slot sent last time (tx_mbufs[i]) before reusing "
               "the slot.  (LAB.md: \"e1000_transmit(struct mbuf *m)\")",
    "rx-start": "The device owns the slots from RDH up to RDT; the first one it "
                "may have filled is (RDT+1) mod RX_RING_SIZE.  (LAB.md: \"e1000_recv(void)\")",
    "rx-none": "e1000_recv() passed no frame up although the slot after RDT held "
               "one with DD set: loop from (RDT+1) mod RX_RING_SIZE while DD is set, "
               "passing each frame to eth_input().  (LAB.md: \"e1000_recv(void)\")",
    "dd-not-cleared": "Clear the status of each slot you handle, or next time "
                      "round it looks filled with a stale frame.  (LAB.md: \"e1000_recv(void)\")",
    "rdt": "Set RDT to the last slot you handled, once per pass: that gives the "
           "slots back to the device.  Without it the ring runs dry."
           "  (LAB.md: \"e1000_recv(void)\")",
    "rx-order": "Frames came up out of order or twice: stale DD bits, or RDT set "
                "to a slot not handled yet.  (LAB.md: \"e1000_recv(void)\")",
    "rx-stuck": "Some frames stayed in the ring: loop while the next slot's DD is "
                "set, and look again after writing RDT.  (LAB.md: \"e1000_recv(void)\")",
    "rx-len": "Set the mbuf's len from the descriptor's length.  (LAB.md: \"e1000_recv(void)\")",
    "rx-leak": "Each frame passed up must be replaced by a fresh mbuf, and a "
               "dropped frame's mbuf must stay in its slot.  (LAB.md: \"e1000_recv(void)\")",
    "rx-errors": "Drop frames whose descriptor has error bits (E1000_RXD_ERR_FRAME), "
                 "count them in rx_desc_errors, and keep the slot's buffer."
                 "  (LAB.md: \"e1000_recv(void)\")",
    "rx-nomem": "When mbuf_alloc() fails, drop the frame (rx_no_mbuf), keep the "
                "old buffer in the slot, and go on.  (LAB.md: \"e1000_recv(void)\")",
    "lock-held": "Release e1000_lock before calling eth_input(); it may transmit."
    "  (LAB.md: \"e1000_recv(void)\")",
    "lock": "A lock was released that was not held: every release() needs its "
            "acquire(), once, on the same path.  (LAB.md: \"e1000_transmit(struct mbuf *m)\")",
    "sleep": "e1000_recv() runs in the interrupt handler and e1000_transmit() may "
             "too (a reply sent from eth_input()): neither may sleep().  When the "
             "ring is full, return -1 instead of waiting.  (LAB.md: \"e1000_recv(void)\")",
    # The udp variant's part: kernel/socket.c.
    "queue-unbounded": "The socket kept more than SOCK_QUEUE_MAX datagrams: the queue "
                       "has no bound.  sock_deliver() must drop a datagram that finds "
                       "SOCK_QUEUE_MAX already queued (net_drop(m, "
                       "&netstats.sock_rx_queue_full)) and count it in s->dropped.  "
                       "Unbounded, one flood to a socket nobody reads takes every mbuf."
                       "  (LAB.md: \"sock_deliver(int type, ushort lport, struct mbuf *m)\")",
    "queue-drops": "The queue kept the right datagrams but did not count the others: "
                   "sock_deliver() counts each datagram it drops for a full queue in "
                   "s->dropped (what sockinfo reports) and in "
                   "netstats.sock_rx_queue_full (net_drop() does that one)."
                   "  (LAB.md: \"sock_deliver(int type, ushort lport, struct mbuf *m)\")",
    "wrong-port": "Datagrams reached the guest, but most found no socket "
                  "(udp_rx_no_port counts them): sock_deliver() queues none.  It must "
                  "look the socket up by the destination port it is given (lport) with "
                  "sock_find(), not by the sender's port (m->rport), queue the datagram "
                  "there and return 0; -1 means that no socket has the port."
                  "  (LAB.md: \"sock_deliver(int type, ushort lport, struct mbuf *m)\")",
    "lost-wakeup": "A lost wakeup: a datagram reached the reader's socket and the "
                   "reader slept on.  sock_deliver() must wakeup(&s->rxq), the channel "
                   "sock_recvfrom() sleeps on, every time it queues a datagram: not on "
                   "another channel, not behind a condition.  (LAB.md: \"Sleep and wakeup\")",
    "lost-wakeup-udp": "The reader waited until the deadline although datagrams reached "
                       "the stack (udp_rx_packets counts them; no drop counter or "
                       "udp_rx_no_port explains them): a lost wakeup.  sock_deliver() must "
                       "wakeup(&s->rxq), the channel sock_recvfrom() sleeps on, every time "
                       "it queues a datagram: not on another channel, not behind a condition."
                       "  (LAB.md: \"Sleep and wakeup\")",
    "lost-wakeup-icmp": "The reader waited until the deadline although echo replies came "
                        "(icmp_echo_replies_rcvd counts them; icmp_rx_no_sock does not): a "
                        "lost wakeup.  sock_deliver() must wakeup(&s->rxq), the channel "
                        "sock_recvfrom() sleeps on, every time it queues a datagram: not on "
                        "another channel, not behind a condition.  (LAB.md: \"Sleep and wakeup\")",
    "gap": "The reply came while the reader was between its look at the queue and its "
           "sleep (the test pauses at every release or acquire of socklock to make sure of "
           "it), and the reader slept on: sock_recvfrom() looked without socklock, or let "
           "it go between the look and the sleep.  Hold it from the look at s->rxq.len "
           "until sleep_killable(&s->rxq, &socklock), which releases it only once the "
           "process is asleep, so a wakeup cannot fall in the gap.  (LAB.md: \"Sleep and wakeup\")",
    "look-again": "The kernel faulted in sock_recvfrom(): when sleep_killable() returns, "
                  "look at the queue again (while, not if).  Every reader asleep on the "
                  "socket wakes for one datagram; the first takes it, and the next finds "
                  "s->rxq.head 0.  (Or it stored the sender through a raddr or rport of 0: "
                  "a read of the socket passes 0 for both.)  (LAB.md: \"Sleep and wakeup\")",
    "killed-reader": "A hart never leaves sock_recvfrom() (see the stacks): it goes round "
                     "without sleeping.  When sleep_killable() returns -1 (the process was "
                     "killed: the recvfrom test kills a waiting reader), release socklock "
                     "and return -1.  Called again, it returns -1 at once, for ever, with "
                     "socklock held and interrupts off."
                     "  (LAB.md: \"sock_recvfrom(struct sock *s, uint64 addr, "
                     "int n, uint *raddr, int *rport)\")",
    "copy-past-n": "The read wrote past the buffer it was given: sock_recvfrom() copies "
                   "at most n bytes of the datagram (the smaller of n and m->len) and "
                   "discards the rest.  Copying m->len bytes overwrites whatever the process "
                   "keeps after its buffer."
                   "  (LAB.md: \"sock_recvfrom(struct sock *s, uint64 addr, "
                   "int n, uint *raddr, int *rport)\")",
    "short-return": "sock_recvfrom() returns the number of bytes it copied, at most n, not "
                    "the datagram's length m->len."
                    "  (LAB.md: \"sock_recvfrom(struct sock *s, uint64 addr, "
                    "int n, uint *raddr, int *rport)\")",
    "short-rest": "A datagram read short is gone: take it off the queue and free it "
                  "whatever n was; the next read returns the next datagram."
                  "  (LAB.md: \"sock_recvfrom(struct sock *s, uint64 addr, "
                  "int n, uint *raddr, int *rport)\")",
    "copy-fail": "When either_copyout() fails, sock_recvfrom() releases socklock and "
                 "returns -1 with the datagram still queued: take it off the queue "
                 "(mbufq_pophead()) only once the copy worked."
                 "  (LAB.md: \"sock_recvfrom(struct sock *s, uint64 addr, "
                 "int n, uint *raddr, int *rport)\")",
    "sender-order": "sock_recvfrom() hands back the sender as m->raddr holds it, in host "
                    "byte order (udp_input() already turned the header's network order "
                    "around): *raddr = m->raddr, with no swap of its own."
                    "  (LAB.md: \"sock_recvfrom(struct sock *s, uint64 addr, "
                    "int n, uint *raddr, int *rport)\")",
    "sender": "The sender is wrong: when raddr and rport are not 0, sock_recvfrom() stores "
              "m->raddr in *raddr and m->rport in *rport."
              "  (LAB.md: \"sock_recvfrom(struct sock *s, uint64 addr, "
              "int n, uint *raddr, int *rport)\")",
    "wrong-peer": "A connected socket (s->raddr not 0) takes only its peer's datagrams: "
                  "sock_deliver() drops one whose m->raddr or m->rport differs from "
                  "s->raddr and s->rport with net_drop(m, &netstats.sock_rx_wrong_peer), "
                  "and returns 0."
                  "  (LAB.md: \"sock_deliver(int type, ushort lport, struct mbuf *m)\")",
    "no-port-count": "sock_deliver() must return -1 when no socket has the port (and free "
                     "m): udp_input() counts the datagram in udp_rx_no_port only then."
                     "  (LAB.md: \"sock_deliver(int type, ushort lport, struct mbuf *m)\")",
    "udp-leak": "mbufs or pages are not back at their starting values.  The socket code: "
                "sock_recvfrom() frees each datagram it returns (mbuf_free()), "
                "sock_deliver() frees one that no socket takes and net_drop()s the ones it "
                "refuses.  The driver: e1000_transmit() frees the mbuf a slot sent last time; "
                "e1000_recv() keeps the mbuf of a dropped frame in its slot."
                "  (LAB.md: \"The mistakes that cost the most time\")",
    "sleep-lock": "sched() found a spinlock still held when a process went to sleep: "
                  "sleep_killable() releases only the lock it is given.  In "
                  "sock_recvfrom() hold socklock alone around the wait and pass it to "
                  "sleep_killable(&s->rxq, &socklock), and release it on every return "
                  "path.  (e1000_recv() and e1000_transmit() must never sleep.)"
                  "  (LAB.md: \"Sleep and wakeup\")",
    "init": "e1000_init() must hand the MAC address to the stack with net_start() "
            "once the rings are ready; it is given code: compare it with the handout.",
    "mac": "e1000_init() read a MAC address other than the card's (RAL0/RAH0); it is "
           "given code: compare it with the handout.",
    "rx-init": "After e1000_init() the device must own receive slots (RDH 0, RDT N-1, "
               "each with a buffer); it is given code: compare it with the handout.",
    "rx-buffer": "Every receive slot the device owns needs a buffer address: put the "
                 "fresh mbuf's head in the descriptor's addr when you replace a "
                 "slot's mbuf.  (LAB.md: \"e1000_recv(void)\")",
    "lock-leak": "Every return path must release e1000_lock."
    "  (LAB.md: \"e1000_transmit(struct mbuf *m)\")",
    "double-free": "An mbuf was freed twice: after -1 the caller frees it; a slot's "
                   "old mbuf is freed only once.  (LAB.md: \"e1000_transmit(struct mbuf *m)\")",
    "compile": "The driver did not build on the host; see the compiler output.",
    "no-nettests": "nettests did not start; is user/_nettests in the Makefile's "
                   "UPROGS, and did `make` rebuild fs.img?",
    "no-card": "The kernel did not report the e1000 (pci.c).",
    "bad-frames": "Frames on the wire break the rules listed; the frame number "
                  "is as tcpdump -r and tshark -r count them.",
    "no-frames": "The run produced no frames to check (see txone and rxone).",

    # The virtio variant's driver, kernel/virtio_net.c: its own mistakes,
    # then its texts for symptoms the e1000 has too ("virtio:key").
    "barrier-used": "tx_reclaim() has no memory barrier (no fence instruction in "
                    "kernel/virtio_net.o).  The card writes a used-ring entry and then "
                    "moves used->idx; read the entry only after seeing the index move "
                    "and a __sync_synchronize() (2.6.14), or the compiler or the CPU may "
                    "read the entry first and find an old one.  (LAB.md: \"The barriers\")",
    "barrier-fill": "virtio_net_rx_fill() has no memory barrier (no fence instruction in "
                    "kernel/virtio_net.o): put the ring entries in, __sync_synchronize(), "
                    "and only then publish them in avail->idx (2.6.13.3), as everywhere "
                    "a driver offers buffers.  (LAB.md: \"The barriers\")",
    "notify-tx": "virtio_net_transmit() never calls vq_notify(): the card does not "
                 "watch the available ring, so a frame offered without a notification "
                 "waits forever (2.6.13.4).  Call vq_notify(&txq) after publishing "
                 "avail->idx; it skips the register write when the card said it needs "
                 "none.  (LAB.md: \"Notifications\")",
    "notify-rx": "virtio_net_recv() never calls vq_notify(): a card that found the "
                 "receive queue empty stops taking frames until the driver notifies it "
                 "of new buffers (2.6.13.4).  Call vq_notify(&rxq) after publishing the "
                 "buffers you gave back.  (LAB.md: \"Notifications\")",
    "rx-not-returned": "Reception stopped after about one queue's worth of frames and "
                       "the card holds no receive buffers (rx_card_buffers 0): "
                       "virtio_net_recv() takes the buffers but does not give them back. "
                       "Put each descriptor back in the available ring (rx_give(), with a "
                       "fresh mbuf or the same one for a dropped frame), then a barrier and "
                       "avail->idx, then vq_notify(&rxq).  (LAB.md: \"virtio_net_recv(void)\")",
    "rx-no-notify": "Reception stopped although the card holds receive buffers "
                    "(rx_card_buffers > 0): after it once found the queue empty it waits "
                    "for a notification.  Call vq_notify(&rxq) after publishing the "
                    "buffers virtio_net_recv() gives back.  (LAB.md: \"Notifications\")",
    "virtio:no-tx": "No frame left the guest.  virtio_net_transmit() must set the frame's "
                    "descriptor (tx_frame_desc(slot): addr m->head, len m->len), put the "
                    "chain's head (tx_head_desc(slot)) in avail->ring at avail->idx % TX_NUM, "
                    "__sync_synchronize(), store avail->idx + 1, call vq_notify(&txq), and "
                    "return 0.  (LAB.md: \"virtio_net_transmit(struct mbuf *m)\")",
    "virtio:no-tx-barrier": "No frame left the guest, and virtio_net_transmit() has no "
                            "memory barrier: the compiler may store avail->idx before the "
                            "ring entry and the descriptor, and the card then sends what the "
                            "entry held before.  Put __sync_synchronize() between the ring "
                            "entry and avail->idx (2.6.13.3).  (LAB.md: \"The barriers\")",
    "virtio:barrier-tx": "virtio_net_transmit() has no memory barrier between putting the "
                         "chain in the available ring and publishing avail->idx (no fence "
                         "instruction in kernel/virtio_net.o).  The card may look at the "
                         "ring at any moment; __sync_synchronize() keeps the compiler and "
                         "the CPU from letting the index out before the entry (2.6.13.3)."
                         "  (LAB.md: \"The barriers\")",
    "virtio:barrier-rx": "virtio_net_recv() needs two kinds of memory barrier and has fewer "
                         "than two fence instructions (kernel/virtio_net.o): one after "
                         "seeing used->idx move and before reading the entries it covers "
                         "(2.6.14), and one after putting buffers back in the available "
                         "ring and before publishing avail->idx (2.6.13.3)."
                         "  (LAB.md: \"The barriers\")",
    "virtio:tx-refused": "virtio_net_transmit() refuses frames (tx_ring_full counts them) "
                         "although the card has sent what it had: does tx_reclaim() free "
                         "each slot the used ring hands back (tx_mbufs[slot] = 0), reading "
                         "the entry at txq.used_taken % TX_NUM?  The used ring has TX_NUM "
                         "entries; the index counts on to 65535.  (LAB.md: \"tx_reclaim(void)\")",
    "rx-raw-index": "Used-ring entries were read from past the end of the ring: "
                    "rx_desc_errors (ids of RX_NUM or more) or rx_oversize grew, which the "
                    "card never causes, and then reception stopped.  used->ring has RX_NUM "
                    "entries while used_taken counts on to 65535: read the entry at "
                    "rxq.used_taken % RX_NUM (and put entries at avail->idx % RX_NUM).  "
                    "A missing vq_notify() would not make those counters grow."
                    "  (LAB.md: \"The virtqueues\")",
    "rx-len-header": "Frames reached the stack 12 bytes longer than they came in: the "
                     "used entry's len counts the 12-byte struct vnet_hdr before the frame "
                     "too.  Set the mbuf's len to e->len - VNET_HDRLEN (5.1.6.4)."
                     "  (LAB.md: \"virtio_net_recv(void)\")",
    "virtio:use-after-free": "Frames of 0x5a bytes (kfree()'s fill of a freed page) left the "
                             "guest: the card read a frame's buffer after it was freed.  The "
                             "card owns a frame from the moment avail->idx covers its chain "
                             "until its head comes back in the used ring, and QEMU sends a "
                             "moment after vq_notify(): keep the mbuf in tx_mbufs[] and let "
                             "tx_reclaim() free it, not virtio_net_transmit().  (tx_reclaim() "
                             "then frees it a second time, which corrupts the page allocator: "
                             "a panic, a process killed, or a reason from nettests that no "
                             "longer holds may follow.)  (LAB.md: \"The virtqueues\")",
    "rx-not-offered": "The card never held a receive buffer (rx_card_buffers 0, nothing "
                      "received): virtio_net_rx_fill() must rx_give() every descriptor, "
                      "then a barrier, then publish rxq.avail->idx."
                      "  (LAB.md: \"virtio_net_rx_fill(void)\")",
    "usertests-no-notify": "usertests found pages missing: the kernel's own frames (the "
                           "DHCP client's) sat in the transmit queue, never sent, since "
                           "virtio_net_transmit() never calls vq_notify() (see driver-tx), "
                           "and each keeps its mbuf.  Notify, and usertests passes."
                           "  (LAB.md: \"Notifications\")",
    "usertests-leak": "usertests found pages missing.  It needs no code of yours, but the "
                      "kernel sends frames meanwhile (the DHCP client's) through your "
                      "driver: one that keeps a sent frame's mbuf, or loses a received "
                      "one, shows up here as a leak."
                      "  (LAB.md: \"The mistakes that cost the most time\")",
    "virtio:no-rx": "Frames went out and replies came back from 10.0.2.2 (see the frames), "
                    "but the stack received none.  virtio_net_rx_fill() must offer every "
                    "receive buffer (and publish avail->idx), and virtio_net_recv() must "
                    "take each used entry, set the mbuf's len to the bytes written less "
                    "VNET_HDRLEN, and pass it to eth_input().  (LAB.md: \"virtio_net_recv(void)\")",
    "virtio:panic-lock": "A lock was taken twice on one hart.  Is vnet_lock still held "
                         "while virtio_net_recv() calls eth_input()?  A reply goes straight "
                         "back out through virtio_net_transmit(), which takes it again."
                         "  (LAB.md: \"virtio_net_recv(void)\")",
    "virtio:deadlock": "The kernel stopped answering the console (^P printed nothing) and a "
                       "hart spins in acquire(): a lock is never released, or a hart takes "
                       "one it already holds with interrupts off.  Is vnet_lock held while "
                       "virtio_net_recv() calls eth_input(), or left held on a return path "
                       "of virtio_net_transmit()?  The stacks below show who waits where."
                       "  (LAB.md: \"virtio_net_recv(void)\")",
    "virtio:no-answer": "The kernel stopped answering the console (^P printed nothing): "
                        "some hart is stuck with interrupts off, spinning on a lock or "
                        "looping in an interrupt handler such as virtio_net_recv()."
                        "  (LAB.md: \"The mistakes that cost the most time\")",
    "virtio:stuck-recv": "A hart never leaves virtio_net_recv(): does the loop move "
                         "rxq.used_taken on for every entry it takes, so that vq_pending() "
                         "turns false?  (LAB.md: \"virtio_net_recv(void)\")",
    "virtio:stuck-tx": "A hart never leaves virtio_net_transmit(): is it waiting for the "
                       "card inside the lock?  Return -1 when every slot is busy."
                       "  (LAB.md: \"virtio_net_transmit(struct mbuf *m)\")",
    "own-steps": "Do the ring steps in your own code, not with vq_push() or vq_pop(): "
                 "the grader counts the barriers in your functions, and their barriers "
                 "are virtio.c's (one per chain, where a batch needs one).  Put the "
                 "entries in the ring, __sync_synchronize(), then store avail->idx; take "
                 "used entries after a barrier, as LAB.md's steps say."
                 "  (LAB.md: \"virtio_net_recv(void)\")",
    "virtio:leak": "mbufs or pages are not back at their starting values: tx_reclaim() "
                   "must free the mbuf of each frame the card has sent, taking every used "
                   "entry at txq.used_taken % TX_NUM (the ring has TX_NUM entries; the index "
                   "counts on to 65535); virtio_net_recv() "
                   "must give a dropped frame's mbuf back to its descriptor."
                   "  (LAB.md: \"tx_reclaim(void)\")",
    "virtio:sleep": "virtio_net_recv() runs in the interrupt handler and "
                    "virtio_net_transmit() may too (a reply sent from eth_input()): "
                    "neither may sleep().  When every slot is busy, return -1."
                    "  (LAB.md: \"virtio_net_recv(void)\")",
    "virtio:no-card": "The kernel did not report the virtio-net card (virtio_net.c): see "
                      "the boot messages.",
}
