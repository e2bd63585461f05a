#!/usr/bin/env python3
"""gradetree.py: keep a copy of the tree's sources in a directory of its own for `make grade`.

    tools/gradetree.py DIR

`make grade` builds and grades that copy, so a `make qemu` running in the
tree keeps its kernel and fs.img.  The copy is brought up to date: a source
that differs is written anew (so it is newer than what was built from it,
and make rebuilds what depends on it), a source gone from the tree goes from
the copy, and the copy's build output stays, which spares a full build on
every run.  A change to a build rule (BUILD_RULES) starts the copy afresh.
To make sure DIR is never anything but an earlier copy, a directory that is
neither empty nor marked with STAMP is refused.  What counts as a source is
what the handout generator copies: everything but .git, what .gitignore
names and ELF files (tools/sources.py).
"""

import filecmp
import os
import shutil
import sys

import sources
import variants

STAMP = ".gradetree"   # marks a directory this script wrote
# Files that decide how everything is built: make does not see their
# changes, so on any of them the copy starts afresh.
BUILD_RULES = ("Makefile", "kernel/kernel.ld", "user/user.ld")


def replaceable(dst, src):
    if os.path.realpath(dst) == os.path.realpath(src):
        return False
    return not os.listdir(dst) or os.path.exists(os.path.join(dst, STAMP))


def differs(src, dst, rel):
    a, b = os.path.join(src, rel), os.path.join(dst, rel)
    return not os.path.exists(b) or not filecmp.cmp(a, b, shallow=False)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: tools/gradetree.py DIR")
    src, dst = variants.REPO, os.path.abspath(sys.argv[1])
    if os.path.exists(dst):
        if not replaceable(dst, src):
            sys.exit("gradetree: %s is not an earlier copy (no %s); not replacing it"
                     % (dst, STAMP))
        if any(differs(src, dst, rel) for rel in BUILD_RULES if os.path.exists(os.path.join(src, rel))):
            shutil.rmtree(dst)
    if not os.path.exists(dst):
        os.makedirs(dst)
        with open(os.path.join(dst, STAMP), "w") as f:
            f.write("written by tools/gradetree.py for `make grade`; kept up to date on every run\n")
    copied = sources.source_files(src, [dst])
    for rel in copied:
        if differs(src, dst, rel):
            os.makedirs(os.path.join(dst, os.path.dirname(rel)), exist_ok=True)
            shutil.copyfile(os.path.join(src, rel), os.path.join(dst, rel))   # mtime: now
            shutil.copymode(os.path.join(src, rel), os.path.join(dst, rel))
    for rel in set(sources.source_files(dst, [os.path.join(dst, STAMP)])) - set(copied):
        os.remove(os.path.join(dst, rel))
    return 0


if __name__ == "__main__":
    sys.exit(main())
