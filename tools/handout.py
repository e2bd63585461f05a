#!/usr/bin/env python3
"""handout.py: write the student handout (a directory and a tarball) from the solution tree.

    tools/handout.py [--lab VARIANT] [--src DIR] [-o DIR] [--tar FILE]

Defaults: the default variant (e1000), the tree this script lives in,
handout/xv6-net (handout/xv6-net-VARIANT for another variant) and OUT.tar.gz
inside it.  `make handout [LAB=VARIANT]` runs it.

Variants.  VARIANTS (tools/variants.py) names each assignment and the files
the student writes (and submits) in it.  The handout records its variant in
VARIANT_FILE, where the grader, `make zipball` and the Gradescope autograder
read it.

Marker syntax.  In a C or assembly file (.c .h .S), the reference answer sits
between three comment lines of their own (indentation is free):

    // >>> solution [VARIANT ...]
    ...the answer, removed from the handout...
    // === stub
    // ...what the student gets instead, each line behind "// "...
    // <<< solution

A region whose opening line names no variant is the student's in every
variant.  One that names variants (`// >>> solution udp`) is the student's
only in those: their handouts strip it like any other, the others keep the
answer as given code (without the markers and the stub).  Only the opening
line names variants.

A stripped region loses the answer and the three marker lines, and each stub
line turns back into code by losing its first "// " (a line
"  // // Your code here." becomes "  // Your code here.", "  // return -1;"
becomes "  return -1;").  A stub must keep the kernel compiling and booting.
A marker out of order, a region left open, an unknown variant or a stub line
that is not a comment stops the script with the file and line.

Markdown (.md) files have sections of their own for variants, between two
lines of their own:

    <!-- >>> only VARIANT [VARIANT ...] -->
    ...text for those variants' handouts only...
    <!-- <<< only -->

Other variants' handouts drop the section; the named ones keep its text
without the two lines.  So LAB.md and the student README hold every
variant's text once, and each handout gets its own.  The Makefile has
sections too, between `# >>> only VARIANT ...` and `# <<< only`, and the
name `instructor` marks a section that no handout keeps (targets that run
the instructor's tools).

What is copied: every file of the tree except .git, what .gitignore names
(build output), ELF binaries wherever they are, the handout itself, and the
instructor-only files listed in INSTRUCTOR_ONLY.  Files in REPLACED get
another file's text: the handout's README.md is tools/README.student.md, the
students' README (the tree's own README.md is the instructor's).
"""

import argparse
import os
import re
import shutil
import sys
import tarfile

from sources import source_files
from variants import DEFAULT_VARIANT, REPO, VARIANT_FILE, VARIANTS, TreeError

# Tests that need the solution (they grade it M/M, generate the handout) make
# no sense to students; the student README ships as README.md (REPLACED).
STUDENT_README = "tools/README.student.md"
# Nor do this generator (the variants are tools/variants.py, which ships)
# and the benchmark's ceiling kernel (the Makefile's CEILING section is the
# instructor's too).
INSTRUCTOR_ONLY = ("test/test_grade.py", "test/test_student.py", STUDENT_README,
                   "tools/gradescope.py", "tools/gradescope/setup.sh",
                   "tools/gradescope/run_autograder", "tools/handout.py", "kernel/ceiling.c")
# handout path: the file in the tree whose text it gets
REPLACED = {"README.md": STUDENT_README}

MARKER_RE = re.compile(r"^\s*// (>>>|===|<<<) (\w+)((?: \w+)*)\s*$")
DOC_MARKER_RE = re.compile(r"^<!-- (>>>|<<<) only((?: \w+)*) -->\s*$")
MAKE_MARKER_RE = re.compile(r"^# (>>>|<<<) only((?: \w+)*)\s*$")
INSTRUCTOR = "instructor"              # a section name: in no handout
SECTIONED = {"Makefile": MAKE_MARKER_RE}   # files with sections, besides .md
STUB_LINE_RE = re.compile(r"^(\s*)//(?: |$)(.*)$")
BEGIN, STUB, END = (">>>", "solution"), ("===", "stub"), ("<<<", "solution")
MARKED_SUFFIXES = (".c", ".h", ".S")   # where markers are looked for
DOC_SUFFIXES = (".md",)                # where variant sections are looked for


class MarkerError(TreeError):
    pass


def variant_names(names, where, n):
    """The variants a marker line names, each checked."""
    names = names.split()
    for v in names:
        if v not in VARIANTS and v != INSTRUCTOR:
            raise MarkerError("%s:%d: unknown variant %r (variants: %s)"
                              % (where, n, v, ", ".join(VARIANTS)))
    return names


def strip_solutions(text, where, variant=DEFAULT_VARIANT):
    """The variant's handout version of one file's text; (text, number of
    regions stripped)."""
    out, state, regions, strip = [], None, 0, True
    for n, line in enumerate(text.splitlines(keepends=True), 1):
        m = MARKER_RE.match(line)
        marker = m.group(1, 2) if m else None
        if marker and marker not in (BEGIN, STUB, END):
            raise MarkerError("%s:%d: unknown marker %r" % (where, n, line.strip()))
        expected = {None: BEGIN, BEGIN: STUB, STUB: END}[state]
        if marker:
            if marker != expected:
                raise MarkerError("%s:%d: %r where %r was expected"
                                  % (where, n, line.strip(), "// %s %s" % expected))
            names = variant_names(m.group(3), where, n)
            if names and marker != BEGIN:
                raise MarkerError("%s:%d: only the opening marker names variants"
                                  % (where, n))
            if marker == BEGIN:
                strip = not names or variant in names
            state = None if marker == END else marker
            regions += marker == END and strip
        elif state is None or (state == BEGIN and not strip):
            out.append(line)
        elif state == STUB:
            s = STUB_LINE_RE.match(line.rstrip("\n"))
            if not s:
                raise MarkerError("%s:%d: a stub line must be a comment: %r"
                                  % (where, n, line.rstrip("\n")))
            if strip:
                out.append(s.group(1) + s.group(2) + "\n")
    if state is not None:
        raise MarkerError("%s: region opened and never closed (missing %r)"
                          % (where, "// %s %s" % expected))
    return "".join(out), regions


def variant_sections(text, where, variant=DEFAULT_VARIANT, marker_re=DOC_MARKER_RE):
    """A Markdown text (or one of SECTIONED, with its marker_re) as the
    variant's handout has it: the sections for other variants dropped,
    every section marker line removed."""
    out, names, opened = [], None, 0
    for n, line in enumerate(text.splitlines(keepends=True), 1):
        m = marker_re.match(line)
        if m is None:
            if names is None or variant in names:
                out.append(line)
        elif m.group(1) == ">>>":
            if names is not None:
                raise MarkerError("%s:%d: a section opened inside the one opened at line %d"
                                  % (where, n, opened))
            names, opened = variant_names(m.group(2), where, n), n
            if not names:
                raise MarkerError("%s:%d: a section names no variant" % (where, n))
        else:
            if names is None or m.group(2):
                raise MarkerError("%s:%d: %r closes no section (or names variants)"
                                  % (where, n, line.strip()))
            names = None
    if names is not None:
        raise MarkerError("%s:%d: section never closed (missing '<!-- <<< only -->')"
                          % (where, opened))
    return "".join(out)


def shipped_files(src, skip):
    """Relative paths of the files that go into the handout, sorted."""
    return [rel for rel in source_files(src, skip) if rel not in INSTRUCTOR_ONLY]


def copy_file(src, dst, rel, variant):
    """Copy one file (or its REPLACED text) into the variant's handout,
    stripping solutions from code and other variants' sections from
    Markdown; returns regions stripped."""
    s, d = os.path.join(src, REPLACED.get(rel, rel)), os.path.join(dst, rel)
    os.makedirs(os.path.dirname(d), exist_ok=True)
    if not rel.endswith(MARKED_SUFFIXES + DOC_SUFFIXES) and rel not in SECTIONED:
        shutil.copy2(s, d)
        return 0
    try:
        with open(s, encoding="utf-8") as f:
            text = f.read()
    except UnicodeDecodeError:
        shutil.copy2(s, d)
        return 0
    if rel in SECTIONED:
        out, regions = variant_sections(text, rel, variant, SECTIONED[rel]), 0
    elif rel.endswith(DOC_SUFFIXES):
        out, regions = variant_sections(text, rel, variant), 0
    else:
        out, regions = strip_solutions(text, rel, variant)
    with open(d, "w", encoding="utf-8") as f:
        f.write(out)
    shutil.copystat(s, d)
    return regions


def check_output(dst, files):
    """The written handout holds no marker line."""
    for rel in files:
        pattern = MARKER_RE if rel.endswith(MARKED_SUFFIXES) else \
            DOC_MARKER_RE if rel.endswith(DOC_SUFFIXES) else SECTIONED.get(rel)
        if pattern is None:
            continue
        try:
            with open(os.path.join(dst, rel), encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    if pattern.match(line):
                        raise MarkerError("%s:%d: marker left in the handout" % (rel, n))
        except UnicodeDecodeError:
            continue


def write_handout(src, out, variant, skip=()):
    """Write the variant's handout tree at out (which must not exist);
    (files written, solution regions stripped).  Raises MarkerError."""
    files = shipped_files(src, [out] + list(skip))
    regions = sum(copy_file(src, out, rel, variant) for rel in files)
    check_output(out, files)
    path = os.path.join(out, VARIANT_FILE)
    with open(path, "w") as f:
        f.write(variant + "\n")
    files.append(VARIANT_FILE)
    return sorted(files), regions


def handout_name(variant):
    return "xv6-net" if variant == DEFAULT_VARIANT else "xv6-net-" + variant


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
    ap.add_argument("--lab", default=DEFAULT_VARIANT, choices=sorted(VARIANTS),
                    help="the assignment variant (default: %(default)s)")
    ap.add_argument("--src", default=REPO, help="solution tree (default: %(default)s)")
    ap.add_argument("-o", "--out", help="handout directory (default SRC/handout/xv6-net, "
                    "or SRC/handout/xv6-net-VARIANT)")
    ap.add_argument("--tar", help="tarball (default OUT.tar.gz)")
    args = ap.parse_args()
    src = os.path.abspath(args.src)
    out = os.path.abspath(args.out or os.path.join(src, "handout", handout_name(args.lab)))
    tar_path = os.path.abspath(args.tar or out.rstrip(os.sep) + ".tar.gz")

    if os.path.exists(out):
        if not safe_to_replace(out, src):
            sys.exit("handout: %s exists and is not a handout; not replacing it" % out)
        shutil.rmtree(out)
    try:
        files, regions = write_handout(src, out, args.lab, [tar_path])
    except TreeError as e:
        shutil.rmtree(out, ignore_errors=True)
        sys.exit("handout: %s" % e)
    if regions == 0:
        shutil.rmtree(out, ignore_errors=True)
        sys.exit("handout: no solution markers for variant %s found in %s" % (args.lab, src))
    os.makedirs(os.path.dirname(tar_path), exist_ok=True)
    write_tar(out, tar_path, files)
    print("handout: variant %s (%s): %d files, %d solution regions replaced by stubs"
          % (args.lab, VARIANTS[args.lab][0], len(files), regions))
    print("handout: wrote %s and %s" % (os.path.relpath(out), os.path.relpath(tar_path)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
