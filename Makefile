# observe — build, run and test.
#   make            build everything into build/
#   make run        install what is missing, build, load, stream events (root)
#   make test       install what is missing, build, run every test (root)
#   make bench      run the benchmarks in bench/
#   make fuzz       run each fuzz target longer (FUZZ_SECONDS each, default 300)
#   make vmtest     run the tests on another kernel under qemu (KERNEL=linux-image-...-amd64,
#                   default Debian 12's 6.1)
#   make bpf-arm64  build the BPF objects for arm64 as well
#   make install    install under DESTDIR/PREFIX (default /usr/local); make uninstall
#   make deb        build the Debian package into build/deb/ (dpkg-buildpackage)
#   make V=1        show full commands

BUILD   ?= build
CLANG   ?= clang
BPFTOOL ?= bpftool
CC      ?= cc
PREFIX  ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
SYSCONFDIR  ?= /etc
UNITDIR     ?= /lib/systemd/system
SYSUSERSDIR ?= /usr/lib/sysusers.d
VERSION := $(shell scripts/version.sh)

ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' '$(1)' '$(2)';
endif

CFLAGS  ?= -O2 -g
CFLAGS  += -Wall -Wextra -Werror -Wno-unused-parameter -std=gnu11 \
           -I$(BUILD) -Ibpf -Ilib -D_GNU_SOURCE
LDLIBS  += -lbpf -ldw -lelf -liberty -lz -lm -lcap -lresolv -ljson-c

BPF_CFLAGS_ANY_ARCH := -g -O2 -target bpf -mcpu=v3 -Wall -Werror -Ivmlinux -Ibpf
# BPF_EXTRA_CFLAGS: only bench/identity.sh sets it (-DOBSERVE_BENCH_NO_IDENTITY,
# into a build of its own), to time what the identity fields cost.
BPF_EXTRA_CFLAGS ?=
BPF_CFLAGS := $(BPF_CFLAGS_ANY_ARCH) -D__TARGET_ARCH_$(ARCH) $(BPF_EXTRA_CFLAGS)

# The test command also boots this kernel under qemu (scripts/vmtest.sh);
# empty: Debian 12's, whatever linux-image-amd64 depends on.
KERNEL ?=
VMTEST_DEPS := qemu-system-x86 busybox-static cpio kmod xz-utils
# What the tests run beside observe: a real Prometheus server and promtool;
# TLS clients and servers of both libraries; Go, to build a crypto/tls peer
# (and go tool pprof for the profiler); the package's build and checks; for
# the profiler, a C++ compiler, libc's debug file, node (a JIT; also the HTTP
# tests' fetch client) and a browser; strace, to kill the loader at a chosen
# point of its commit.
TEST_DEPS := prometheus openssl curl gnutls-bin debhelper lintian systemd \
             g++ libc6-dbg nodejs golang-go chromium strace
# The claude CLI the tests run against a local mock of its API, from npm at
# this version (scripts/fetch-agents.sh, kept in $(BUILD)/agents); the newest
# version is only reported on (scripts/check-newest-claude.sh).
CLAUDE_VERSION := 2.1.332

# A collector is bpf/<name>.bpf.c with its ABI header bpf/<name>.h (README:
# Adding a collector).
COLLECTORS := $(patsubst bpf/%.bpf.c,%,$(wildcard bpf/*.bpf.c))
BPF_OBJS   := $(patsubst %,$(BUILD)/%.bpf.o,$(COLLECTORS))
ARM64_OBJS := $(patsubst %,$(BUILD)/arm64/%.bpf.o,$(COLLECTORS))
SKELETONS  := $(patsubst %,$(BUILD)/%.skel.h,$(COLLECTORS))

LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(patsubst lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRCS))
LIB      := $(BUILD)/libobserve.a

LOADER_SRCS := $(wildcard loader/*.c)
LOADER_OBJS := $(patsubst loader/%.c,$(BUILD)/loader/%.o,$(LOADER_SRCS))

CONSUMERS := observe-events observe-filter observe-stats observe-hist observe-exporter observe-profile observe-tls observe-agent
BINS      := $(BUILD)/observe-load $(patsubst %,$(BUILD)/%,$(CONSUMERS))

# The unit files and the init script, with the installed paths in them.
GENERATED := $(BUILD)/observe.service $(BUILD)/observe-exporter.service $(BUILD)/observe.init

UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BIN  := $(BUILD)/unit-tests

BPF_HEADERS := $(wildcard bpf/*.h)
LIB_HEADERS := $(wildcard lib/*.h)

.DELETE_ON_ERROR:
.SECONDARY:

.PHONY: all fuzzers fuzz fuzz-deps run test deps vmtest-deps test-deps agents bench vmlinux vmtest \
	bpf-arm64 programs install uninstall deb clean test-helpers

# Programs the tests run (tests/helpers/<name>.c or .cc -> test-<name>, and a
# build of one without frame pointers): built for the tests (tests/run.py asks
# for them), not part of 'all'.
TEST_HELPERS := $(patsubst tests/helpers/%.c,$(BUILD)/test-%,$(wildcard tests/helpers/*.c)) \
                $(patsubst tests/helpers/%.cc,$(BUILD)/test-%,$(wildcard tests/helpers/*.cc)) \
                $(BUILD)/test-cpu-burner-nofp $(if $(shell command -v go),$(BUILD)/test-tls-go)

all: $(BINS) $(UNIT_BIN) $(GENERATED)

test-helpers: $(TEST_HELPERS)

$(BUILD) $(BUILD)/lib $(BUILD)/loader $(BUILD)/consumers $(BUILD)/arm64:
	$(Q)mkdir -p $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BPF_HEADERS) vmlinux/vmlinux.h vmlinux/$(ARCH)/vmlinux.h | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# CO-RE objects for another architecture: built, not loaded here.
$(BUILD)/arm64/%.bpf.o: bpf/%.bpf.c $(BPF_HEADERS) vmlinux/vmlinux.h vmlinux/arm64/vmlinux.h | $(BUILD)/arm64
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS_ANY_ARCH) -D__TARGET_ARCH_arm64 -c $< -o $@

bpf-arm64: $(ARM64_OBJS)

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(BUILD)/lib/%.o: lib/%.c $(LIB_HEADERS) $(BPF_HEADERS) | $(BUILD)/lib
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# Syscall names come from this machine's headers, never a hand-written table.
$(BUILD)/syscall_names_table.h: scripts/gen-syscall-names.sh | $(BUILD)
	$(call msg,GEN,$@)
	$(Q)scripts/gen-syscall-names.sh $(CC) > $@

$(BUILD)/lib/syscall_names.o: $(BUILD)/syscall_names_table.h

# Values that files are built with, each kept in a stamp that changes only
# when the value does. Made while the Makefile is read: .SECONDARY would
# not remake a missing stamp.
remember = $(shell mkdir -p $(BUILD) && { echo '$(2)' | cmp -s - $(BUILD)/$(1) || echo '$(2)' > $(BUILD)/$(1); })
$(call remember,version.stamp,$(VERSION))
$(call remember,paths.stamp,$(SBINDIR) $(BINDIR) $(SYSCONFDIR))

# The version is compiled into one object.
$(BUILD)/lib/version.o: $(BUILD)/version.stamp
$(BUILD)/lib/version.o: CPPFLAGS += -DOBSERVE_VERSION='"$(VERSION)"'

# Every collector's ABI header, for the code that sizes their records.
$(BUILD)/collector_headers.h: Makefile $(wildcard bpf/*.bpf.c) | $(BUILD)
	$(call msg,GEN,$@)
	$(Q)printf '#include "%s.h"\n' $(COLLECTORS) > $@

$(BUILD)/lib/events.o: $(BUILD)/collector_headers.h

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(BUILD)/loader/%.o: loader/%.c $(SKELETONS) $(LIB_HEADERS) $(BPF_HEADERS) $(wildcard loader/*.h) | $(BUILD)/loader
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -Iloader -c $< -o $@

# Capstone finds BoringSSL's functions without their symbols
# (loader/tls_boringssl.c) and the return instructions of Go functions
# (loader/tls_go.c).
$(BUILD)/observe-load: LDLIBS += -lcapstone

$(BUILD)/observe-load: $(LOADER_OBJS) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/consumers/%.o: consumers/%.c $(LIB_HEADERS) $(BPF_HEADERS) | $(BUILD)/consumers
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/observe-exporter $(UNIT_BIN): LDLIBS += -lcrypt
$(BUILD)/observe-exporter: LDLIBS += -lmicrohttpd -lpthread

$(BUILD)/observe-%: $(BUILD)/consumers/observe-%.o $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(UNIT_BIN): $(UNIT_SRCS) $(wildcard tests/unit/*.h) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -Itests/unit $(UNIT_SRCS) $(LIB) $(LDLIBS) -o $@

# Frame pointers in every function, the leaf included (clang keeps them;
# gcc leaves them out of leaves): the profiler's test needs the whole chain.
$(BUILD)/test-cpu-burner: tests/helpers/cpu-burner.c | $(BUILD)
	$(call msg,LINK,$@)
	$(Q)$(CLANG) -O1 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -Wall -Werror $< -o $@

# The same without frame pointers: its stacks end after their first frame.
$(BUILD)/test-cpu-burner-nofp: tests/helpers/cpu-burner.c | $(BUILD)
	$(call msg,LINK,$@)
	$(Q)$(CLANG) -O1 -g -fomit-frame-pointer -Wall -Werror $< -o $@

# The C++ profile: debug information for the inlined helper and the lines
# (clang 14's DWARF 5 without .debug_aranges, as most clang builds are);
# frame pointers in leaves too, as for the C one (clang: gcc leaves them out).
$(BUILD)/test-cpp-burner: tests/helpers/cpp-burner.cc | $(BUILD)
	$(call msg,LINK,$@)
	$(Q)$(CLANG)++ -O2 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -Wall -Werror $< -o $@

# OpenSSL linked in statically, for observe-load --tls-binary. glibc's
# warnings about its own static use (dlopen, getaddrinfo) are silenced (-w).
$(BUILD)/test-tls-static: tests/helpers/tls-static.c | $(BUILD)
	$(call msg,LINK,$@)
	$(Q)$(CC) -O2 -g -Wall -Werror -static $< -lssl -lcrypto -lpthread -Wl,-w -o $@

$(BUILD)/test-%: tests/helpers/%.c | $(BUILD)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LDLIBS) -o $@

# libFuzzer targets (tests/fuzz/): the library built again with clang's
# sanitizers, any undefined behaviour fatal.
FUZZ_TARGETS := reader decode parse httpflow
FUZZ_BINS    := $(patsubst %,$(BUILD)/fuzz/fuzz-%,$(FUZZ_TARGETS))
FUZZ_OBJS    := $(patsubst lib/%.c,$(BUILD)/fuzz/lib/%.o,$(LIB_SRCS))
FUZZ_CFLAGS  := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
                -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers \
                -std=gnu11 \
                -I$(BUILD) -Ibpf -Ilib -D_GNU_SOURCE
FUZZ_SECONDS ?= 300
# clang's libFuzzer runtime is a recommended package, not a dependency.
FUZZ_DEPS    := libclang-rt-14-dev

$(BUILD)/fuzz/lib:
	$(Q)mkdir -p $@

$(BUILD)/fuzz/lib/%.o: lib/%.c $(LIB_HEADERS) $(BPF_HEADERS) | $(BUILD)/fuzz/lib
	$(call msg,CC-FUZZ,$@)
	$(Q)$(CLANG) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(BUILD)/fuzz/lib/syscall_names.o: $(BUILD)/syscall_names_table.h
$(BUILD)/fuzz/lib/events.o: $(BUILD)/collector_headers.h
$(BUILD)/fuzz/lib/version.o: $(BUILD)/version.stamp
$(BUILD)/fuzz/lib/version.o: CPPFLAGS += -DOBSERVE_VERSION='"$(VERSION)"'

$(BUILD)/fuzz/fuzz-%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h tests/unit/fake_ring.h $(FUZZ_OBJS)
	$(call msg,FUZZER,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -Itests/unit -fsanitize=fuzzer $< $(FUZZ_OBJS) $(LDLIBS) -lcrypt -o $@

fuzzers: $(FUZZ_BINS)

fuzz-deps:
	$(Q)scripts/install-deps.sh $(FUZZ_DEPS)

# Each target for FUZZ_SECONDS from the committed seeds; findings go to
# $(BUILD)/fuzz/findings.
fuzz: deps fuzz-deps fuzzers
	python3 tests/fuzz.py --build $(BUILD) --seconds $(FUZZ_SECONDS)

# The main job: load with default settings and stream every event as JSON.
run: deps all
	$(BUILD)/observe-load
	$(BUILD)/observe-events

# Every test: unit tests, then the real kernel as a non-root group member;
# each fuzz target for 10 s; then that the arm64 objects build, and the whole suite again on $(KERNEL)
# under qemu. One summary line counts all of it.
test: deps vmtest-deps test-deps fuzz-deps agents all fuzzers test-helpers
	python3 tests/run.py --build $(BUILD) --fuzz 10 --arm64 --vm "$(KERNEL)"
	-scripts/check-newest-claude.sh $(BUILD) $(CLAUDE_VERSION)

# The suite on $(KERNEL) alone.
vmtest: deps vmtest-deps test-deps all test-helpers
	scripts/vmtest.sh $(if $(KERNEL),-k $(KERNEL)) -- python3 tests/run.py --build $(BUILD)

deps:
	$(Q)scripts/install-deps.sh

vmtest-deps:
	$(Q)scripts/install-deps.sh $(VMTEST_DEPS)

test-deps:
	$(Q)scripts/install-deps.sh $(TEST_DEPS)

agents:
	$(Q)scripts/fetch-agents.sh $(BUILD)/agents $(CLAUDE_VERSION)

# The Go TLS peer of the tests (Debian's golang-go, a test dependency): a
# test helper, so that a run under qemu does not link it emulated.
$(BUILD)/test-tls-go: tests/helpers/tls_go.go | $(BUILD)
	$(call msg,GO,$@)
	$(Q)HOME=$(abspath $(BUILD)) GOCACHE=$(abspath $(BUILD))/go-cache GO111MODULE=off \
		CGO_ENABLED=0 GOFLAGS= go build -o $@ $<

bench: deps all
	bench/run.sh $(BUILD)

vmlinux:
	scripts/gen-vmlinux.sh $(ARCH)

# Files with the installed paths in them, made from scripts/*.in.
# make install PREFIX=... remakes them (the paths' stamp changes).
$(GENERATED): $(BUILD)/paths.stamp
$(BUILD)/%: scripts/%.in | $(BUILD)
	$(call msg,GEN,$@)
	$(Q)sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' \
		-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' $< > $@

# Man pages from each binary's --help and --version (help2man), with the
# SEE ALSO and FILES sections of man/*.h2m.
MAN_PAGES := $(BUILD)/man/observe-load.8 $(patsubst %,$(BUILD)/man/%.1,$(CONSUMERS))
$(BUILD)/man:
	$(Q)mkdir -p $@
WHATIS_observe-load     := load observe's BPF collectors and pin them for a group
WHATIS_observe-events   := stream observe's events as JSON lines or text
WHATIS_observe-filter   := show or change observe's kernel-side filters
WHATIS_observe-stats    := show observe's event counters and ring slots
WHATIS_observe-hist     := show observe's syscall, page-fault and latency tables
WHATIS_observe-exporter := serve observe's counters and histograms to Prometheus
WHATIS_observe-profile  := sample CPU stacks and draw flame graphs
WHATIS_observe-tls      := stream the TLS plaintext that programs send and receive
WHATIS_observe-agent    := follow a process tree: its events and LLM calls in time order
$(BUILD)/man/%.1 $(BUILD)/man/%.8: $(BUILD)/% man/observe.h2m | $(BUILD)/man
	$(call msg,MAN,$@)
	$(Q)help2man --no-info --no-discard-stderr --section $(subst .,,$(suffix $@)) \
		--name "$(WHATIS_$*)" --include man/observe.h2m --output $@ $<

# What the package and make install ship.
programs: $(BINS) $(GENERATED) $(MAN_PAGES)

install: programs
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/observe \
		$(DESTDIR)$(SYSCONFDIR)/init.d $(DESTDIR)$(SYSCONFDIR)/default $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(BUILD)/observe-load $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(patsubst %,$(BUILD)/%,$(CONSUMERS)) $(DESTDIR)$(BINDIR)/
	install -m 0755 $(BUILD)/observe.init $(DESTDIR)$(SYSCONFDIR)/init.d/observe
	install -m 0644 $(BUILD)/observe.service $(BUILD)/observe-exporter.service $(DESTDIR)$(UNITDIR)/
	install -m 0644 scripts/observe.sysusers $(DESTDIR)$(SYSUSERSDIR)/observe.conf
	install -m 0644 $(BUILD)/man/observe-load.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(patsubst %,$(BUILD)/man/%.1,$(CONSUMERS)) $(DESTDIR)$(MANDIR)/man1/
	test -e $(DESTDIR)$(SYSCONFDIR)/observe/observe.conf || \
		install -m 0644 scripts/observe.conf $(DESTDIR)$(SYSCONFDIR)/observe/observe.conf
	test -e $(DESTDIR)$(SYSCONFDIR)/default/observe || \
		install -m 0644 scripts/observe.default $(DESTDIR)$(SYSCONFDIR)/default/observe

# Settings files are kept, as dpkg keeps conffiles on remove.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/observe-load $(patsubst %,$(DESTDIR)$(BINDIR)/%,$(CONSUMERS)) \
		$(DESTDIR)$(SYSCONFDIR)/init.d/observe $(DESTDIR)$(UNITDIR)/observe.service \
		$(DESTDIR)$(UNITDIR)/observe-exporter.service $(DESTDIR)$(SYSUSERSDIR)/observe.conf \
		$(DESTDIR)$(MANDIR)/man8/observe-load.8 $(patsubst %,$(DESTDIR)$(MANDIR)/man1/%.1,$(CONSUMERS))

# The package is built from a copy of the tree under build/deb, so that
# dpkg-buildpackage's clean step and its output in the parent directory
# stay inside build/.
DEB_SRC := $(BUILD)/deb/observe-$(firstword $(subst +, ,$(VERSION)))
deb:
	$(Q)rm -rf $(BUILD)/deb && mkdir -p $(DEB_SRC)
	$(Q)tar -c --exclude=./$(BUILD) --exclude=./.git --exclude='./build*' . | tar -x -C $(DEB_SRC)
	$(Q)echo '$(VERSION)' > $(DEB_SRC)/debian/observe-version
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b
	$(Q)ls $(BUILD)/deb/*.deb

clean:
	rm -rf $(BUILD)
