"""test_sched.py: the scheduler: every hart busy while there is work, and a kill that cannot be lost."""

import os
import re
import shutil
import subprocess
import tempfile

import qemu
from run_tests import copy_tree, test

SPINNERS = 3            # user/schedtest.c; one per hart (CPUS=3)
# Every snapshot must show all spinners running: with nothing else
# runnable, a tick does not switch them out (yield()), so none is ever
# runnable but waiting, even for a moment.
SNAPSHOTS = 10
KILL_TRIES = 500
PAUSED_KILL_TRIES = 2000  # well past what the unfixed kernel needed (docs/kernel.md, the scheduler)

# One ^P dump is complete once the parent's and the spinners' lines are all
# out; the lines of other processes may come between them.
DUMP = re.compile(r"(?:^\d+ \w+ schedtest\b.*\n(?:.*\n)*?){%d}" % (SPINNERS + 1), re.M)
PROC_LINE = re.compile(r"^(\d+) (\w+) schedtest(?: hart (\d+))?$", re.M)


def _snapshot(t):
    """^P once; the (state, hart) of each spinner, parent first."""
    t.send("\x10")
    dump = t.wait_for(DUMP, 10)
    return [(state, hart) for _, state, hart in PROC_LINE.findall(dump)[-(SPINNERS + 1):]]


@test("sched-spread", "three processes woken by one tick run on three harts at once (^P counts)")
def sched_spread(t):
    t.boot()
    t.send("schedtest spin\n")
    t.wait_for(re.compile(r"spinners wake at tick \d+"), 20)
    # Each spinner prints one '!' once it has woken: a character, since
    # lines written at once interleave.
    for _ in range(SPINNERS):
        t.wait_for("!", 20)

    good = 0
    seen = []
    for _ in range(SNAPSHOTS):
        running = [hart for state, hart in _snapshot(t)[1:] if state == "run"]
        harts = set(running)
        seen.append("%d running on harts %s" % (len(running), ",".join(sorted(harts)) or "-"))
        good += len(running) == SPINNERS and len(harts) == SPINNERS
    t.send("\n")
    t.wait_for("schedtest spin: done", 30)
    t.note("%d of %d snapshots: all %d spinners running on distinct harts"
           % (good, SNAPSHOTS, SPINNERS))
    t.check(good == SNAPSHOTS,
            "only %d of %d snapshots showed the %d spinners on %d distinct harts: %s"
            % (good, SNAPSHOTS, SPINNERS, SPINNERS, "; ".join(seen)))


def _pause_kernel_tree(t, scratch):
    """A copy of the tree with the SLEEP_PAUSE kernel built in it (only proc.c
    mentions SLEEP_PAUSE, so only proc.o is rebuilt)."""
    tree = copy_tree(os.path.join(scratch, "tree"))
    os.remove(os.path.join(tree, "kernel", "proc.o"))
    env = qemu.make_env()
    t.step("make SLEEP_PAUSE=1 kernel/kernel (in a copy of the tree)")
    res = subprocess.run(["make", "-C", tree, "SLEEP_PAUSE=1", "kernel/kernel"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         universal_newlines=True, timeout=600)
    t.check(res.returncode == 0, "the SLEEP_PAUSE kernel did not build:\n" + res.stdout[-2000:])
    return tree


def _killread(t, tries):
    out = t.run("schedtest killread %d" % tries, timeout=300)
    m = t.expect(out, r"^schedtest killread: .*$", "killread result")
    t.note(m.group(0))
    t.check("no kill lost" in m.group(0), "%s: a killed reader stayed blocked in read()" % m.group(0))


@test("sched-killread", "a kill that lands while a reader goes to sleep still ends the read")
def sched_killread(t):
    # The moment in which a kill used to be lost is a few instructions
    # long: the normal kernel shows that nothing else broke, and a kernel
    # whose sleep() pauses there (make SLEEP_PAUSE=1) hits it for sure.
    t.boot()
    _killread(t, KILL_TRIES)
    scratch = tempfile.mkdtemp(prefix="xv6-net-sched-")
    try:
        t.boot(cwd=_pause_kernel_tree(t, scratch))
        _killread(t, PAUSED_KILL_TRIES)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)   # QEMU has read the kernel
