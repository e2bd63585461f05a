"""test_gdb.py: the gdb set-up works: gdb-multiarch stops in e1000_transmit, reads the mbuf and TDT, and finishes the call."""

import os
import re
import shutil
import subprocess
import tempfile
import time

import qemu
from run_tests import REPO, test

GDB = "gdb-multiarch"
GDB_TIMEOUT = 60          # the whole gdb session
# No server.py is needed: the frame is sent (then unanswered) all the same.
TX_CMD = "nettests -p %d txone"
TDT, TDH = 0x3818, 0x3810  # register offsets (e1000_dev.h), read through `regs`
TXONE_FRAME = 14 + 20 + 8 + len("txone ") + 300   # Ethernet, IPv4, UDP, payload
DHCP_FRAME = 14 + 20 + 8 + 300                     # a DISCOVER or REQUEST
# As a student types after the prompt: by then the DHCP client has sent its
# two broadcasts, the walkthrough's first two stops.
TYPING = 5


def gdbinit_for(port, workdir):
    """.gdbinit as `make qemu-gdb` writes it, for our port, in workdir."""
    with open(os.path.join(REPO, ".gdbinit.tmpl")) as f:
        text = f.read()
    path = os.path.join(workdir, "gdbinit")
    with open(path, "w") as f:
        f.write(text.replace(":GDBPORT", ":%d" % port))
    return path


def gdb_script(port, workdir):
    """gdb's commands: stop in e1000_transmit, look, finish the call, look again."""
    reg = "regs[%d]" % (TDT // 4)
    cmds = ["break e1000_transmit", "continue"]
    for i in (1, 2):   # the DHCP client's DISCOVER and REQUEST (LAB.md says so)
        cmds += ["printf \"DHCP%d_LEN %%d\\n\", m->len" % i, "bt 6", "continue"]
    cmds += ["bt",
            "printf \"MBUF_LEN %d\\n\", m->len",
            "printf \"TX_SLOTS %d\\n\", sizeof(tx_ring) / sizeof(tx_ring[0])",
            "printf \"TDT_BEFORE %d\\n\", " + reg,
            "printf \"TDH_BEFORE %%d\\n\", regs[%d]" % (TDH // 4),
            # The clock ran on while gdb held the guest: the timer interrupt
            # that follows may send a frame (DHCP's) from inside this call.
            "disable 1", "finish",
            "printf \"TDT_AFTER %d\\n\", " + reg,
            "delete", "detach"]
    args = [GDB, "-nx", "-batch", "-x", gdbinit_for(port, workdir)]
    for c in cmds:
        args += ["-ex", c]
    return args


def value(out, key):
    m = re.search(r"^%s (-?\d+)$" % key, out, re.M)
    return int(m.group(1)) if m else None


@test("gdb", "gdb-multiarch breaks in e1000_transmit as LAB.md walks through it: the DHCP client's two broadcasts from dhcp_tick first, then nettests txone's datagram; mbuf and TDT are sane")
def gdb(t):
    t.need(GDB, "gdb-multiarch")
    port = qemu.free_port("tcp")

    # The Makefile's qemu-gdb rule waits for gdb on GDBPORT.
    dry = subprocess.run(["make", "-s", "-n", "--no-print-directory", "-C", REPO,
                          "qemu-gdb", "GDBPORT=%d" % port],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         universal_newlines=True, env=qemu.make_env())
    t.step("make -n qemu-gdb GDBPORT=%d" % port)
    t.check(re.search(r"qemu-system-riscv64 .*-S -gdb tcp:[\d.]*:%d\b" % port, dry.stdout),
            "`make qemu-gdb` does not start QEMU halted with its gdb stub on GDBPORT:\n"
            + dry.stdout[-500:])

    workdir = tempfile.mkdtemp(prefix="xv6-net-gdb-")
    gdbp = None
    try:
        t.step("boot halted, gdb stub on port %d" % port)
        g = qemu.Guest.boot({"QEMUEXTRA": "-S -gdb tcp:127.0.0.1:%d" % port},
                            echo=t.verbose)
        t.guests.append(g)
        args = gdb_script(port, workdir)
        t.step(" ".join(args[:5]) + " -ex ... (%d commands)" % (len(args) // 2 - 2))
        gdbp = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, universal_newlines=True,
                                start_new_session=True)
        t.step("wait for the prompt (gdb lets the guest run)")
        g.wait_prompt(60)
        time.sleep(TYPING)
        t.send(TX_CMD % qemu.free_port("udp") + "\n")
        try:
            out, _ = gdbp.communicate(timeout=GDB_TIMEOUT)
        except subprocess.TimeoutExpired:
            gdbp.kill()
            out, _ = gdbp.communicate()
            t.check(False, "gdb did not finish within %ds:\n%s" % (GDB_TIMEOUT, out[-1500:]))
        t.transcript.append("  | " + out.strip().replace("\n", "\n  | "))
    finally:
        if gdbp and gdbp.poll() is None:
            gdbp.kill()
            gdbp.wait()
        shutil.rmtree(workdir, ignore_errors=True)

    t.expect(out, r"Breakpoint 1, (0x[0-9a-f]+ in )?e1000_transmit \(", "gdb stopping in e1000_transmit")
    # LAB.md's walkthrough: the first two stops are the DHCP client's, from
    # the timer interrupt, before txone is typed.
    for i in (1, 2):
        t.check(value(out, "DHCP%d_LEN" % i) == DHCP_FRAME, "stop %d: m->len %s; LAB.md says the "
                "first two stops are DHCP broadcasts of %d bytes" % (i, value(out, "DHCP%d_LEN" % i),
                                                                     DHCP_FRAME))
    dhcp_bts = re.findall(r"^DHCP\d_LEN \d+\n((?:#.*\n)+)", out, re.M)
    t.check(len(dhcp_bts) == 2 and all("dhcp_tick" in bt for bt in dhcp_bts),
            "the first two stops should come from dhcp_tick(), as LAB.md says:\n%s" % dhcp_bts)
    out = out[out.index("DHCP2_LEN"):]
    out = out[out.index("\n#", out.index("Breakpoint 1")) + 1:] if "Breakpoint 1" in out else out
    frames = re.findall(r"^#(\d+)\s+.*?\b(\w+) \(", out, re.M)
    names = [f[1] for f in frames]
    t.check(len(frames) >= 5 and names[0] == "e1000_transmit",
            "the backtrace should start in e1000_transmit and go up several calls: %s" % names)
    t.reject(out, r"Backtrace stopped|corrupt stack", "backtrace")
    length, slots = value(out, "MBUF_LEN"), value(out, "TX_SLOTS")
    before, after, head = value(out, "TDT_BEFORE"), value(out, "TDT_AFTER"), value(out, "TDH_BEFORE")
    t.check(None not in (length, slots, before, after, head),
            "gdb did not print every value (m->len, ring size, TDT, TDH)")
    # LAB.md's walkthrough: the first stop is txone's datagram (10.0.2.2's
    # address is pinned, so no ARP request comes first), from write().
    t.check(length == TXONE_FRAME, "m->len is %d: the first frame should be txone's "
            "datagram, %d bytes (LAB.md says so)" % (length, TXONE_FRAME))
    t.check("udp_output" in names and "arp_request" not in names,
            "the first stop should come from udp_output, not an ARP request: %s" % names)
    t.check(0 <= before < slots and before == head,
            "TDT %d, TDH %d with %d slots: an idle ring has TDT == TDH" % (before, head, slots))
    t.expect(out, r"Value returned is \$\d+ = 0\b", "e1000_transmit returning 0")
    t.check(after == (before + 1) % slots,
            "TDT went from %d to %d; one frame sent should move it on by one" % (before, after))
    t.note("stopped in e1000_transmit from %s; m->len %d, TDT %d -> %d"
           % (" <- ".join(names[1:4]), length, before, after))

