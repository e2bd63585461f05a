#!/usr/bin/env python3
"""run_tests.py: the `make test` runner: boots xv6-net under QEMU and checks it through its console.

Tests live in test/test_*.py and register themselves with the @test decorator:

    from run_tests import test

    @test("echo", "the shell echoes its arguments")
    def echo(t):
        t.boot()
        out = t.run("echo hello")
        t.expect(out, r"^hello$", "echo output")

A test registered with cards=CARDS runs twice: as NAME on the e1000 and as
NAME-virtio on virtio-net (its boots get the Makefile's NIC=virtio; `t.nic`
says which card).

Each test gets a Context `t` that records a transcript of its steps; a failed
check, a timeout, a kernel panic or an exception fails the test and prints that
transcript with the console tail.  Every boot uses a private copy of fs.img.

usage: run_tests.py [-v] [--list] [--logs DIR] [NAME|GLOB ...]
"""

import argparse
import fnmatch
import glob
import importlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import traceback

# Test modules `import run_tests`; make that name mean this very module even
# when it runs as __main__, or they would register into a second copy.
sys.modules.setdefault("run_tests", sys.modules[__name__])

TEST_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, TEST_DIR)
import qemu  # noqa: E402

REPO = qemu.REPO
# A copy of the tree for a test that builds or grades one of its own: no git,
# build products or captures, nor the fuzzers' corpora, which robust-host
# rewrites while other tests run beside it.
COPY_IGNORE = shutil.ignore_patterns(".git", ".grade", "handout", "logs", "__pycache__",
                                     "packets*.pcap", "*.tar.gz", "fuzz-*", "crash-*")


def copy_tree(dst):
    shutil.copytree(REPO, dst, ignore=COPY_IGNORE, symlinks=True, copy_function=qemu.copy2_sparse)
    return dst


BOOT_TIMEOUT = 60          # seconds from QEMU start to the first prompt
RUN_TIMEOUT = 30           # default for one shell command
SHOWN_OUTPUT_LINES = 20    # per step in a failure transcript


class Failure(Exception):
    """A check in a test did not hold."""


class Test:
    def __init__(self, name, doc, func, nic=None):
        self.name, self.doc, self.func, self.nic = name, doc, func, nic


TESTS = []

# The network cards a test can run on (the Makefile's NIC values), and the
# suffix of each in test names; the default card's is empty.
CARDS = (("e1000", ""), ("virtio", "-virtio"))


def test(name, doc="", cards=None):
    """Decorator: register func(t) as test `name` (run in registration order);
    with cards (e.g. CARDS), once per card, each name with the card's suffix."""
    def register(func):
        for nic, suffix in cards or ((None, ""),):
            full = name + suffix
            if any(x.name == full for x in TESTS):
                raise ValueError("two tests named %r" % full)
            text = doc or (func.__doc__ or "").strip()
            TESTS.append(Test(full, text + (" (%s)" % nic if suffix else ""), func, nic))
        return func
    return register


def _indent(text, prefix="    "):
    return "\n".join(prefix + line for line in text.split("\n"))


def _clip(text, limit=SHOWN_OUTPUT_LINES):
    lines = text.rstrip("\n").split("\n")
    if len(lines) > limit:
        lines = lines[:limit] + ["... (%d more lines)" % (len(lines) - limit)]
    return "\n".join(lines)


class Context:
    """What a test function works with: boots, commands, checks, transcript."""

    def __init__(self, name, verbose=False, logdir=None, nic=None):
        self.name = name
        self.nic = nic            # the Makefile's NIC for every boot; None: its default
        self.verbose = verbose
        self.logdir = logdir
        self.transcript = []
        self.notes = []
        self.guests = []

    # ---- recording ---------------------------------------------------------

    def step(self, text):
        """Add a line to the transcript."""
        self.transcript.append(text)
        if self.verbose:
            print("\n[%s] %s" % (self.name, text.split("\n", 1)[0]), flush=True)

    def note(self, text):
        """A result worth reporting even when the test passes."""
        self.notes.append(text)
        self.step("note: " + text)

    # ---- the guest -----------------------------------------------------------

    @property
    def guest(self):
        if not self.guests:
            raise Failure("the test has not booted a guest")
        return self.guests[-1]

    def boot(self, make_vars=None, timeout=BOOT_TIMEOUT, **kwargs):
        """Start a fresh guest (private fs.img) and wait for the shell's prompt."""
        if self.nic:
            make_vars = dict(make_vars or {}, NIC=self.nic)
        self.step("boot" + (" %s" % make_vars if make_vars else ""))
        try:
            g = qemu.Guest.boot(make_vars, log_path=self._log_path(),
                                echo=self.verbose, **kwargs)
        except RuntimeError as e:
            raise Failure(str(e)) from None
        self.guests.append(g)
        g.wait_prompt(timeout)
        self.step("prompt after %.1fs" % g.uptime())
        return g

    def _log_path(self):
        if not self.logdir:
            return None
        n = len(self.guests) + 1
        suffix = "" if n == 1 else ".%d" % n
        return os.path.join(self.logdir, "%s%s.log" % (self.name, suffix))

    def run(self, cmd, timeout=RUN_TIMEOUT):
        """Run a shell command line in the current guest; returns its output."""
        self.step("$ " + cmd)
        out = self.guest.run(cmd, timeout)
        if out.strip():
            self.transcript.append(_indent(_clip(out), "  "))
        return out

    def send(self, text):
        self.step("type %r" % text)
        self.guest.send(text)

    def wait_for(self, pattern, timeout=RUN_TIMEOUT):
        self.step("wait for %s" % qemu.describe(pattern))
        out = self.guest.wait_for(pattern, timeout)
        if out.strip():
            self.transcript.append(_indent(_clip(out), "  "))
        return out

    # ---- checks ----------------------------------------------------------------

    def check(self, cond, message):
        if not cond:
            raise Failure(message)

    def expect(self, text, pattern, what):
        """Search text for a regex (multi-line mode); fail naming `what`."""
        m = re.search(pattern, text, re.M)
        if not m:
            raise Failure("%s: no match for /%s/" % (what, pattern))
        return m

    def reject(self, text, pattern, what):
        """Fail if the regex is found in text."""
        m = re.search(pattern, text, re.M)
        if m:
            raise Failure("%s: unexpected %r" % (what, m.group(0)))

    def need(self, program, package):
        """Fail unless program is on PATH, saying how to install it: a test
        whose tool is missing must not pass as skipped."""
        if shutil.which(program) is None:
            raise Failure("%s is not installed: run `sudo apt-get install %s` "
                          "(tools/setup.sh installs the lab's tools)" % (program, package))

    # ---- the end ---------------------------------------------------------------

    def final_checks(self):
        for g in self.guests:
            if g.panicked():
                raise Failure("kernel panic: %s" % g.panicked())

    def close(self):
        # A ^C that arrives now must not leave a QEMU behind: note it, finish
        # closing, and only then act on it.
        pending = []
        saved = {s: signal.signal(s, lambda signum, frame: pending.append(signum))
                 for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            for g in self.guests:
                g.close()
        finally:
            for s, h in saved.items():
                signal.signal(s, h)
        if pending:
            raise KeyboardInterrupt

    def tails(self):
        parts = []
        for i, g in enumerate(self.guests):
            label = "console tail" if len(self.guests) == 1 else "console tail, boot %d" % (i + 1)
            parts.append("  %s (last %d lines):\n%s"
                         % (label, qemu.TAIL_LINES, _indent(g.tail(), "  | ")))
        return "\n".join(parts)


def run_one(tst, args):
    """Run one test, print its report; returns whether it passed."""
    t = Context(tst.name, args.verbose, args.logs, tst.nic)
    start = time.monotonic()
    error = None
    try:
        tst.func(t)
        t.final_checks()
    except Failure as e:
        error = str(e)
    except qemu.GuestError as e:
        error = e.reason
    except KeyboardInterrupt:
        raise
    except Exception:
        error = "exception in the test:\n" + traceback.format_exc().rstrip()
    finally:
        t.close()
    took = time.monotonic() - start
    if error is None:
        print("PASS %s (%.1fs)" % (tst.name, took), flush=True)
        for n in t.notes:
            print("    %s" % n)
        return True
    print("FAIL %s (%.1fs)" % (tst.name, took))
    print("  error: %s" % error.replace("\n", "\n  "))
    print("  steps:")
    print(_indent("\n".join(t.transcript) or "(none)"))
    if t.guests:
        print(t.tails())
    if args.logs:
        print("  logs: %s/%s*.log" % (os.path.relpath(args.logs), tst.name))
    sys.stdout.flush()
    return False


def discover():
    for path in sorted(glob.glob(os.path.join(TEST_DIR, "test_*.py")),
                       key=lambda p: (os.path.basename(p) != "test_base.py", p)):
        importlib.import_module(os.path.basename(path)[:-3])


def select(names, exact=False):
    if not names:
        return list(TESTS)
    chosen = []
    for pat in names:
        hits = [x for x in TESTS if (x.name == pat if exact else fnmatch.fnmatchcase(x.name, pat))]
        if not hits:
            sys.exit("run_tests: no test matches %r (try --list)" % pat)
        chosen += [x for x in hits if x not in chosen]
    return chosen


def missing_build():
    return [f for f in ("kernel/kernel", "fs.img")
            if not os.path.exists(os.path.join(REPO, f))]


def _terminate(signum, frame):
    raise KeyboardInterrupt


def run_parallel(chosen, args):
    """Run the tests `jobs` at a time, each in a runner process of its own
    (a test may take signals, which only a main thread can); print each
    report as its test ends.  Returns {name: (passed, seconds)}."""
    results, running, queue = {}, {}, list(chosen)
    base = [sys.executable, os.path.abspath(__file__), "--logs", args.logs, "-j", "1"]
    try:
        while queue or running:
            while queue and len(running) < args.jobs:
                x = queue.pop(0)
                proc = subprocess.Popen(base + (["-v"] if args.verbose else []) + ["--exact", x.name],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        universal_newlines=True)
                running[proc.pid] = (x, proc, time.monotonic())
            pid, status = os.wait()
            if pid not in running:
                continue
            x, proc, start = running.pop(pid)
            out = proc.stdout.read()
            proc.stdout.close()
            proc.returncode = os.waitstatus_to_exitcode(status)
            report = out.rstrip("\n").split("\n")
            if re.match(r"\d+ passed, \d+ failed$", report[-1]):
                report = report[:-1]   # each runner's own count; ours comes last
            print("\n".join(report), flush=True)
            results[x.name] = (proc.returncode == 0, time.monotonic() - start)
    except KeyboardInterrupt:
        for x, proc, _ in running.values():
            proc.wait()   # each runner stops its QEMU on the same ^C
        raise
    return results


def slowest(times, count=5):
    """One line naming the slowest tests, so that they stay visible."""
    top = sorted(times.items(), key=lambda kv: -kv[1])[:count]
    return "slowest: " + ", ".join("%s %.0fs" % kv for kv in top)


def main():
    ap = argparse.ArgumentParser(description="Boot xv6-net under QEMU and test it.")
    ap.add_argument("names", nargs="*", help="tests to run (names or globs; default all)")
    ap.add_argument("-v", "--verbose", action="store_true", help="stream the guest console")
    ap.add_argument("--list", action="store_true", help="list the tests and exit")
    ap.add_argument("--logs", default=os.path.join(TEST_DIR, "logs"),
                    help="directory for console logs (default test/logs)")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                    help="tests run at once, each in a process of its own "
                         "(default: the number of cores)")
    ap.add_argument("--exact", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    discover()
    chosen = select(args.names, args.exact)
    if args.list:
        for x in chosen:
            print("%-12s %s" % (x.name, x.doc))
        return 0

    missing = missing_build()
    if missing:
        print("FAIL build: %s missing; run `make` first" % ", ".join(missing))
        print("0 passed, 1 failed")
        return 1
    os.makedirs(args.logs, exist_ok=True)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)

    results = {}
    try:
        if args.jobs > 1 and len(chosen) > 1:
            results = run_parallel(chosen, args)
        else:
            for x in chosen:
                start = time.monotonic()
                results[x.name] = (run_one(x, args), time.monotonic() - start)
    except KeyboardInterrupt:
        print("\ninterrupted: QEMU stopped, remaining tests not run", flush=True)
        results["(interrupted)"] = (False, 0)
    passed = sum(ok for ok, _ in results.values())
    if len(results) > 1:
        print(slowest({n: secs for n, (_, secs) in results.items()}))
    print("%d passed, %d failed" % (passed, len(results) - passed), flush=True)
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
