# convlab: build, data, tests and benchmarks. README.md has the two commands a
# new user needs; `make help` lists every target.

CC      ?= cc
# Baseline x86-64 (or aarch64) code: the binary runs on any such CPU and picks
# its vector kernels (AVX-512, AVX2, SSE2, NEON) when it starts (src/engine/kernels.h).
OPT     ?= -O2
BUILD   ?= build/release
CSTD    := -std=c11 -D_DEFAULT_SOURCE
WARN    := -Wall -Wextra -Wshadow -Wno-unused-parameter
DEPFLAGS = -MMD -MP

# The engine sees only its own headers and cJSON: it cannot include SDL.
ENGINE_PKGS := libcjson
UI_PKGS     := sdl2 SDL2_ttf SDL2_image cglm fontconfig libcjson cairo pangocairo imagequant
TEST_PKGS   := criterion

ENGINE_CFLAGS := $(CSTD) $(WARN) $(OPT) -pthread -Isrc $(shell pkg-config --cflags $(ENGINE_PKGS) 2>/dev/null)
APP_CFLAGS    := $(CSTD) $(WARN) $(OPT) -pthread -Isrc $(shell pkg-config --cflags $(UI_PKGS) 2>/dev/null)
# giflib ships no pkg-config file on Debian: -lgif directly.
LDLIBS        := $(shell pkg-config --libs $(UI_PKGS) 2>/dev/null) -lgif -lm -pthread
TEST_CFLAGS   := $(APP_CFLAGS) -Itests $(shell pkg-config --cflags $(TEST_PKGS) 2>/dev/null)
TEST_LDLIBS   := $(LDLIBS) $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)

# `make` alone needs only a C compiler, pkg-config and the libraries; it never
# calls apt (only `make deps` does). Checked lazily, before the first compile.
PKG_MISSING = $(foreach p,$(UI_PKGS),$(if $(shell pkg-config --exists $(p) 2>/dev/null && echo y),,$(p))) \
              $(if $(shell printf '\043include <gif_lib.h>\n' | $(CC) -E -x c - >/dev/null 2>&1 && echo y),,giflib)

ENGINE_SRC := $(wildcard src/engine/*.c)
APP_SRC    := $(wildcard src/lesson/*.c src/session/*.c src/ui/*.c src/app/*.c)
TEST_SRC   := $(wildcard tests/*.c)
BENCH_SRC  := $(wildcard tests/bench/*.c)

ENGINE_OBJ := $(ENGINE_SRC:%.c=$(BUILD)/%.o)
APP_OBJ    := $(APP_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ   := $(TEST_SRC:%.c=$(BUILD)/%.o)
BENCH_OBJ  := $(BENCH_SRC:%.c=$(BUILD)/%.o)
LIB_OBJ    := $(ENGINE_OBJ) $(APP_OBJ)

# Where `make install` puts convlab; the binary also looks for its lessons and
# assets under PREFIX/share/convlab (src/engine/paths.h).
PREFIX  ?= /usr/local
DESTDIR ?=

CIFAR10_URL    ?= https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz
CIFAR10_MD5    ?=
CIFAR10_SHA256 ?=
export CIFAR10_URL CIFAR10_MD5 CIFAR10_SHA256

.PHONY: all run deps data install uninstall deb man test test-unit test-shell test-aarch64 check check-asan check-asan-cli check-tsan check-valgrind fuzz fuzz-build bench clean help
.DEFAULT_GOAL := all

all: convlab

convlab: $(BUILD)/convlab
	cp $< $@

$(BUILD)/convlab: $(LIB_OBJ) $(BUILD)/src/main.o
	$(CC) $(OPT) -o $@ $^ $(LDLIBS)

$(BUILD)/test_runner: $(LIB_OBJ) $(TEST_OBJ)
	$(CC) $(OPT) -o $@ $^ $(TEST_LDLIBS)

$(BUILD)/bench: $(LIB_OBJ) $(BENCH_OBJ)
	$(CC) $(OPT) -o $@ $^ $(LDLIBS)

# PREFIX baked into the binary: rewritten only when it changes, so a different
# PREFIX rebuilds paths.o and nothing else.
$(BUILD)/paths_config.h: FORCE
	@mkdir -p $(@D)
	@printf '#define CONVLAB_PREFIX "%s"\n' '$(PREFIX)' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv -f $@.tmp $@
$(BUILD)/src/engine/paths.o: $(BUILD)/paths_config.h
$(BUILD)/src/engine/paths.o: ENGINE_CFLAGS += -I$(BUILD)
FORCE:

.PHONY: pkgcheck
pkgcheck:
	@missing="$(strip $(PKG_MISSING))"; [ -z "$$missing" ] || { echo "make: not found by pkg-config: $$missing; run make deps (Debian/Ubuntu: apt) or install their development packages" >&2; exit 1; }
$(LIB_OBJ) $(BUILD)/src/main.o: | pkgcheck

$(BUILD)/src/engine/%.o: src/engine/%.c
	@mkdir -p $(@D)
	$(CC) $(ENGINE_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/src/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(APP_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(DEPFLAGS) -c $< -o $@

-include $(shell find build -name '*.d' 2>/dev/null)

# ---- the user's commands --------------------------------------------------

# Installs missing packages, fetches CIFAR-10, builds and launches the app.
run: deps data all
	./convlab

deps:
	@bash src/scripts/deps.sh

data:
	@bash src/scripts/fetch-cifar10.sh data

# Unit tests (Criterion), then the command-line and window tests.
test: test-unit test-shell

# Then the op parity and fast-versus-reference suites once more for every other
# kernel tier this CPU runs (CONVLAB_ISA; convlab --version says which it can).
KERNEL_SUITES := @(kernels|conv2d|layers|pool2d|optim|net|net_parity|threads)/*
KERNEL_TIERS  := avx512 avx2 sse2 neon scalar
test-unit: $(BUILD)/test_runner $(BUILD)/convlab
	cd tests && ../$(BUILD)/test_runner --jobs 2
	@default=$$($(BUILD)/convlab --version | sed -n 's/^kernels: //p'); \
	for t in $(KERNEL_TIERS); do \
	    [ "$$t" = "$$default" ] && continue; \
	    CONVLAB_ISA=$$t $(BUILD)/convlab --version >/dev/null 2>&1 || continue; \
	    echo "kernel tier $$t (default $$default): $(KERNEL_SUITES)"; \
	    (cd tests && CONVLAB_ISA=$$t ../$(BUILD)/test_runner --jobs 2 --filter '$(KERNEL_SUITES)') || exit 1; \
	done

test-shell: all
	@bash tests/run-shell-tests.sh

# The hardening suite (issue 7): the unit tests under AddressSanitizer and
# UndefinedBehaviorSanitizer, the live-training exchange under ThreadSanitizer,
# every libFuzzer target for FUZZ_SECONDS, and valgrind leak runs of a short
# batch training and of a render.
check: check-asan check-asan-cli check-tsan fuzz check-valgrind test-aarch64

# The engine and its unit tests cross-built for aarch64 and run under
# qemu-aarch64 (NEON tier, then CONVLAB_ISA=scalar); installs the cross
# compiler and arm64 cJSON itself (dpkg --add-architecture arm64: only here).
test-aarch64:
	bash tests/aarch64/run.sh

# Every kernel tier is in every build, and test-unit runs the kernel tests once
# per tier this CPU has, so the sanitizers see all of them.
ASAN_OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
check-asan:
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 $(MAKE) BUILD=build/asan OPT="$(ASAN_OPT)" test-unit

# The bad-input shell tests (bad flags, bad data and checkpoints, broken lessons,
# SIGINT/SIGTERM, no display/font, a tiny window, bad net files) against an ASan+UBSan ./convlab:
# "never a crash" is checked by the sanitizers too. tests/lsan.supp lists
# third-party leaks only.
# The window tests run without LeakSanitizer: at SDL_Quit a library SDL loaded
# itself is unloaded and LSan reports 112 bytes in it with no symbol to name or
# suppress (no convlab frame); ASan and UBSan still check every access there.
ASAN_CLI_TESTS := harden_cli harden_gui_xvfb cli_bad_flags cli_data_errors cli_interrupt predict_cli picture_render cli_netfile
ASAN_NO_LEAK_TESTS := harden_gui_xvfb
check-asan-cli:
	$(MAKE) BUILD=build/asan OPT="$(ASAN_OPT)" build/asan/convlab
	@fail=0; for t in $(ASAN_CLI_TESTS); do \
	    leaks=1; case " $(ASAN_NO_LEAK_TESTS) " in *" $$t "*) leaks=0;; esac; \
	    out=$$(CONVLAB=build/asan/convlab ASAN_OPTIONS=detect_leaks=$$leaks \
	           LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	           bash tests/sh/$$t.sh 2>&1); rc=$$?; \
	    if [ $$rc -eq 0 ]; then echo "asan PASS $$t"; elif [ $$rc -eq 77 ]; then echo "asan SKIP $$t: $$(printf '%s\n' "$$out" | tail -n 1)"; \
	    else fail=1; echo "asan FAIL $$t"; printf '%s\n' "$$out" | tail -n 30 | sed 's/^/    /'; fi; \
	done; exit $$fail

# Criterion cannot start under TSan, so tests/tsan/run.sh builds the
# train_session tests against a stand-in header (see the script).
check-tsan:
	bash tests/tsan/run.sh

# A plain -O1 -g build (no sanitizers: valgrind runs it) for the leak runs.
check-valgrind:
	$(MAKE) BUILD=build/valgrind OPT="-O1 -g" build/valgrind/convlab
	bash tests/valgrind/run.sh build/valgrind/convlab

# ---- libFuzzer targets (tests/fuzz/fuzz_*.c), built with clang --------------
# The engine, the lessons, the session layer and the flag parser, without SDL; each target
# links all of them (scene kinds register themselves at start-up).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
FUZZ_DIR     := build/libfuzzer
FUZZ_SAN     := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS  := $(CSTD) $(WARN) $(FUZZ_SAN) -pthread -Isrc $(shell pkg-config --cflags libcjson 2>/dev/null)
FUZZ_LIB_SRC := $(ENGINE_SRC) $(wildcard src/lesson/*.c src/session/*.c) src/app/flags.c
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:%.c=$(FUZZ_DIR)/%.o)
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)
.SECONDARY: $(FUZZ_LIB_OBJ)

$(FUZZ_DIR)/src/%.o: src/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(DEPFLAGS) -c $< -o $@

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(shell pkg-config --libs libcjson 2>/dev/null) -lm

fuzz-build: $(FUZZ_BINS)

# Runs each target FUZZ_SECONDS from its seed corpus; make fuzz FUZZ_SECONDS=600 for a long run.
fuzz: fuzz-build
	bash tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

bench: $(BUILD)/bench all
	$(BUILD)/bench

# ---- install, uninstall, Debian package ------------------------------------
# Everything installed is listed here once, so uninstall removes exactly it.
VERSION     := $(shell sed -n 's/^\#define CONVLAB_VERSION "\(.*\)"/\1/p' src/engine/version.h)
SHARE_DIR   := $(PREFIX)/share/convlab
INST_LESSONS := $(wildcard lessons/*.lesson) lessons/README.md
INST_ASSETS  := $(wildcard assets/theme-*.theme)
INST_NETS    := $(wildcard assets/nets/*.net) assets/nets/README.md
INST_FILES   := $(PREFIX)/bin/convlab \
    $(INST_LESSONS:%=$(SHARE_DIR)/%) $(INST_ASSETS:%=$(SHARE_DIR)/%) $(INST_NETS:%=$(SHARE_DIR)/%) \
    $(SHARE_DIR)/scripts/fetch-cifar10.sh \
    $(PREFIX)/share/man/man1/convlab.1 \
    $(PREFIX)/share/applications/convlab.desktop \
    $(PREFIX)/share/icons/hicolor/scalable/apps/convlab.svg
INST_DIRS    := $(SHARE_DIR)/lessons $(SHARE_DIR)/assets/nets $(SHARE_DIR)/assets $(SHARE_DIR)/scripts $(SHARE_DIR)

# The man page comes from --help (the same text), by help2man.
man: build/convlab.1
build/convlab.1: $(BUILD)/convlab assets/convlab.h2m
	@mkdir -p $(@D)
	@command -v help2man >/dev/null || { echo "make man: help2man is not installed; run make deps (or apt-get install help2man)" >&2; exit 1; }
	help2man --no-info --no-discard-stderr --section=1 --version-string=$(VERSION) --include=assets/convlab.h2m \
	    --name="watch a convolutional network learn CIFAR-10, step by step" -o $@.tmp $(BUILD)/convlab
	mv -f $@.tmp $@

install: $(BUILD)/convlab build/convlab.1
	install -D -m 755 $(BUILD)/convlab $(DESTDIR)$(PREFIX)/bin/convlab
	install -d $(DESTDIR)$(SHARE_DIR)/lessons $(DESTDIR)$(SHARE_DIR)/assets/nets $(DESTDIR)$(SHARE_DIR)/scripts
	install -m 644 $(INST_LESSONS) $(DESTDIR)$(SHARE_DIR)/lessons/
	install -m 644 $(INST_ASSETS) $(DESTDIR)$(SHARE_DIR)/assets/
	install -m 644 $(INST_NETS) $(DESTDIR)$(SHARE_DIR)/assets/nets/
	install -m 755 src/scripts/fetch-cifar10.sh $(DESTDIR)$(SHARE_DIR)/scripts/
	install -D -m 644 build/convlab.1 $(DESTDIR)$(PREFIX)/share/man/man1/convlab.1
	install -D -m 644 assets/convlab.desktop $(DESTDIR)$(PREFIX)/share/applications/convlab.desktop
	install -D -m 644 assets/convlab.svg $(DESTDIR)$(PREFIX)/share/icons/hicolor/scalable/apps/convlab.svg

uninstall:
	rm -f $(INST_FILES:%=$(DESTDIR)%)
	-rmdir $(INST_DIRS:%=$(DESTDIR)%) 2>/dev/null

# A Debian package over a staging install (PREFIX=/usr). Built portable
# (DEB_OPT, no -march=native: the package runs on other x86-64 machines; the
# AVX-512 kernels are then compiled out) in its own build directory. The
# library dependencies come from dpkg-shlibdeps; the control file is
# assets/debian/control.in.
DEB_OPT  ?= -O2
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
DEB_DIR  := build/deb
DEB_FILE := build/convlab_$(VERSION)_$(DEB_ARCH).deb
deb: $(DEB_FILE)
$(DEB_FILE): FORCE
	@command -v dpkg-deb >/dev/null && command -v dpkg-shlibdeps >/dev/null || { echo "make deb: dpkg-deb/dpkg-shlibdeps missing; run make deps (dpkg-dev)" >&2; exit 1; }
	rm -rf $(DEB_DIR)
	$(MAKE) --no-print-directory BUILD=build/debobj OPT="$(DEB_OPT)" PREFIX=/usr DESTDIR=$(CURDIR)/$(DEB_DIR)/root install
	gzip -9nf $(DEB_DIR)/root/usr/share/man/man1/convlab.1
	mkdir -p $(DEB_DIR)/debian $(DEB_DIR)/root/DEBIAN
	printf 'Source: convlab\n\nPackage: convlab\nArchitecture: any\n' > $(DEB_DIR)/debian/control
	cd $(DEB_DIR) && dpkg-shlibdeps -O root/usr/bin/convlab 2>/dev/null | sed -n 's/^shlibs:Depends=//p' > shlibs
	@[ -s $(DEB_DIR)/shlibs ] || { echo "make deb: dpkg-shlibdeps found no library dependencies" >&2; exit 1; }
	sed -e 's/@VERSION@/$(VERSION)/' -e 's/@ARCH@/$(DEB_ARCH)/' \
	    -e "s/@SIZE@/$$(du -sk $(DEB_DIR)/root/usr | cut -f1)/" -e "s/@SHLIBS@/$$(cat $(DEB_DIR)/shlibs)/" \
	    assets/debian/control.in > $(DEB_DIR)/root/DEBIAN/control
	dpkg-deb --root-owner-group -Zxz --build $(DEB_DIR)/root $@.tmp >/dev/null
	mv -f $@.tmp $@
	@echo "built $@ ($$(stat -c %s $@) bytes)"

clean:
	rm -rf build convlab

help:
	@echo "make            build ./convlab"
	@echo "make run        install packages, fetch CIFAR-10, build, launch"
	@echo "make deps       install missing Debian packages (apt-get)"
	@echo "make data       download and verify CIFAR-10 into data/ (CIFAR10_URL, CIFAR10_MD5/SHA256 override)"
	@echo "make test       unit tests, then command-line and window tests"
	@echo "make check      unit tests under ASan + UBSan, TSan, fuzzers, valgrind leak runs, test-aarch64"
	@echo "make test-aarch64  engine tests cross-built for aarch64, run under qemu (installs what it needs)"
	@echo "make fuzz       libFuzzer targets, FUZZ_SECONDS each (default 30)"
	@echo "make bench      throughput and frame-time benchmarks"
	@echo "make install    install into PREFIX (default /usr/local; DESTDIR for staging)"
	@echo "make uninstall  remove exactly what make install put there"
	@echo "make deb        build/convlab_VERSION_ARCH.deb (dpkg-deb over a staging install)"
	@echo "make clean      remove build output"
