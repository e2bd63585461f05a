"""test_docs.py: the documentation holds together: README is short and reaches every doc, every link resolves, constants quoted agree with the code."""

import glob
import os
import re

from run_tests import test, REPO

README_MAX_LINES = 150
LINK_RE = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING_RE = re.compile(r"^#{1,6} (.*)$", re.M)
# "`NSOCK` (64)" and "64 (`SOCK_QUEUE_MAX`)": a kernel constant quoted with its value.
CONST_RES = (re.compile(r"`([A-Z][A-Z0-9_]+)` \((\d[\d,]*)\)"),
             re.compile(r"(\d[\d,]*) \(`([A-Z][A-Z0-9_]+)`\)"))
DEFINE_RE = re.compile(r"^#define\s+([A-Z][A-Z0-9_]+)\s+(\d+)\b", re.M)


def docs():
    """The project's documentation files, relative to the repository."""
    files = ["README.md", "LAB.md", "bench/README.md"] + \
        sorted(os.path.relpath(p, REPO) for p in glob.glob(os.path.join(REPO, "docs", "*.md")))
    return [f for f in files if os.path.exists(os.path.join(REPO, f))]


def anchor(heading):
    """The anchor a forge gives a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def read(rel):
    with open(os.path.join(REPO, rel)) as f:
        return f.read()


@test("docs", "README.md is at most 150 lines and links every doc; every relative link and anchor in the docs resolves; kernel constants quoted with a value match the code")
def docs_hold(t):
    readme = read("README.md")
    n = readme.count("\n")
    t.step("README.md: %d lines" % n)
    t.check(n <= README_MAX_LINES, "README.md has %d lines, more than %d: move the text to docs/"
            % (n, README_MAX_LINES))
    linked = {os.path.normpath(m.split("#")[0]) for m in LINK_RE.findall(readme)}
    for rel in docs():
        if rel != "README.md":
            t.check(rel in linked, "README.md does not link %s" % rel)

    broken = []
    for rel in docs():
        for target in LINK_RE.findall(read(rel)):
            if re.match(r"[a-z]+:", target):
                continue                 # a URL, not a file of ours
            path, _, frag = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(rel), path)) if path else rel
            if not os.path.exists(os.path.join(REPO, dest)):
                broken.append("%s: %s (no such file)" % (rel, target))
            elif frag and dest.endswith(".md") and \
                    frag not in {anchor(h) for h in HEADING_RE.findall(read(dest))}:
                broken.append("%s: %s (no such heading in %s)" % (rel, target, dest))
    t.step("links checked in %s" % ", ".join(docs()))
    t.check(not broken, "links that lead nowhere:\n  " + "\n  ".join(broken))

    defines = {}
    for h in glob.glob(os.path.join(REPO, "kernel", "*.[ch]")):
        with open(h) as f:
            defines.update(DEFINE_RE.findall(f.read()))
    quoted = []
    for rel in docs():
        text = " ".join(read(rel).split())
        quoted += [(rel, name, value) for name, value in CONST_RES[0].findall(text)]
        quoted += [(rel, name, value) for value, name in CONST_RES[1].findall(text)]
    t.step("constants quoted: %s" % ", ".join("%s=%s" % (n, v) for _, n, v in quoted))
    for rel, name, value in quoted:
        t.check(name in defines, "%s quotes %s, which no kernel file defines as a number"
                % (rel, name))
        t.check(defines[name] == value.replace(",", ""), "%s says %s is %s; the kernel says %s"
                % (rel, name, value, defines[name]))
