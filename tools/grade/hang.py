"""hang.py: why a guest stopped: the whole panic line, and where each hart is in a hung kernel.

The network guest runs with QEMU's gdb stub on a free port; when a test
hangs, gdb-multiarch takes back-traces of every hart, and a hart that
spins in the same place in every sample picks the hint.
"""

import os
import re
import shutil
import subprocess
import time

from grade import REPO
from grade.compiled import kernel_function

PANIC_GRACE = 0.5        # for the rest of a panic message to arrive
GDB = "gdb-multiarch"
GDB_BUDGET = 20          # attach, back-trace every hart, detach
STACK_DEPTH = 12         # frames of each hart's stack


def panicked(r, g, sockets=False):
    """Fail r with g's panic line, complete: the wait ended as soon as
    "panic:" appeared, and the rest of the line may still be on its way.
    sockets: the student wrote the socket code (the udp variant)."""
    time.sleep(PANIC_GRACE)
    line = g.panicked() or "panic"
    hint = "panic"
    if "acquire" in line:
        hint = "panic-lock"
    elif "other locks held" in line:
        hint = "sleep-lock" if sockets else "sleep"
    line = line[line.find("panic"):]
    # A fault in the kernel: kerneltrap() printed where (sepc) first.
    m = re.findall(r"sepc=(0x[0-9a-f]+)", g.text[-3000:]) if "unexpected trap" in line else []
    fn = kernel_function(int(m[-1], 16)) if m else None
    if fn:
        line += " (sepc %s is in %s())" % (m[-1], fn)
        if sockets and fn == "sock_recvfrom":
            hint = "look-again"
    r.fail("kernel " + line, hint=hint)
    r.tail = g.tail()


def hart_stacks(g):
    """[(hart, [frame, ...])] from gdb's backtrace of every hart, innermost
    frame first; a frame is "function" or, in acquire(), "acquire(lock)".
    QEMU's gdb stub (the guest was started with one) stops every hart while
    gdb looks, whatever the kernel is doing.  [] without gdb."""
    exe = shutil.which(GDB)
    if exe is None or not getattr(g, "gdb_port", None):
        return []
    args = [exe, "-nx", "-batch", "-ex", "set architecture riscv:rv64",
            "-ex", "file " + os.path.join(REPO, "kernel", "kernel"),
            "-ex", "target remote 127.0.0.1:%d" % g.gdb_port,
            "-ex", "thread apply all bt %d" % STACK_DEPTH, "-ex", "detach"]
    try:
        out = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             universal_newlines=True, timeout=GDB_BUDGET).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    stacks = []
    for line in out.split("\n"):
        t = re.match(r"^Thread (\d+) ", line)
        f = re.match(r"^#\d+\s+(?:0x[0-9a-f]+ in )?(\w+) \((.*)\)", line)
        if t:
            stacks.append((int(t.group(1)) - 1, []))
        elif f and stacks:
            lock = re.search(r"<(\w+)", f.group(2)) if f.group(1) == "acquire" else None
            stacks[-1][1].append("acquire(%s)" % lock.group(1) if lock else f.group(1))
    return sorted(stacks)


def stuck_where(samples, card, sockets=False):
    """The hint for a hung kernel from two or more samples of the harts'
    stacks (one sample can catch a hart passing through acquire()): in
    the udp variant (sockets), a hart that never left sock_recvfrom() (a
    reader sleeps off every hart's stack: this one spins); then a hart
    spinning in acquire() in every sample, else one that never left the
    card driver's receive or transmit function; None if none did."""
    def always(test):
        return any(all(test([f.split("(")[0] for f in dict(sample).get(hart, [])])
                       for sample in samples)
                   for hart, _ in samples[0])
    spins = [("killed-reader", lambda st: "sock_recvfrom" in st)] if sockets else []
    for key, test in spins + [("deadlock", lambda st: st[:1] == ["acquire"]),
                      ("stuck-recv", lambda st: card.recv in st),
                      ("stuck-tx", lambda st: card.transmit in st)]:
        if samples and samples[0] and always(test):
            return key
    return None
