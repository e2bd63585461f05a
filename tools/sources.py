"""sources.py: which files of a tree are its sources (not .git, not build output, no ELF file).

The handout generator copies them (tools/handout.py), `make grade` keeps a
copy of them (tools/gradetree.py).  Build output is what .gitignore names,
read by Ignore (the subset of its rules this tree uses).
"""

import fnmatch
import os

from variants import TreeError

ELF_MAGIC = b"\x7fELF"


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
                    raise TreeError(".gitignore: negation (%s) is not supported" % pat)
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
