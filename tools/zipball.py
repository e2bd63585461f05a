#!/usr/bin/env python3
"""zipball.py: pack the files you write in this lab into submission.zip, to upload to Gradescope.

    tools/zipball.py [-o FILE]

`make zipball` runs it.  The files are those of the tree's assignment
variant (tools/variant; tools/variants.py lists each variant's files), at
their paths in the tree (kernel/e1000.c ...): the autograder takes only
those from a submission.
"""

import argparse
import os
import sys
import zipfile

import variants


def main():
    ap = argparse.ArgumentParser(description="Pack the files you write into a zip to submit.")
    ap.add_argument("-o", "--out", default=os.path.join(variants.REPO, "submission.zip"),
                    help="the zip to write (default: %(default)s)")
    args = ap.parse_args()
    try:
        variant = variants.tree_variant(variants.REPO)
    except variants.TreeError as e:
        sys.exit("zipball: %s" % e)
    files = variants.VARIANTS[variant][1]
    missing = [rel for rel in files if not os.path.isfile(os.path.join(variants.REPO, rel))]
    if missing:
        sys.exit("zipball: %s missing; nothing written" % ", ".join(missing))
    tmp = args.out + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for rel in files:
            z.write(os.path.join(variants.REPO, rel), rel)
    os.replace(tmp, args.out)
    print("zipball: wrote %s with %s (variant %s): upload it to Gradescope"
          % (os.path.relpath(args.out), ", ".join(files), variant))
    return 0


if __name__ == "__main__":
    sys.exit(main())
