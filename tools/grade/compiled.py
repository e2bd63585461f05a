"""compiled.py: the device model the grader builds on the host, and the kernel's compiled code.

driver-tx and driver-rx build tools/e1000sim.c with the tree's e1000.c
under AddressSanitizer and read its verdict; objdump shows the fences and
calls in the driver's object as the Makefile builds it (a missing barrier
shows there, not in a model built at -O1); addr2line names the function of
a faulting kernel address.
"""

import os
import re
import shutil
import subprocess

import qemu
from grade import REPO

# Full stacks in AddressSanitizer's reports: the fast unwinder stops at
# malloc's caller, which hides the driver line that freed a buffer.
ASAN_OPTIONS = "fast_unwind_on_malloc=0:malloc_context_size=12:symbolize=1"
ASAN_FRAMES = 6          # of each stack in a report, from the top


def compile_sim(workdir):
    """Build tools/e1000sim.c with the tree's driver; (path, None) or (None, error)."""
    exe = os.path.join(workdir, "e1000sim")
    cc = os.environ.get("HOSTCC") or shutil.which("cc") or shutil.which("gcc")
    if not cc:
        return None, "no host C compiler (cc) found"
    src = [os.path.join(REPO, p) for p in ("tools/e1000sim.c", "kernel/e1000.c", "kernel/mbuf.c")]
    base = [cc, "-std=gnu17", "-O1", "-g", "-DNETPORT_HOST", "-I" + os.path.join(REPO, "kernel"),
            "-pthread", "-o", exe] + src
    err = ""
    # Sanitizers catch a driver that writes past its rings; not every host has them.
    for extra in (["-fsanitize=address,undefined", "-fno-sanitize-recover=all"], []):
        res = subprocess.run(base + extra, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             universal_newlines=True)
        if res.returncode == 0:
            return exe, None
        err = err or res.stdout
    return None, err.strip()


def asan_summary(out):
    """(what happened, the report's first lines) from an AddressSanitizer
    report in out, or None.  The lines are the access and the first frames
    of each stack: where it happened, where the memory was freed, where it
    was allocated; what happened names the driver's line that freed it."""
    m = re.search(r"ERROR: AddressSanitizer: ([\w-]+)", out)
    if m is None:
        return None
    what, shown, section, frames_left = m.group(1), [], "", 0
    culprit = None
    for line in out[m.end():].split("\n")[1:]:
        text = line.strip().replace(REPO + os.sep, "")
        if re.match(r"(READ|WRITE) of size|freed by thread|previously allocated by", text):
            shown.append(text)
            section, frames_left = text, ASAN_FRAMES
        elif text.startswith("#") and frames_left:
            frames_left -= 1
            # "#3 0x55d1 in e1000_transmit kernel/e1000.c:201" -> "#3 e1000_transmit kernel/e1000.c:201"
            f = re.match(r"#(\d+) 0x[0-9a-f]+ in (\S+) (\S+)", text)
            shown.append("  " + ("#%s %s %s" % f.groups() if f else text))
            if f and culprit is None and section.startswith("freed") and \
                    f.group(3).startswith("kernel/e1000.c:"):
                culprit = " (freed at %s, in %s())" % (f.group(3), f.group(2))
        elif text.startswith("SUMMARY:"):
            break
    return what + (culprit or ""), "\n".join(shown)


def kernel_function(addr):
    """The name of the kernel function holding addr (kernel/kernel as built), or None."""
    tool = objdump_tool()
    if tool is None:
        return None
    try:
        out = subprocess.run([tool[:-len("objdump")] + "addr2line", "-f", "-e",
                              os.path.join(REPO, "kernel", "kernel"), "0x%x" % addr],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             universal_newlines=True, timeout=10).stdout.split("\n")
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out[0] if out and re.match(r"^\w+$", out[0]) and out[0] != "??" else None


def objdump_tool():
    for p in ("riscv64-unknown-elf-", "riscv64-linux-gnu-", "riscv64-elf-"):
        exe = shutil.which(p + "objdump")
        if exe:
            return exe
    return None


def compiled_code(source, fns):
    """{function: (fence instructions, functions it calls)} for the given
    functions of a driver, from its object file as the Makefile builds it
    (the kernel's own compiler and flags: a barrier's absence shows there,
    not in a device model built by the host compiler at -O1).  A function
    missing from the object is missing from the result; {} if the object
    cannot be built or read."""
    obj = os.path.splitext(source)[0] + ".o"
    res = subprocess.run(["make", "-s", "-C", REPO, obj], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, universal_newlines=True, env=qemu.make_env())
    tool = objdump_tool()
    if res.returncode != 0 or tool is None:
        return {}
    found = {}
    for fn in fns:
        dis = subprocess.run([tool, "-dr", "--no-show-raw-insn", "--disassemble=" + fn,
                              os.path.join(REPO, obj)],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             universal_newlines=True).stdout
        if "<%s>:" % fn in dis:
            insns = [int(a, 16) for a in re.findall(r"^\s*([0-9a-f]+):\s+[a-z]", dis, re.M)]
            fences = len(re.findall(r"^\s*[0-9a-f]+:\s+fence\b", dis, re.M))
            # objdump lists the section's relocations from its start: keep
            # the calls made from the function's own addresses.
            calls = {name for at, name in
                     re.findall(r"^\s*([0-9a-f]+): R_RISCV_CALL(?:_PLT)?\s+(\w+)", dis, re.M)
                     if insns and min(insns) <= int(at, 16) <= max(insns)}
            found[fn] = (fences, calls)
    return found
