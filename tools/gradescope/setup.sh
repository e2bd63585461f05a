#!/bin/sh
# setup.sh: Gradescope's image set-up for the network lab: installs the tools on its Ubuntu 24.04 base image.
#
# Pick "Ubuntu 24.04" as the autograder's base image: 22.04's QEMU (6.2) is
# too old for the lab (7.2 or newer; 24.04 has 8.2).  Gradescope runs this
# once, as root, when it builds the image.  The package names are checked
# against Debian 12's archive, not Ubuntu 24.04's (expected the same); a
# missing one stops the image build.  tshark's debconf question is
# answered first.  It ends with tools/setup.sh --check, which fails when QEMU is too
# old, so a wrong base image shows up in the build log, not in grades;
# then it builds the reference tree.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
PACKAGES="make gcc libc6-dev python3 gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf
qemu-system-misc gdb-multiarch tshark"

export DEBIAN_FRONTEND=noninteractive
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -q
# shellcheck disable=SC2086 # one package per word
apt-get install -y -q --no-install-recommends $PACKAGES
sh "$HERE/xv6-net/tools/setup.sh" --check
# Build the reference tree once: run_autograder copies it with the build
# output, so a submission rebuilds only its own files.
make -C "$HERE/xv6-net" -s all
