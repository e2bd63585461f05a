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


@test("make-no-compiler", "plain make on a machine without the RISC-V or the host compiler stops with one line naming it and the command that installs it")
def make_no_compiler(t):
    # A PATH with make and the shell tools the Makefile calls, but no compiler.
    bindir = tempfile.mkdtemp(prefix="make-no-compiler-")
    try:
        for tool in ("make", "sh", "id", "cat", "rm"):
            os.symlink(shutil.which(tool), os.path.join(bindir, tool))
        env = dict(os.environ, PATH=bindir)
        for var in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "TOOLPREFIX", "HOSTCC"):
            env.pop(var, None)
        for target, want in (("", r"no RISC-V cross compiler \(riscv64-unknown-elf-gcc.*"
                              r"sudo apt-get install gcc-riscv64-unknown-elf\.  Stop\.$"),
                             ("mkfs/mkfs", r"no host C compiler \(cc or gcc\).*"
                              r"sudo apt-get install gcc libc6-dev\.  Stop\.$")):
            # -n: the error comes as the recipe is expanded, and nothing runs.
            t.step("PATH=%s make -n -B %s" % (bindir, target))
            res = subprocess.run(["make", "-n", "-B"] + ([target] if target else []), cwd=REPO, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 universal_newlines=True)
            lines = res.stdout.strip().split("\n")
            t.step(res.stdout.strip())
            t.check(res.returncode != 0 and len(lines) == 1 and re.search(want, lines[0]),
                    "make %s without compilers (status %d) printed, want one line matching %r:\n%s"
                    % (target or "(all)", res.returncode, want, res.stdout))
    finally:
        shutil.rmtree(bindir, ignore_errors=True)


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
