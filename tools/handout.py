#!/usr/bin/env python3
"""handout.py: write the student handout (a directory and a tarball) from the solution tree.

    tools/handout.py [--src DIR] [-o DIR] [--tar FILE]

Defaults: the tree this script lives in, handout/xv6-net and
handout/xv6-net.tar.gz inside it.  `make handout` runs it.

Marker syntax.  In a C or assembly file (.c .h .S), the reference answer sits between three
comment lines of their own (indentation is free):

    // >>> solution
    ...the answer, removed from the handout...
    // === stub
    // ...what the student gets instead, each line behind "// "...
    // <<< solution

The handout keeps everything outside the markers, drops the answer and the
three marker lines, and turns each stub line back into code by removing its
first "// " (a line "  // // Your code here." becomes "  // Your code here.",
"  // return -1;" becomes "  return -1;").  A stub must keep the kernel
compiling and booting.  A marker out of order, a region left open or a stub
line that is not a comment stops the script with the file and line.

What is copied: every file of the tree except .git, what .gitignore names
(build output), ELF binaries wherever they are, the handout itself, and the
instructor-only files listed in INSTRUCTOR_ONLY.  Files in REPLACED get
another file's text: the handout's README.md is tools/README.student.md, the
students' README (the tree's own README.md is the instructor's).
"""

import argparse
import fnmatch
import os
import re
import shutil
import sys
import tarfile

TOOLS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TOOLS)

# Tests that need the solution (they grade it M/M, generate the handout) make
# no sense to students; the student README ships as README.md (REPLACED).
STUDENT_README = "tools/README.student.md"
INSTRUCTOR_ONLY = ("test/test_grade.py", "test/test_student.py", STUDENT_README)
# handout path: the file in the tree whose text it gets
REPLACED = {"README.md": STUDENT_README}

MARKER_RE = re.compile(r"^\s*// (>>>|===|<<<) (\w+)\s*$")
STUB_LINE_RE = re.compile(r"^(\s*)//(?: |$)(.*)$")
BEGIN, STUB, END = (">>>", "solution"), ("===", "stub"), ("<<<", "solution")
ELF_MAGIC = b"\x7fELF"
MARKED_SUFFIXES = (".c", ".h", ".S")   # where markers are looked for


class MarkerError(Exception):
    pass


def strip_solutions(text, where):
    """The handout version of one file's text; (text, number of regions)."""
    out, state, regions = [], None, 0
    for n, line in enumerate(text.splitlines(keepends=True), 1):
        m = MARKER_RE.match(line)
        marker = m.groups() if m else None
        if marker and marker not in (BEGIN, STUB, END):
            raise MarkerError("%s:%d: unknown marker %r" % (where, n, line.strip()))
        expected = {None: BEGIN, BEGIN: STUB, STUB: END}[state]
        if marker:
            if marker != expected:
                raise MarkerError("%s:%d: %r where %r was expected"
                                  % (where, n, line.strip(), "// %s %s" % expected))
            state = None if marker == END else marker
            regions += marker == END
        elif state is None:
            out.append(line)
        elif state == STUB:
            s = STUB_LINE_RE.match(line.rstrip("\n"))
            if not s:
                raise MarkerError("%s:%d: a stub line must be a comment: %r"
                                  % (where, n, line.rstrip("\n")))
            out.append(s.group(1) + s.group(2) + "\n")
    if state is not None:
        raise MarkerError("%s: region opened and never closed (missing %r)"
                          % (where, "// %s %s" % expected))
    return "".join(out), regions


class Ignore:
    """The subset of .gitignore rules this tree uses: globs on the base name,
    globs anchored at the root when they contain a slash, a trailing slash
    for directories only.  Negation (!) is not supported."""

    def __init__(self, root):
        self.rules = []
        path = os.path.join(root, ".gitignore")
        if not os.path.exists(path):
            return
        with open(path, encoding="utf-8") as f:
            for line in f:
                pat = line.strip()
                if not pat or pat.startswith("#"):
                    continue
                if pat.startswith("!"):
                    raise MarkerError(".gitignore: negation (%s) is not supported" % pat)
                dir_only = pat.endswith("/")
                pat = pat.rstrip("/")
                anchored = "/" in pat
                self.rules.append((pat.lstrip("/"), anchored, dir_only))

    def ignored(self, rel, is_dir):
        name = os.path.basename(rel)
        for pat, anchored, dir_only in self.rules:
            if dir_only and not is_dir:
                continue
            if fnmatch.fnmatchcase(rel if anchored else name, pat):
                return True
        return False


def is_elf(path):
    with open(path, "rb") as f:
        return f.read(4) == ELF_MAGIC


def source_files(src, skip):
    """Relative paths of the tree's sources, sorted: no .git, nothing that
    .gitignore names, no ELF file, nothing at or under a path in `skip`."""
    ign = Ignore(src)
    files = []
    for dirpath, dirnames, filenames in os.walk(src):
        reldir = os.path.relpath(dirpath, src)
        reldir = "" if reldir == "." else reldir
        keep = []
        for d in sorted(dirnames):
            rel = os.path.join(reldir, d)
            full = os.path.join(dirpath, d)
            if d == ".git" or ign.ignored(rel, True) or any(
                    os.path.samefile(full, s) for s in skip if os.path.exists(s)):
                continue
            keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            rel = os.path.join(reldir, name)
            full = os.path.join(dirpath, name)
            # .git is a file in a git worktree
            if name == ".git" or ign.ignored(rel, False) or os.path.islink(full):
                continue
            if is_elf(full) or any(os.path.exists(s) and os.path.samefile(full, s) for s in skip):
                continue
            files.append(rel)
    return sorted(files)


def shipped_files(src, skip):
    """Relative paths of the files that go into the handout, sorted."""
    return [rel for rel in source_files(src, skip) if rel not in INSTRUCTOR_ONLY]


def copy_file(src, dst, rel):
    """Copy one file (or its REPLACED text), stripping solutions from text;
    returns regions stripped."""
    s, d = os.path.join(src, REPLACED.get(rel, rel)), os.path.join(dst, rel)
    os.makedirs(os.path.dirname(d), exist_ok=True)
    if not rel.endswith(MARKED_SUFFIXES):
        shutil.copy2(s, d)
        return 0
    try:
        with open(s, encoding="utf-8") as f:
            text = f.read()
    except UnicodeDecodeError:
        shutil.copy2(s, d)
        return 0
    out, regions = strip_solutions(text, rel)
    with open(d, "w", encoding="utf-8") as f:
        f.write(out)
    shutil.copystat(s, d)
    return regions


def check_output(dst, files):
    """The written handout holds no marker line."""
    for rel in (r for r in files if r.endswith(MARKED_SUFFIXES)):
        try:
            with open(os.path.join(dst, rel), encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    if MARKER_RE.match(line):
                        raise MarkerError("%s:%d: marker left in the handout" % (rel, n))
        except UnicodeDecodeError:
            continue


def safe_to_replace(out, src):
    """Only an empty directory or an earlier handout may be deleted."""
    src_real, out_real = os.path.realpath(src), os.path.realpath(out)
    if src_real == out_real or src_real.startswith(out_real + os.sep):
        return False
    return not os.listdir(out) or os.path.exists(os.path.join(out, "kernel", "e1000.c"))


def write_tar(out, tar_path, files):
    top = os.path.basename(os.path.normpath(out))

    def normalize(info):
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    tmp = tar_path + ".tmp"
    with tarfile.open(tmp, "w:gz") as tar:
        for rel in files:
            tar.add(os.path.join(out, rel), arcname=os.path.join(top, rel),
                    recursive=False, filter=normalize)
    os.replace(tmp, tar_path)


def main():
    ap = argparse.ArgumentParser(description="Write the student handout from the solution tree.")
    ap.add_argument("--src", default=REPO, help="solution tree (default: %(default)s)")
    ap.add_argument("-o", "--out", help="handout directory (default SRC/handout/xv6-net)")
    ap.add_argument("--tar", help="tarball (default OUT.tar.gz)")
    args = ap.parse_args()
    src = os.path.abspath(args.src)
    out = os.path.abspath(args.out or os.path.join(src, "handout", "xv6-net"))
    tar_path = os.path.abspath(args.tar or out.rstrip(os.sep) + ".tar.gz")

    if os.path.exists(out):
        if not safe_to_replace(out, src):
            sys.exit("handout: %s exists and is not a handout; not replacing it" % out)
        shutil.rmtree(out)
    try:
        files = shipped_files(src, [out, tar_path])
        regions = sum(copy_file(src, out, rel) for rel in files)
        check_output(out, files)
    except MarkerError as e:
        shutil.rmtree(out, ignore_errors=True)
        sys.exit("handout: %s" % e)
    if regions == 0:
        shutil.rmtree(out, ignore_errors=True)
        sys.exit("handout: no solution markers found in %s" % src)
    os.makedirs(os.path.dirname(tar_path), exist_ok=True)
    write_tar(out, tar_path, files)
    print("handout: %d files, %d solution regions replaced by stubs" % (len(files), regions))
    print("handout: wrote %s and %s" % (os.path.relpath(out), os.path.relpath(tar_path)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
