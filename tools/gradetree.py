#!/usr/bin/env python3
"""gradetree.py: copy the tree's sources, without build output, into a fresh directory for `make grade`.

    tools/gradetree.py DIR

`make grade` builds and grades that copy, so a `make qemu` running in the
tree keeps its kernel and fs.img.  DIR is emptied first; to make sure that
is never anything but an earlier copy, a directory that is neither empty
nor marked with STAMP is refused.  What counts as a source is what the
handout generator copies: everything but .git, what .gitignore names and ELF
files (tools/handout.py, source_files()).
"""

import os
import shutil
import sys

import handout

STAMP = ".gradetree"   # marks a directory this script wrote


def replaceable(dst, src):
    if os.path.realpath(dst) == os.path.realpath(src):
        return False
    return not os.listdir(dst) or os.path.exists(os.path.join(dst, STAMP))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: tools/gradetree.py DIR")
    src, dst = handout.REPO, os.path.abspath(sys.argv[1])
    if os.path.exists(dst):
        if not replaceable(dst, src):
            sys.exit("gradetree: %s is not an earlier copy (no %s); not replacing it"
                     % (dst, STAMP))
        shutil.rmtree(dst)
    os.makedirs(dst)
    with open(os.path.join(dst, STAMP), "w") as f:
        f.write("written by tools/gradetree.py for `make grade`; replaced on every run\n")
    for rel in handout.source_files(src, [dst]):
        os.makedirs(os.path.join(dst, os.path.dirname(rel)), exist_ok=True)
        shutil.copy2(os.path.join(src, rel), os.path.join(dst, rel))
    return 0


if __name__ == "__main__":
    sys.exit(main())
