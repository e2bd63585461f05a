#!/usr/bin/env python3
"""compdb.py: write compile_commands.json, so that clangd and editors find definitions.

    tools/compdb.py CC "CFLAGS" HOSTCC "HOSTCFLAGS" > compile_commands.json

`make compile_commands.json` runs it with the Makefile's compilers and flags:
one entry per C file of the kernel and the user programs (as the Makefile
compiles them), and mkfs/mkfs.c with the host compiler (HOSTCC).
"""

import glob
import json
import os
import shlex
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def entry(args, src):
    obj = os.path.splitext(src)[0] + ".o"
    return {"directory": REPO, "file": os.path.join(REPO, src),
            "arguments": args + ["-c", "-o", obj, src]}


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: tools/compdb.py CC CFLAGS HOSTCC HOSTCFLAGS")
    cross = [sys.argv[1]] + shlex.split(sys.argv[2])
    host = [sys.argv[3]] + shlex.split(sys.argv[4])
    sources = sorted(os.path.relpath(p, REPO) for d in ("kernel", "user")
                     for p in glob.glob(os.path.join(REPO, d, "*.c")))
    entries = [entry(cross, src) for src in sources]
    entries.append(entry(host, "mkfs/mkfs.c"))
    json.dump(entries, sys.stdout, indent=1)
    sys.stdout.write("\n")


main()
