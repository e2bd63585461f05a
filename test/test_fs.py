"""test_fs.py: the file system: fs.img's layout checked on the host, the buffer cache, read-ahead, big files, crashes."""

import glob
import os
import random
import re
import signal
import struct
import subprocess
import tempfile
import time
import zlib

import qemu
from run_tests import REPO, test

BSIZE = 1024
NDIRECT = 11
NINDIRECT = BSIZE // 4
MAXFILE = NDIRECT + NINDIRECT + NINDIRECT * NINDIRECT
FS_MAGIC = 0x786e6574
T_DIR, T_FILE, T_DEVICE = 1, 2, 3
DINODE = struct.Struct("<hhhhI13I")      # kernel/fs.h's struct dinode (64 bytes)
FSSTAT_RE = r"^fstest: sum (\S+) size (\d+) crc ([0-9a-f]+)$"


# ---- the image, read on the host ------------------------------------------------

class Image:
    """An fs.img read into memory, with the committed part of its log
    installed first, as the kernel's recovery would."""

    def __init__(self, path):
        with open(path, "rb") as f:
            self.raw = bytearray(f.read())
        (self.magic, self.size, self.nblocks, self.ninodes, self.nlog, self.logstart,
         self.inodestart, self.bmapstart) = struct.unpack_from("<8I", self.raw, BSIZE)
        if self.magic != FS_MAGIC:
            raise ValueError("bad superblock magic %#x" % self.magic)
        self.replayed = self._replay()

    def block(self, b):
        return self.raw[b * BSIZE:(b + 1) * BSIZE]

    def _replay(self):
        n = struct.unpack_from("<I", self.raw, self.logstart * BSIZE)[0]
        homes = struct.unpack_from("<%dI" % n, self.raw, self.logstart * BSIZE + 4)
        for i, home in enumerate(homes):
            self.raw[home * BSIZE:(home + 1) * BSIZE] = self.block(self.logstart + 1 + i)
        return n

    def inode(self, inum):
        off = self.inodestart * BSIZE + inum * DINODE.size
        f = DINODE.unpack_from(self.raw, off)
        return {"type": f[0], "nlink": f[3], "size": f[4], "addrs": f[5:]}

    def _ptrs(self, b):
        return struct.unpack_from("<%dI" % NINDIRECT, self.raw, b * BSIZE)

    def file_blocks(self, ino):
        """(file block index, disk block) of every data block, and the index blocks."""
        a = ino["addrs"]
        data = [(i, a[i]) for i in range(NDIRECT) if a[i]]
        index = []
        if a[NDIRECT]:
            index.append(a[NDIRECT])
            data += [(NDIRECT + i, p) for i, p in enumerate(self._ptrs(a[NDIRECT])) if p]
        if a[NDIRECT + 1]:
            index.append(a[NDIRECT + 1])
            for j, l1 in enumerate(self._ptrs(a[NDIRECT + 1])):
                if l1:
                    index.append(l1)
                    base = NDIRECT + NINDIRECT + j * NINDIRECT
                    data += [(base + i, p) for i, p in enumerate(self._ptrs(l1)) if p]
        return data, index

    def read(self, inum):
        ino = self.inode(inum)
        out = bytearray(ino["size"])
        for i, b in self.file_blocks(ino)[0]:
            piece = self.block(b)[:max(0, ino["size"] - i * BSIZE)]
            out[i * BSIZE:i * BSIZE + len(piece)] = piece
        return bytes(out)

    def entries(self, inum):
        data = self.read(inum)
        for off in range(0, len(data) - len(data) % 16, 16):
            num, name = struct.unpack_from("<H14s", data, off)
            if num:
                yield name.rstrip(b"\0").decode("latin-1"), num

    def lookup(self, name):
        return dict(self.entries(1)).get(name)

    def fsck(self):
        """Every rule the log must keep true across a crash; the list of
        broken ones (empty when the image is consistent)."""
        errors, owner, links, seen = [], {}, {}, set()
        datastart = self.bmapstart + (self.size + BSIZE * 8 - 1) // (BSIZE * 8)
        todo = [1]
        while todo:
            d = todo.pop()
            if d in seen:
                continue
            seen.add(d)
            names = dict(self.entries(d))
            if names.get(".") != d or ".." not in names:
                errors.append("directory %d lacks . or .." % d)
            for name, num in names.items():
                if not 0 < num < self.ninodes or self.inode(num)["type"] == 0:
                    errors.append("entry %r in directory %d names free inode %d" % (name, d, num))
                    continue
                if name != ".":
                    links[num] = links.get(num, 0) + 1
                if self.inode(num)["type"] == T_DIR and name not in (".", ".."):
                    todo.append(num)
        for inum in range(1, self.ninodes):
            ino = self.inode(inum)
            if ino["type"] == 0:
                continue
            if inum not in seen and inum not in links:
                errors.append("inode %d (type %d) is allocated but in no directory" % (inum, ino["type"]))
            if ino["nlink"] != links.get(inum, 0):
                errors.append("inode %d has nlink %d, %d entries name it" % (inum, ino["nlink"], links.get(inum, 0)))
            data, index = self.file_blocks(ino)
            nblk = (ino["size"] + BSIZE - 1) // BSIZE
            for i, b in data:
                if i >= nblk:
                    errors.append("inode %d has block %d beyond its size %d" % (inum, i, ino["size"]))
            for b in [b for _, b in data] + index:
                if not datastart <= b < self.size:
                    errors.append("inode %d names block %d outside the data area" % (inum, b))
                elif b in owner:
                    errors.append("block %d belongs to inodes %d and %d" % (b, owner[b], inum))
                owner[b] = inum
        for b in range(self.size):
            used = self.raw[self.bmapstart * BSIZE + b // 8] >> (b % 8) & 1
            want = b < datastart or b in owner
            if used != want:
                errors.append("block %d is %s in the bitmap but %s" % (
                    b, "used" if used else "free", "in use" if want else "unused"))
                if len(errors) > 20:
                    break
        return errors


def pattern(blocks, seed, size=None):
    """user/fstest.c's pattern: block k starts with k, then bytes of k, the offset and the seed."""
    tails = [bytes((c + at * 7) % 251 for at in range(4, BSIZE)) for c in range(251)]
    out = bytearray()
    for k in range(blocks):
        out += struct.pack("<I", k & 0xffffffff) + tails[(k * 31 + seed) % 251]
    return bytes(out[:size]) if size is not None else bytes(out)


def fsstat(t):
    out = t.run("fsstat")
    m = t.expect(out, r"^fsstat: (.*)$", "fsstat")
    words = m.group(1).split()
    return {words[i]: int(words[i + 1]) for i in range(0, len(words), 2)}


def delta(after, before):
    return {k: after[k] - before[k] for k in after}


def guest_sum(t, name, chunk):
    out = t.run("fstest sum %s %d" % (name, chunk), timeout=120)
    m = t.expect(out, FSSTAT_RE, "fstest sum %s" % name)
    return int(m.group(2)), int(m.group(3), 16)


def mkfs(t, img, extra, blocks=65536):
    """An image with the usual programs and site plus extra host files."""
    files = ["README.md"] + sorted(glob.glob(os.path.join(REPO, "user", "_*"))) + \
        sorted(glob.glob(os.path.join(REPO, "site", "*"))) + extra
    t.step("mkfs -s %d %s (+ %s)" % (blocks, os.path.basename(img),
                                      ", ".join(os.path.basename(f) for f in extra) or "nothing"))
    r = subprocess.run([os.path.join(REPO, "mkfs", "mkfs"), "-s", str(blocks), img] + files,
                       cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    t.check(r.returncode == 0, "mkfs failed:\n" + r.stdout)


def expect_consistent(t, img, what):
    image = Image(img)
    errors = image.fsck()
    t.step("fsck %s: %d log blocks replayed, %s" % (what, image.replayed,
                                                   "; ".join(errors[:5]) or "consistent"))
    t.check(not errors, "%s is inconsistent: %s" % (what, "; ".join(errors[:10])))
    return image


# ---- the tests -------------------------------------------------------------------

@test("fs-image", "fs.img: consistent on the host, sparse, copied sparsely; mkfs turns zero blocks into holes and refuses a file beyond MAXFILE")
def fs_image(t):
    img = os.path.join(REPO, "fs.img")
    image = expect_consistent(t, img, "fs.img")
    st = os.stat(img)
    t.step("fs.img: %d bytes, %d allocated" % (st.st_size, st.st_blocks * 512))
    t.check(st.st_blocks * 512 < st.st_size // 2, "fs.img is not sparse: %d of %d bytes allocated"
            % (st.st_blocks * 512, st.st_size))
    big = image.lookup("big16.bin")
    t.check(big is not None and image.read(big) == open(os.path.join(REPO, "site", "big16.bin"), "rb").read(),
            "big16.bin in fs.img differs from site/big16.bin")
    with tempfile.TemporaryDirectory(prefix="fs-image-") as work:
        copy = os.path.join(work, "copy.img")
        qemu.copy_sparse(img, copy)
        t.check(open(copy, "rb").read() == open(img, "rb").read(), "the sparse copy differs")
        t.check(os.stat(copy).st_blocks <= st.st_blocks + 64, "the copy of fs.img is not sparse")
        holes = os.path.join(work, "holes.bin")
        with open(holes, "wb") as f:
            f.write(b"x" * 10 + b"\0" * (5 * BSIZE) + b"y")
        mkfs(t, os.path.join(work, "h.img"), [holes])
        h = Image(os.path.join(work, "h.img"))
        ino = h.inode(h.lookup("holes.bin"))
        blocks = [i for i, _ in h.file_blocks(ino)[0]]
        t.check(blocks == [0, 5], "holes.bin's zero blocks were stored: blocks %s" % blocks)
        t.check(h.read(h.lookup("holes.bin")) == open(holes, "rb").read(), "holes.bin reads back wrong")
        toobig = os.path.join(work, "toobig.bin")
        with open(toobig, "wb") as f:
            f.truncate(MAXFILE * BSIZE + 1)
        r = subprocess.run([os.path.join(REPO, "mkfs", "mkfs"), os.path.join(work, "x.img"), toobig],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
        t.step("mkfs with a file of MAXFILE blocks + 1 byte: %s" % r.stdout.strip())
        t.check(r.returncode != 0 and "MAXFILE" in r.stdout, "mkfs took a file beyond MAXFILE")


@test("fs-cache", "the buffer cache: a second read of big.bin comes from memory; a file bigger than the cache evicts it, least recently used first, and reads back byte-exact")
def fs_cache(t):
    t.boot()
    s0 = fsstat(t)
    nbuf = s0["nbuf"]
    t.check(nbuf > 16 * 1024 + 2048, "the cache has %d buffers: too few for big16.bin" % nbuf)
    want = zlib.crc32(open(os.path.join(REPO, "site", "big.bin"), "rb").read())
    t.check(guest_sum(t, "big.bin", 16384) == (1 << 20, want), "big.bin read wrong")
    cold = delta(fsstat(t), s0)
    t.note("cold 1 MiB read: %d requests, %d blocks (%d requests by read-ahead)"
           % (cold["rreqs"], cold["rblocks"], cold["rareqs"]))
    t.check(cold["rblocks"] >= 1024, "reading big.bin cold read only %d blocks" % cold["rblocks"])
    t.check(cold["rreqs"] <= 64, "a cold 1 MiB read took %d requests (read-ahead should make it a few dozen)"
            % cold["rreqs"])
    s1 = fsstat(t)
    t.check(guest_sum(t, "big.bin", 16384) == (1 << 20, want), "big.bin read wrong the second time")
    warm = delta(fsstat(t), s1)
    t.check(warm["rblocks"] == 0, "the second read of big.bin read %d blocks from disk" % warm["rblocks"])
    t.check(warm["hits"] >= 1024, "the second read of big.bin had only %d cache hits" % warm["hits"])

    # More blocks than buffers: writing it pushes big.bin out, and reading
    # it back must come from the disk (its start was evicted by its end).
    blocks = nbuf + 2048
    out = t.run("fstest write evict %d 4" % blocks, timeout=300)
    t.expect(out, r"^fstest: wrote evict %d blocks$" % blocks, "writing a file bigger than the cache")
    s2 = fsstat(t)
    out = t.run("fstest check evict 4", timeout=300)
    t.expect(out, r"^fstest: evict ok, %d bytes$" % (blocks * BSIZE), "reading it back")
    back = delta(fsstat(t), s2)
    t.check(back["rblocks"] >= blocks - nbuf, "reading a file bigger than the cache read only %d blocks "
            "from disk (at least %d were evicted)" % (back["rblocks"], blocks - nbuf))
    s3 = fsstat(t)
    t.check(guest_sum(t, "big.bin", 16384) == (1 << 20, want), "big.bin read wrong after eviction")
    again = delta(fsstat(t), s3)
    t.check(again["rblocks"] >= 1024, "big.bin, least recently used, was still cached (%d blocks read)"
            % again["rblocks"])
    t.note("%d buffers; a %d-block file read back with %d blocks from disk" % (nbuf, blocks, back["rblocks"]))


def odd_files(work):
    """Files whose ends and holes fall everywhere read-ahead has to stop."""
    rnd = random.Random(22)
    files = {}
    for size in (1, BSIZE - 1, BSIZE, BSIZE + 1, 16 * BSIZE + 1, (NDIRECT + NINDIRECT) * BSIZE + 3):
        files["odd%d" % size] = bytes(rnd.randrange(1, 256) for _ in range(size))
    holes = bytearray()
    for run, zero in ((20, 0), (21, 1), (250, 0), (300, 1), (2, 0), (600, 1), (1, 0)):
        holes += b"\0" * (run * BSIZE) if zero else bytes(rnd.randrange(256) for _ in range(run * BSIZE))
    files["holes"] = bytes(holes[:-300])                # ends inside a data block
    files["holetail"] = bytes(holes[:(20 + 21 + 250 + 300) * BSIZE + 5])   # ends in a hole
    files["zeros"] = b"\0" * (100 * BSIZE + 7)          # nothing but holes
    paths = []
    for name, data in files.items():
        path = os.path.join(work, name)
        with open(path, "wb") as f:
            f.write(data)
        paths.append(path)
    return files, paths


@test("fs-readahead", "read-ahead: files ending anywhere in a block and files with holes read byte-exact with every read size, cold and cached")
def fs_readahead(t):
    with tempfile.TemporaryDirectory(prefix="fs-readahead-") as work:
        files, paths = odd_files(work)
        img = os.path.join(work, "fs.img")
        mkfs(t, img, paths)
        expect_consistent(t, img, "the image")
        files["big16.bin"] = open(os.path.join(REPO, "site", "big16.bin"), "rb").read()
        t.boot(fsimg=img)
        s0 = fsstat(t)
        for chunk in (3000, 1, 1024, 32768):
            for name, data in files.items():
                if chunk == 1 and len(data) > 64 * BSIZE:
                    continue   # a byte per system call takes too long for the big ones
                got = guest_sum(t, name, chunk)
                t.check(got == (len(data), zlib.crc32(data)),
                        "%s read %d bytes at a time: size %d crc %x, expected size %d crc %x"
                        % (name, chunk, got[0], got[1], len(data), zlib.crc32(data)))
        d = delta(fsstat(t), s0)
        t.note("%d read requests of %d blocks, %d of them read-ahead" % (d["rreqs"], d["rblocks"], d["rareqs"]))
        t.check(d["rareqs"] > 0, "nothing was read ahead")


@test("fs-parallel", "four readers at once on three harts, three of them on the same cold 16 MiB file with different read sizes, one writing meanwhile: every byte as on the host")
def fs_parallel(t):
    t.boot()
    want = {name: zlib.crc32(open(os.path.join(REPO, "site", name), "rb").read())
            for name in ("big.bin", "big16.bin")}
    readers = [("big16.bin", 3000), ("big16.bin", 16384), ("big.bin", 1000), ("big16.bin", 32768)]
    # Each reader writes its line to a file of its own: on the console,
    # lines of processes that print at once can interleave mid-line.
    t.run(" ".join("fstest sum %s %d > sum%d &" % (r + (i,)) for i, r in enumerate(readers))
          + " fstest write w 4000 2", timeout=120)
    names = " ".join("sum%d" % i for i in range(len(readers)))
    deadline = time.monotonic() + 120
    while True:
        got = [(m.group(1), int(m.group(2)), int(m.group(3), 16))
               for m in re.finditer(FSSTAT_RE, t.run("cat " + names), re.M)]
        if len(got) == len(readers) or time.monotonic() > deadline:
            break
        time.sleep(1)
    t.check(len(got) == len(readers), "%d of the %d readers reported" % (len(got), len(readers)))
    for name, size, crc in got:
        t.check(crc == want[name] and size == os.path.getsize(os.path.join(REPO, "site", name)),
                "%s read alongside the others: size %d crc %x, expected crc %x" % (name, size, crc, want[name]))
    out = t.run("fstest check w 2", timeout=120)
    t.expect(out, r"^fstest: w ok, %d bytes$" % (4000 * BSIZE), "the file written meanwhile")


@test("fs-big", "a 16 MiB file written and read back byte-exact, then again after a reboot (cold cache) and on the host")
def fs_big(t):
    with tempfile.TemporaryDirectory(prefix="fs-big-") as work:
        img = os.path.join(work, "fs.img")
        qemu.copy_sparse(os.path.join(REPO, "fs.img"), img)
        blocks = 16 * 1024
        t.boot(make_vars={"FSIMG": img})
        start = time.monotonic()
        out = t.run("fstest write b16 %d 5" % blocks, timeout=300)
        t.expect(out, r"^fstest: wrote b16 %d blocks$" % blocks, "writing 16 MiB")
        t.note("16 MiB written in %.1fs" % (time.monotonic() - start))
        out = t.run("fstest check b16 5", timeout=300)
        t.expect(out, r"^fstest: b16 ok, %d bytes$" % (blocks * BSIZE), "reading it back")
        t.guest.close()
        image = expect_consistent(t, img, "the image after the write")
        t.check(image.read(image.lookup("b16")) == pattern(blocks, 5),
                "b16 as stored in the image differs from the pattern")
        t.boot(make_vars={"FSIMG": img})
        out = t.run("fstest check b16 5", timeout=300)
        t.expect(out, r"^fstest: b16 ok, %d bytes$" % (blocks * BSIZE), "reading it back after a reboot")
        out = t.run("rm b16; fstest check b16 5")
        t.expect(out, r"cannot open", "b16 after rm")
        t.guest.close()
        expect_consistent(t, img, "the image after rm")


@test("fs-maxfile", "a file of MAXFILE blocks (64 MiB and more) is written and read back, and not one byte more")
def fs_maxfile(t):
    with tempfile.TemporaryDirectory(prefix="fs-maxfile-") as work:
        img = os.path.join(work, "fs.img")
        mkfs(t, img, [], blocks=131072)
        t.boot(make_vars={"FSIMG": img})
        out = t.run("fstest max m", timeout=600)
        t.expect(out, r"^fstest: max m %d blocks ok$" % MAXFILE, "fstest max")
        t.guest.close()
        expect_consistent(t, img, "the image after writing and removing the file")


CRASH_ROUNDS = 4


@test("fs-crash", "QEMU killed while files are created, filled and removed: the image is consistent, the next boot recovers it and every file holds what was written")
def fs_crash(t):
    rnd = random.Random(1922)
    replayed = 0
    with tempfile.TemporaryDirectory(prefix="fs-crash-") as work:
        img = os.path.join(work, "fs.img")
        qemu.copy_sparse(os.path.join(REPO, "fs.img"), img)
        for rnd_no in range(CRASH_ROUNDS):
            g = t.boot(make_vars={"FSIMG": img})
            if rnd_no:
                check_churned(t)
            t.send("fstest churn 100000\n")
            t.wait_for("fstest: churn %d\n" % (10 * rnd.randrange(2, 8)), timeout=120)
            time.sleep(rnd.uniform(0, 0.3))
            t.step("kill -9 QEMU (pid %d)" % g.proc.pid)
            os.kill(g.proc.pid, signal.SIGKILL)
            g.proc.wait(10)
            g.close()
            image = expect_consistent(t, img, "the image after crash %d" % (rnd_no + 1))
            replayed += image.replayed > 0
        t.boot(make_vars={"FSIMG": img})
        check_churned(t)
        t.guest.close()
        expect_consistent(t, img, "the image after recovery")
        t.note("%d crashes, %d of them with a committed transaction still to install" % (CRASH_ROUNDS, replayed))


def check_churned(t):
    """Every churn file left is a prefix of its pattern (the guest checks)."""
    out = t.run("ls")
    names = re.findall(r"^(c[0-7])\s", out, re.M)
    for name in names:
        out = t.run("fstest check %s %s" % (name, name[1]))
        t.expect(out, r"^fstest: %s ok, \d+ bytes$" % name, "%s after the crash" % name)
