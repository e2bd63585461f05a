"""test_student.py: what students get: their own README (naming only shipped files and installed tools), and a `make grade` that leaves a running guest alone."""

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

import qemu
from run_tests import REPO, test
from test_grade import BUILD_TIMEOUT, GRADE_TIMEOUT, SCORE_RE, copy_tree, sh

sys.path.insert(0, os.path.join(REPO, "tools"))
import handout  # noqa: E402  (the handout's names: README, markers, sections)
import sources  # noqa: E402  (its .gitignore rules tell build output from sources)
import variants  # noqa: E402

# Words that belong to the instructor's side of the project.
INSTRUCTOR_TERMS = re.compile(r"handout\.py|make handout|test_grade|test_student|README\.student"
                              r"|solution|marker|instructor|ceiling|INSTRUCTOR_ONLY", re.I)
# What a student README cannot do without.
MUST_NAME = ("LAB.md", "make qemu", "make server", "make grade", "make qemu-gdb", "make test",
             "make zipball",
             "tools/setup.sh", "gdb-multiarch", "add-auto-load-safe-path", "packets.pcap",
             "10.0.2.15", "10.0.2.2")
FILE_SUFFIXES = (".c", ".h", ".S", ".py", ".md", ".sh", ".ld", ".img", ".pcap", ".elf",
                 ".tmpl", ".log", ".json")
PLACEHOLDER = "NAME"          # as in user/NAME.c: any name
FENCE_RE = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)
CHECKED_RE = re.compile(r"^(?:ok|absent|MISSING|TOO OLD)\s+(\S+)", re.M)


def path_like(word):
    """A word that names a file or directory of the tree (not ~ or /)."""
    return (not word.startswith(("~", "/")) and not re.search(r"[\s*'\"=]", word)
            and PLACEHOLDER not in word and ("/" in word or word.endswith(FILE_SUFFIXES)))


def generated(ign, rel):
    """Build output (named by .gitignore), which a fresh handout lacks."""
    parts = rel.rstrip("/").split("/")
    dirs = ["/".join(parts[:i]) for i in range(1, len(parts))]
    return (any(ign.ignored(d, True) for d in dirs)
            or ign.ignored(rel.rstrip("/"), rel.endswith("/")))


def check_paths(t, tree, words, where):
    ign = sources.Ignore(tree)
    for word in words:
        rel = word[2:] if word.startswith("./") else word
        if generated(ign, rel):
            continue
        full = os.path.join(tree, rel)
        ok = os.path.isdir(full) if rel.endswith("/") else os.path.exists(full)
        t.check(ok, "%s names %s, which the handout lacks" % (where, word))


def commands(text, strict):
    """(host command lines, guest command names) in the fenced blocks of a
    Markdown text.  Strict (the README): every ```sh block is commands.
    Otherwise (LAB.md, whose blocks also hold diagrams and gdb sessions):
    only lines whose first word is a program on this machine's PATH."""
    host, guest = [], []
    for lang, body in FENCE_RE.findall(text):
        if strict and lang != "sh":
            continue
        for line in body.splitlines():
            first = line.split()[:2]
            if first[:1] == ["$"] and len(first) == 2:
                guest.append(first[1])
            elif first and (strict or shutil.which(first[0])):
                host.append(shlex.split(line, comments=True))
    return host, guest


def setup_tools(t):
    """The tools `tools/setup.sh --check` reports on, present or not."""
    res = subprocess.run(["sh", os.path.join(REPO, "tools", "setup.sh"), "--check"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         universal_newlines=True, env=qemu.make_env())
    t.step("tools/setup.sh --check:\n" + res.stdout.rstrip())
    return set(CHECKED_RE.findall(res.stdout))


def check_commands(t, tree, text, where, strict, checked):
    with open(os.path.join(tree, "Makefile")) as f:
        targets = set(re.findall(r"^([\w-]+):", f.read(), re.M))
    host, guest = commands(text, strict)
    t.check(host and guest, "%s shows no host or no guest commands" % where)
    t.step("%s runs, on the host: %s; in the guest: %s"
           % (where, " ".join(sorted({w[0] for w in host})), " ".join(sorted(set(guest)))))
    for words in host:
        tool, args = words[0], words[1:]
        if path_like(tool):
            check_paths(t, tree, [tool], where)
        else:
            t.check(tool in checked, "%s runs %s, which tools/setup.sh neither checks nor "
                    "installs" % (where, tool))
        check_paths(t, tree, [a for a in args if path_like(a)], where)
        if tool == "make":
            for target in (a for a in args if not a.startswith("-") and "=" not in a):
                t.check(target in targets, "%s: the Makefile has no target %r" % (where, target))
    for prog in guest:
        t.check(os.path.exists(os.path.join(tree, "user", prog + ".c")),
                "%s runs %s in the guest: no user/%s.c" % (where, prog, prog))


@test("student-readme", "every variant's handout README is the students': no instructor matters, names only shipped files (its variant's among them), every tool it or LAB.md runs is in setup.sh; the handout stands alone: run_tests.py --list works, the Makefile runs only shipped tools, has no instructor's target, and its comments hold for the variant")
def student_readme(t):
    work = tempfile.mkdtemp(prefix="student-readme-")
    try:
        # A tree with an earlier `make grade` copy in it: the handout must not ship that.
        src = copy_tree(os.path.join(work, "tree"))
        res = sh(t, [sys.executable, "tools/gradetree.py", ".grade"], src, 60, "gradetree.py")
        t.check(res.returncode == 0, "tools/gradetree.py failed:\n" + res.stdout)
        checked = setup_tools(t)
        for variant, (_, files, _) in variants.VARIANTS.items():
            check_variant_readme(t, work, src, variant, files, checked)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def student_functions(variant):
    """The functions with a solution region that the variant's handout
    strips (None: any variant's), from the tree's C files."""
    found = set()
    for dirpath, _, names in os.walk(os.path.join(REPO, "kernel")):
        for name in (n for n in names if n.endswith(".c")):
            fn = None
            with open(os.path.join(dirpath, name)) as f:
                for line in f:
                    m = re.match(r"^(\w+)\(", line)
                    fn = m.group(1) if m else fn
                    b = handout.MARKER_RE.match(line)
                    if b and b.group(1) == ">>>" and (variant is None or not b.group(3).split()
                                                      or variant in b.group(3).split()):
                        found.add(fn)
    return found


def check_variant_readme(t, work, src, variant, files, checked):
    name = handout.handout_name(variant)
    out, tar = os.path.join(work, name), os.path.join(work, name + ".tar.gz")
    res = sh(t, [sys.executable, "tools/handout.py", "--lab", variant, "--src", src, "-o", out,
                 "--tar", tar], REPO, 60, "tools/handout.py")
    t.check(res.returncode == 0, "tools/handout.py failed:\n" + res.stdout)
    for rel in (".grade", handout.STUDENT_README, "test/test_student.py", "tools/gradescope.py",
                "tools/handout.py", "kernel/ceiling.c"):
        t.check(not os.path.exists(os.path.join(out, rel)), "the %s handout ships %s" % (variant, rel))

    with open(os.path.join(out, "README.md")) as f:
        text = f.read()
    with open(os.path.join(REPO, handout.STUDENT_README)) as f:
        t.check(text == handout.variant_sections(f.read(), "README", variant),
                "the %s handout's README.md is not %s as that variant has it"
                % (variant, handout.STUDENT_README))
    t.reject(text, "(?i)" + INSTRUCTOR_TERMS.pattern, "the %s student README" % variant)
    for phrase in MUST_NAME + tuple(files):
        t.check(phrase in text, "the %s student README does not mention %r" % (variant, phrase))
    with open(os.path.join(out, "LAB.md")) as f:
        lab = f.read()
    for rel in files:
        t.check(rel in lab, "the %s LAB.md does not name %s, a file the student writes"
                % (variant, rel))
    mine = student_functions(variant)
    t.check(mine, "%s: no function of the tree is the student's" % variant)
    for fn in mine:
        t.check(fn + "()" in lab, "the %s LAB.md does not name %s(), which the student writes"
                % (variant, fn))
    for fn in student_functions(None) - mine:
        t.check(fn not in lab and fn not in text, "the %s handout's README or LAB.md names "
                "%s(), which only another variant's student writes" % (variant, fn))

    prose = FENCE_RE.sub("", text)
    quoted = [w for w in re.findall(r"`([^`\n]+)`", prose) if path_like(w)]
    t.step("%s: %d paths named in the README's text" % (variant, len(quoted)))
    check_paths(t, out, quoted, "README.md")
    check_commands(t, out, text, "README.md", True, checked)
    check_commands(t, out, lab, "LAB.md", False, checked)
    check_whole(t, out, variant, text)


# Makefile targets that only the instructor's tree can run.
INSTRUCTOR_TARGETS = ("handout", "gradescope")
TOOL_RE = re.compile(r"(?:^\t.*?\b|\$\(shell )(?:python3|sh) ((?:tools|test)/[\w./-]+|[\w-]+\.py)\b",
                     re.M)


def check_whole(t, out, variant, readme):
    """The handout stands alone: its test runner lists its tests, its
    Makefile runs only tools it ships and no instructor's target, and the
    Makefile's comments hold for the variant."""
    res = sh(t, [sys.executable, "test/run_tests.py", "--list"], out, 60, "run_tests.py --list")
    t.check(res.returncode == 0 and "Traceback" not in res.stdout,
            "the %s handout's run_tests.py --list fails:\n%s" % (variant, res.stdout[-2000:]))
    with open(os.path.join(out, "Makefile")) as f:
        make = f.read()
    targets = set(re.findall(r"^([\w-]+):", make, re.M))
    t.check(not targets & set(INSTRUCTOR_TARGETS), "the %s handout's Makefile has the "
            "instructor's targets %s" % (variant, sorted(targets & set(INSTRUCTOR_TARGETS))))
    tools = sorted(set(TOOL_RE.findall(make)))
    t.step("%s: run_tests.py lists %d tests; the Makefile runs %s"
           % (variant, len(res.stdout.splitlines()), " ".join(tools)))
    for tool in tools:
        t.check(os.path.exists(os.path.join(out, tool)), "the %s handout's Makefile runs %s, "
                "which the handout lacks" % (variant, tool))
    for section in re.findall(r"README's \"?([A-Z][\w ]*?)\"?[).,;]", make):
        t.check(re.search(r"^#+ %s" % re.escape(section), readme, re.M),
                "the %s handout's Makefile cites the README's %r, which its README lacks"
                % (variant, section))
    card = variants.VARIANTS[variant][2]
    for nic in re.findall(r"NIC=(\w+) \(the default", make):
        t.check(nic == card, "the %s handout's Makefile calls NIC=%s the default; it is %s"
                % (variant, nic, card))


def identity(path):
    st = os.stat(path)
    return st.st_ino, st.st_mtime_ns, st.st_size


@test("student-grade", "make grade builds and grades a copy: a guest running in the tree keeps its fs.img and kernel and still answers")
def student_grade(t):
    work = tempfile.mkdtemp(prefix="student-grade-")
    try:
        tree = copy_tree(os.path.join(work, "tree"))
        res = sh(t, ["make", "all"], tree, BUILD_TIMEOUT, "make")
        t.check(res.returncode == 0, "make failed:\n" + res.stdout[-3000:])
        fwd = qemu.free_ports(2, "udp")
        isolated = {"FWDPORT": fwd[0], "FWDPORT2": fwd[1],
                    "PCAP": os.path.join(work, "guest.pcap")}
        t.step("boot a guest on the tree's own fs.img, as make qemu does")
        g = qemu.Guest(qemu.qemu_command(isolated, repo=tree), cwd=tree, echo=t.verbose)
        t.guests.append(g)
        g.wait_prompt(60)
        used = ("fs.img", "kernel/kernel")
        before = {p: identity(os.path.join(tree, p)) for p in used}

        res = sh(t, ["make", "grade", "GRADEFLAGS=--json results.json boot"], tree,
                 GRADE_TIMEOUT + BUILD_TIMEOUT, "make grade")
        t.transcript.append("  " + "\n  ".join(res.stdout.strip().splitlines()[-4:]))
        m = SCORE_RE.search(res.stdout)
        t.check(res.returncode == 0 and m and m.group(1) == m.group(2),
                "make grade boot did not pass:\n" + res.stdout[-3000:])
        t.check(os.path.exists(os.path.join(tree, "results.json")),
                "--json results.json did not land in the tree make grade ran in")
        for p in used:
            t.check(identity(os.path.join(tree, p)) == before[p],
                    "make grade replaced or rewrote %s under the running guest" % p)
        t.step("$ echo still-here")
        t.expect(g.run("echo still-here", 30), r"^still-here$", "the running guest's answer")
    finally:
        shutil.rmtree(work, ignore_errors=True)


@test("gradetree", "make grade's copy in .grade/ follows the tree: changed sources rewritten and newer than the build, gone ones removed, build output kept, a new build rule starts afresh")
def gradetree(t):
    work = tempfile.mkdtemp(prefix="gradetree-")
    try:
        tree = copy_tree(os.path.join(work, "tree"))
        dst = os.path.join(tree, ".grade")
        sync = [sys.executable, os.path.join(tree, "tools", "gradetree.py"), dst]

        def copy(rel):
            with open(os.path.join(dst, rel)) as f:
                return f.read()

        res = sh(t, sync, tree, 60, "gradetree.py")
        t.check(res.returncode == 0, "gradetree.py failed:\n" + res.stdout)
        built = os.path.join(dst, "user", "echo.o")     # stands for the copy's build output
        with open(built, "w") as f:
            f.write("an object")
        t.step("change user/echo.c, add user/extra.c, remove user/zombie.c")
        with open(os.path.join(tree, "user", "echo.c"), "a") as f:
            f.write("// changed\n")
        with open(os.path.join(tree, "user", "extra.c"), "w") as f:
            f.write("// new\n")
        os.remove(os.path.join(tree, "user", "zombie.c"))
        res = sh(t, sync, tree, 60, "gradetree.py")
        t.check(res.returncode == 0, "gradetree.py failed:\n" + res.stdout)
        t.check(copy("user/echo.c").endswith("// changed\n"), "the changed source was not copied")
        t.check(os.path.exists(built), "build output of the copy was removed: every run would "
                "build everything")
        t.check(os.path.getmtime(os.path.join(dst, "user", "echo.c")) >= os.path.getmtime(built),
                "the changed source is older than the build output: make would not rebuild it")
        t.check(copy("user/extra.c") == "// new\n", "the new source was not copied")
        t.check(not os.path.exists(os.path.join(dst, "user", "zombie.c")),
                "a source removed from the tree is still in the copy")

        t.step("change the Makefile: the copy starts afresh")
        with open(os.path.join(tree, "Makefile"), "a") as f:
            f.write("# changed\n")
        res = sh(t, sync, tree, 60, "gradetree.py")
        t.check(res.returncode == 0 and not os.path.exists(built),
                "after a change to the Makefile the copy kept its old build output")
        t.check(copy("Makefile").endswith("# changed\n"), "the Makefile was not copied")
    finally:
        shutil.rmtree(work, ignore_errors=True)


@test("grade-below-full", "make grade below full marks: its last line says so in its own words (not make's \"*** ... Error 1\") and make exits non-zero")
def grade_below_full(t):
    from test_grade import BROKEN, broken_driver
    work = tempfile.mkdtemp(prefix="grade-below-full-")
    try:
        tree = copy_tree(os.path.join(work, "tree"))
        with open(os.path.join(tree, "kernel", "e1000.c"), "w") as f:
            f.write(broken_driver(t, "no ring-full check", BROKEN["no ring-full check"][0]))
        res = sh(t, ["make", "grade", "GRADEFLAGS=driver-tx"], tree,
                 GRADE_TIMEOUT + BUILD_TIMEOUT, "make grade")
        lines = res.stdout.strip().splitlines()
        t.transcript.append("  " + "\n  ".join(lines[-3:]))
        t.check(res.returncode != 0, "make grade exited 0 below full marks")
        t.check(SCORE_RE.search(res.stdout) and SCORE_RE.search(res.stdout).group(1) == "0",
                "the grader did not score driver-tx 0:\n" + res.stdout[-2000:])
        t.reject(res.stdout, r"\*\*\* \[.*\] Error \d", "make grade's output")
        t.check(re.search(r"make grade: not full marks", lines[-1]),
                "make grade's last line does not say the score is below full: %r" % lines[-1])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def free_base():
    """A PORTBASE whose eight ports are free, tcp and udp."""
    import random
    import socket
    for _ in range(100):
        base = random.randrange(30000, 60000, 8)
        try:
            for port in range(base, base + 8):
                for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                    with socket.socket(socket.AF_INET, kind) as s:
                        s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
    raise RuntimeError("no free PORTBASE found")


@test("ports", "a host port already taken: make qemu, make qemu-gdb and make server each stop before they start anything, with one line naming the port and PORTBASE=; with the ports free they go on")
def ports(t):
    import socket
    base = free_base()
    # make -n: the check runs as make expands the recipe, so a dry run shows
    # what a real one does, without starting QEMU or server.py.
    for target, proto, offset, name in (("qemu", "udp", 3, "FWDPORT"), ("qemu-gdb", "tcp", 0, "GDBPORT"),
                                        ("server", "tcp", 6, "HTTPPORT")):
        kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
        with socket.socket(socket.AF_INET, kind) as taken:
            taken.bind(("127.0.0.1", base + offset))
            if kind == socket.SOCK_STREAM:
                taken.listen(1)
            t.step("%s %d taken" % (proto, base + offset))
            res = sh(t, ["make", "-n", target, "PORTBASE=%d" % base], REPO, 60, "make " + target)
        lines = [l for l in res.stdout.splitlines() if "in use" in l]
        t.transcript.append("  " + "\n  ".join(lines))
        t.check(res.returncode != 0, "make %s went on with port %d taken:\n%s"
                % (target, base + offset, res.stdout[-1500:]))
        t.check(len(lines) == 1 and res.stdout.strip().endswith(lines[0]),
                "make %s did not end with one line about the port:\n%s" % (target, res.stdout[-1500:]))
        t.expect(lines[0], r"port %d \(%s, %s\) is in use.*PORTBASE=" % (base + offset, name, proto),
                 "the line naming the port and PORTBASE=")
        res = sh(t, ["make", "-n", target, "PORTBASE=%d" % base], REPO, 60, "make " + target)
        t.check(res.returncode == 0 and re.search(r"qemu-system-riscv64|server\.py", res.stdout),
                "make %s with the port free again does not go on:\n%s" % (target, res.stdout[-1500:]))
