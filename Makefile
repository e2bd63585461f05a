# Makefile: build the kernel and file-system image, run them under QEMU, run the tests.
#   make            kernel/kernel and fs.img
#   make qemu       boot to a shell (quit with Ctrl-a x); NIC= picks the card
#   make qemu-gdb   boot, waiting for gdb-multiarch on $(GDBPORT)
#   make server     the host side that nettests talks to
#   make grade      grade the lab (./grade-lab-net) in a copy of the tree
#   make test       every test (test/run_tests.py)

K = kernel
U = user

# ---- toolchain --------------------------------------------------------------
# The RISC-V cross compiler: Debian's bare-metal one first, the Linux cross
# compiler as a fallback.  None found stops the build with the one line that
# says how to get it (tools/setup.sh installs it; `make qemu` runs that).
TOOLPREFIX ?= $(shell for p in riscv64-unknown-elf- riscv64-linux-gnu- riscv64-elf-; do \
	if command -v $${p}gcc >/dev/null 2>&1; then echo $$p; break; fi; done)
CROSS = $(or $(TOOLPREFIX),$(error no RISC-V cross compiler (riscv64-unknown-elf-gcc, \
	riscv64-linux-gnu-gcc or riscv64-elf-gcc): run tools/setup.sh, or on Debian/Ubuntu \
	sudo apt-get install gcc-riscv64-unknown-elf))
CC = $(CROSS)gcc
AS = $(CROSS)gcc
LD = $(CROSS)ld
OBJCOPY = $(CROSS)objcopy
OBJDUMP = $(CROSS)objdump
# HOSTCC: the host's C compiler, which builds mkfs (it runs on the host):
# cc, or gcc where there is no cc; tools/setup.sh checks for the same one.
HOSTCC ?= $(or $(shell for c in cc gcc; do \
	if command -v $$c >/dev/null 2>&1; then echo $$c; break; fi; done),$(error no host C \
	compiler (cc or gcc) to build mkfs: run tools/setup.sh, or on Debian/Ubuntu \
	sudo apt-get install gcc libc6-dev))
HOSTCFLAGS = -O2 -Wall -Werror -I.
QEMU = qemu-system-riscv64

CFLAGS = -march=rv64gc -mabi=lp64d -mcmodel=medany -mno-relax -O2 -Wall -Werror \
	-ffreestanding -fno-common -nostdlib -fno-stack-protector -fno-pie -no-pie \
	-fno-omit-frame-pointer -ggdb -gdwarf-2 -MD -I.
ASFLAGS = $(CFLAGS)
LDFLAGS = -z max-page-size=4096

# Ports derived from the user id, so that people sharing a machine do not
# collide; any of them can be overridden on the command line.  Two trees of
# one user collide: give one `PORTBASE=` another base (tools/ports.py says
# so when a port is taken), the same for its make qemu and make server.
PORTBASE := $(shell echo $$(( 25000 + ($$(id -u) % 1000) * 8 )))
GDBPORT    ?= $(PORTBASE)
SERVERPORT ?= $(shell echo $$(( $(PORTBASE) + 1 )))
DNSPORT    ?= $(shell echo $$(( $(PORTBASE) + 2 )))
FWDPORT    ?= $(shell echo $$(( $(PORTBASE) + 3 )))
FWDPORT2   ?= $(shell echo $$(( $(PORTBASE) + 4 )))
# TCP: server.py's HTTP, echo and sink services (SINKPORT is a TCP port;
# the UDP port of that number is SERVERPORT), and for `make qemu` the host
# port forwarded to the guest's web server on port 80.
HTTPPORT   ?= $(shell echo $$(( $(PORTBASE) + 6 )))
ECHOPORT   ?= $(shell echo $$(( $(PORTBASE) + 7 )))
SINKPORT   ?= $(shell echo $$(( $(PORTBASE) + 1 )))

# ---- kernel -----------------------------------------------------------------
KOBJS = \
	$K/entry.o $K/mstart.o $K/main.o \
	$K/uart.o $K/console.o $K/printf.o \
	$K/kalloc.o $K/vm.o $K/string.o \
	$K/spinlock.o $K/sleeplock.o $K/proc.o $K/swtch.o \
	$K/uservec.o $K/kernelvec.o $K/trap.o $K/plic.o \
	$K/syscall.o $K/sysproc.o $K/exec.o \
	$K/virtio.o $K/virtio_disk.o $K/bio.o $K/log.o $K/fs.o $K/file.o $K/pipe.o $K/sysfile.o \
	$K/pci.o $K/e1000.o $K/virtio_net.o $K/virtio_rng.o $K/mbuf.o $K/ethernet.o $K/netinfo.o \
	$K/arp.o $K/ip.o $K/udp.o $K/tcp.o $K/icmp.o $K/dhcp.o $K/socket.o $K/sysnet.o

# >>> only instructor
# `make CEILING=1` builds the benchmark's ceiling kernel, which answers UDP
# echo inside the driver (kernel/ceiling.c): the link sends the drivers'
# calls of eth_input() to ceiling.c's __wrap_eth_input() (ld --wrap), so no
# other source knows of it.  tools/bench.py builds it in a copy of the
# tree, so the normal kernel is never replaced by it.
ifeq ($(CEILING),1)
KOBJS += $K/ceiling.o
$K/kernel: LDFLAGS += --wrap=eth_input
endif
# <<< only

# `make SLEEP_PAUSE=1` builds a test kernel whose sleep() dawdles before it
# takes the process lock (proc.c), so that test_sched.py can land a kill
# there at will; the test builds it in a copy of the tree.
ifeq ($(SLEEP_PAUSE),1)
CFLAGS += -DSLEEP_PAUSE
endif

$K/kernel: $(KOBJS) $K/kernel.ld
	$(LD) $(LDFLAGS) -T $K/kernel.ld -o $@ $(KOBJS)
	$(OBJDUMP) -S $@ > $K/kernel.asm

# ---- user programs ----------------------------------------------------------
ULIB = $U/ulib.o $U/usys.o $U/printf.o $U/umalloc.o

$U/usys.S: $U/usys.py $K/syscall.h
	python3 $U/usys.py $@

# user/NAME.elf keeps the debug information for gdb; the copy that goes
# into fs.img (user/_NAME) is stripped so the image has room to spare.
$U/%.elf: $U/%.o $(ULIB) $U/user.ld
	$(LD) $(LDFLAGS) -T $U/user.ld -o $@ $< $(ULIB)

$U/_%: $U/%.elf
	$(OBJCOPY) --strip-debug $< $@

UPROGS = \
	$U/_init $U/_sh $U/_cat $U/_echo $U/_grep $U/_kill $U/_ln $U/_ls \
	$U/_mkdir $U/_rm $U/_wc $U/_zombie $U/_forktest $U/_stressfs $U/_grind \
	$U/_usertests \
	$U/_nettests $U/_ping $U/_udpecho $U/_ifconfig $U/_nettrace \
	$U/_udpsink $U/_netstress $U/_schedtest $U/_tcp $U/_fetch $U/_httpd \
	$U/_fsstat $U/_fstest

# nettests finds server.py on these ports unless told otherwise (-p, -d).
# The stamp makes it rebuild when they change on the command line.
$U/nettests.o: CFLAGS += -DSERVERPORT=$(SERVERPORT) -DDNSPORT=$(DNSPORT)
$U/nettests.o: $U/.ports-$(SERVERPORT)-$(DNSPORT)
$U/.ports-%:
	rm -f $U/.ports-*
	touch $@

# ---- file system ------------------------------------------------------------
mkfs/mkfs: mkfs/mkfs.c $K/fs.h $K/param.h $K/stat.h
	$(HOSTCC) $(HOSTCFLAGS) -o $@ mkfs/mkfs.c

# The web site httpd serves (site/; big.bin, 1 MiB, and big16.bin, 16 MiB,
# are made here).  Byte i of big.bin is (i*7 + i/251) % 256.  Block k
# (1 KiB) of big16.bin is k in 8 little-endian bytes, then 1016 bytes of
# that pattern from byte k % 1000: every block differs from every other.
SITE = site/index.html site/hello.txt site/style.css site/1k.html site/big.bin site/big16.bin
site/big.bin: Makefile
	python3 -c "import sys; sys.stdout.buffer.write(bytes((i * 7 + i // 251) % 256 for i in range(1024 * 1024)))" > $@
site/big16.bin: Makefile
	python3 -c "import struct, sys; p = bytes((i * 7 + i // 251) % 256 for i in range(2048)); \
		sys.stdout.buffer.write(b''.join(struct.pack('<Q', k) + p[k % 1000:k % 1000 + 1016] for k in range(16384)))" > $@

# fs.img is sparse (mkfs leaves blocks of zeros unwritten), so its size
# costs nothing until the guest writes there.
FSBLOCKS = 65536
fs.img: mkfs/mkfs README.md $(UPROGS) $(SITE)
	mkfs/mkfs -s $(FSBLOCKS) $@ README.md $(UPROGS) $(SITE)

all: $K/kernel fs.img
.DEFAULT_GOAL := all

# Keep intermediate objects (make would delete them after linking).
.PRECIOUS: %.o $U/%.elf $U/_%

-include $K/*.d $U/*.d

# ---- running ----------------------------------------------------------------
CPUS ?= 3
FSIMG ?= fs.img


# The network card's back end: QEMU user networking by default, with two
# host UDP ports forwarded to guest ports 2000 and 2001, and if WEBPORT is
# set (`make qemu` sets it) a host TCP port to the guest's port 80.  Only
# `make qemu` picks a WEBPORT by itself: other QEMUs (tests, the grader)
# would collide on it.  Tests replace NETDEV with a raw-frame `dgram` peer.
WEBFWD = $(if $(WEBPORT),$(comma)hostfwd=tcp:127.0.0.1:$(WEBPORT)-:80)
comma := ,
NETDEV ?= user,id=net0,hostfwd=udp:127.0.0.1:$(FWDPORT)-:2000,hostfwd=udp:127.0.0.1:$(FWDPORT2)-:2001$(WEBFWD)
PCAP ?= packets.pcap

# >>> only e1000 udp instructor
# The card: NIC=e1000 (the default: the Intel card on PCI) or NIC=virtio
# (virtio-net in virtio-mmio slot 1, next to the disk in slot 0).
# <<< only
# >>> only virtio instructor
# The card: NIC=virtio (the default in the virtio-net assignment, whose
# tools/variant says virtio: virtio-net in virtio-mmio slot 1, next to the
# disk in slot 0) or NIC=e1000 (the Intel card on PCI).
# <<< only
# NIC=virtio-timer is the same card with QEMU sending on a timer rather than
# at once (tx=timer): fewer wake-ups of QEMU's main loop for longer delays
# (`make bench` measures both, in bench/results.md).  The kernel uses
# whichever it finds; the capture is taken on the back end, so it is the
# same for both.
NIC ?= $(if $(filter virtio,$(shell cat tools/variant 2>/dev/null)),virtio,e1000)
ifeq ($(NIC),e1000)
NICDEV = -device e1000,netdev=net0,bus=pcie.0,romfile=
else ifeq ($(NIC),virtio)
NICDEV = -device virtio-net-device,netdev=net0,bus=virtio-mmio-bus.1
else ifeq ($(NIC),virtio-timer)
NICDEV = -device virtio-net-device,netdev=net0,bus=virtio-mmio-bus.1,tx=timer
else
$(error NIC=$(NIC): use NIC=e1000, NIC=virtio or NIC=virtio-timer)
endif

QEMUOPTS = -machine virt -bios none -kernel $K/kernel -m 128M -smp $(CPUS) -nographic \
	-global virtio-mmio.force-legacy=false \
	-drive file=$(FSIMG),if=none,format=raw,id=x0 \
	-device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0 \
	-device virtio-rng-device,bus=virtio-mmio-bus.2 \
	-netdev $(NETDEV) -object filter-dump,id=dump0,netdev=net0,file=$(PCAP) \
	$(NICDEV) \
	$(QEMUEXTRA)

check-tools:
	@sh tools/setup.sh

# $(call ports,NAME=PROTO:PORT ...) in a recipe: if a host port is taken,
# stop before the recipe runs, with tools/ports.py's one line that names it
# and PORTBASE= (rather than QEMU's "Could not set up host forwarding rule").
ports = $(eval ports_busy := $(shell python3 tools/ports.py $@ $(PORTBASE) $(1)))$(if \
	$(ports_busy),$(error $(ports_busy)))
QEMUPORTS = FWDPORT=udp:$(FWDPORT) FWDPORT2=udp:$(FWDPORT2) WEBPORT=tcp:$(WEBPORT)

qemu qemu-gdb: WEBPORT ?= $(shell echo $$(( $(PORTBASE) + 5 )))
qemu: check-tools all
	@$(call ports,$(QEMUPORTS))
	@rm -f $(PCAP)
	@echo "*** Web: run httpd in the guest, then open http://127.0.0.1:$(WEBPORT)/"
	$(QEMU) $(QEMUOPTS)

# The exact command line, for test harnesses that start QEMU themselves.
qemu-cmd:
	@echo $(QEMU) $(QEMUOPTS)

# The host side of the network lab: the peer that nettests talks to.
server:
	@$(call ports,SERVERPORT=udp:$(SERVERPORT) DNSPORT=udp:$(DNSPORT) HTTPPORT=tcp:$(HTTPPORT) \
		ECHOPORT=tcp:$(ECHOPORT) SINKPORT=tcp:$(SINKPORT))
	python3 server.py -v --port $(SERVERPORT) --dns-port $(DNSPORT) \
		--fwd-port $(FWDPORT) --fwd-port2 $(FWDPORT2) \
		--http-port $(HTTPPORT) --echo-port $(ECHOPORT) --sink-port $(SINKPORT)

# .gdbinit is rewritten on every run, so it always names this run's GDBPORT.
qemu-gdb: check-tools all
	@$(call ports,$(QEMUPORTS) GDBPORT=tcp:$(GDBPORT))
	sed "s/:GDBPORT/:$(GDBPORT)/" .gdbinit.tmpl > .gdbinit
	@rm -f $(PCAP)
	@echo "*** QEMU waits for gdb: run gdb-multiarch in this directory (port $(GDBPORT))."
	$(QEMU) $(QEMUOPTS) -S -gdb tcp:127.0.0.1:$(GDBPORT)

# The tests also need what only they use (clang's libFuzzer, the lab tools).
test-tools:
	@sh tools/setup.sh --test

test: test-tools all
	python3 test/run_tests.py

clean:
	rm -f $K/*.o $K/*.d $K/kernel $K/kernel.asm $U/*.o $U/*.d $U/*.elf $U/_* $U/.ports-* $U/usys.S \
		mkfs/mkfs fs.img .gdbinit packets*.pcap compile_commands.json
	rm -rf $(GRADEDIR)

.PHONY: all qemu qemu-cmd qemu-gdb test clean check-tools test-tools server

# For clangd and editors: the exact compile command of every C file.
compile_commands.json: Makefile tools/compdb.py
	python3 tools/compdb.py "$(CC)" "$(CFLAGS)" "$(HOSTCC)" "$(HOSTCFLAGS)" > $@

# The long raw-frame fuzz in QEMU (test/test_robust.py): N frames, seeded,
# on the card NIC names.
N ?= 100000
fuzz: check-tools all
	NIC=$(NIC) python3 test/test_robust.py fuzz $(N)

.PHONY: fuzz

# ---- grading and submitting ----------------------------------------------------
# `make grade` copies the sources (no build output) to $(GRADEDIR), builds
# them there from scratch and grades that copy, so a `make qemu` running here
# keeps its kernel and fs.img; the captures of failed tests (packets-NAME.pcap)
# still land here.  GRADEFLAGS passes options (e.g. GRADEFLAGS='-v ping'); see
# ./grade-lab-net --help.  The grader runs in this directory, so a relative
# --json path is relative to it.  A tree never built (no fs.img, so no QEMU
# can be running from it) is built too, so that `make qemu-cmd` and
# ./grade-lab-net work in it afterwards, as they did when `make grade` built here.
#
# A score below full ends with a line of its own that says so, and make
# exits with status 2: grade-run leaves the grader's status in
# $(GRADEDIR)/.status, and grade stops on it, so that the last line is not
# make's "*** [Makefile] Error 1", which reads like a failed build.
GRADEDIR = .grade
grade: grade-run
	@$(if $(filter-out 0,$(shell cat $(GRADEDIR)/.status 2>/dev/null || echo 1)),$(error \
	make grade: $(if $(filter 1,$(shell cat $(GRADEDIR)/.status 2>/dev/null)),not full \
	marks: the failed tests and their hints are above,the grader stopped with status \
	$(shell cat $(GRADEDIR)/.status 2>/dev/null))))
grade-run: check-tools
	python3 tools/gradetree.py $(GRADEDIR)
	$(MAKE) -C $(GRADEDIR) all
	@rm -f $(GRADEDIR)/.status
	@$(GRADEDIR)/grade-lab-net --keep $(CURDIR) $(GRADEFLAGS); echo $$? > $(GRADEDIR)/.status

# >>> only instructor
# The student tree without the solution, for the assignment variant LAB
# (tools/variants.py lists them): handout/xv6-net (the default, e1000) or
# handout/xv6-net-LAB, and its tarball.
LAB ?= e1000
handout:
	python3 tools/handout.py --lab $(LAB)

# Gradescope's autograder bundle for LAB: gradescope.zip (gradescope-LAB.zip
# for a variant other than the default); see tools/gradescope.py.
gradescope:
	python3 tools/gradescope.py --lab $(LAB)

.PHONY: handout gradescope
# <<< only

# The student's side: submission.zip with the files they write (their
# tree's variant, tools/variant), to upload to Gradescope.
zipball:
	python3 tools/zipball.py

.PHONY: grade grade-run zipball

# ---- performance ----------------------------------------------------------------
# `make bench` measures the network data path: fresh boots of this kernel and
# of the ceiling kernel (CEILING=1, built in a scratch copy), and `make grade`
# (also in a scratch copy); it writes bench/results.md and bench/results.json
# (bench/results.md has the last figures).  BENCHFLAGS passes options, e.g.
# BENCHFLAGS='--boots 5 --no-grade'; see tools/bench.py --help.
# Every card side by side (virtio-net twice: see NIC), unless NIC= on the
# command line names one.
BENCHNICS = $(if $(filter command line,$(origin NIC)),$(NIC),e1000,virtio,virtio-timer)
bench: check-tools all
	python3 tools/bench.py --nics $(BENCHNICS) $(BENCHFLAGS)

.PHONY: bench
