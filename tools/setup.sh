#!/bin/sh
# setup.sh: check for (and on Debian/Ubuntu install) the tools that build, run and debug xv6-net.
#
#   tools/setup.sh           silent when all is there; installs what is missing
#                            with apt-get on Debian/Ubuntu, else says what to install
#   tools/setup.sh --check   only report, never install
#   tools/setup.sh --test    also the tools `make test` needs (it runs this);
#                            installs what is missing, fails if it cannot
#                            (.ci/run runs it too: one list for both)
#
# The lab tools (gdb-multiarch, tcpdump, tshark) are installed along with the
# others; when only they are missing, the build goes on without them, and they
# are installed only if that needs no password (root, or sudo without one).
#
# Plain POSIX sh: the Makefile runs it with `sh`.

QEMU_MIN_MAJOR=7
QEMU_MIN_MINOR=2
PYTHON_MIN="3, 7"
NL='
'

usage() {
  echo "usage: tools/setup.sh [--check | --test]"
}

have() {
  command -v "$1" >/dev/null 2>&1
}

# First riscv64 cross gcc found, by the prefixes the distributions use
# (the Makefile looks for the same ones).
find_gcc() {
  for p in riscv64-unknown-elf riscv64-linux-gnu riscv64-elf; do
    if have "$p-gcc"; then
      echo "$p-gcc"
      return 0
    fi
  done
  return 1
}

# The host C compiler that builds mkfs, as the Makefile picks it (HOSTCC:
# cc, or gcc where there is no cc; HOSTCC in the environment wins).
find_hostcc() {
  for c in ${HOSTCC:-cc gcc}; do
    if have "$c"; then
      echo "$c"
      return 0
    fi
  done
  return 1
}

# A host compiler without the C library's headers (Debian's libc6-dev)
# cannot build mkfs: try a program that includes them.
hostcc_builds() {
  printf '#include <stdio.h>\n#include <stdlib.h>\nint main(void) { return EXIT_SUCCESS; }\n' |
    "$1" -x c - -o /dev/null >/dev/null 2>&1
}

# "7 2" from "QEMU emulator version 7.2.22 (...)".
qemu_version() {
  qemu-system-riscv64 --version 2>/dev/null |
    sed -n '1s/^.*version \([0-9][0-9]*\)\.\([0-9][0-9]*\).*$/\1 \2/p'
}

qemu_new_enough() {
  [ $# -eq 2 ] || return 1
  [ "$1" -gt "$QEMU_MIN_MAJOR" ] ||
    { [ "$1" -eq "$QEMU_MIN_MAJOR" ] && [ "$2" -ge "$QEMU_MIN_MINOR" ]; }
}

# The lab tools, "command:Debian package:what it is for", one per line.
LAB_TOOLS='gdb-multiarch:gdb-multiarch:make qemu-gdb
tcpdump:tcpdump:reading packets.pcap
tshark:tshark:reading packets.pcap; the grader also decodes the capture with it'

# The tools only the tests need, in the same form; checked with --test.
TEST_TOOLS='clang:clang:the libFuzzer tests (robust-host)
curl:curl:the HTTP tests against httpd
chromium:chromium:the browser test (tcp-browser)
unshare:util-linux:a network namespace for the browser test
ip:iproute2:bringing up loopback in that namespace'

# libFuzzer's runtime comes in a package of its own: a fuzzer must link.
fuzzer_links() {
  echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' |
    clang -fsanitize=fuzzer -x c - -o /dev/null >/dev/null 2>&1
}

ok() { report="$report${NL}ok       $*"; }
bad() { report="$report${NL}$*"; problems=$((problems + 1)); }

# survey: fill `report` (one line per tool), `need` (the Debian packages
# that would fix what is missing), `problems` (count), `hint` (advice
# for problems no package fixes) and `want` (packages of missing lab tools).
survey() {
  report="" need="" problems=0 hint="" want=""

  if gcc=$(find_gcc); then
    ok "riscv64 gcc: $gcc $("$gcc" -dumpversion 2>/dev/null)"
  else
    bad "MISSING  riscv64 gcc (riscv64-unknown-elf-gcc or riscv64-linux-gnu-gcc)"
    need="$need gcc-riscv64-unknown-elf"
  fi

  if hostcc=$(find_hostcc) && hostcc_builds "$hostcc"; then
    ok "$hostcc (host C compiler, HOSTCC: builds mkfs) $("$hostcc" -dumpversion 2>/dev/null)"
  else
    bad "MISSING  host C compiler (cc or gcc, with the C library's headers: HOSTCC, builds mkfs)"
    need="$need gcc libc6-dev"
  fi

  qemu_min="$QEMU_MIN_MAJOR.$QEMU_MIN_MINOR"
  if ! have qemu-system-riscv64; then
    bad "MISSING  qemu-system-riscv64 (QEMU >= $qemu_min)"
    need="$need qemu-system-misc"
  else
    qv=$(qemu_version)
    # shellcheck disable=SC2086 # split "7 2" into two arguments
    if qemu_new_enough $qv; then
      ok "qemu-system-riscv64 $(echo "$qv" | tr ' ' .)"
    else
      bad "TOO OLD  qemu-system-riscv64 $(echo "${qv:-unknown}" | tr ' ' .), need >= $qemu_min"
      hint="QEMU >= $qemu_min ships with Debian 12 (7.2), Debian 13 (10.0) and Ubuntu 24.04 (8.2); or build it from source."
    fi
  fi

  if have python3 && pv=$(python3 -c "import sys, platform
print(platform.python_version()); sys.exit(sys.version_info < ($PYTHON_MIN))"); then
    ok "python3 $pv"
  else
    bad "MISSING  python3 >= $(echo "$PYTHON_MIN" | tr -d ' ' | tr , .)"
    need="$need python3"
  fi

  if have make; then
    ok "make"
  else
    bad "MISSING  make"
    need="$need make"
  fi

  # The lab tools are optional for building; make test needs them, and
  # the tools only it uses.
  if [ "$mode" = --test ]; then
    survey_tools "$LAB_TOOLS" required "lab tool, and make test uses it"
    survey_tools "$TEST_TOOLS" required "for make test"
    if have clang && ! fuzzer_links; then
      bad "MISSING  libFuzzer's runtime (for make test: the libFuzzer tests)"
      need="$need libclang-rt-dev"
    fi
  else
    survey_tools "$LAB_TOOLS" optional "lab tool"
  fi
}

# survey_tools LIST required|optional LABEL: one report line per tool of
# LIST ("command:package:what for" lines); a missing required one is a
# problem (its package goes to `need`), a missing optional one is not
# (its package goes to `want`).
survey_tools() {
  list=$1 kind=$2 label=$3
  saved_ifs=$IFS
  IFS=$NL
  for entry in $list; do
    IFS=:
    # shellcheck disable=SC2086 # split the entry at its colons
    set -- $entry
    if have "$1"; then
      ok "$1 ($label: $3)"
    elif [ "$kind" = required ]; then
      bad "MISSING  $1 ($label: $3)"
      need="$need $2"
    else
      report="$report${NL}absent   $1 ($label: $3; Debian package $2)"
      want="$want $2"
    fi
  done
  IFS=$saved_ifs
}

is_debian_like() {
  have apt-get && [ -r /etc/os-release ] || return 1
  # shellcheck disable=SC1091
  ids=$(. /etc/os-release && echo " $ID $ID_LIKE ")
  case "$ids" in
  *" debian "* | *" ubuntu "*) return 0 ;;
  *) return 1 ;;
  esac
}

print_install_help() {
  cat >&2 <<'EOF'
Install the missing tools with your package manager, then try again:
  Debian/Ubuntu: sudo apt-get install gcc-riscv64-unknown-elf qemu-system-misc python3 make
                   gcc libc6-dev gdb-multiarch tcpdump tshark
  Fedora:        sudo dnf install gcc-riscv64-linux-gnu qemu-system-riscv python3 make
                   gcc gdb tcpdump wireshark-cli
  Arch:          sudo pacman -S riscv64-elf-gcc qemu-system-riscv python make
                   gcc riscv64-elf-gdb tcpdump wireshark-cli
  macOS:         brew install riscv64-elf-gcc qemu python riscv64-elf-gdb wireshark
                 (or: brew tap riscv-software-src/riscv && brew install riscv-tools qemu)
EOF
}

# as_root [-n] CMD...: run CMD as root: directly, or through sudo; with -n
# only through a sudo that needs no password.
as_root() {
  ask=yes
  if [ "$1" = -n ]; then
    ask=no
    shift
  fi
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif have sudo && { [ $ask = yes ] || sudo -n true 2>/dev/null; }; then
    sudo "$@"
  else
    echo "setup.sh: need root (or sudo) to run: $*" >&2
    return 1
  fi
}

# apt_install [-n] PKG...: apt-get install without questions; -n as for as_root.
apt_install() {
  n=""
  if [ "$1" = -n ]; then
    n=-n
    shift
  fi
  echo "setup.sh: installing $* with apt-get" >&2
  case " $* " in
  *" tshark "*)
    # tshark's package asks whether non-root users may capture; answer it ahead.
    echo "wireshark-common wireshark-common/install-setuid boolean false" |
      as_root $n debconf-set-selections || return 1
    ;;
  esac
  as_root $n env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
    as_root $n env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

# The build does not need the lab tools: try to install them, say so if
# that fails, and go on.
install_lab_tools() {
  is_debian_like && apt_install -n "$@" && return 0
  echo "setup.sh: lab tools missing:" "$@" \
    "(for make qemu-gdb and reading packets.pcap); see tools/setup.sh --check" >&2
}

show_problems() {
  echo "$report" | grep -v -e '^$' -e '^ok ' -e '^absent ' | sed 's/^/setup.sh: /' >&2
  [ -z "$hint" ] || echo "setup.sh: $hint" >&2
}

main() {
  mode=${1:-}
  case "$mode" in
  "" | --test) ;;
  --check)
    survey
    echo "${report#"$NL"}"
    [ -z "$hint" ] || echo "$hint" >&2
    [ "$problems" -eq 0 ]
    exit
    ;;
  -h | --help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
  esac

  survey
  if [ "$problems" -eq 0 ]; then
    # shellcheck disable=SC2086 # one word per package
    [ -z "$want" ] || install_lab_tools $want
    exit 0
  fi
  if [ -n "$need" ]; then
    if ! is_debian_like; then
      show_problems
      print_install_help
      exit 1
    fi
    # shellcheck disable=SC2086 # one word per package
    apt_install $need $want || exit 1
    survey
  fi
  if [ "$problems" -gt 0 ]; then
    show_problems
    exit 1
  fi
}

main "$@"
