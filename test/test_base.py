"""test_base.py: tests of the base system: boot, the shell, the console and the stock user programs."""

import os
import re

from run_tests import REPO, test

WC_LINE = r"^\s*(\d+)\s+(\d+)\s+(\d+)"


@test("boot", "the kernel boots to the shell prompt")
def boot(t):
    g = t.boot()
    t.note("prompt after %.1fs" % g.uptime())


@test("shell", "pipes, redirection, lists, cd and a missing command")
def shell(t):
    t.boot()

    out = t.run("echo hi | wc")
    t.expect(out, r"^\s*1\s+1\s+3\b", "wc of 'hi\\n' should count 1 line, 1 word, 3 bytes")

    out = t.run("ls > f; cat f")
    t.expect(out, r"^README\.md\s", "ls written to a file should list README.md")

    out = t.run("cat README.md | wc")
    m = t.expect(out, WC_LINE, "wc of README.md")
    size = os.path.getsize(os.path.join(REPO, "README.md"))
    t.check(int(m.group(3)) == size,
            "wc counted %s bytes in README.md, the host file has %d" % (m.group(3), size))

    out = t.run("echo hi > f; cat f")
    t.expect(out, r"\Ahi\n\Z", "cat should print exactly the line just written")

    out = t.run("mkdir d; cd d; ls")
    names = sorted(line.split()[0] for line in out.splitlines() if line.strip())
    t.check(names == [".", ".."], "a new directory should hold only . and .., ls showed %s" % names)
    out = t.run("cd ..; ls d/..")
    t.expect(out, r"^README\.md\s", "cd .. should lead back to the root")

    out = t.run("nosuchprogram")
    t.check(out.strip() != "", "running a missing program printed no error")
    out = t.run("echo still here")
    t.expect(out, r"^still here$", "the shell should go on after a failed command")


@test("procdump", "^P lists the processes on the console")
def procdump(t):
    t.boot()
    t.send("\x10")
    both = re.compile(r"\binit\b(?:.|\n)*\bsh\b|\bsh\b(?:.|\n)*\binit\b")
    t.wait_for(both, 10)
    out = t.run("echo after")
    t.expect(out, r"^after$", "the shell should still work after ^P")


@test("usertests", "usertests -q passes")
def usertests(t):
    t.boot()
    out = t.run("usertests -q", timeout=300)
    failed = re.findall(r"^test \S+: FAILED.*$", out, re.M)
    t.check(not failed, "usertests -q: %s" % "; ".join(failed))
    t.expect(out, r"^ALL TESTS PASSED$", "usertests -q")


@test("forktest", "forktest fills the process table and waits for every child")
def forktest(t):
    t.boot()
    out = t.run("forktest", timeout=60)
    t.expect(out, r"^fork test OK$", "forktest")


@test("stressfs", "concurrent writers on one file system")
def stressfs(t):
    t.boot()
    out = t.run("stressfs", timeout=120)
    t.expect(out, r"^stressfs ok$", "stressfs")


GRIND_ROUNDS = 50


@test("grind", "random system-call rounds, no panic and no lost pages")
def grind(t):
    t.boot()
    out = t.run("grind %d" % GRIND_ROUNDS, timeout=240)
    t.expect(out, r"^grind: %d rounds ok$" % GRIND_ROUNDS, "grind")
