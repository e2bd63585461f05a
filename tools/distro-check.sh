#!/bin/sh
# distro-check.sh: the README's two commands on a fresh Debian release, in a debootstrap root.
#
#   tools/distro-check.sh DIST [ROOT]      as root; DIST: bookworm, trixie, ...
#   tools/distro-check.sh --fresh DIST [ROOT]   remove ROOT first
#
# A maintainer's check, not part of `make test` (about ten minutes and 4 GB
# of disk per release; README's "Installing the tools").  It builds a minimal root of DIST
# with debootstrap in ROOT (default /var/tmp/xv6-net-roots/DIST; kept, and
# reused when it is there: then only the clone is new), installs into it
# nothing but what a student starts from (git make python3 sudo
# ca-certificates), clones this tree's committed HEAD to /root/xv6-net, and
# runs there the README's commands, as root:
#   make qemu   driven through a pty: waits for the shell's prompt, runs ls,
#               expects README among the files, quits with Ctrl-a x;
#   make test   as it is; its last line must be "N passed, 0 failed".
# Each step's wall time and the tool versions are printed at the end; the
# logs are in ROOT.logs/.  Needs debootstrap (apt-get install debootstrap)
# and Debian's archive.

set -eu

MIRROR=${MIRROR:-http://deb.debian.org/debian}
BASE_PACKAGES="git make python3 sudo ca-certificates"
SRC=$(cd "$(dirname "$0")/.." && pwd)

fresh=no
if [ "${1:-}" = --fresh ]; then
  fresh=yes
  shift
fi
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: tools/distro-check.sh [--fresh] DIST [ROOT]" >&2
  exit 2
fi
DIST=$1
ROOT=${2:-/var/tmp/xv6-net-roots/$DIST}
LOGS=$ROOT.logs
[ "$(id -u)" -eq 0 ] || { echo "distro-check.sh: needs root (debootstrap, chroot)" >&2; exit 1; }
command -v debootstrap >/dev/null 2>&1 ||
  { echo "distro-check.sh: needs debootstrap: apt-get install debootstrap" >&2; exit 1; }

times=""
step() { step_name=$1; step_start=$(date +%s); echo "=== $DIST: $1"; }
step_done() { times="$times$(printf '%-28s %5ds' "$step_name" $(($(date +%s) - step_start)))
"; }

# Run a command in the root as a fresh login would have it.
in_root() {
  chroot "$ROOT" /usr/bin/env -i HOME=/root TERM=xterm LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

mounted=""
unmount_all() {
  for m in $mounted; do umount -l "$m" 2>/dev/null || true; done
  mounted=""
}
trap unmount_all EXIT
trap 'exit 130' INT TERM
bind() {
  mkdir -p "$ROOT$1"
  mount --bind "$1" "$ROOT$1"
  mounted="$ROOT$1 $mounted"   # unmounted in reverse order
}

if [ $fresh = yes ] && [ -e "$ROOT" ]; then
  rm -rf "$ROOT" "$LOGS"
fi
mkdir -p "$LOGS"

step "debootstrap (minbase)"
if [ -x "$ROOT/usr/bin/apt-get" ] && [ ! -e "$ROOT/debootstrap" ]; then
  echo "reusing $ROOT (--fresh to start over)"
else
  rm -rf "$ROOT"
  debootstrap --variant=minbase "$DIST" "$ROOT" "$MIRROR" >"$LOGS/debootstrap.log" 2>&1 ||
    { tail -20 "$LOGS/debootstrap.log"; exit 1; }
fi
step_done

bind /proc
bind /sys
bind /dev
bind /dev/pts
bind /dev/shm
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# No service may start inside the root (a package's postinst would try).
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod +x "$ROOT/usr/sbin/policy-rc.d"

step "install $BASE_PACKAGES"
in_root sh -c "DEBIAN_FRONTEND=noninteractive apt-get update -q &&
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q $BASE_PACKAGES" >"$LOGS/base.log" 2>&1 ||
  { tail -20 "$LOGS/base.log"; exit 1; }
step_done

step "git clone"
rm -rf "$ROOT/root/xv6-net"
git clone -q "$SRC" "$ROOT/root/xv6-net"
git -C "$ROOT/root/xv6-net" log --oneline -1
step_done

step "make qemu (with its set-up)"
# The driver runs on the host: a pty for make qemu in the root.
python3 - "$ROOT" >"$LOGS/make-qemu.log" 2>&1 <<'EOF' || { tail -30 "$LOGS/make-qemu.log"; exit 1; }
import os, pty, select, sys, time
root = sys.argv[1]
env = ["/usr/bin/env", "-i", "HOME=/root", "TERM=xterm", "LANG=C.UTF-8",
       "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
pid, fd = pty.fork()
if pid == 0:
    os.execvp("chroot", ["chroot", root] + env + ["sh", "-c", "cd /root/xv6-net && make qemu"])
out = b""
def wait_for(what, timeout):
    global out
    end = time.time() + timeout
    while time.time() < end:
        if what in out:
            return
        r, _, _ = select.select([fd], [], [], 1)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
            out += data
    sys.exit("\ndistro-check: no %r within %d s" % (what, timeout))
wait_for(b"init: starting sh", 3600)     # set-up, build and boot
wait_for(b"$ ", 120)
out = b""
os.write(fd, b"ls\n")
wait_for(b"$ ", 60)
if b"README" not in out or b"nettests" not in out:
    sys.exit("\ndistro-check: ls in the guest lists no README or nettests")
os.write(fd, b"\x01x")
wait_for(b"QEMU: Terminated", 30)
_, status = os.waitpid(pid, 0)
print("\ndistro-check: make qemu: booted, ls listed README and nettests, quit with Ctrl-a x")
EOF
tail -1 "$LOGS/make-qemu.log"
step_done

step "make test"
set +e
in_root sh -c "cd /root/xv6-net && make test" >"$LOGS/make-test.log" 2>&1
rc=$?
set -e
step_done
grep -E '^(FAIL|HANG|SKIP)' "$LOGS/make-test.log" || true
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$LOGS/make-test.log" | tail -1)
echo "make test: exit $rc: ${summary:-no summary line (see $LOGS/make-test.log)}"

echo "=== $DIST: versions"
# Chromium's version comes from its package: this script never starts a
# browser (make test's tcp-browser does, inside `unshare --net`).
# shellcheck disable=SC2016 # expanded inside the root
in_root sh -c '. /etc/os-release; echo "$PRETTY_NAME"
  qemu-system-riscv64 --version | sed -n 1p
  riscv64-unknown-elf-gcc --version | sed -n 1p
  cc --version | sed -n 1p
  python3 --version
  gdb-multiarch --version | sed -n 1p
  dpkg-query -W -f="chromium \${Version}\n" chromium
  clang --version | sed -n 1p
  tshark --version | sed -n 1p' 2>&1 | tee "$LOGS/versions.txt"
echo "=== $DIST: wall times"
printf '%s' "$times"
unmount_all
echo "disk: $(du -shx "$ROOT" | cut -f1) in $ROOT"
case "$summary" in
*" 0 failed"*) [ "$rc" -eq 0 ] ;;
*) exit 1 ;;
esac
