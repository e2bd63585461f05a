"""test_base.py: tests of the base system: boot, the shell, the console and the stock user programs."""

import json
import os
import re
import shutil
import subprocess
import tempfile

import qemu
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


@test("compdb", "make compile_commands.json: an entry for every C file, and the commands compile")
def compdb(t):
    work = tempfile.mkdtemp(prefix="compdb-")
    try:
        path = os.path.join(REPO, "compile_commands.json")
        t.step("make compile_commands.json")
        res = subprocess.run(["make", "-s", "-B", "compile_commands.json"], cwd=REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             universal_newlines=True, env=qemu.make_env())
        t.check(res.returncode == 0, "make compile_commands.json failed:\n" + res.stdout)
        with open(path) as f:
            entries = json.load(f)
        files = {os.path.relpath(e["file"], REPO): e for e in entries}
        want = [os.path.join(d, n) for d in ("kernel", "user", "mkfs")
                for n in os.listdir(os.path.join(REPO, d)) if n.endswith(".c")]
        t.check(not set(want) - set(files), "no entry for %s" % sorted(set(want) - set(files)))
        # A command that compiles is one clangd can follow; the object goes elsewhere.
        for src in ("kernel/e1000.c", "user/nettests.c", "mkfs/mkfs.c"):
            args = list(files[src]["arguments"])
            args[args.index("-o") + 1] = os.path.join(work, os.path.basename(src) + ".o")
            t.step(" ".join(args[:1] + ["..."] + args[-3:]))
            res = subprocess.run(args, cwd=files[src]["directory"], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, universal_newlines=True)
            t.check(res.returncode == 0, "the recorded command for %s fails:\n%s" % (src, res.stdout))
        t.note("%d entries" % len(entries))
    finally:
        shutil.rmtree(work, ignore_errors=True)
