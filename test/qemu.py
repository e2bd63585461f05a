"""qemu.py: drive an xv6-net guest through its serial console (standard library only).

Typical use:

    import qemu
    with qemu.Guest.boot(log_path="boot.log") as g:
        g.wait_prompt(30)
        print(g.run("ls"))

The guest's console is QEMU's stdio; everything it prints is collected by a
reader thread, and the wait_* methods scan that text from a cursor that only
moves forward, the way `expect` does.  Every wait fails fast, with the console
tail attached, when the guest panics or QEMU exits.
"""

import atexit
import bisect
import codecs
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref

# The repository root: this file lives in <root>/test/.
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PROMPT = "$ "
# The kernel's panic() prints "panic: why"; it may land after a half-printed
# line (a prompt, say), so the match is not anchored to the line start.
PANIC_RE = re.compile(r"^.*\bpanic: .*$", re.M)

# Makefile variables naming host UDP ports that QEMU binds; boot() picks
# free ones so that concurrent runs on one machine do not collide.
FORWARD_PORT_VARS = ("FWDPORT", "FWDPORT2")

TAIL_LINES = 40
CLOSE_GRACE = 3.0      # seconds between SIGTERM and SIGKILL
READ_CHUNK = 4096


class GuestError(Exception):
    """QEMU could not start, or a console wait went wrong; `tail` holds the
    last console lines."""

    def __init__(self, reason, tail=""):
        self.reason = reason
        self.tail = tail
        super().__init__(reason + ("\n--- console tail ---\n" + tail if tail else ""))


class GuestTimeout(GuestError, TimeoutError):
    """The expected text did not appear in time."""


class GuestExited(GuestError):
    """QEMU exited (or closed its output) while we were waiting."""


class GuestPanic(GuestError):
    """The kernel printed a panic line."""


def describe(pattern):
    """How a wait_for pattern reads in messages."""
    if isinstance(pattern, str):
        return repr(pattern)
    return "/%s/" % pattern.pattern


def _find(pattern, text, start):
    """Return (match_start, match_end) of pattern in text[start:], or None."""
    if isinstance(pattern, str):
        at = text.find(pattern, start)
        return None if at < 0 else (at, at + len(pattern))
    m = pattern.search(text, start)
    return None if m is None else (m.start(), m.end())


# Guests not closed yet; the ones a careless caller forgets are stopped at
# exit, since QEMU does not quit when its console input closes.
_live = weakref.WeakSet()


@atexit.register
def _close_forgotten():
    for g in list(_live):
        g.close()


class Guest:
    """One QEMU process whose stdin/stdout are the guest's console."""

    def __init__(self, qemu_cmd, log_path=None, echo=False, cwd=None,
                 panic_fatal=True, workdir=None):
        self.cmd = list(qemu_cmd)
        self.echo = echo
        self.panic_fatal = panic_fatal
        self.started = time.monotonic()
        self.workdir = workdir     # this guest's scratch files, removed by close()
        self.make_vars = {}
        self._buf = ""
        self._pos = 0              # consumed up to here
        self._scanned = 0          # complete lines before this were checked for panic
        self._arrivals = []        # (length of the text so far, monotonic time) per chunk
        self._panic = None
        self._eof = False
        self._closed = False
        self._cond = threading.Condition()
        self._log = open(log_path, "w", encoding="utf-8") if log_path else None
        try:
            self.proc = subprocess.Popen(
                self.cmd, cwd=cwd or REPO, stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                start_new_session=True)
        except OSError as e:
            if self._log:
                self._log.close()
            raise GuestError("cannot start %s: %s" % (self.cmd[0], e)) from None
        self._reader = threading.Thread(target=self._read_loop, daemon=True,
                                         name="qemu-console-%d" % self.proc.pid)
        self._reader.start()
        _live.add(self)

    # ---- construction helpers -------------------------------------------

    @classmethod
    def boot(cls, make_vars=None, fsimg=None, fresh_fs=True, **kwargs):
        """Start QEMU as `make qemu-cmd` describes it, isolated from other runs.

        The guest gets a work directory of its own (`workdir`, removed by
        close()) holding a private copy of fsimg (default <repo>/fs.img; skip
        the copy with fresh_fs=False) and the packet capture, and free host
        ports for the Makefile's UDP forwards.  make_vars override any of
        that; the values used are in `make_vars`.  kwargs go to Guest().
        """
        workdir = tempfile.mkdtemp(prefix="xv6-net-guest-")
        try:
            chosen = cls._isolate(dict(make_vars or {}), workdir, fsimg, fresh_fs)
            g = cls(qemu_command(chosen), workdir=workdir, **kwargs)
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        g.make_vars = chosen
        return g

    @staticmethod
    def _isolate(make_vars, workdir, fsimg, fresh_fs):
        src = fsimg or os.path.join(REPO, "fs.img")
        if "FSIMG" not in make_vars:
            if fresh_fs:
                make_vars["FSIMG"] = os.path.join(workdir, "fs.img")
                copy_sparse(src, make_vars["FSIMG"])
            else:
                make_vars["FSIMG"] = src
        make_vars.setdefault("PCAP", os.path.join(workdir, "packets.pcap"))
        fwd = [v for v in FORWARD_PORT_VARS if v not in make_vars]
        for var, port in zip(fwd, free_ports(len(fwd), "udp")):
            make_vars[var] = port
        return make_vars

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # ---- console reader ---------------------------------------------------

    def _read_loop(self):
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        fd = self.proc.stdout.fileno()
        while True:
            try:
                data = os.read(fd, READ_CHUNK)
            except OSError:
                data = b""
            text = decoder.decode(data, final=not data).replace("\r", "")
            if text:
                self._ingest(text)
            if not data:
                break
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def _ingest(self, text):
        if self.echo:
            sys.stdout.write(text)
            sys.stdout.flush()
        if self._log:
            self._log.write(text)
            self._log.flush()
        with self._cond:
            self._buf += text
            self._arrivals.append((len(self._buf), time.monotonic()))
            self._scan_for_panic()
            self._cond.notify_all()

    def _scan_for_panic(self):
        # Only complete lines: a panic message arrives in several chunks.
        end = self._buf.rfind("\n") + 1
        if self._panic is None and end > self._scanned:
            m = PANIC_RE.search(self._buf, self._scanned, end)
            if m:
                self._panic = m.group(0)
        self._scanned = max(self._scanned, end)

    # ---- waiting -----------------------------------------------------------

    def wait_for(self, pattern, timeout):
        """Wait until pattern (a str, or a compiled regex) appears after the
        cursor; move the cursor past it and return the text up to its end."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                span = _find(pattern, self._buf, self._pos)
                if span:
                    text = self._buf[self._pos:span[1]]
                    self._pos = span[1]
                    return text
                self._raise_if_dead(pattern)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise GuestTimeout("no %s on the console after %.0fs"
                                       % (describe(pattern), timeout),
                                       self._tail_locked(TAIL_LINES))
                self._cond.wait(left)

    def _raise_if_dead(self, pattern):
        if self.panic_fatal and self._panic_locked():
            raise GuestPanic("kernel panic while waiting for %s: %s"
                             % (describe(pattern), self._panic_locked()),
                             self._tail_locked(TAIL_LINES))
        if self._eof:
            raise GuestExited("QEMU exited (status %s) while waiting for %s"
                              % (self._exit_status(), describe(pattern)),
                              self._tail_locked(TAIL_LINES))

    def _exit_status(self):
        # Output ends a moment before the process can be reaped.
        try:
            return self.proc.wait(1)
        except subprocess.TimeoutExpired:
            return None

    def wait_prompt(self, timeout=30):
        """Wait for the shell's prompt; returns the text before it."""
        return self.wait_for(PROMPT, timeout)[:-len(PROMPT)]

    def run(self, cmd, timeout=30):
        """Type one command line, wait for the next prompt and return what the
        command printed (the echo of the line itself removed)."""
        self.send(cmd + "\n")
        text = self.wait_prompt(timeout)
        echoed = text.find(cmd + "\n")
        return text[echoed + len(cmd) + 1:] if echoed >= 0 else text

    def skip(self):
        """Mark everything collected so far as consumed."""
        with self._cond:
            self._pos = len(self._buf)

    # ---- input -------------------------------------------------------------

    def send(self, text):
        """Type text on the console (no newline is added)."""
        if self._closed or self.proc.poll() is not None:
            raise GuestExited("cannot type %r: QEMU is not running" % text,
                              self.tail())
        try:
            self.proc.stdin.write(text.encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as e:
            raise GuestExited("cannot type %r: %s" % (text, e), self.tail()) from None

    # ---- inspection ----------------------------------------------------------

    @property
    def text(self):
        """Everything the console printed so far."""
        with self._cond:
            return self._buf

    def tail(self, n=TAIL_LINES):
        """The last n console lines."""
        with self._cond:
            return self._tail_locked(n)

    def _tail_locked(self, n):
        return "\n".join(self._buf.rstrip("\n").split("\n")[-n:])

    @property
    def cursor(self):
        """Offset in `text` up to which the waits have consumed it."""
        with self._cond:
            return self._pos

    def arrived(self, pos):
        """When the console text at offset pos arrived (monotonic seconds),
        None if it has not yet: how a harness times what one command line
        printed in parts."""
        with self._cond:
            at = bisect.bisect_right(self._arrivals, (pos, float("inf")))
            return self._arrivals[at][1] if at < len(self._arrivals) else None

    def panicked(self):
        """The kernel's panic line, or None."""
        with self._cond:
            return self._panic_locked()

    def _panic_locked(self):
        if self._panic is None:
            # The unfinished last line too: a dying kernel may not end it.
            m = PANIC_RE.search(self._buf, self._scanned)
            if m:
                return m.group(0)
        return self._panic

    def running(self):
        """Whether QEMU is still up."""
        return not self._closed and self.proc.poll() is None

    def uptime(self):
        """Seconds since QEMU was started."""
        return time.monotonic() - self.started

    # ---- shutdown -------------------------------------------------------------

    def close(self):
        """Stop QEMU (its own process group, created by us) and release
        everything; safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        _live.discard(self)
        try:
            self._stop()
        finally:
            self._reader.join(CLOSE_GRACE)
            for f in (self.proc.stdin, self.proc.stdout, self._log):
                try:
                    if f:
                        f.close()
                except OSError:
                    pass
            if self.workdir:
                shutil.rmtree(self.workdir, ignore_errors=True)

    def _stop(self):
        if self.proc.poll() is not None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                # start_new_session made QEMU the leader of a group of its own.
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.proc.wait(CLOSE_GRACE)
                return
            except subprocess.TimeoutExpired:
                continue


def copy_sparse(src, dst):
    """Copy the file src to dst, leaving src's holes as holes: fs.img is
    mostly holes (mkfs writes no block of zeros), and every boot copies it."""
    chunk = 1 << 20
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        fi, fo = fin.fileno(), fout.fileno()
        size = os.fstat(fi).st_size
        pos = 0
        while pos < size:
            try:
                pos = os.lseek(fi, pos, os.SEEK_DATA)
            except OSError:          # ENXIO: nothing but a hole is left
                break
            end = os.lseek(fi, pos, os.SEEK_HOLE)
            while pos < end:
                data = os.pread(fi, min(chunk, end - pos), pos)
                os.pwrite(fo, data, pos)
                pos += len(data)
        fout.truncate(size)


def copy2_sparse(src, dst):
    """shutil.copy2 (contents, times, mode) that keeps holes: a copytree
    copy_function for trees holding an fs.img."""
    copy_sparse(src, dst)
    shutil.copystat(src, dst)
    return dst


def make_env():
    """The environment for a make run from a test or the grader: a make
    started from another (`make test`, `make grade`) must not inherit its
    parent's settings."""
    return {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}


def qemu_command(make_vars=None, repo=REPO):
    """The QEMU argv that `make qemu-cmd` prints, with make variables set."""
    args = ["make", "-s", "--no-print-directory", "-C", repo, "qemu-cmd"]
    args += ["%s=%s" % (k, v) for k, v in (make_vars or {}).items()]
    res = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         universal_newlines=True, env=make_env())
    lines = [l for l in res.stdout.splitlines() if l.strip()]
    if res.returncode != 0 or not lines:
        raise RuntimeError("`%s` failed (status %d):\n%s%s"
                           % (" ".join(args), res.returncode, res.stdout, res.stderr))
    argv = shlex.split(lines[-1])
    if "qemu" not in os.path.basename(argv[0]):
        raise RuntimeError("`make qemu-cmd` printed no QEMU command: %r" % lines[-1])
    return argv


def free_ports(count=1, kind="tcp"):
    """count distinct free ports on 127.0.0.1 (kind "tcp" or "udp").

    The sockets stay open until all are chosen so the ports differ; another
    program may still take one before QEMU binds it, which is unlikely.
    """
    stype = {"tcp": socket.SOCK_STREAM, "udp": socket.SOCK_DGRAM}[kind]
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, stype)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def free_port(kind="tcp"):
    """One free port on 127.0.0.1."""
    return free_ports(1, kind)[0]
