#!/usr/bin/env python3
"""gradescope.py: write the Gradescope autograder bundle for one assignment variant.

    tools/gradescope.py [--lab VARIANT] [-o FILE]

`make gradescope [LAB=VARIANT]` runs it and writes gradescope.zip
(gradescope-VARIANT.zip for a variant other than the default), to upload as
a programming assignment's autograder.  Its layout, as Gradescope expects:

    setup.sh          installs the tools on the base image (Ubuntu 24.04)
    run_autograder    grades /autograder/submission, writes results.json
    xv6-net/          the variant's handout tree (tools/handout.py)

Gradescope unpacks it into /autograder/source, runs setup.sh once when it
builds the image, and run_autograder (copied to /autograder/run_autograder)
for every submission.  run_autograder takes only the variant's student files
from the submission (tools/variants.py VARIANTS); the handout's own copy of
them is replaced, the rest of the tree is the reference.
"""

import argparse
import os
import shutil
import stat
import sys
import tempfile
import zipfile

import handout
import variants

HERE = os.path.join(variants.TOOLS, "gradescope")
SCRIPTS = ("setup.sh", "run_autograder")
TREE = "xv6-net"          # the reference tree's directory in the bundle
EXECUTABLE = 0o755


def bundle_name(variant):
    return "gradescope.zip" if variant == variants.DEFAULT_VARIANT else \
        "gradescope-%s.zip" % variant


def add(z, path, arcname, mode):
    info = zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    with open(path, "rb") as f:
        z.writestr(info, f.read())


def write_bundle(variant, out):
    work = tempfile.mkdtemp(prefix="gradescope-")
    try:
        tree = os.path.join(work, TREE)
        files, _ = handout.write_handout(variants.REPO, tree, variant, [out])
        tmp = out + ".tmp"
        with zipfile.ZipFile(tmp, "w") as z:
            for name in SCRIPTS:
                add(z, os.path.join(HERE, name), name, EXECUTABLE)
            for rel in files:
                full = os.path.join(tree, rel)
                add(z, full, os.path.join(TREE, rel), os.stat(full).st_mode & 0o777)
        os.replace(tmp, out)
        return len(files)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description="Write the Gradescope autograder bundle.")
    ap.add_argument("--lab", default=variants.DEFAULT_VARIANT, choices=sorted(variants.VARIANTS),
                    help="the assignment variant (default: %(default)s)")
    ap.add_argument("-o", "--out", help="the zip (default: gradescope.zip in the tree, "
                    "gradescope-VARIANT.zip for another variant)")
    args = ap.parse_args()
    out = os.path.abspath(args.out or os.path.join(variants.REPO, bundle_name(args.lab)))
    try:
        n = write_bundle(args.lab, out)
    except variants.TreeError as e:
        sys.exit("gradescope: %s" % e)
    print("gradescope: wrote %s: setup.sh, run_autograder and the %s handout (%d files); "
          "students submit %s" % (os.path.relpath(out), args.lab, n,
                                  ", ".join(variants.VARIANTS[args.lab][1])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
