"""test_grade.py: the autograder and the handouts: pcap checks, broken drivers and sockets, every variant's handout build and score, the solution's M/M, the Gradescope bundle."""

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
import zipfile

import qemu
from netpeer import checksum as csum
from run_tests import REPO, copy_tree, test
sys.path.insert(0, os.path.join(REPO, "tools"))
import variants  # noqa: E402
from grade import capture  # noqa: E402
from frames import PcapError  # noqa: E402

GRADER = os.path.join(REPO, "grade-lab-net")
# Points a student gets before writing any code: these need no driver.
NO_CODE_TESTS = ("boot", "usertests")
SCORE_RE = re.compile(r"^Score: (\d+)/(\d+)$", re.M)
GRADE_TIMEOUT = 400
BUILD_TIMEOUT = 300


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
    g = capture
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
        except PcapError as e:
            t.step("cut capture: %s" % e)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---- the handout ---------------------------------------------------------------------------

MARKER_RE = re.compile(r"^\s*// (>>>|===|<<<) \w+( \w+)*\s*$", re.M)


def c_files(tree):
    for dirpath, _, files in os.walk(tree):
        if os.path.relpath(dirpath, tree).split(os.sep)[0] in (".git", "handout", ".grade"):
            continue
        for name in files:
            if name.endswith((".c", ".h", ".S")):
                yield os.path.relpath(os.path.join(dirpath, name), tree)


def solution_lines(tree, variant):
    """Lines of the solutions the variant's handout strips that occur nowhere
    else in the tree's C files (as that handout has them)."""
    strip = load_handout().strip_solutions
    inside, outside = set(), set()
    for rel in c_files(tree):
        with open(os.path.join(tree, rel), encoding="utf-8") as f:
            text = f.read()
        kept = {l.strip() for l in strip(text, rel, variant)[0].splitlines()}
        inside |= {l.strip() for l in text.splitlines() if not MARKER_RE.match(l)} - kept
        outside |= kept
    return {l for l in inside - outside if len(l) > 3 and not l.startswith("// ")}


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
            if rel.endswith(".md"):
                t.reject(text, r"(?m)^<!-- (>>>|<<<) only", "section marker in handout file %s" % rel)
            for line in text.splitlines():
                t.check(line.strip() not in secret,
                        "solution line in handout file %s: %r" % (rel, line.strip()))


# (text, variant, the handout's text or the error's "file:line: start")
MARKER_CASES = [
    ("a\n  // >>> solution udp\n  x = 1;\n  // === stub\n  // x = 0;\n  // <<< solution\nb\n",
     "udp", "a\n  x = 0;\nb\n"),
    ("a\n  // >>> solution udp\n  x = 1;\n  // === stub\n  // x = 0;\n  // <<< solution\nb\n",
     "e1000", "a\n  x = 1;\nb\n"),
    ("a\n// >>> solution\nx\n// === stub\n// y\n// <<< solution\n", "e1000", "a\ny\n"),
    ("a\n// >>> solution tcp\nx\n", "udp", "f.c:2: unknown variant 'tcp'"),
    ("// >>> solution\nx\n// === stub udp\n// y\n// <<< solution\n", "udp",
     "f.c:3: only the opening marker names variants"),
    ("// >>> solution\nx\n// === stub\ny\n// <<< solution\n", "udp",
     "f.c:4: a stub line must be a comment"),
    ("// >>> solution udp\nx\n// <<< solution\n", "udp", "f.c:3: "),
]
DOC_CASES = [
    ("a\n<!-- >>> only udp -->\nu\n<!-- <<< only -->\nb\n", "udp", "a\nu\nb\n"),
    ("a\n<!-- >>> only udp -->\nu\n<!-- <<< only -->\nb\n", "e1000", "a\nb\n"),
    ("a\n<!-- >>> only udp -->\nu\n", "e1000", "f.md:2: section never closed"),
    ("<!-- >>> only udp -->\n<!-- >>> only e1000 -->\n", "udp", "f.md:2: a section opened inside"),
    ("<!-- >>> only tcp -->\n<!-- <<< only -->\n", "udp", "f.md:1: unknown variant 'tcp'"),
    ("<!-- <<< only -->\n", "udp", "f.md:1: "),
]


@test("handout-markers", "the handout's markers: a region for one variant is stripped there and kept elsewhere; Markdown sections per variant; every marker error names the file and line")
def handout_markers(t):
    h = load_handout()
    for cases, fn, where in ((MARKER_CASES, lambda x, v: h.strip_solutions(x, "f.c", v)[0], "f.c"),
                             (DOC_CASES, lambda x, v: h.variant_sections(x, "f.md", v), "f.md")):
        for text, variant, want in cases:
            try:
                got = fn(text, variant)
            except h.MarkerError as e:
                got = str(e)
            if want.startswith(where + ":"):
                t.check(got.startswith(want), "%s as %s: expected the error %r, got %r"
                        % (text.strip().split("\n")[:3], variant, want, got))
            else:
                t.check(got == want, "%s as %s: expected %r, got %r" % (text, variant, want, got))
            t.step("%s: %r" % (variant, got))
    # The Makefile's sections: per variant, and the instructor's, in no handout.
    make = "a\n# >>> only instructor\nh\n# <<< only\n# >>> only virtio\nv\n# <<< only\nb\n"
    for variant, want in (("e1000", "a\nb\n"), ("virtio", "a\nv\nb\n")):
        got = h.variant_sections(make, "Makefile", variant, h.SECTIONED["Makefile"])
        t.check(got == want, "Makefile as %s: expected %r, got %r" % (variant, want, got))


def boot_handout(t, out, work):
    """Build the handout as a student would, boot it, and see nettests
    txone fail cleanly on the stub driver."""
    res = sh(t, ["make", "-s", "all"], out, BUILD_TIMEOUT, "make")
    t.check(res.returncode == 0, "the handout did not build:\n" + res.stdout[-2000:])
    t.step("boot the handout %s" % os.path.basename(out))
    fwd = qemu.free_ports(2, "udp")
    isolated = {"FWDPORT": fwd[0], "FWDPORT2": fwd[1],
                "PCAP": os.path.join(work, os.path.basename(out) + "-boot.pcap")}
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
    g.close()


@test("handout", "make handout [LAB=udp]: for every variant no solution of its own, builds with -Werror, boots, nettests fails cleanly, grade gives only the no-code points; the other variant keeps that code")
def handout(t):
    h, g = load_handout(), load_grader()
    work = tempfile.mkdtemp(prefix="grade-handout-")
    runs = {}
    try:
        trees = {}
        for variant in variants.VARIANTS:
            secret = solution_lines(REPO, variant)
            t.check(len(secret) >= 10, "%s: found only %d solution lines in the tree"
                    % (variant, len(secret)))
            name = h.handout_name(variant)
            out, tar = os.path.join(work, name), os.path.join(work, name + ".tar.gz")
            res = sh(t, [sys.executable, "tools/handout.py", "--lab", variant, "-o", out,
                         "--tar", tar], REPO, 60, "tools/handout.py")
            t.check(res.returncode == 0, "tools/handout.py failed:\n" + res.stdout)
            scan_handout(t, out, secret)
            with tarfile.open(tar) as tf:
                names = tf.getnames()
            for rel in ("kernel/e1000.c", "LAB.md", variants.VARIANT_FILE) + variants.VARIANTS[variant][1]:
                t.check("%s/%s" % (name, rel) in names, "the %s tarball lacks %s" % (variant, rel))
            with open(os.path.join(out, variants.VARIANT_FILE)) as f:
                t.check(f.read().strip() == variant, "%s: %s names another variant"
                        % (variant, variants.VARIANT_FILE))
            with open(os.path.join(out, "Makefile")) as f:
                t.check("-Werror" in f.read(), "the handout's Makefile does not build with -Werror")
            t.check(g.no_code_tests(variant) == list(NO_CODE_TESTS),
                    "%s: the grader's no-code tests are %s, not %s"
                    % (variant, g.no_code_tests(variant), NO_CODE_TESTS))
            trees[variant] = (out, secret, len(names))
        # The default variant keeps the udp variant's solution as given code.
        with open(os.path.join(trees[variants.DEFAULT_VARIANT][0], "kernel", "socket.c")) as f:
            given = {l.strip() for l in f}
        t.check(trees["udp"][1] <= given | trees[variants.DEFAULT_VARIANT][1],
                "the default handout lacks lines of the udp variant's code: %s"
                % sorted(trees["udp"][1] - given - trees[variants.DEFAULT_VARIANT][1])[:5])

        # make grade in each (a clean build with -Werror, then the grader), side by side.
        expected = sum(g.BY_NAME[n].points for n in NO_CODE_TESTS)
        total = sum(x.points for x in g.TESTS)
        for variant, (out, _, _) in trees.items():
            flags = "--json %s --keep %s" % (os.path.join(out, "results.json"), out)
            t.step("%s$ make grade GRADEFLAGS='%s'" % (os.path.basename(out), flags))
            runs[variant] = subprocess.Popen(["make", "grade", "GRADEFLAGS=" + flags], cwd=out,
                                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                             universal_newlines=True, env=qemu.make_env(),
                                             start_new_session=True)
        scores = []
        for variant, proc in runs.items():
            out = trees[variant][0]
            try:
                output, _ = proc.communicate(timeout=GRADE_TIMEOUT + BUILD_TIMEOUT)
            except subprocess.TimeoutExpired:
                t.check(False, "%s: make grade took over %ds" % (variant, GRADE_TIMEOUT + BUILD_TIMEOUT))
            t.transcript.append("  " + output.strip().replace("\n", "\n  ")[-3000:])
            m = SCORE_RE.search(output)
            t.check(m, "%s: make grade printed no score:\n%s" % (variant, output[-3000:]))
            got, top = int(m.group(1)), int(m.group(2))
            t.check(top == total and got == expected,
                    "the %s handout scored %d/%d; expected %d/%d (%s only)"
                    % (variant, got, top, expected, total, " and ".join(NO_CODE_TESTS)))
            with open(os.path.join(out, "results.json")) as f:
                check_results_json(t, json.load(f), got, top)
            t.reject(output, r"\bpanic: ", "the %s handout's kernel during grading" % variant)
            t.expect(output, r"hint: ", "hints on the %s handout's failures" % variant)
            scores.append("%s: %d files, scores %d/%d" % (variant, trees[variant][2], got, top))

        # make grade built and graded a copy of its own (its boot test shows
        # each variant's kernel boots); the student's tree of the default
        # variant is built as a student would, then booted.
        boot_handout(t, trees[variants.DEFAULT_VARIANT][0], work)
        t.note("handout " + "; ".join(scores))
    finally:
        for proc in runs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, 15)
                proc.wait()
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
    "old mbuf not freed": (
        [("  if(tx_mbufs[i])\n    mbuf_free(tx_mbufs[i]);\n", "")], "driver-tx", "tx-leak"),
    "RS not set": (
        [("E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS;", "E1000_TXD_CMD_EOP;")], "driver-tx", "rs"),
    "EOP not set": (
        [("E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS;", "E1000_TXD_CMD_RS;")], "driver-tx", "eop"),
    "length not set": (
        [("  d->length = m->len;\n", "")], "driver-tx", "tx-desc"),
    "TDT not taken modulo the ring size": (
        [("  tx_next = (i + 1) % TX_RING_SIZE;", "  tx_next = i + 1;")], "driver-tx", "tdt"),
    "no mbuf: drop not counted": (
        [("        netstat_inc(rx_no_mbuf);\n", "        ;\n")], "driver-rx", "rx-nomem"),
    "len not set from the descriptor": (
        [("        m->len = d->length;\n", "")], "driver-rx", "rx-len"),
}


def reference_driver():
    with open(os.path.join(REPO, "kernel", "e1000.c")) as f:
        return f.read()


def apply_edits(t, text, what, edits, rel):
    """text (the reference rel) with each (old, new) edit of the broken
    case `what` made; each old text must occur exactly once."""
    for old, new in edits:
        t.check(text.count(old) == 1, "%s: the reference %s no longer contains %r exactly "
                "once; update the table of broken cases" % (what, rel, old))
        text = text.replace(old, new)
    return text


def broken_driver(t, what, edits):
    """The reference e1000.c with BROKEN's edits for `what`."""
    return apply_edits(t, reference_driver(), what, edits, "kernel/e1000.c")


def broken_cases(t, rel, table):
    """{what: (broken text of rel, test names, failing)} for grade_broken_trees
    from a table of {what: (edits, test names, failing)}."""
    with open(os.path.join(REPO, rel)) as f:
        reference = f.read()
    return {what: (apply_edits(t, reference, what, edits, rel), names, failing)
            for what, (edits, names, failing) in table.items()}


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
    # The loop never ends once every slot has been filled at least once:
    # ping100's 200 frames and burst's 260 make sure of it (burst alone
    # may lose enough frames to the full ring to stop short).
    "DD never cleared": (
        "DD not cleared", ["driver-rx", "ping100", "burst"],
        {"driver-rx": ("FAIL", "dd-not-cleared"), "burst": ("HANG", "stuck-recv")}),
    # The first reply that goes out from inside eth_input() (the ARP exchange
    # of nettests' probe of server.py, so in txone's time) panics; free then
    # runs in a fresh guest and must not count.
    "lock held across eth_input": (
        "lock held across eth_input", ["txone", "rxone", "free"],
        {"txone": ("FAIL", "panic-lock"), "rxone": ("FAIL", "panic-lock"),
         "free": ("FAIL", None)}),
}
# LAB.md's steps and rules of the e1000 driver (the e1000 and the udp
# variant): the cases of BROKEN and GUEST_BROKEN that violate each, or
# "unchecked" where LAB.md says there why it is not graded (see VIRTIO_STEPS).
E1000_STEPS = {
    "e1000_transmit 1": "unchecked",
    "e1000_transmit 2": ["no ring-full check"],
    "e1000_transmit 3": ["old mbuf not freed"],
    "e1000_transmit 4": ["RS not set", "EOP not set", "length not set"],
    "e1000_transmit 5": ["no barrier before TDT", "TDT not taken modulo the ring size"],
    "e1000_recv 1": ["RX starts at RDT"],
    "e1000_recv 2": ["DD not cleared", "DD never cleared", "no mbuf: drop not counted",
                     "len not set from the descriptor", "transmit-only driver"],
    "e1000_recv 3": ["RDT not updated", "no barrier in e1000_recv"],
    "rule lock-eth-input": ["lock held across eth_input"],
    "rule barrier": ["no barrier before TDT", "no barrier in e1000_recv"],
    "rule ownership": ["mbuf freed right after TDT"],
}
RESULT_RE = re.compile(r"^(?P<label>[^\n]+): (?P<status>OK|FAIL|HANG) \((?P<secs>[\d.]+)s\)\n"
                       r"(?P<details>(?:    [^\n]*\n)*)", re.M)


def test_names(g):
    """{label: test name}, for the labels of every card."""
    return {x.template.format(**card.names): x.name for card in g.CARDS.values() for x in g.TESTS}


def graded(g, output):
    """{test name: (status, hint key or None, report)} from the grader's output."""
    by_label = test_names(g)
    keys = {text: key for key, text in g.HINTS.items()}
    found = {}
    for m in RESULT_RE.finditer(output):
        hint = re.search(r"^    hint: (.*)$", m.group("details"), re.M)
        found[by_label.get(m.group("label"), m.group("label"))] = (
            m.group("status"), keys.get(hint.group(1)) if hint else None, m.group(0))
    return found


def grade_broken_trees(t, work, cases, rel, labs=None):
    """Grade each broken copy of the tree (rel replaced by the case's
    text), side by side: each grader waits on its guest most of the time.
    cases: {what: (broken text of rel, test names or None, {test: (status,
    hint)})}, graded as the variant labs[what] names (default: the tree's);
    checks that exactly the named tests fail as said.  Returns {what:
    (output, seconds)}."""
    g = load_grader()
    runs = {}
    try:
        for what, (broken, names, _) in cases.items():
            tree = copy_tree(os.path.join(work, what.replace(" ", "-")))
            with open(os.path.join(tree, rel), "w") as f:
                f.write(broken)
            res = sh(t, ["make", "-s"], tree, BUILD_TIMEOUT, "make")
            t.check(res.returncode == 0, "%s: the broken tree did not build:\n%s"
                    % (what, res.stdout[-2000:]))
            args = [sys.executable, os.path.join(tree, "grade-lab-net"), "--keep", tree] + \
                (["--lab", labs[what]] if what in (labs or {}) else []) + (names or [])
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
            _, names, failing = cases[what]
            results = graded(g, output)
            want = names or [x.name for x in g.TESTS]
            t.check(sorted(results) == sorted(want), "%s: the grader reported %s, expected %s:\n%s"
                    % (what, sorted(results), sorted(want), output[-3000:]))
            for name, (status, hint, report) in results.items():
                if name in failing:
                    # "FAIL?": a race the case loses only sometimes; when it
                    # does (a failure, or a hang once the kernel is corrupt),
                    # the hint must name it, unless nettests stopped and the
                    # case is only reported "not run" below a full report.
                    want = failing[name]
                    race = want[0].endswith("?")
                    t.check((status, hint) == (want[0].rstrip("?"), want[1]) or
                            (race and (status == "OK" or hint == want[1] or
                                       "reason: not run:" in report)),
                            "%s: %s should be %s with hint %s, "
                            "got %s with hint %s:\n%s" % (what, name, want[0], want[1], status,
                                                           hint, report))
                elif names is not None:
                    t.check(status == "OK", "%s: %s failed, only %s should:\n%s"
                            % (what, name, sorted(failing), report))
            t.step("%s: %s in %.0fs" % (what, ", ".join("%s %s (%s)" % (n, s_, h)
                                                      for n, (s_, h, _) in sorted(results.items())
                                                      if n in failing), elapsed))
            runs[what] = (output, elapsed)
    finally:
        for what, run in runs.items():
            if isinstance(run[0], subprocess.Popen) and run[0].poll() is None:
                os.killpg(run[0].pid, 15)
                run[0].wait()
    return runs


@test("grade-broken-guest", "broken drivers in a booted guest: transmit only, no barrier, DD never cleared; each fails exactly its tests with the hint that names the cause")
def grade_broken_guest(t):
    g = load_grader()
    reference = reference_driver()
    work = tempfile.mkdtemp(prefix="grade-guest-")
    try:
        cases = {}
        for what, (breaks, names, failing) in GUEST_BROKEN.items():
            broken = (breaks(reference) if callable(breaks)
                      else broken_driver(t, what, BROKEN[breaks][0]))
            t.check(broken != reference, "%s: the reference e1000.c changed; update "
                    "GUEST_BROKEN" % what)
            cases[what] = (broken, names, failing)
        runs = grade_broken_trees(t, work, cases, "kernel/e1000.c")
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
        shutil.rmtree(work, ignore_errors=True)


# The udp variant's part, broken: name: (edits to the reference
# kernel/socket.c, the tests to grade, {test: (status, hint key)}).  Every
# step and rule of LAB.md's udp part has its cases (SOCKET_STEPS).
FREE_NEEDS = ["txone", "rxone", "free"]
SOCKET_BATCH = 5   # broken trees graded side by side
SOCKET_BROKEN = {
    # sock_deliver()
    "socket looked up by the sender's port": (
        [("  s = sock_find(type, lport);", "  s = sock_find(type, m->rport);")],
        ["rxone"], {"rxone": ("FAIL", "wrong-port")}),
    "no socket: the datagram not freed": (
        [("    release(&socklock);\n    mbuf_free(m);\n    return -1;\n",
          "    release(&socklock);\n    return -1;\n")],
        FREE_NEEDS, {"free": ("FAIL", "udp-leak")}),
    "no socket: 0 returned": (
        [("    mbuf_free(m);\n    return -1;\n  }\n  if(s->raddr",
          "    mbuf_free(m);\n    return 0;\n  }\n  if(s->raddr")],
        FREE_NEEDS, {"free": ("FAIL", "no-port-count")}),
    "a connected socket takes any peer's datagrams": (
        [("  if(s->raddr && (s->raddr != m->raddr || s->rport != m->rport)){\n"
          "    why = &netstats.sock_rx_wrong_peer;\n  } else if(s->rxq.len", "  if(s->rxq.len")],
        ["order"], {"order": ("FAIL", "wrong-peer")}),
    "queue unbounded": (
        [("  } else if(s->rxq.len >= SOCK_QUEUE_MAX){\n    why = &netstats.sock_rx_queue_full;\n"
          "    s->dropped++;\n  } else {", "  } else {")],
        ["burst"], {"burst": ("FAIL", "queue-unbounded")}),
    "drops not counted in s->dropped": (
        [("    s->dropped++;\n", "")],
        ["burst"], {"burst": ("FAIL", "queue-drops")}),
    # A condition that is never true once the datagram is queued.
    "wakeup behind a condition": (
        [("    wakeup(&s->rxq);", "    if(s->rxq.len == 0)\n      wakeup(&s->rxq);")],
        ["wakeup"], {"wakeup": ("FAIL", "lost-wakeup")}),
    "wakeup on another channel": (
        [("    wakeup(&s->rxq);", "    wakeup(s);")],
        ["wakeup"], {"wakeup": ("FAIL", "lost-wakeup")}),
    # sock_recvfrom()
    "socklock released between the look and the sleep": (
        [("  while(s->rxq.len == 0){\n    if(sleep_killable",
          "  while(s->rxq.len == 0){\n    release(&socklock);\n    acquire(&socklock);\n"
          "    if(sleep_killable")],
        ["wakeup"], {"wakeup": ("FAIL", "gap")}),
    "the queue looked at without socklock": (
        [("  acquire(&socklock);\n  while(s->rxq.len == 0){\n    if(sleep_killable(&s->rxq, &socklock) < 0){\n"
          "      release(&socklock);\n      return -1;\n    }\n  }\n",
          "  while(s->rxq.len == 0){\n    acquire(&socklock);\n"
          "    if(sleep_killable(&s->rxq, &socklock) < 0){\n      release(&socklock);\n"
          "      return -1;\n    }\n    release(&socklock);\n  }\n  acquire(&socklock);\n")],
        # A race still: the reply must come after the unlocked look, which
        # a loaded host may run late (then the look sees it and all is well).
        ["wakeup"], {"wakeup": ("FAIL?", "gap")}),
    "the queue not looked at again after the sleep": (
        [("  while(s->rxq.len == 0){\n    if(sleep_killable", "  if(s->rxq.len == 0){\n    if(sleep_killable")],
        ["wakeup"], {"wakeup": ("FAIL", "look-again")}),
    # Round and round in sleep_killable(), interrupts off: hart 0 may stop
    # the clock, so only the grader's hang report (the stacks) can say it.
    "a killed reader waits on": (
        [("    if(sleep_killable(&s->rxq, &socklock) < 0){\n      release(&socklock);\n"
          "      return -1;\n    }\n", "    sleep_killable(&s->rxq, &socklock);\n")],
        ["recvfrom"], {"recvfrom": ("HANG", "killed-reader")}),
    "a second lock held across sleep": (
        [("    if(sleep_killable(&s->rxq, &socklock) < 0){\n",
          "    acquire(&waitlock);\n    if(sleep_killable(&s->rxq, &waitlock) < 0){\n"),
         ("int\nsock_recvfrom(", "static struct spinlock waitlock;\n\nint\nsock_recvfrom(")],
        ["rxone"], {"rxone": ("FAIL", "sleep-lock")}),
    "the whole datagram copied, its length returned": (
        [("  if(n > m->len)\n    n = m->len;\n", "  n = m->len;\n")],
        ["recvfrom"], {"recvfrom": ("FAIL", "copy-past-n")}),
    "at most n copied, the datagram's length returned": (
        [("  mbuf_free(m);\n  return n;", "  n = m->len;\n  mbuf_free(m);\n  return n;")],
        ["recvfrom"], {"recvfrom": ("FAIL", "short-return")}),
    "the rest of a short read left queued": (
        [("  mbufq_pophead(&s->rxq);\n  release(&socklock);",
          "  if(n < m->len){\n    mbuf_pull(m, n);\n    release(&socklock);\n    return n;\n  }\n"
          "  mbufq_pophead(&s->rxq);\n  release(&socklock);")],
        ["recvfrom"], {"recvfrom": ("FAIL", "short-rest")}),
    "taken off the queue before the copy": (
        [("  if(either_copyout(1, addr, m->head, n) < 0){\n    release(&socklock);\n    return -1;\n"
          "  }\n  mbufq_pophead(&s->rxq);\n",
          "  mbufq_pophead(&s->rxq);\n  if(either_copyout(1, addr, m->head, n) < 0){\n"
          "    release(&socklock);\n    mbuf_free(m);\n    return -1;\n  }\n")],
        ["recvfrom"], {"recvfrom": ("FAIL", "copy-fail")}),
    "the datagram never freed": (
        [("  mbuf_free(m);\n  return n;", "  return n;")],
        FREE_NEEDS, {"free": ("FAIL", "udp-leak")}),
    "the sender in network byte order": (
        [("    *raddr = m->raddr;", "    *raddr = htonl(m->raddr);")],
        ["rxone"], {"rxone": ("FAIL", "sender-order")}),
    "the sender's port not stored": (
        [("  if(rport)\n    *rport = m->rport;\n", "")],
        ["ping"], {"ping": ("FAIL", "sender")}),
}
# LAB.md's udp part: each numbered step ("FUNC N") and each rule marked
# <!-- rule: NAME --> ("rule NAME") -> the SOCKET_BROKEN cases that break
# it, or "unchecked" where LAB.md says there that it is not graded.
SOCKET_STEPS = {
    "sock_deliver 1": ["socket looked up by the sender's port", "no socket: the datagram not freed",
                       "no socket: 0 returned"],
    "sock_deliver 2": ["a connected socket takes any peer's datagrams"],
    "sock_deliver 3": ["queue unbounded", "drops not counted in s->dropped"],
    "sock_deliver 4": ["wakeup behind a condition", "wakeup on another channel"],
    "sock_recvfrom 1": ["socklock released between the look and the sleep",
                        "the queue looked at without socklock",
                        "the queue not looked at again after the sleep", "a killed reader waits on",
                        "a second lock held across sleep"],
    "sock_recvfrom 2": ["the whole datagram copied, its length returned",
                        "at most n copied, the datagram's length returned",
                        "the rest of a short read left queued", "taken off the queue before the copy"],
    "sock_recvfrom 3": ["the datagram never freed", "the sender in network byte order",
                        "the sender's port not stored"],
    "rule deliver-lock": "unchecked",
    "rule look-and-sleep": ["socklock released between the look and the sleep",
                            "the queue looked at without socklock"],
    "rule wake-every-time": ["wakeup behind a condition", "wakeup on another channel"],
    "rule one-lock": ["a second lock held across sleep"],
}


@test("grade-broken-udp", "the udp variant's socket code broken once for every step and rule of LAB.md's udp part (SOCKET_STEPS): each fails exactly its test with the hint that names the rule")
def grade_broken_udp(t):
    work = tempfile.mkdtemp(prefix="grade-udp-")
    try:
        cases = broken_cases(t, "kernel/socket.c", SOCKET_BROKEN)
        labs = {what: "udp" for what in cases}
        # In the default variant socket.c is given code: no hint may blame it.
        default = "socket looked up by the sender's port, graded as the default variant"
        cases[default] = (cases["socket looked up by the sender's port"][0], ["rxone"],
                          {"rxone": ("FAIL", None)})
        # A few at a time: each boots a guest, and the wakeup test's pauses
        # and every deadline assume the machine is not buried in guests.
        runs, names = {}, list(cases)
        for i in range(0, len(names), SOCKET_BATCH):
            batch = {what: cases[what] for what in names[i:i + SOCKET_BATCH]}
            runs.update(grade_broken_trees(t, work, batch, "kernel/socket.c", labs))
        t.note(", ".join("%s %.0fs" % (what, secs) for what, (_, secs) in runs.items()))
    finally:
        shutil.rmtree(work, ignore_errors=True)


# Every nettests case up to free: more than one used ring's worth of frames each way.
NETTESTS_UP_TO_FREE = ("txone", "rxone", "arp", "ping", "ping100", "multiprocess", "order",
                       "burst", "icmp", "dns", "free")

# The virtio variant's driver: name: (edits to the reference
# kernel/virtio_net.c, tests graded or None for all, {test: (status, hint)}).
# Hints are the keys grade-lab-net prints for the virtio-net card.
VIRTIO_BROKEN = {
    "avail index published without a barrier": (
        [("  __sync_synchronize();   // descriptor and entry are out before the index\n", "")],
        ["driver-tx", "driver-rx"], {"driver-tx": ("FAIL", "virtio:barrier-tx")}),
    "used ring read without a barrier": (
        [("    __sync_synchronize();   // the entry only after the index that covers it\n"
          "    e = &rxq.used", "    e = &rxq.used")],
        ["driver-tx", "driver-rx"], {"driver-rx": ("FAIL", "virtio:barrier-rx")}),
    # QEMU's device sends only when notified: nothing leaves the guest.
    "transmit notification forgotten": (
        [("  txq.avail->idx = idx + 1;\n  vq_notify(&txq);\n", "  txq.avail->idx = idx + 1;\n")],
        ["driver-tx", "txone", "usertests"], {"driver-tx": ("FAIL", "notify-tx"),
                                              "txone": ("FAIL", "notify-tx"),
                                              "usertests": ("FAIL", "usertests-no-notify")}),
    # The buffers passed up are never offered again: after one queue's
    # worth of frames the card has none.  burst is the first case to need
    # more frames than that; the rest are not run, and usertests' guest,
    # short of buffers too, may fail its own checks.
    "receive buffers not returned": (
        [("      idx = rx_give(idx, e->id, fresh);\n", "      rx_mbufs[e->id] = fresh;\n")],
        None, {"burst": ("FAIL", "rx-not-returned")}),
    # Entries past the 256th are read from beyond the used ring: ids and
    # lengths no card wrote (rx_desc_errors, rx_oversize), and the buffers
    # behind the real entries never go back.  The hint must not be the
    # missing notification's.
    "used ring indexed without % RX_NUM": (
        [("    e = &rxq.used->ring[rxq.used_taken++ % RX_NUM];",
          "    e = &rxq.used->ring[rxq.used_taken++];")],
        ["txone", "rxone", "ping100", "burst"], {"burst": ("FAIL", "rx-raw-index")}),
    # The same on transmit: the slots behind the real entries are never
    # freed, and once all are busy every frame is refused.
    "transmit used ring indexed without % TX_NUM": (
        [("    e = &txq.used->ring[txq.used_taken++ % TX_NUM];",
          "    e = &txq.used->ring[txq.used_taken++];")],
        [x for x in NETTESTS_UP_TO_FREE], {"free": ("FAIL", "virtio:leak")}),
    # Every frame reaches the stack with the 12 bytes after it: IP trims
    # them, so only the byte count shows it.
    "frame length keeps the header": (
        [("      m->len = len - VNET_HDRLEN;\n", "      m->len = len;\n")],
        ["txone", "rxone"], {"rxone": ("FAIL", "rx-len-header")}),
    # QEMU reads the frame a moment after vq_notify(), usually once it is
    # freed (kfree()'s 0x5a fill goes out), sometimes before; tx_reclaim()
    # later frees it a second time, and a panic may follow.  So each
    # nettests case may pass, but any failure names the cause; driver-tx
    # sees the mbuf_free() call in the compiled transmit function.
    "frame freed right after vq_notify": (
        [("  vq_notify(&txq);\n  tx_next", "  vq_notify(&txq);\n  mbuf_free(m);\n  tx_next")],
        ["driver-tx", "txone", "rxone", "ping"],
        dict({n: ("FAIL?", "virtio:use-after-free") for n in ("txone", "rxone", "ping")},
             **{"driver-tx": ("FAIL", "virtio:use-after-free")})),
    "receive buffers never published": (
        [("  __sync_synchronize();   // the entries are out before the index that covers them\n"
          "  rxq.avail->idx = idx;\n", "")],
        ["driver-rx", "txone", "rxone"], {"driver-rx": ("FAIL", "barrier-fill"),
                                          "rxone": ("FAIL", "rx-not-offered")}),
    "receive notification forgotten": (
        [("  rxq.avail->idx = idx;\n  vq_notify(&rxq);\n", "  rxq.avail->idx = idx;\n")],
        ["driver-rx"], {"driver-rx": ("FAIL", "notify-rx")}),
    "buffers given back without a barrier": (
        [("  __sync_synchronize();   // the entries are out before the index\n"
          "  rxq.avail->idx = idx;\n", "  rxq.avail->idx = idx;\n")],
        ["driver-rx"], {"driver-rx": ("FAIL", "virtio:barrier-rx")}),
    "transmit used ring read without a barrier": (
        [("    __sync_synchronize();   // the entry only after the index that covers it\n"
          "    e = &txq.used", "    e = &txq.used")],
        ["driver-tx"], {"driver-tx": ("FAIL", "barrier-used")}),
    "frame descriptor's length not set": (
        [("  d->len = m->len;\n", "")],
        ["txone"], {"txone": ("FAIL", "virtio:no-tx")}),
    "used_taken not moved on": (
        [("    e = &rxq.used->ring[rxq.used_taken++ % RX_NUM];",
          "    e = &rxq.used->ring[rxq.used_taken % RX_NUM];")],
        ["txone", "rxone"], {"txone": ("HANG", "virtio:stuck-recv"),
                             # at once, in one line: "the kernel hung in the driver"
                             "rxone": ("FAIL", None)}),
    "vnet_lock held across eth_input": (
        [("      idx = rx_give(idx, e->id, fresh);\n      eth_input(m);\n",
          "      idx = rx_give(idx, e->id, fresh);\n      acquire(&vnet_lock);\n"
          "      eth_input(m);\n      release(&vnet_lock);\n")],
        ["txone", "rxone"], {"txone": ("FAIL", "virtio:panic-lock"),
                             "rxone": ("FAIL", "virtio:panic-lock")}),
    # The ring steps done with virtio.c's helpers: no barrier of the
    # driver's own for the grader to see.
    "transmit through vq_push()": (
        [("  uint16 idx;\n\n  acquire(&vnet_lock);", "\n  acquire(&vnet_lock);"),
         ("  idx = txq.avail->idx;\n  txq.avail->ring[idx % TX_NUM] = tx_head_desc(slot);\n"
          "  __sync_synchronize();   // descriptor and entry are out before the index\n"
          "  txq.avail->idx = idx + 1;\n", "  vq_push(&txq, tx_head_desc(slot));\n")],
        ["driver-tx"], {"driver-tx": ("FAIL", "own-steps")}),
}

# LAB.md's steps and rules of the virtio variant ("FUNC N", "rule NAME"):
# the broken cases that violate each, or "unchecked" where LAB.md says
# there why it is not graded.  grade-steps keeps it and LAB.md in step.
VIRTIO_STEPS = {
    "virtio_net_rx_fill 1": "unchecked",
    "virtio_net_rx_fill 2": ["receive buffers never published"],
    "virtio_net_rx_fill 3": ["receive buffers never published"],
    "tx_reclaim 1": ["transmit used ring read without a barrier",
                     "transmit used ring indexed without % TX_NUM"],
    "virtio_net_transmit 1": "unchecked",
    "virtio_net_transmit 2": "unchecked",
    "virtio_net_transmit 3": "unchecked",
    "virtio_net_transmit 4": ["frame descriptor's length not set"],
    "virtio_net_transmit 5": ["avail index published without a barrier"],
    "virtio_net_transmit 6": ["transmit notification forgotten"],
    "virtio_net_recv 1": "unchecked",
    "virtio_net_recv 2": ["used ring read without a barrier", "used ring indexed without % RX_NUM",
                          "frame length keeps the header", "used_taken not moved on",
                          "receive buffers not returned"],
    "virtio_net_recv 3": ["buffers given back without a barrier",
                          "receive notification forgotten"],
    "rule ring-index": ["used ring indexed without % RX_NUM",
                        "transmit used ring indexed without % TX_NUM"],
    "rule ownership": ["frame freed right after vq_notify"],
    "rule give-back": ["receive buffers not returned"],
    "rule lock-eth-input": ["vnet_lock held across eth_input"],
    "rule own-steps": ["transmit through vq_push()"],
}


@test("grade-broken-virtio", "the virtio variant's driver broken every way VIRTIO_STEPS names (barriers, notifications, ring indexes without the modulo, the header's length, a frame freed under the card, buffers not given back, ...): each fails exactly its tests with the hint that names the mistake")
def grade_broken_virtio(t):
    work = tempfile.mkdtemp(prefix="grade-virtio-")
    try:
        cases = broken_cases(t, "kernel/virtio_net.c", VIRTIO_BROKEN)
        runs = grade_broken_trees(t, work, cases, "kernel/virtio_net.c",
                                  {what: "virtio" for what in cases})
        t.note(", ".join("%s %.0fs" % (what, secs) for what, (_, secs) in runs.items()))
    finally:
        shutil.rmtree(work, ignore_errors=True)


@test("grade-docs", "LAB.md's table of tests agrees with the grader (names, order, points, needs) and with --list; every function a hint names exists; every hint about the student's code points to a LAB.md section each variant that prints it has")
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
    # ./grade-lab-net --list prints the same, needs included (LAB.md says so).
    res = subprocess.run([sys.executable, GRADER, "--list"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, universal_newlines=True)
    listed = {l.split()[0]: l.split()[1:] for l in res.stdout.splitlines()[1:] if l.strip()}
    t.check(res.returncode == 0 and "needs" in res.stdout.splitlines()[1], "--list has no "
            "needs column:\n" + res.stdout)
    for name, points, needs in table:
        row = listed.get(name, [])
        t.check(row[:1] == [str(points)] and " ".join(needs) in " ".join(row[1:]),
                "--list's row for %s is %r, not %d points needing %s" % (name, row, points, needs))

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
    check_hint_refs(t, g, lab)


# Hints that point to no LAB.md section, each with why.
HINT_REF_EXEMPT = {
    "panic": "names no rule: the panic line it points to says where",
    "hang": "names no rule: the frames printed below it tell the story",
    "compile": "a build error: the compiler's output is the long form",
    "no-nettests": "the Makefile and fs.img, not the student's code",
    "bad-frames": "the capture's rules are listed in the report itself",
    "no-frames": "a failed dependency (txone, rxone), not a rule",
    "init": "given code (e1000_init()): compare with the handout",
    "mac": "given code (e1000_init()): compare with the handout",
    "rx-init": "given code (e1000_init()): compare with the handout",
    "no-card": "given code (pci.c) or the machine, not the student's",
    "virtio:no-card": "given code (the probe) or the machine, not the student's",
}
# Unprefixed hints that only the virtio card's checks print (the rest are the
# e1000 card's, or in the lists below).
VIRTIO_HINTS = {"barrier-used", "barrier-fill", "notify-tx", "notify-rx", "rx-not-returned",
                "rx-no-notify", "rx-raw-index", "rx-len-header", "rx-not-offered",
                "usertests-no-notify", "own-steps"}
# Hints about kernel/socket.c (printed only where the student writes it) beside
# SOCKET_REASONS' keys, and hints every card can print.
SOCKET_HINTS = {"queue-unbounded", "queue-drops", "wrong-port", "lost-wakeup-udp",
                "lost-wakeup-icmp", "look-again", "killed-reader", "udp-leak", "sleep-lock"}
EVERY_CARD_HINTS = {"usertests-leak"}
HINT_REF_RE = re.compile(r'\(LAB\.md: "([^"]*)"\)')


def hint_variants(key, socket):
    """The variants whose grader can print the hint key: socket hints (in
    socket) where the student writes kernel/socket.c; "NIC:key" and the VIRTIO_HINTS on that
    card's variants (Card.hint picks "NIC:key" over key), the rest on the
    e1000's."""
    nic = key.split(":")[0] if ":" in key else "virtio" if key in VIRTIO_HINTS else "e1000"
    return [v for v, (_, files, card) in variants.VARIANTS.items()
            if key in EVERY_CARD_HINTS
            or (key in socket and "kernel/socket.c" in files)
            or (key not in socket and card == nic)]


def check_hint_refs(t, g, lab):
    """Every hint about the student's code ends with exactly one (LAB.md:
    "Title"), and every variant that can print it has that heading (## or
    ###, backticks dropped)."""
    from grade import hints
    h = load_handout()
    heads = {v: set(re.findall(r"^#{2,3} (.*)$", h.variant_sections(lab, "LAB.md", v).replace(
        "`", ""), re.M)) for v in variants.VARIANTS}
    socket = SOCKET_HINTS | {key for _, key in hints.SOCKET_REASONS}
    t.check(socket <= set(g.HINTS) and set(HINT_REF_EXEMPT) | VIRTIO_HINTS <= set(g.HINTS),
            "the test's lists name keys HINTS lacks: %s" % sorted(
                (socket | set(HINT_REF_EXEMPT) | VIRTIO_HINTS) - set(g.HINTS)))
    pointed = 0
    for key, text in g.HINTS.items():
        refs = HINT_REF_RE.findall(text)
        if key in HINT_REF_EXEMPT:
            t.check(not refs, "hint %s is listed as exempt but points to %s" % (key, refs))
            continue
        t.check(len(refs) == 1 and text.endswith('(LAB.md: "%s")' % refs[0]),
                "hint %s must end with one (LAB.md: \"Title\"), not %d: %r" % (key, len(refs), text))
        where = hint_variants(key, socket)
        t.check(where, "hint %s: no variant prints it" % key)
        for v in where:
            t.check(refs[:1] and refs[0] in heads[v], "hint %s points to LAB.md section %r, which "
                    "the %s variant's LAB.md lacks (it has: %s)" % (key, refs[:1], v, sorted(heads[v])))
        pointed += 1
    t.step("%d hints point to a LAB.md section the variants that print them have; %d exempt"
           % (pointed, len(HINT_REF_EXEMPT)))


STEP_HEAD_RE = re.compile(r"^### `(\w+)\(.*$", re.M)
STEP_RE = re.compile(r"^(\d+)\. ", re.M)
RULE_RE = re.compile(r"^<!-- rule: ([\w-]+) -->$", re.M)
UNCHECKED_RE = re.compile(r"\bnot graded\b|\bno test can\b", re.I)


def lab_steps(text):
    """{id: its text} of a rendered LAB.md: "FUNC N" for step N under a
    `### \`FUNC(...)\`` heading (up to the next heading or rule), "rule NAME" for
    the paragraph after a `<!-- rule: NAME -->` marker."""
    found = {}
    heads = list(STEP_HEAD_RE.finditer(text))
    for h in heads:
        end = re.compile(r"^#{2,3} |^<!-- rule: ", re.M).search(text, h.end())
        body = text[h.end():end.start() if end else len(text)]
        items = list(STEP_RE.finditer(body))
        for i, m in enumerate(items):
            stop = items[i + 1].start() if i + 1 < len(items) else len(body)
            found["%s %s" % (h.group(1), m.group(1))] = body[m.start():stop]
    for m in RULE_RE.finditer(text):
        para = text[m.end():].lstrip("\n").split("\n\n")[0]
        found["rule " + m.group(1)] = para
    return found


@test("grade-steps", "every step and rule of each variant's LAB.md has a broken case that violates it (E1000_STEPS, SOCKET_STEPS, VIRTIO_STEPS), and every one not graded says so in LAB.md")
def grade_steps(t):
    h = load_handout()
    with open(os.path.join(REPO, "LAB.md")) as f:
        lab = f.read()
    tables = {"e1000": ([E1000_STEPS], set(BROKEN) | set(GUEST_BROKEN)),
              "udp": ([E1000_STEPS, SOCKET_STEPS],
                      set(BROKEN) | set(GUEST_BROKEN) | set(SOCKET_BROKEN)),
              "virtio": ([VIRTIO_STEPS], set(VIRTIO_BROKEN))}
    t.check(sorted(tables) == sorted(variants.VARIANTS), "grade-steps knows the variants %s, "
            "tools/variants.py has %s" % (sorted(tables), sorted(variants.VARIANTS)))
    for variant, (dicts, cases) in tables.items():
        steps = lab_steps(h.variant_sections(lab, "LAB.md", variant))
        mapped = {}
        for d in dicts:
            mapped.update(d)
        t.check(sorted(steps) == sorted(mapped), "%s: LAB.md's steps and rules and the tables "
                "differ:\n  only in LAB.md: %s\n  only in the tables: %s"
                % (variant, sorted(set(steps) - set(mapped)), sorted(set(mapped) - set(steps))))
        unchecked = []
        for sid, names in sorted(mapped.items()):
            if names == "unchecked":
                t.check(UNCHECKED_RE.search(steps[sid]), "%s: %r is unchecked, but LAB.md does "
                        "not say there that it is not graded:\n%s" % (variant, sid, steps[sid]))
                unchecked.append(sid)
                continue
            t.check(isinstance(names, list) and names, "%s: %r names no broken case" % (variant, sid))
            t.check(not set(names) - cases, "%s: %r names cases that are not in the broken "
                    "tables: %s" % (variant, sid, sorted(set(names) - cases)))
            t.check(not UNCHECKED_RE.search(steps[sid]), "%s: LAB.md says %r is not graded, "
                    "but it has broken cases" % (variant, sid))
        t.step("%s: %d steps and rules, %d graded, unchecked: %s"
               % (variant, len(steps), len(steps) - len(unchecked), ", ".join(unchecked) or "none"))


@test("grade-solution", "the reference solution scores M/M, as the e1000 and as the virtio-net assignment; results.json has Gradescope's keys and types")
def grade_solution(t):
    work = tempfile.mkdtemp(prefix="grade-solution-")
    try:
        tree = copy_tree(os.path.join(work, "tree"))
        notes = []
        for lab in ("e1000", "virtio"):
            output, got, top, doc = grade(t, tree, ["--lab", lab])
            t.check(got == top, "the solution scored %d/%d as %s:\n%s"
                    % (got, top, lab, output[-5000:]))
            t.expect(output, r"^boot: %s found: OK" % re.escape(load_grader().CARDS[lab].shown),
                     "the %s card found at boot" % lab)
            check_results_json(t, doc, got, top)
            notes.append("%s %d/%d in %.1fs" % (lab, got, top, doc["execution_time"]))
        t.note("solution: " + ", ".join(notes))
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---- Gradescope ---------------------------------------------------------------------------

HOSTILE_GRADER = """#!/usr/bin/env python3
import json, sys
print("Score: 100/100")
out = sys.argv[sys.argv.index("--json") + 1]
json.dump({"score": 100, "max_score": 100, "execution_time": 0, "output": "hacked",
           "tests": []}, open(out, "w"))
"""


# What tools/setup.sh names for Debian and Ubuntu, and the host compiler
# for mkfs and the device model.
SETUP_PACKAGES = ("gcc-riscv64-unknown-elf", "qemu-system-misc", "python3", "make", "gcc",
                  "gdb-multiarch", "tshark")


def unpack_bundle(t, bundle, root):
    """A fake /autograder: the bundle in source/ (file modes kept, as unzip
    keeps them), run_autograder copied to the top as Gradescope does, an
    empty submission/."""
    source = os.path.join(root, "source")
    with zipfile.ZipFile(bundle) as z:
        for info in z.infolist():
            path = z.extract(info, source)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(path, mode)
    for name in ("setup.sh", "run_autograder"):
        t.check(os.access(os.path.join(source, name), os.X_OK),
                "%s is not an executable at the top of the bundle" % name)
    res = subprocess.run(["sh", "-n", os.path.join(source, "setup.sh")], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, universal_newlines=True)
    t.check(res.returncode == 0, "setup.sh is not valid sh:\n" + res.stdout)
    with open(os.path.join(source, "setup.sh")) as f:
        script = f.read()
    for pkg in SETUP_PACKAGES:
        t.check(re.search(r"\b%s\b" % re.escape(pkg), script), "setup.sh does not install %s" % pkg)
    shutil.copy2(os.path.join(source, "run_autograder"), root)
    os.makedirs(os.path.join(root, "submission"))
    return root


def submit(root, files):
    """Put {path in the submission: text or bytes} in root/submission."""
    for rel, data in files.items():
        path = os.path.join(root, "submission", rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)


def start_autograder(t, root, tests):
    env = dict(qemu.make_env(), AUTOGRADER_ROOT=root)
    if tests:
        env["AUTOGRADER_TESTS"] = " ".join(tests)
    t.step("AUTOGRADER_ROOT=%s AUTOGRADER_TESTS='%s' run_autograder"
           % (os.path.basename(root), " ".join(tests or [])))
    return subprocess.Popen([os.path.join(root, "run_autograder")], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, env=env, start_new_session=True)


def autograder_results(t, what, proc, root):
    try:
        output, _ = proc.communicate(timeout=GRADE_TIMEOUT + BUILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 15)
        output, _ = proc.communicate()
        t.check(False, "%s: run_autograder took over %ds:\n%s"
                % (what, GRADE_TIMEOUT + BUILD_TIMEOUT, output[-3000:]))
    t.check(proc.returncode == 0, "%s: run_autograder exited with %s:\n%s"
            % (what, proc.returncode, output[-3000:]))
    with open(os.path.join(root, "results", "results.json")) as f:
        doc = json.load(f)
    check_results_json(t, doc, doc.get("score"), doc.get("max_score"))
    t.check(doc.get("visibility") == "visible" and
            all(c.get("visibility") == "visible" for c in doc["tests"]),
            "%s: results.json does not make the tests visible" % what)
    return doc, output


def case_of(g, doc):
    """{test name: (passed, output)} from results.json."""
    by_label = test_names(g)
    return {by_label.get(c["name"], c["name"]): (c["status"] == "passed", c["output"])
            for c in doc["tests"]}


@test("gradescope", "make gradescope: run_autograder on a fake /autograder grades the solution M/M (the udp and the virtio bundle), a stub with the no-code points only, a broken driver with its hint, ignores a hostile grader and Makefile, and scores a missing or binary file 0 with the reason")
def gradescope(t):
    g = load_grader()
    work = tempfile.mkdtemp(prefix="gradescope-")
    procs = {}
    try:
        bundles = {}
        for variant in ("e1000", "udp", "virtio"):
            bundles[variant] = os.path.join(work, "bundle-%s.zip" % variant)
            res = sh(t, ["make", "-s", "gradescope", "LAB=" + variant], REPO, 120, "make gradescope")
            t.check(res.returncode == 0, "make gradescope failed:\n" + res.stdout)
            made = os.path.join(REPO, "gradescope.zip" if variant == variants.DEFAULT_VARIANT
                                else "gradescope-%s.zip" % variant)
            t.check(os.path.exists(made), "make gradescope LAB=%s did not write %s" % (variant, made))
            shutil.move(made, bundles[variant])
        with open(os.path.join(REPO, "kernel", "e1000.c")) as f:
            driver = f.read()
        with open(os.path.join(REPO, "kernel", "socket.c")) as f:
            sockets = f.read()
        with open(os.path.join(REPO, "kernel", "virtio_net.c")) as f:
            virtio_driver = f.read()
        # Each variant's image is set up once (setup.sh's last step: the
        # reference tree built), then copied for each submission.
        images = {}
        for variant, bundle in bundles.items():
            images[variant] = unpack_bundle(t, bundle, os.path.join(work, "image-" + variant))
            res = sh(t, ["make", "-s", "all"], os.path.join(images[variant], "source", "xv6-net"),
                     BUILD_TIMEOUT, "make")
            t.check(res.returncode == 0, "the %s bundle's tree did not build:\n%s"
                    % (variant, res.stdout[-2000:]))
        roots = {}
        for what, variant in (("solution", "udp"), ("stub", "udp"), ("broken", "e1000"),
                              ("hostile", "e1000"), ("missing", "e1000"), ("binary", "e1000"),
                              ("virtio", "virtio")):
            roots[what] = shutil.copytree(images[variant], os.path.join(work, what), symlinks=True)
        stub = {}
        for rel in variants.VARIANTS["udp"][1]:
            with open(os.path.join(roots["stub"], "source", "xv6-net", rel)) as f:
                stub[rel] = f.read()
        # The zip `make zipball` writes holds the files at their paths; a
        # student may also upload the files alone, or a tree around them.
        submit(roots["solution"], {"kernel/e1000.c": driver, "kernel/socket.c": sockets})
        submit(roots["virtio"], {"kernel/virtio_net.c": virtio_driver})
        submit(roots["stub"], {os.path.basename(rel): text for rel, text in stub.items()})
        submit(roots["broken"], {"xv6-net/kernel/e1000.c": broken_driver(t, "no barrier before TDT",
                                                                              BROKEN["no barrier before TDT"][0])})
        submit(roots["hostile"], {"kernel/e1000.c": stub["kernel/e1000.c"],
                                  "grade-lab-net": HOSTILE_GRADER, "xv6-net/grade-lab-net": HOSTILE_GRADER,
                                  "Makefile": "all:\n\t@echo built\n", "kernel/socket.c": "garbage(",
                                  "kernel/e1000.c.orig": driver})
        submit(roots["binary"], {"kernel/e1000.c": b"\x7fELF\x02\x01\x01\0\xff\xfe"})

        for what in ("missing", "binary"):
            doc, _ = autograder_results(t, what, start_autograder(t, roots[what], None), roots[what])
            t.check(doc["score"] == 0 and doc["max_score"] == sum(x.points for x in g.TESTS),
                    "%s: %s/%s" % (what, doc["score"], doc["max_score"]))
            t.check(len(doc["tests"]) == len(g.TESTS), "%s: every test should be listed" % what)
            t.expect(doc["output"], {"missing": r"kernel/e1000\.c is not in your submission",
                                     "binary": r"kernel/e1000\.c .*not a text file"}[what],
                     "%s: the reason" % what)
            t.step("%s: 0/%d: %s" % (what, doc["max_score"], doc["output"].split("\n")[-1]))

        # Side by side: each rebuilds two files, then waits on its guests.
        runs = (("solution", None), ("broken", ["driver-tx", "txone"]), ("stub", None),
                ("hostile", ["boot", "driver-tx"]), ("virtio", None))
        docs = {}
        procs = {what: start_autograder(t, roots[what], tests) for what, tests in runs}
        for what, proc in procs.items():
            docs[what] = autograder_results(t, what, proc, roots[what])
            t.step("%s: %s/%s in %ss" % (what, docs[what][0]["score"], docs[what][0]["max_score"],
                                        docs[what][0]["execution_time"]))

        doc, output = docs["solution"]
        t.check(doc["score"] == doc["max_score"] == sum(x.points for x in g.TESTS),
                "the solution scored %s/%s:\n%s" % (doc["score"], doc["max_score"], output[-4000:]))

        doc, output = docs["virtio"]
        t.check(doc["score"] == doc["max_score"] == sum(x.points for x in g.TESTS),
                "the virtio solution scored %s/%s:\n%s" % (doc["score"], doc["max_score"],
                                                           output[-4000:]))
        t.check(any(c["name"] == "boot: virtio-net found" for c in doc["tests"]),
                "the virtio bundle did not grade on virtio-net: %s"
                % [c["name"] for c in doc["tests"]][:3])

        doc, output = docs["stub"]
        free = [n for n, (ok, _) in case_of(g, doc).items() if ok]
        t.check(sorted(free) == sorted(NO_CODE_TESTS),
                "the stub passed %s; only %s need no code:\n%s" % (free, NO_CODE_TESTS, output[-4000:]))
        t.expect(doc["output"], r"took e1000\.c from your submission as kernel/e1000\.c",
                 "the stub found by name")

        doc, output = docs["broken"]
        cases = case_of(g, doc)
        for name, key in (("driver-tx", "barrier-tx"), ("txone", "no-tx-barrier")):
            t.check(not cases[name][0] and g.HINTS[key] in cases[name][1],
                    "broken driver: %s should fail with hint %s:\n%s" % (name, key, cases[name][1]))

        doc, output = docs["hostile"]
        cases = case_of(g, doc)
        t.check(cases["boot"][0] and not cases["driver-tx"][0] and doc["score"] == g.BY_NAME["boot"].points,
                "hostile submission: expected boot only (%d points), got %s/%s:\n%s"
                % (g.BY_NAME["boot"].points, doc["score"], doc["max_score"], output[-3000:]))
        t.expect(doc["output"], r"ignored \(only the files above are graded\): .*grade-lab-net",
                 "the hostile files reported as ignored")
        t.note("solution %s/%s; stub %s/%s; broken driver %s/%s; hostile %s/%s; virtio solution "
               "%s/%s; missing and binary 0"
               % tuple(x for w in ("solution", "stub", "broken", "hostile", "virtio")
                       for x in (docs[w][0]["score"], docs[w][0]["max_score"])))
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, 15)
                proc.wait()
        shutil.rmtree(work, ignore_errors=True)
