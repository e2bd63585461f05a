"""test_grade.py: the autograder and the handout: pcap checks, broken drivers, the handout's build and score, the solution's M/M."""

import importlib.machinery
import importlib.util
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time

import qemu
from netpeer import checksum as csum
from run_tests import REPO, test

GRADER = os.path.join(REPO, "grade-lab-net")
# Points a student gets before writing any code: these need no driver.
NO_CODE_TESTS = ("boot", "usertests")
SCORE_RE = re.compile(r"^Score: (\d+)/(\d+)$", re.M)
GRADE_TIMEOUT = 400
BUILD_TIMEOUT = 300
COPY_IGNORE = shutil.ignore_patterns(".git", ".grade", "handout", "logs", "__pycache__",
                                     "packets*.pcap", "*.tar.gz")


def load_grader():
    """grade-lab-net as a module (it has no .py suffix)."""
    loader = importlib.machinery.SourceFileLoader("grade_lab_net", GRADER)
    spec = importlib.util.spec_from_loader("grade_lab_net", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def sh(t, args, cwd, timeout, what):
    """Run a command, record it, return its output; fail on a bad status."""
    t.step("%s$ %s" % (os.path.basename(cwd), " ".join(args)))
    try:
        res = subprocess.run(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             universal_newlines=True, timeout=timeout, env=qemu.make_env())
    except subprocess.TimeoutExpired as e:
        t.check(False, "%s took over %ds:\n%s" % (what, timeout, (e.output or "")[-2000:]))
    return res


def grade(t, tree, names=(), timeout=GRADE_TIMEOUT, make=False):
    """Run a tree's grader, or its `make grade` (a clean build first);
    (output, score, max, results.json)."""
    out_json = os.path.join(tree, "results.json")
    flags = ["--json", out_json, "--keep", tree] + list(names)
    if make:
        args = ["make", "grade", "GRADEFLAGS=" + " ".join(flags)]
    else:
        args = [sys.executable, os.path.join(tree, "grade-lab-net")] + flags
    res = sh(t, args, tree, timeout, " ".join(args[:2]))
    m = SCORE_RE.search(res.stdout)
    t.check(m, "%s printed no score:\n%s" % (" ".join(args[:2]), res.stdout[-3000:]))
    with open(out_json) as f:
        doc = json.load(f)
    return res.stdout, int(m.group(1)), int(m.group(2)), doc


def check_results_json(t, doc, score, total):
    """Gradescope's results.json: the keys and types its documentation names."""
    t.check(isinstance(doc, dict), "results.json is not an object")
    for key, typ in (("score", (int, float)), ("max_score", (int, float)),
                     ("execution_time", (int, float)), ("output", str), ("tests", list)):
        t.check(isinstance(doc.get(key), typ), "results.json: %r missing or not %s"
                % (key, typ))
    t.check(doc["score"] == score and doc["max_score"] == total,
            "results.json says %s/%s, the grader printed %d/%d"
            % (doc["score"], doc["max_score"], score, total))
    for case in doc["tests"]:
        for key, typ in (("name", str), ("score", (int, float)), ("max_score", (int, float)),
                         ("output", str), ("status", str)):
            t.check(isinstance(case.get(key), typ), "results.json test %r: %r missing or "
                    "not %s" % (case.get("name"), key, typ))
        t.check(case["status"] in ("passed", "failed"), "status %r" % case["status"])
    t.check(sum(c["score"] for c in doc["tests"]) == score,
            "results.json: the tests' scores do not add up to the total")


def copy_tree(dst):
    shutil.copytree(REPO, dst, ignore=COPY_IGNORE, symlinks=True)
    return dst


# ---- synthetic captures: the grader's own frame checks -------------------------------------

GUEST_MAC = bytes.fromhex("525400123456")
SLIRP_MAC = bytes.fromhex("52550a000202")
GUEST = bytes([10, 0, 2, 15])
GW = bytes([10, 0, 2, 2])


def eth(dst, src, etype, payload, pad=True):
    frame = dst + src + struct.pack("!H", etype) + payload
    return frame + b"\0" * (60 - len(frame)) if pad and len(frame) < 60 else frame


def ipv4(src, dst, proto, body, bad_sum=False):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 1, 0, 64, proto, 0, src, dst)
    s = csum(hdr) ^ (0x5555 if bad_sum else 0)
    return hdr[:10] + struct.pack("!H", s) + hdr[12:] + body


def udp(src, dst, sport, dport, data, bad_sum=False):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    pseudo = src + dst + struct.pack("!BBH", 0, 17, len(seg))
    s = (csum(pseudo + seg) or 0xFFFF) ^ (0x1111 if bad_sum else 0)
    return ipv4(src, dst, 17, seg[:6] + struct.pack("!H", s) + seg[8:])


def icmp_echo(src, dst, typ, seq):
    msg = struct.pack("!BBHHH", typ, 0, 0, 7, seq) + b"ping-data"
    msg = msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]
    return ipv4(src, dst, 1, msg)


def long_ip_len(packet):
    """The IPv4 packet claiming more bytes than there are."""
    return packet[:2] + struct.pack("!H", 1000) + packet[4:]


def arp(op, sha, spa, tha, tpa, hln=6):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, hln, 4, op, sha, spa, tha, tpa)


def write_capture(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1000, i * 1000, len(fr), len(fr)) + fr)


GOOD = [
    eth(b"\xff" * 6, GUEST_MAC, 0x0806, arp(1, GUEST_MAC, GUEST, b"\0" * 6, GW)),
    eth(GUEST_MAC, SLIRP_MAC, 0x0806, arp(2, SLIRP_MAC, GW, GUEST_MAC, GUEST), pad=False),
    eth(SLIRP_MAC, GUEST_MAC, 0x0800, udp(GUEST, GW, 2000, 25099, b"hello")),
    eth(GUEST_MAC, SLIRP_MAC, 0x0800, udp(GW, GUEST, 25099, 2000, b"hello back")),
    eth(SLIRP_MAC, GUEST_MAC, 0x0800, icmp_echo(GUEST, GW, 8, 1)),
    eth(GUEST_MAC, SLIRP_MAC, 0x0800, icmp_echo(GW, GUEST, 0, 1)),
]

# (frame, the field the grader must name)
BAD = [
    (eth(SLIRP_MAC, GUEST_MAC, 0x0800, udp(GUEST, GW, 2000, 9, b"x"), pad=False), "length"),
    (eth(SLIRP_MAC, GUEST_MAC, 0x0800, udp(GUEST, GW, 2000, 9, b"x", bad_sum=True)),
     "udp.checksum"),
    (eth(SLIRP_MAC, GUEST_MAC, 0x0800, ipv4(GUEST, GW, 17, b"\0" * 12, bad_sum=True)),
     "ip.checksum"),
    (eth(SLIRP_MAC, GUEST_MAC, 0x0800, udp(GUEST, bytes([8, 8, 8, 8]), 2000, 53, b"q")),
     "ip.dst"),
    (eth(b"\xff" * 6, GUEST_MAC, 0x0806, arp(1, GUEST_MAC, GUEST, b"\0" * 6, GW, hln=4)),
     "arp.hln"),
    (eth(b"\xff" * 6, GUEST_MAC, 0x0806, arp(1, GUEST_MAC, GUEST, b"\0" * 6,
                                             bytes([10, 0, 2, 3]))), "arp.tpa"),
    (eth(SLIRP_MAC, GUEST_MAC, 0x0800, long_ip_len(ipv4(GUEST, GW, 17, b"\0" * 12))), "ip.len"),
]


@test("grade-pcap", "the grader's frame checks pass good captures and name the frame and field of bad ones")
def grade_pcap(t):
    g = load_grader()
    work = tempfile.mkdtemp(prefix="grade-pcap-")
    try:
        path = os.path.join(work, "good.pcap")
        write_capture(path, GOOD)
        frames, _ = g.read_pcap(path)
        t.check(len(frames) == len(GOOD), "read %d frames of %d" % (len(frames), len(GOOD)))
        bad = g.check_frames(frames, g.DEFAULT_MAC)
        t.check(not bad, "good frames flagged:\n" + "\n".join(g.frame_line(f) for f in bad))
        t.check(sum(f.outgoing for f in frames) == 3, "direction by source MAC")
        if shutil.which("tshark"):
            t.check(not g.tshark_problems(path), "tshark flags the good capture: %s"
                    % g.tshark_problems(path))

        for frame, field in BAD:
            path = os.path.join(work, "bad.pcap")
            write_capture(path, GOOD[:2] + [frame] + GOOD[2:])
            frames, _ = g.read_pcap(path)
            bad = g.check_frames(frames, g.DEFAULT_MAC)
            t.step("bad %s: %s" % (field, "; ".join(g.frame_line(f) for f in bad)))
            t.check([f.number for f in bad] == [3],
                    "the broken frame is #3; flagged: %s" % [f.number for f in bad])
            t.check(any(p.startswith(field + ":") for p in bad[0].problems),
                    "frame 3 should be blamed on %s, got %s" % (field, bad[0].problems))
            if shutil.which("tshark") and field.endswith("checksum"):
                t.check(3 in (g.tshark_problems(path) or {}),
                        "tshark does not flag frame 3's %s" % field)

        with open(path, "rb") as f:
            blob = f.read()
        with open(path, "wb") as f:
            f.write(blob[:-7])
        try:
            g.read_pcap(path)
            t.check(False, "a capture cut in the middle of a frame was read without error")
        except g.PcapError as e:
            t.step("cut capture: %s" % e)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---- the handout ---------------------------------------------------------------------------

MARKER_RE = re.compile(r"^\s*// (>>>|===|<<<) \w+\s*$", re.M)


def solution_lines(tree):
    """Lines of marked solutions that occur nowhere else in the tree's C files."""
    inside, outside = set(), set()
    for dirpath, _, files in os.walk(tree):
        if os.path.relpath(dirpath, tree).split(os.sep)[0] in (".git", "handout"):
            continue
        for name in files:
            if not name.endswith((".c", ".h", ".S")):
                continue
            state = None
            with open(os.path.join(dirpath, name), encoding="utf-8") as f:
                for line in f:
                    m = MARKER_RE.match(line)
                    if m:
                        state = {">>>": "sol", "===": "stub", "<<<": None}[m.group(1)]
                        continue
                    (inside if state == "sol" else outside).add(line.strip())
    return {l for l in inside - outside if len(l) > 3}


def scan_handout(t, out, secret):
    for dirpath, _, files in os.walk(out):
        for name in files:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, out)
            t.check(not rel.endswith((".o", ".d", ".asm")) and rel not in ("fs.img", "kernel/kernel"),
                    "build output in the handout: %s" % rel)
            try:
                with open(path, encoding="utf-8") as f:
                    text = f.read()
            except UnicodeDecodeError:
                t.check(False, "a binary file in the handout: %s" % rel)
            if rel.endswith((".c", ".h", ".S")):   # the docs show the syntax
                t.reject(text, MARKER_RE.pattern, "marker in handout file %s" % rel)
            for line in text.splitlines():
                t.check(line.strip() not in secret,
                        "solution line in handout file %s: %r" % (rel, line.strip()))


@test("handout", "make handout: no solution, builds with -Werror, boots, nettests fails cleanly, grade gives only the no-code points")
def handout(t):
    secret = solution_lines(REPO)
    t.check(len(secret) >= 10, "found only %d solution lines in the tree" % len(secret))
    work = tempfile.mkdtemp(prefix="grade-handout-")
    try:
        out, tar = os.path.join(work, "xv6-net"), os.path.join(work, "xv6-net.tar.gz")
        res = sh(t, [sys.executable, "tools/handout.py", "-o", out, "--tar", tar], REPO, 60,
                 "tools/handout.py")
        t.check(res.returncode == 0, "tools/handout.py failed:\n" + res.stdout)
        scan_handout(t, out, secret)
        with tarfile.open(tar) as tf:
            names = tf.getnames()
        t.check("xv6-net/kernel/e1000.c" in names and "xv6-net/LAB.md" in names,
                "the tarball lacks the lab files")

        with open(os.path.join(out, "Makefile")) as f:
            t.check("-Werror" in f.read(), "the handout's Makefile does not build with -Werror")

        # make grade: a clean build (with -Werror), then the grader.
        graded = load_grader().BY_NAME
        expected = sum(graded[n].points for n in NO_CODE_TESTS)
        total = sum(x.points for x in graded.values())
        output, got, top, doc = grade(t, out, timeout=GRADE_TIMEOUT + BUILD_TIMEOUT, make=True)
        t.transcript.append("  " + output.strip().replace("\n", "\n  ")[-4000:])
        t.check(top == total and got == expected,
                "the handout scored %d/%d; expected %d/%d (%s only)"
                % (got, top, expected, total, " and ".join(NO_CODE_TESTS)))
        check_results_json(t, doc, got, top)
        t.reject(output, r"\bpanic: ", "the handout's kernel during grading")
        t.expect(output, r"hint: ", "hints on the handout's failures")

        # make grade built and graded a copy of its own; the student's tree
        # is built as a student would, then booted.
        res = sh(t, ["make", "-s", "all"], out, BUILD_TIMEOUT, "make")
        t.check(res.returncode == 0, "the handout did not build:\n" + res.stdout[-2000:])
        t.step("boot the handout")
        fwd = qemu.free_ports(2, "udp")
        isolated = {"FWDPORT": fwd[0], "FWDPORT2": fwd[1],
                    "PCAP": os.path.join(work, "boot.pcap")}
        g = qemu.Guest(qemu.qemu_command(isolated, repo=out), cwd=out, echo=t.verbose)
        t.guests.append(g)
        g.wait_prompt(60)
        t.check("e1000" in g.text, "the handout's kernel does not report the e1000")
        cmd = "nettests -p %d txone" % qemu.free_port("udp")
        t.step("$ " + cmd)
        res_out = g.run(cmd, 60)
        t.transcript.append("  " + res_out.strip().replace("\n", "\n  "))
        t.expect(res_out, r"testing txone: FAILED", "nettests txone failing on the stub driver")
        t.check(not g.panicked(), "the handout's kernel panicked: %s" % g.panicked())
        t.note("handout: %d files, scores %d/%d" % (len(names), got, top))
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---- broken drivers lose points with the matching hint ----------------------------------------

# name: (edits to the reference kernel/e1000.c, failing test, hint key)
BROKEN = {
    "no ring-full check": (
        [("  if((d->status & E1000_TXD_STAT_DD) == 0){\n    release(&e1000_lock);\n"
          "    return -1;\n  }\n", "")], "driver-tx", "ring-full"),
    "RX starts at RDT": (
        [("uint i = (tail + 1) % RX_RING_SIZE;", "uint i = tail;")], "driver-rx", "rx-start"),
    "DD not cleared": (
        [("      d->status = 0;\n      tail = i;", "      tail = i;")], "driver-rx",
        "dd-not-cleared"),
    "RDT not updated": (
        [("    wr(E1000_RDT, tail);\n", "")], "driver-rx", "rdt"),
    "no barrier before TDT": (
        [("  d->status = 0;\n  __sync_synchronize();\n  tx_next", "  d->status = 0;\n  tx_next")],
        "driver-tx", "barrier-tx"),
    "mbuf freed right after TDT": (
        [("  wr(E1000_TDT, tx_next);\n  release(&e1000_lock);\n  return 0;",
          "  wr(E1000_TDT, tx_next);\n  mbuf_free(m);\n  tx_mbufs[i] = 0;\n"
          "  release(&e1000_lock);\n  return 0;")], "driver-tx", "use-after-free"),
    "no barrier in e1000_recv": (
        [("      __sync_synchronize();   // read the rest of d only after seeing DD\n", ""),
         ("    __sync_synchronize();     // the slots are ready before the device sees them\n", "")],
        "driver-rx", "barrier-rx"),
    "lock held across eth_input": (
        [("  struct mbuf *m, *fresh;\n", "  struct mbuf *m, *fresh;\n\n  acquire(&e1000_lock);\n"),
         ("    wr(E1000_RDT, tail);\n  }\n", "    wr(E1000_RDT, tail);\n  }\n  release(&e1000_lock);\n")],
        "driver-rx", "lock-held"),
}


def reference_driver():
    with open(os.path.join(REPO, "kernel", "e1000.c")) as f:
        return f.read()


def broken_driver(t, what, edits):
    """The reference e1000.c with BROKEN's edits for `what`."""
    text = reference_driver()
    for old, new in edits:
        t.check(text.count(old) == 1, "%s: the reference e1000.c no longer contains "
                "%r exactly once; update BROKEN" % (what, old))
        text = text.replace(old, new)
    return text


@test("grade-broken", "deliberately broken drivers each lose points with the matching hint")
def grade_broken(t):
    g = load_grader()
    work = tempfile.mkdtemp(prefix="grade-broken-")
    try:
        tree = copy_tree(os.path.join(work, "tree"))
        for what, (edits, loser, key) in BROKEN.items():
            text = broken_driver(t, what, edits)
            with open(os.path.join(tree, "kernel", "e1000.c"), "w") as f:
                f.write(text)
            output, got, top, _ = grade(t, tree, ["driver-tx", "driver-rx"], 120)
            lost = [n for n in ("driver-tx", "driver-rx")
                    if re.search(r"^%s: OK" % re.escape(g.BY_NAME[n].label), output, re.M) is None]
            t.check(lost == [loser], "%s: expected only %s to fail, failed: %s\n%s"
                    % (what, loser, lost, output))
            t.check(g.HINTS[key] in output,
                    "%s: the hint for %s is missing:\n%s" % (what, key, output))
            if key == "use-after-free":
                t.expect(output, r"freed at kernel/e1000\.c:\d+, in e1000_transmit\(\)",
                         "%s: the driver line that freed the mbuf" % what)
            t.step("%s: %d/%d, hint %s" % (what, got, top, key))
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---- broken drivers in a booted guest ----------------------------------------------------

def handout_region(text, start):
    """text with the solution region that follows `start` replaced by its
    stub, as the handout has it."""
    at = text.index(start)
    stubbed, _ = load_handout().strip_solutions(text[at:], "kernel/e1000.c")
    return text[:at] + stubbed


def load_handout():
    loader = importlib.machinery.SourceFileLoader("handout", os.path.join(REPO, "tools", "handout.py"))
    spec = importlib.util.spec_from_loader("handout", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


# name: (how to break the reference e1000.c: BROKEN's name for its edits, or
#        a function of the text; the tests to grade (None: all);
#        {test: (expected status, hint key or None)} for the tests that fail).
GUEST_BROKEN = {
    "transmit-only driver": (
        lambda ref: handout_region(ref, "void\ne1000_recv(void)"), None,
        {"driver-rx": ("FAIL", "rx-none"), "rxone": ("FAIL", "no-rx")}),
    "no barrier before TDT": (
        "no barrier before TDT", ["driver-tx", "txone"],
        {"driver-tx": ("FAIL", "barrier-tx"), "txone": ("FAIL", "no-tx-barrier")}),
    "DD never cleared": (
        "DD not cleared", ["driver-rx", "burst"],
        {"driver-rx": ("FAIL", "dd-not-cleared"), "burst": ("HANG", "stuck-recv")}),
    # The first reply that goes out from inside eth_input() (the ARP exchange
    # of nettests' probe of server.py, so in txone's time) panics; free then
    # runs in a fresh guest and must not count.
    "lock held across eth_input": (
        "lock held across eth_input", ["txone", "rxone", "free"],
        {"txone": ("FAIL", "panic-lock"), "rxone": ("FAIL", "panic-lock"),
         "free": ("FAIL", None)}),
}
RESULT_RE = re.compile(r"^(?P<label>[^\n]+): (?P<status>OK|FAIL|HANG) \((?P<secs>[\d.]+)s\)\n"
                       r"(?P<details>(?:    [^\n]*\n)*)", re.M)


def graded(g, output):
    """{test name: (status, hint key or None, report)} from the grader's output."""
    by_label = {x.label: x.name for x in g.TESTS}
    keys = {text: key for key, text in g.HINTS.items()}
    found = {}
    for m in RESULT_RE.finditer(output):
        hint = re.search(r"^    hint: (.*)$", m.group("details"), re.M)
        found[by_label.get(m.group("label"), m.group("label"))] = (
            m.group("status"), keys.get(hint.group(1)) if hint else None, m.group(0))
    return found


@test("grade-broken-guest", "broken drivers in a booted guest: transmit only, no barrier, DD never cleared; each fails exactly its tests with the hint that names the cause")
def grade_broken_guest(t):
    g = load_grader()
    reference = reference_driver()
    work = tempfile.mkdtemp(prefix="grade-guest-")
    runs = {}
    try:
        # The grades run side by side: each waits on its guest most of the time.
        for what, (breaks, names, _) in GUEST_BROKEN.items():
            tree = copy_tree(os.path.join(work, what.replace(" ", "-")))
            broken = (breaks(reference) if callable(breaks)
                      else broken_driver(t, what, BROKEN[breaks][0]))
            t.check(broken != reference, "%s: the reference e1000.c changed; update "
                    "GUEST_BROKEN" % what)
            with open(os.path.join(tree, "kernel", "e1000.c"), "w") as f:
                f.write(broken)
            res = sh(t, ["make", "-s"], tree, BUILD_TIMEOUT, "make")
            t.check(res.returncode == 0, "%s: the broken tree did not build:\n%s"
                    % (what, res.stdout[-2000:]))
            args = [sys.executable, os.path.join(tree, "grade-lab-net"), "--keep", tree] + (names or [])
            t.step("%s: %s" % (what, " ".join(args[1:])))
            runs[what] = (subprocess.Popen(args, cwd=tree, stdout=subprocess.PIPE,
                                           stderr=subprocess.STDOUT, universal_newlines=True,
                                           env=qemu.make_env(), start_new_session=True),
                          time.monotonic())
        for what, (proc, started) in runs.items():
            try:
                output, _ = proc.communicate(timeout=GRADE_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                output, _ = proc.communicate()
                t.check(False, "%s: the grader took over %ds:\n%s" % (what, GRADE_TIMEOUT, output[-3000:]))
            elapsed = time.monotonic() - started
            _, names, failing = GUEST_BROKEN[what]
            results = graded(g, output)
            want = names or [x.name for x in g.TESTS]
            t.check(sorted(results) == sorted(want), "%s: the grader reported %s, expected %s:\n%s"
                    % (what, sorted(results), sorted(want), output[-3000:]))
            for name, (status, hint, report) in results.items():
                if name in failing:
                    t.check((status, hint) == failing[name], "%s: %s should be %s with hint %s, "
                            "got %s with hint %s:\n%s" % (what, name, failing[name][0],
                                                           failing[name][1], status, hint, report))
                elif names is not None:
                    t.check(status == "OK", "%s: %s failed, only %s should:\n%s"
                            % (what, name, sorted(failing), report))
            t.step("%s: %s in %.0fs" % (what, ", ".join("%s %s (%s)" % (n, s_, h)
                                                      for n, (s_, h, _) in sorted(results.items())
                                                      if n in failing), elapsed))
            runs[what] = (output, elapsed)
        send_only = runs["transmit-only driver"][0]
        results = graded(g, send_only)
        for name in ("boot", "driver-tx", "txone", "usertests"):
            t.check(results[name][0] == "OK", "transmit-only driver: %s should pass:\n%s"
                    % (name, results[name][2]))
        # Once nothing is received, nettests stops: the cases after txone are
        # reported as not run (no deadline waited out), pointing at the cause;
        # the first of them in full, the rest in one line.
        skipped = [n for n, x in results.items() if x[0] == "FAIL" and "reason: not run:" in x[2]]
        net = [x.name for x in g.TESTS if x.kind == g.NET]
        t.check(sorted(skipped) == sorted(net[net.index("txone") + 1:]),
                "transmit-only driver: the nettests cases after txone should be 'not run', "
                "got %s:\n%s" % (skipped, send_only[-4000:]))
        briefs = [n for n in skipped if results[n][2].count("\n") == 2]
        t.check(sorted(briefs) == sorted(net[net.index("rxone") + 1:]),
                "transmit-only driver: only rxone should get a full report, brief: %s" % briefs)
        t.expect(results["rxone"][2], r"e1000_recv\(\)", "rxone's report naming e1000_recv()")
        t.expect(runs["DD never cleared"][0], r"hart \d: [\w<(). -]*e1000_recv",
                 "the hung hart's stack through e1000_recv")
        t.expect(graded(g, runs["lock held across eth_input"][0])["free"][2],
                 r"not checked: the guest was restarted after txone",
                 "free not awarded in a fresh guest")
        t.note("transmit-only driver graded in %.0fs (receive broken)" % runs["transmit-only driver"][1])
    finally:
        for what, run in runs.items():
            if isinstance(run[0], subprocess.Popen) and run[0].poll() is None:
                os.killpg(run[0].pid, 15)
                run[0].wait()
        shutil.rmtree(work, ignore_errors=True)


@test("grade-docs", "LAB.md's table of tests agrees with the grader (names, order, points, needs); every function a hint names exists")
def grade_docs(t):
    g = load_grader()
    with open(os.path.join(REPO, "LAB.md")) as f:
        lab = f.read()
    rows = re.findall(r"^\| `([\w-]+)` \| (\d+) \|([^|]*)\|", lab, re.M)
    t.step("LAB.md: %d rows in the table of tests" % len(rows))
    table = [(name, int(points), tuple(re.findall(r"`([\w-]+)`", needs))) for name, points, needs in rows]
    grader = [(x.name, x.points, tuple(x.needs)) for x in g.TESTS]
    t.check(table == grader, "LAB.md's table and the grader's TESTS differ:\n  LAB.md: %s\n  grader: %s"
            % (table, grader))

    defined = set()
    for name in os.listdir(os.path.join(REPO, "kernel")):
        if name.endswith(".c"):
            with open(os.path.join(REPO, "kernel", name)) as f:
                defined.update(re.findall(r"^(\w+)\(", f.read(), re.M))
    # (__sync_synchronize() is gcc's, not the kernel's.)
    named = {fn for text in g.HINTS.values() for fn in re.findall(r"\b(\w+)\(\)", text)
             if not fn.startswith("__")}
    t.step("hints name %d functions: %s" % (len(named), ", ".join(sorted(named))))
    t.check(named and not named - defined, "hints name functions the kernel does not define: %s"
            % sorted(named - defined))

    # Every symptom key the device model can report has a hint.
    with open(os.path.join(REPO, "tools", "e1000sim.c")) as f:
        keys = set(re.findall(r'fail\(\s*(?:[\w ?:]*\? )?"([\w-]+)"', f.read()))
    keys -= {"sim"}   # the model's own trouble, not the driver's
    t.check(not keys - set(g.HINTS), "model keys without a hint: %s" % sorted(keys - set(g.HINTS)))


@test("grade-solution", "the reference solution scores M/M; results.json has Gradescope's keys and types")
def grade_solution(t):
    work = tempfile.mkdtemp(prefix="grade-solution-")
    try:
        output, got, top, doc = grade(t, copy_tree(os.path.join(work, "tree")))
        t.check(got == top, "the solution scored %d/%d:\n%s" % (got, top, output[-5000:]))
        check_results_json(t, doc, got, top)
        t.note("solution: %d/%d in %.1fs" % (got, top, doc["execution_time"]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
