"""The grader's machinery, which grade-lab-net (the table of tests, its cards and main) imports.

    hints.py     HINTS: what a symptom usually means (read beside LAB.md)
    grader.py    Grader: runs the tests, reports each, explains failures
    capture.py   the capture's frames checked against the lab's rules
    hang.py      a panic's line, a hung kernel's stacks (gdb)
    compiled.py  the device model built on the host; the kernel's compiled
                 code (objdump, addr2line)

Frames are read and taken apart by test/frames.py, which the tests share.
"""

import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
