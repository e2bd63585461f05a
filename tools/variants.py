"""variants.py: the lab's assignment variants, and which one a tree is.

VARIANTS names each assignment, what the student writes in it, the files
they write it in (the files they submit) and the card they drive (the
Makefile's NIC).  A handout records its variant in VARIANT_FILE, where the
grader, `make zipball` and the Gradescope autograder read it; the solution
tree has none and counts as the default.  tools/handout.py writes handouts
from this list; this module ships in them, that one does not.
"""

import os

TOOLS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TOOLS)

# name -> (what the student writes, the files they write it in, the card).
# The first is the default.
VARIANTS = {
    "e1000": ("the e1000 driver", ("kernel/e1000.c",), "e1000"),
    "udp": ("the e1000 driver and the UDP receive path",
            ("kernel/e1000.c", "kernel/socket.c"), "e1000"),
    "virtio": ("the virtio-net driver", ("kernel/virtio_net.c",), "virtio"),
}
DEFAULT_VARIANT = "e1000"
VARIANT_FILE = "tools/variant"   # in a handout: its variant's name


class TreeError(Exception):
    """A tree's own files say something these tools cannot take (an unknown
    variant, a .gitignore rule they do not support)."""


def tree_variant(tree):
    """The variant of a handout tree (VARIANT_FILE), the default for the
    solution tree, which has none."""
    try:
        with open(os.path.join(tree, VARIANT_FILE)) as f:
            name = f.read().strip()
    except OSError:
        return DEFAULT_VARIANT
    if name not in VARIANTS:
        raise TreeError("%s: unknown variant %r" % (VARIANT_FILE, name))
    return name
