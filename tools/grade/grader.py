"""grader.py: the Grader, which runs grade-lab-net's tests, reports each and explains its failures.

It boots the guests (one for the nettests cases, with server.py, one for
usertests alongside), runs driver-tx and driver-rx (the device model or the
compiled code), checks the capture, and for a failure picks a hint from the
symptom: the ifconfig counters, the frames, the panic line, the harts'
stacks.  Tests and cards come from grade-lab-net's tables.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

import hostserver
import qemu
from grade import REPO
from frames import PcapError
from grade.capture import (DEFAULT_MAC, check_frames, frame_line, freed_bytes,
                           read_pcap, tshark_problems, write_pcap)
from grade.compiled import ASAN_OPTIONS, asan_summary, compile_sim, compiled_code
from grade.hang import GDB, hart_stacks, panicked, stuck_where
from grade.hints import DRIVER_HANGS, HINTS, SOCKET_REASONS

NET = "nettests"          # a test's kind: a nettests case, in the network guest
NOT_RUN = "not run: "     # the reason's start for a test skipped after an earlier failure
CMD_BUDGET = 10          # a quick shell command (ifconfig)
HANG_SAMPLES = 2         # of every hart's stack, to tell spinning from passing through
HANG_SAMPLE_GAP = 0.3
WARMUP_BUDGET = 15       # nettests fills the transmit ring before the first case when free runs
TAIL = qemu.TAIL_LINES
FRAMES_SHOWN = 12        # decoded frames around a failure
SHOWN_LINES = 10         # of what a nettests case printed
CONTEXT_FRAMES = 4       # shown from before a test when it sent nothing itself

# The newline, not $: a line may arrive in pieces, and $ matches at the end of
# what has arrived so far.
NETTESTS_RE = r"testing %s: (OK|FAILED:? ?([^\n]*))\n"
PROMPT_RE = re.compile(r"^\$ ", re.M)
PCI_RE = re.compile(r"^pci: .*$", re.M)
COUNTER_RE = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*[:=]?\s+(\d+)\s*$", re.M)
MAC_RE = re.compile(r"\b([0-9a-f]{2}(?::[0-9a-f]{2}){5})\b", re.I)


def sock_queue_max():
    """SOCK_QUEUE_MAX, as the tree defines it (kernel/netinfo.h)."""
    with open(os.path.join(REPO, "kernel", "netinfo.h")) as f:
        return int(re.search(r"^#define SOCK_QUEUE_MAX\s+(\d+)", f.read(), re.M).group(1))


class Result:
    def __init__(self, test):
        self.test = test
        self.status = None      # "OK", "FAIL" or "HANG"
        self.secs = 0.0
        self.reason = ""
        self.hint = None
        self.steps = []
        self.frames = []        # decoded lines around the failure
        self.pcap_kept = None
        self.tail = ""
        self.start = self.end = None   # capture file offsets while it ran
        self.console_at = None         # (guest, console length) at its end
        self.tail_label = "console (last %d lines)" % TAIL
        self.brief = False             # not run after a failure reported in full

    @property
    def points(self):
        return self.test.points if self.status == "OK" else 0

    def fail(self, reason, status="FAIL", hint=None):
        self.status, self.reason = status, reason
        if hint:
            self.hint = hint
        return self

    def details(self):
        """The failure report: steps, reason, hint, frames, console tail;
        only the reason for a test not run because of an earlier failure,
        which has the full report."""
        if self.brief:
            return "reason: " + self.reason
        out = []
        if self.steps:
            out.append("steps:")
            out += ["  " + s for s in self.steps]
        out.append("reason: " + self.reason)
        if self.hint:
            out.append("hint: " + HINTS.get(self.hint, self.hint))
        if self.frames:
            out.append("frames%s:" % (" (kept in %s)" % self.pcap_kept if self.pcap_kept else ""))
            out += ["  " + l for l in self.frames]
        if self.tail:
            out.append(self.tail_label + ":")
            out += ["  | " + l for l in self.tail.split("\n")]
        return "\n".join(out)


class Grader:
    """Runs the selected tests (and those they need) of the table: tests,
    in the order of grade-lab-net's TESTS; card, the one the guests get;
    sockets, whether the student wrote the socket code (its hints may
    blame it); virtio_code, what virtio-net's compiled functions must hold
    (VIRTIO_CODE)."""

    def __init__(self, args, selected, tests, card, sockets, virtio_code):
        self.args = args
        self.tests = tests
        self.by_name = {t.name: t for t in tests}
        self.virtio_code = virtio_code
        self.selected = selected
        self.run_names = self._closure(selected)
        self.results = {t.name: Result(t) for t in tests if t.name in self.run_names}
        self.workdir = tempfile.mkdtemp(prefix="grade-lab-net-")
        self.guests = []          # every guest booted, for the pcap check
        self.guest = None
        self.server = None
        self.counters = {}        # ifconfig after the current guest's nettests
        self.guest_mac = DEFAULT_MAC
        self.ut_thread = None
        self.deferred = []        # results waiting for the counters
        self.lost = None          # the result whose hang or panic cost the last guest
        self.sim = self.sim_error = None
        self.code = None          # compiled_code() of the student's functions, once needed
        self.code_lock = threading.Lock()
        self.card = card
        self.sockets = sockets

    def _closure(self, names):
        want = set(names)
        for n in list(want):
            want.update(self.by_name[n].needs)
        return [t.name for t in self.tests if t.name in want]

    def say(self, text):
        print(text, flush=True)

    # ---- guests ----

    def boot(self, label):
        make_vars = dict(self.server.ports) if self.server else {}
        make_vars["NIC"] = self.card.nic
        # A gdb stub, unused unless a test hangs: then gdb shows every hart's stack.
        gdb_port = qemu.free_port("tcp")
        make_vars["QEMUEXTRA"] = "-gdb tcp:127.0.0.1:%d" % gdb_port
        g = qemu.Guest.boot(make_vars, echo=self.args.verbose,
                            log_path=os.path.join(self.workdir, "console-%d.log" % len(self.guests)))
        g.label = label
        g.gdb_port = gdb_port
        g.pcap = g.make_vars["PCAP"]
        g.kept = False
        self.guests.append(g)
        return g

    def keep_pcap(self, g):
        """Copy a guest's capture out of its work directory before close()."""
        kept = os.path.join(self.workdir, "run-%d.pcap" % self.guests.index(g))
        if os.path.exists(g.pcap):
            shutil.copyfile(g.pcap, kept)
        g.pcap = kept

    def close_guest(self, g):
        if g is None or g.kept:
            return
        g.kept = True
        if g.running():
            # QEMU flushes the capture as it goes; a moment for the last frame.
            time.sleep(0.1)
        self.keep_pcap(g)
        g.close()

    # ---- running ----

    def run(self):
        try:
            self._run()
        finally:
            for g in self.guests:
                self.close_guest(g)
            if self.server:
                self.server.stop()

    def _run(self):
        names = self.run_names
        if "usertests" in names:   # the longest: start it first, alongside the rest
            self.ut_thread = threading.Thread(target=self.run_usertests,
                                              args=(self.results["usertests"],), daemon=True)
            self.ut_thread.start()
        # Reports come in the order of TESTS: boot, the device model, nettests.
        guest = any(self.by_name[n].kind in ("boot", NET, "pcap") for n in names)
        if guest:
            self.server = hostserver.HostServer(os.path.join(self.workdir, "server.log"))
            up = self.start_guest(self.results.get("boot"))
        for name in ("driver-tx", "driver-rx"):
            if name in names:
                (self.run_sim if self.card.model else self.check_code)(self.results[name])
        if guest:
            self.run_guest_tests([n for n in names if self.by_name[n].kind == NET], up)
        if self.ut_thread:
            self.ut_thread.join()
            self.report(self.results["usertests"])
        if "pcap" in names:
            self.report(self.check_pcap(self.results["pcap"]))

    def report(self, r):
        """Print a selected test's line, and its failure report."""
        if r.hint:
            r.hint = self.card.hint(r.hint)
        if r.test.name not in self.selected:
            return
        self.say("%s: %s (%.2fs)" % (r.test.label, r.status, r.secs))
        if r.status != "OK":
            self.say("    " + r.details().replace("\n", "\n    "))

    # ---- the device model ----

    def run_sim(self, r):
        start = time.monotonic()
        group = r.test.name.split("-")[1]
        if self.sim is None and self.sim_error is None:
            self.sim, self.sim_error = compile_sim(self.workdir)
        r.steps.append("cc tools/e1000sim.c kernel/e1000.c kernel/mbuf.c; e1000sim %s" % group)
        if self.sim is None:
            r.fail("the device model did not build:\n" + self.sim_error[-2000:], hint="compile")
        else:
            try:
                res = subprocess.run([self.sim, group], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, universal_newlines=True,
                                     timeout=r.test.budget,
                                     env=dict(os.environ, ASAN_OPTIONS=ASAN_OPTIONS))
                self.sim_verdict(r, group, res.stdout, res.returncode)
            except subprocess.TimeoutExpired:
                r.fail("the driver did not return within %ds (an endless loop over the "
                       "ring?)" % r.test.budget, "HANG", "dd-not-cleared" if group == "rx"
                       else "tx-refused")
        if r.status == "OK":
            self.check_barrier(r, "e1000_transmit" if group == "tx" else "e1000_recv")
        r.secs = time.monotonic() - start
        self.report(r)

    @staticmethod
    def sim_verdict(r, group, out, status):
        m = re.search(r"^%s: (OK.*|FAILED \[([\w-]+)\]: (.*))$" % group, out, re.M)
        asan = asan_summary(out)
        if m and m.group(1).startswith("OK") and status == 0:
            r.status = "OK"
        elif m and m.group(2):
            r.fail(m.group(3), hint=m.group(2))
        elif asan:
            what, report = asan
            r.fail("AddressSanitizer stopped the model: %s\n%s" % (what, report),
                   hint="use-after-free" if "use-after-free" in what else None)
        else:
            r.fail("the model stopped (status %d) without a verdict:\n%s"
                   % (status, out.strip()[-1500:]), hint="lock-held" if "acquire" in out else None)

    def check_barrier(self, r, fn):
        """The model cannot see a missing barrier (its compiler keeps the
        stores in order); the kernel's compiled driver can."""
        r.steps.append("objdump -d kernel/e1000.o: a fence in %s()?" % fn)
        if self.fences(fn) == 0:
            r.fail("%s() has no memory barrier: no fence instruction in its compiled code "
                   "(kernel/e1000.o)" % fn, hint="barrier-" + r.test.name.split("-")[1])

    def student_code(self):
        """compiled_code() of the functions the student writes in the card's
        driver, built once (usertests' thread may ask too)."""
        with self.code_lock:
            return self._student_code()

    def _student_code(self):
        if self.code is None:
            fns = [c[1] for c in self.virtio_code] if not self.card.model else \
                [self.card.transmit, self.card.recv]
            self.code = compiled_code(self.card.driver, fns)
        return self.code

    def fences(self, fn):
        """Fence instructions in a student function; None if unknown."""
        code = self.student_code()
        return code[fn][0] if fn in code else None

    def frees_in_transmit(self):
        """Whether virtio-net's transmit function itself frees an mbuf: the
        frame it queues belongs to the card until the used ring hands it
        back (tx_reclaim() frees it; on -1 the caller does)."""
        code = self.student_code()
        fn = self.card.transmit
        return not self.card.model and fn in code and "mbuf_free" in code[fn][1]

    def notifies(self, fn):
        """Whether a student function calls vq_notify(); None if unknown."""
        code = self.student_code()
        return "vq_notify" in code[fn][1] if fn in code else None

    def check_code(self, r):
        """virtio-net's driver-tx or driver-rx: what its compiled code must
        hold.  QEMU seldom shows a missing barrier or notification (its
        device looks at the rings at its own moments, on a host that keeps
        stores in order), but the compiler may reorder, and a card that
        waits for a notification waits forever."""
        start = time.monotonic()
        r.steps.append("make %s; objdump -dr: fences, and calls to vq_notify()"
                       % self.card.driver.replace(".c", ".o"))
        code = self.student_code()
        problems = []
        for test, fn, fences, notify, no_fence, no_notify in self.virtio_code:
            if test != r.test.name:
                continue
            if fn not in code:
                problems.append(("%s() has no code of its own in %s: is it still empty?"
                                 % (fn, self.card.driver.replace(".c", ".o")), no_fence))
                continue
            found, calls = code[fn]
            helpers = sorted(calls & {"vq_push", "vq_pop"})
            if helpers:
                problems.append(("%s() calls %s()" % (fn, "() and ".join(helpers)), "own-steps"))
            r.steps.append("%s(): %d fence%s%s" % (fn, found, "s"[:found != 1],
                                                    ", calls vq_notify()" if "vq_notify" in calls
                                                    else ""))
            if found < fences:
                problems.append(("%s() has %d fence instruction%s, needs at least %d"
                                 % (fn, found, "s"[:found != 1], fences), no_fence))
            if notify and "vq_notify" not in calls:
                problems.append(("%s() never calls vq_notify()" % fn, no_notify))
            if fn == self.card.transmit and "mbuf_free" in calls:
                problems.append(("%s() calls mbuf_free(): the frame it queues is the card's "
                                 "until the used ring hands it back" % fn, "use-after-free"))
        if not code:
            problems.append(("%s did not compile, or there is no objdump"
                             % self.card.driver, "compile"))
        if problems:
            r.fail("; ".join(p for p, _ in problems), hint=problems[0][1])
        else:
            r.status = "OK"
        r.secs = time.monotonic() - start
        self.report(r)

    # ---- usertests, in a guest of its own ----

    def usertests_hint(self, out):
        """usertests needs no code, but runs on the student's driver: the
        kernel's own frames (the DHCP client's) go through it meanwhile, and
        a page they hold shows up as a leak."""
        if not re.search(r"leaked \d+ pages", out):
            return None
        if not self.card.model and self.notifies(self.card.transmit) is False:
            return "usertests-no-notify"
        return "usertests-leak"

    def run_usertests(self, r):
        start = time.monotonic()
        r.steps.append("boot a second guest; $ usertests -q")
        g = None
        try:
            g = qemu.Guest.boot({"NIC": self.card.nic},
                                log_path=os.path.join(self.workdir, "usertests.log"))
            g.wait_prompt(self.by_name["boot"].budget)
            out = g.run("usertests -q", r.test.budget)
            if re.search(r"^ALL TESTS PASSED$", out, re.M):
                r.status = "OK"
            else:
                fails = re.findall(r"^.*FAIL.*$", out, re.M)
                r.fail("usertests -q did not pass: %s" % ("; ".join(fails[:5]) or "see the console"),
                       hint=self.usertests_hint(out))
                r.tail = g.tail()
        except qemu.GuestPanic:
            panicked(r, g, self.sockets)
        except qemu.GuestTimeout as e:
            r.fail("hang: " + e.reason, "HANG")
            r.tail = e.tail
        except (qemu.GuestError, RuntimeError) as e:
            r.fail(str(e))
        finally:
            if g:
                g.close()
        r.secs = time.monotonic() - start

    # ---- the network guest ----

    def run_guest_tests(self, pending, up):
        """The nettests cases, in the guest that booted (up: it did).  A hang
        or a panic costs that test and a fresh guest for the rest, unless
        the kernel hung inside the driver: a fresh one would hang the same
        way, so the rest fail at once."""
        while pending:
            if not up:
                self.fail_rest(pending, "not run: no guest came up", "panic")
                return
            pending = self.run_nettests(pending)
            if not pending:
                return
            lost = self.lost
            # (report() has made the hint the card's own key, "virtio:stuck-recv".)
            if lost.hint and lost.hint.split(":")[-1] in DRIVER_HANGS:
                self.fail_rest(pending, "not run: the kernel hung in the driver during %s "
                               "(see there); a fresh guest would hang the same way"
                               % lost.test.name, lost.hint)
                return
            if "free" in pending:
                # A fresh guest has no traffic before free to leak from.
                self.fail_rest(["free"], "not checked: the guest was restarted after %s "
                               "(%s), so the leak check would not see the tests before it"
                               % (lost.test.name, lost.status.lower()))
                pending.remove("free")
            up = pending and self.start_guest(None)

    def fail_rest(self, names, reason, hint=None):
        for name in names:
            r = self.results[name]
            r.fail(reason, hint=hint)
            r.brief = True
            self.report(r)

    def start_guest(self, boot_r):
        """Boot a guest for the network tests; False if it did not come up."""
        start = time.monotonic()
        r = boot_r or Result(self.by_name["boot"])
        try:
            self.guest = self.boot("net")
            self.guest.wait_prompt(self.by_name["boot"].budget)
        except qemu.GuestPanic:
            panicked(r, self.guest, self.sockets)
        except qemu.GuestError as e:
            r.fail(e.reason, "HANG" if isinstance(e, qemu.GuestTimeout) else "FAIL", "panic")
            r.tail = e.tail
        except RuntimeError as e:
            r.fail(str(e))
        else:
            pci = PCI_RE.findall(self.guest.text)
            r.steps.append("boot: " + (pci[0] if pci else "no pci: line"))
            if self.card.found_re.search(self.guest.text):
                r.status = "OK"
            else:
                r.fail("the boot messages do not report the %s" % self.card.shown,
                       hint="no-card")
                r.tail = self.guest.tail()
        r.secs = time.monotonic() - start
        if boot_r:
            self.report(r)
        if r.status != "OK" and (self.guest is None or not self.guest.running()
                                 or self.guest.panicked()):
            return False
        # A guest that just booted has sent and received nothing: every
        # counter that the hints compare starts at 0.
        self.counters = {}
        return True

    def ifconfig(self):
        """Counters from ifconfig, {} if it fails; remembers the MAC."""
        try:
            out = self.guest.run("ifconfig", CMD_BUDGET)
        except qemu.GuestError:
            return {}
        m = MAC_RE.search(out)
        if m:
            self.guest_mac = m.group(1).lower()
        return {k: int(v) for k, v in COUNTER_RE.findall(out)}

    def run_nettests(self, pending):
        """Run nettests on the pending cases; returns those not run yet
        when the guest had to be given up."""
        g = self.guest
        cmd = self.server.nettests(pending)
        steps = ["$ " + cmd]
        g.skip()
        server_seen = len(self.server.output())
        g.send(cmd + "\n")
        mark = time.monotonic()   # a case's time runs from the previous one's result
        reported = 0
        while pending:
            name = pending[0]
            r = self.results[name]
            r.start = self.capture_size(g)
            pat = re.compile(NETTESTS_RE % re.escape(name) + "|" + PROMPT_RE.pattern, re.M)
            budget = r.test.budget + (WARMUP_BUDGET if reported == 0 and "free" in pending else 0)
            try:
                text = g.wait_for(pat, budget)
            except qemu.GuestPanic:
                self.finish_case(r, mark, steps, None)
                panicked(r, g, self.sockets)
                return self.give_up(r, pending)
            except qemu.GuestTimeout as e:
                self.finish_case(r, mark, steps, e.tail)
                self.diagnose_hang(r, budget)
                return self.give_up(r, pending)
            except qemu.GuestError as e:
                self.finish_case(r, mark, steps, e.tail)
                r.fail(e.reason, hint="panic")
                return self.give_up(r, pending)
            self.finish_case(r, mark, steps, None, g.arrived(g.cursor - 1))
            mark += r.secs
            m = re.search(NETTESTS_RE % re.escape(name), text, re.M)
            if m is None:
                return self.nettests_ended(r, pending, text, reported)
            pending = pending[1:]
            reported += 1
            printed = [l for l in text[:m.start()].split("\n") if l.strip()]
            if reported == 1:
                printed = printed[1:]   # the echo of the command line
            result = m.group(0).strip()
            r.steps += ["  " + l for l in printed[-SHOWN_LINES:]] + [result]
            steps.append(result)
            if m.group(1) == "OK":
                r.status = "OK"
            elif name == "txone" and self.txone_arrived(server_seen, r):
                r.status = "OK"
            elif m.group(2).startswith(NOT_RUN):
                r.fail(m.group(2))
            else:
                r.fail(m.group(2) or (printed[-1] if printed else "FAILED without a reason"))
                r.tail = g.tail()
            self.defer(r)
        try:
            g.wait_for(PROMPT_RE, CMD_BUDGET)
        except qemu.GuestError:
            pass
        self.counters = self.ifconfig() or self.counters
        self.check_rx_len(self.current_frames(g)[0])
        self.finish_reports()
        return []

    def txone_arrived(self, since, r):
        """txone tests transmission: the datagram arriving intact at
        server.py is what counts.  nettests hears of it only through a reply,
        which needs a working receive path too, so the grader asks
        server.py itself."""
        said = re.findall(r"^server\.py: txone: .*$", self.server.output()[since:], re.M)
        if said and said[-1].endswith("txone ok"):
            r.steps.append("server.py (host side): " + said[-1][len("server.py: "):])
            r.steps.append("the datagram arrived intact: transmit works; nettests did not "
                           "hear back because its confirmation needs %s()" % self.card.recv)
            return True
        # nettests' reason may point at the receive side: say what the host saw.
        r.steps.append("server.py (host side): " + (said[-1][len("server.py: "):] if said
                                                    else "no txone datagram arrived"))
        return False

    def nettests_ended(self, r, pending, text, reported):
        """nettests is back at the prompt before r's case reported.  If it
        ran nothing at all, a retry would not either: every case fails.
        Otherwise it crashed in r's case, and the rest get another run."""
        r.tail = self.guest.tail()
        # What it printed, without the echo of the command and the prompt.
        lines = [l for l in text.split("\n")[1:] if l.strip() not in ("", "$")]
        if reported == 0:
            why = lines[-1] if lines else "no output"
            for name in pending:
                self.results[name].fail("nettests ran no test: %s" % why, hint="no-nettests")
                self.results[name].steps = r.steps
                self.results[name].tail = r.tail
                self.defer(self.results[name])
            self.finish_reports()
            return []
        r.fail("nettests exited in `%s` before it reported (did it crash?)" % r.test.name)
        self.defer(r)
        return pending[1:]

    def finish_case(self, r, mark, steps, tail, end=None):
        # end is when the case's console line arrived, which a reader thread
        # may stamp a moment before mark: a case's time is never negative.
        r.secs = max(0.0, (end or time.monotonic()) - mark)
        r.end = self.capture_size(self.guest)
        r.console_at = (self.guest, len(self.guest.text))
        r.steps = steps[:1]
        if len(steps) > 1:
            n = len(steps) - 1
            r.steps.append("(%d case%s before this one; results above)" % (n, "s"[:n != 1]))
        if tail is not None:
            r.tail = tail

    def defer(self, r):
        """Reports wait until the counters after the run are known, since
        hints use them; a dependency that failed voids a test."""
        self.deferred.append(r)

    def finish_reports(self):
        shown = {}    # guest: console length when its tail was last printed
        explained = False
        for r in self.deferred:
            self.trim_tail(r, shown)
            self.apply_needs(r)
            if r.status != "OK":
                # Tests skipped because of an earlier failure need no report
                # of their own, unless none came before them.
                r.brief = explained and r.reason.startswith(NOT_RUN)
                if not r.brief:
                    self.explain(r)
                    explained = True
            self.report(r)
        self.deferred = []

    @staticmethod
    def trim_tail(r, shown):
        """After the first failure of a run, print only the console lines
        that are new since the tail printed last."""
        if r.status == "OK" or r.console_at is None:
            return
        g, end = r.console_at
        if g in shown:
            new = g.text[shown[g]:end].strip("\n")
            r.tail = "\n".join(new.split("\n")[-TAIL:]) if new else ""
            r.tail_label = "console (new since the failure above)"
        shown[g] = end

    def apply_needs(self, r):
        failed = [n for n in r.test.needs if self.results[n].status != "OK"]
        if failed and r.status == "OK":
            r.fail("counts only when %s pass%s: its check means something only once the "
                   "path %s test%s works" % (" and ".join(failed), "" if len(failed) > 1 else "es",
                                             "they" if len(failed) > 1 else "it",
                                             "" if len(failed) > 1 else "s"))

    def give_up(self, r, pending):
        """The guest is lost (hang or panic): report, close it, and leave
        the rest for a fresh one."""
        self.finish_reports()
        self.explain(r)
        self.report(r)
        self.close_guest(self.guest)
        self.lost = r
        return pending[1:]

    def diagnose_hang(self, r, budget):
        """Tell a blocked process from a kernel that stopped answering, and
        say where each hart is (the guest is given up afterwards anyway)."""
        g = self.guest
        g.skip()
        try:
            g.send("\x10")   # ^P: the kernel lists its processes
            g.wait_for(re.compile(r"\bsh\b|\binit\b"), 3)
            r.fail("hang: no result within %ds" % budget, "HANG", "hang")
        except qemu.GuestError:
            r.fail("hang: no result within %ds, and the kernel no longer answers ^P"
                   % budget, "HANG", "no-answer")
        r.tail = g.tail()
        samples = []
        for _ in range(HANG_SAMPLES):
            samples.append(hart_stacks(g))
            time.sleep(HANG_SAMPLE_GAP)
        if not samples[-1]:
            r.reason += " (install %s to see where each hart is)" % GDB
            return
        r.hint = stuck_where(samples, self.card, self.sockets) or r.hint
        r.reason += "; the harts' stacks (innermost first), from gdb:\n" + "\n".join(
            "  hart %d: %s" % (hart, " <- ".join(frames) or "?") for hart, frames in samples[-1])

    # ---- explaining a failure ----

    def explain(self, r):
        """Attach frames of the failing window and a hint from the symptom."""
        g = self.guest
        if g is None:
            return
        if r.hint in (None, "panic", "hang"):
            # A panic or a hang after freed buffers went out on the wire
            # most likely comes from that buffer (freed twice, or reused).
            found = self.symptom(r, g)
            if r.hint is None or found == "use-after-free":
                r.hint = found
        self.attach_frames(r, g)

    @staticmethod
    def capture_size(g):
        """QEMU writes each frame to the capture as it passes, so the file's
        size marks where a test began and ended in it."""
        try:
            return os.path.getsize(g.pcap)
        except OSError:
            return 0

    @staticmethod
    def window(r, frames):
        lo, hi = r.start or 0, r.end if r.end is not None else float("inf")
        return [f for f in frames if lo <= f.offset < hi]

    def symptom(self, r, g):
        c = self.counters   # ifconfig after the run; {} if it could not run
        reason = r.reason.lower()
        if "mbufs_in_use" in reason or "pages" in reason or "leak" in reason:
            return "udp-leak" if self.sockets else "leak"
        frames, _ = self.current_frames(g)
        out = [f for f in frames if f.outgoing]
        inc = [f for f in frames if not f.outgoing]
        if any(freed_bytes(f.data) for f in out) or self.frees_in_transmit():
            return "use-after-free"
        if not out:
            if c.get("tx_ring_full", 0) > 0:
                return "tx-refused"
            if not self.card.model and self.notifies(self.card.transmit) is False:
                return "notify-tx"
            return "no-tx-barrier" if self.fences(self.card.transmit) == 0 else "no-tx"
        rx = c.get("rx_packets", 0)
        if inc and rx <= 0 and c:
            if not self.card.model and c.get("rx_card_buffers") == 0 \
                    and c.get("rx_card_packets") == 0:
                return "rx-not-offered"
            return "no-rx"
        if inc and c and rx > 0 and rx + 8 < len(inc):
            if self.card.model:
                return "rx-stalled"
            return self.virtio_rx_stalled(c)
        return self.socket_symptom(r, c) if self.sockets and c else None

    def virtio_rx_stalled(self, c):
        """Reception on virtio-net stopped: used entries read from past the
        ring (ids and lengths no card wrote), buffers never given back, or
        given back without a notification."""
        if c.get("rx_desc_errors", 0) + c.get("rx_oversize", 0) > 0:
            return "rx-raw-index"
        if c.get("rx_card_buffers") == 0:
            return "rx-not-returned"
        return "notify-rx" if self.notifies(self.card.recv) is False else "rx-no-notify"

    def check_rx_len(self, frames):
        """virtio-net hands the driver the header and the frame; what reaches
        eth_input() (rx_bytes) can never be more than what came in on the
        wire.  (The e1000 in QEMU before 8.1 pads short frames it receives,
        so the check is virtio-net's.)"""
        r, c = self.results.get("rxone"), self.counters
        if self.card.model or r is None or r.status != "OK" or "rx_bytes" not in c:
            return
        inc = [f for f in frames if not f.outgoing]
        wire = sum(len(f.data) for f in inc)
        extra = c["rx_bytes"] - wire
        if extra > 0:
            per = extra / max(1, c.get("rx_packets", 1))
            r.steps.append("ifconfig: rx_bytes %d, rx_packets %d; the capture: %d frames to the "
                           "guest, %d bytes" % (c["rx_bytes"], c.get("rx_packets", 0), len(inc), wire))
            r.fail("the stack was handed %d bytes more than came in on the wire, %.0f per frame "
                   "received" % (extra, per), hint="rx-len-header")

    @staticmethod
    def socket_symptom(r, c):
        """The hint for a failure of the student's socket code, from the
        test's reason and the counters after the run; None if they do not
        point at it."""
        qmax = sock_queue_max()
        for pattern, key in SOCKET_REASONS:
            if re.search(pattern, r.reason):
                return key
        m = re.search(r"queued (\d+), dropped (\d+)", r.reason)
        if m and int(m.group(1)) > qmax:
            return "queue-unbounded"
        if (m and int(m.group(1)) == qmax) or "sock_rx_queue_full grew" in r.reason:
            return "queue-drops"
        # The kernel's DHCP client takes its own datagrams (port 68).
        udp = c.get("udp_rx_packets", 0) - c.get("dhcp_rx_packets", 0)
        no_port = c.get("udp_rx_no_port", 0)
        if udp and no_port * 2 > udp:
            return "wrong-port"
        dropped = no_port + c.get("sock_rx_queue_full", 0) + c.get("sock_rx_wrong_peer", 0)
        if "no result within" in r.reason and r.test.name == "icmp":
            if c.get("icmp_echo_replies_rcvd", 0) > c.get("icmp_rx_no_sock", 0):
                return "lost-wakeup-icmp"
        elif "no result within" in r.reason and udp > dropped:
            return "lost-wakeup-udp"
        return None

    def current_frames(self, g):
        """The guest's capture so far, decoded."""
        try:
            frames, pcap = read_pcap(g.pcap)
        except (OSError, PcapError):
            return [], None
        check_frames(frames, self.guest_mac)
        return frames, pcap

    def attach_frames(self, r, g):
        """The frames of r's test, or the last ones before it if it had
        none; the capture up to r's end is kept as packets-NAME.pcap, so
        that frame numbers match."""
        frames, pcap = self.current_frames(g)
        if pcap is None:
            r.frames = ["(no capture to show)"]
            return
        upto = [f for f in frames if r.end is None or f.offset < r.end]
        win = self.window(r, upto)
        if win:
            shown = win[-FRAMES_SHOWN:]
            r.frames = [] if len(shown) == len(win) else \
                ["... %d earlier frames of this test" % (len(win) - len(shown))]
        else:
            shown = [f for f in upto if f.offset < (r.start or 0)][-CONTEXT_FRAMES:]
            r.frames = ["(no frame while this test ran; %d before it%s)"
                        % (len(upto), ", the last ones:" if shown else "")]
        r.frames += [frame_line(f) for f in shown]
        kept = os.path.join(self.args.keep, "packets-%s.pcap" % r.test.name)
        write_pcap(kept, pcap, upto)
        r.pcap_kept = os.path.relpath(kept)

    # ---- the capture ----

    def check_pcap(self, r):
        start = time.monotonic()
        bad, total, out, inc, freed = [], 0, 0, 0, False
        r.steps.append("decode every frame of %d capture(s); tshark as a second opinion"
                       % len(self.guests))
        for g in self.guests:
            try:
                frames, pcap = read_pcap(g.pcap)
            except (OSError, PcapError) as e:
                bad.append("%s: %s" % (g.label, e))
                continue
            total += len(frames)
            for fr in check_frames(frames, self.guest_mac):
                bad.append(frame_line(fr))
            out += sum(f.outgoing for f in frames)
            inc += sum(not f.outgoing for f in frames)
            freed = freed or any(f.outgoing and freed_bytes(f.data) for f in frames)
            for num, probs in sorted((tshark_problems(g.pcap) or {}).items()):
                bad.append("#%d %s" % (num, "; ".join(probs)))
        r.secs = time.monotonic() - start
        if bad:
            r.fail("%d of %d frames break the rules:\n" % (len(bad), total) +
                   "\n".join(bad[:FRAMES_SHOWN]),
                   hint="use-after-free" if freed else "bad-frames")
            if self.guests:
                kept = os.path.join(self.args.keep, "packets-pcap.pcap")
                shutil.copyfile(self.guests[-1].pcap, kept)
                r.pcap_kept = os.path.relpath(kept)
        elif out == 0 or inc == 0:
            r.fail("%d frames sent and %d received: nothing to check" % (out, inc),
                   hint="no-frames")
        else:
            r.status = "OK"
            r.steps.append("%d frames, all well formed" % total)
        self.apply_needs(r)
        return r

    # ---- the end ----

    def score(self):
        scored = [self.results[n] for n in self.selected]
        return sum(r.points for r in scored), sum(r.test.points for r in scored)

    def write_json(self, path, elapsed):
        got, total = self.score()
        tests = []
        for n in self.selected:
            r = self.results[n]
            text = r.status + (" (%.1fs)" % r.secs)
            if r.status != "OK":
                text += "\n" + r.details()
            tests.append({"name": r.test.label, "score": r.points,
                          "max_score": r.test.points, "output": text,
                          "status": "passed" if r.status == "OK" else "failed"})
        doc = {"score": got, "max_score": total, "execution_time": round(elapsed, 1),
               "output": "Score: %d/%d" % (got, total), "tests": tests}
        with open(path, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")

    def cleanup(self):
        shutil.rmtree(self.workdir, ignore_errors=True)
