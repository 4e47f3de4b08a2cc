# mcp-connectors: one non-recursive Makefile.
#
#   make                 build everything (VARIANT=debug; also asan, tsan, release)
#   make check           install what the tests need, then run every test under ASan+UBSan
#   make test            run every test with what is installed (no installs)
#   make run             install, build, and serve the sample workspace (see README)
#   make bench           benchmarks side by side with the reference SDK (bench/run.sh)
#   make valgrind        the interop suite (stdio and HTTP) and quick unit tests under valgrind
#   make mcpb            pack each connector into an .mcpb bundle
#   make install         PREFIX=/usr/local DESTDIR= : libmcp, headers, mcp.pc, servers
#   make format-check    clang-format, no changes
#   make tidy            clang-tidy over libmcp

VARIANT ?= debug
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
B := build/$(VARIANT)

PKGS := libcjson libmicrohttpd libcurl openssl libxml-2.0
# Evaluated when used, so `make check` can install the packages before the first compile.
# libmicrohttpd is not linked: libmcp loads it when an HTTP server starts (mhd.c), so stdio
# servers start without it and GnuTLS.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(filter-out libmicrohttpd,$(PKGS)))

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wformat=2 -Wcast-qual -Wvla -Wnull-dereference -fno-common -Werror
BASE_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) -pthread -fPIC \
               -Ilibmcp/include -Ilibmcp/src
ifeq ($(VARIANT),asan)
  OPT := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
         -fno-omit-frame-pointer
  LDOPT := -fsanitize=address,undefined
else ifeq ($(VARIANT),tsan)
  OPT := -O1 -g -fsanitize=thread -fno-omit-frame-pointer
  LDOPT := -fsanitize=thread
else ifeq ($(VARIANT),release)
  OPT := -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong
  LDOPT :=
else
  OPT := -O1 -g
  LDOPT :=
endif
ALL_CFLAGS = $(BASE_CFLAGS) $(OPT) $(PKG_CFLAGS) $(CFLAGS)
# --as-needed: a program records only the libraries it calls, in every variant (the sanitizer
# drivers turn it off), so a stdio server does not map libcurl or libxml2 for nothing.
ALL_LDFLAGS = $(LDOPT) -pthread -Wl,--as-needed $(LDFLAGS)
LIBS = $(PKG_LIBS) -lm -ldl

# --- libmcp
LIBMCP_SRC := $(wildcard libmcp/src/*.c)
LIBMCP_OBJ := $(LIBMCP_SRC:%.c=$(B)/%.o)
LIBMCP_A := $(B)/lib/libmcp.a
LIBMCP_SO := $(B)/lib/libmcp.so.0
LIBMCP_VERSION := 0.1.0

# --- programs: each directory's .c files make one binary
FIXTURE_SRC := $(wildcard tests/conformance/*.c)
FIXTURE := $(B)/bin/mcp-conformance-fixture
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
PROTO_RUNNER := $(B)/tests/protocol-runner

EXAMPLE := $(B)/bin/example-countdown

# servers/<name>/*.c make bin/mcp-<name>
SERVERS := $(notdir $(wildcard servers/*))
SERVER_BINS := $(SERVERS:%=$(B)/bin/mcp-%)

# registry/cli/*.c make bin/mcp-registry
REGISTRY_SRC := $(wildcard registry/cli/*.c)
REGISTRY := $(if $(REGISTRY_SRC),$(B)/bin/mcp-registry)

# bench/*.c: each file is one standalone program (load generator, floors, echo server), and
# floor_cjson is floor_stdio.c once more with cJSON parsing each request (see that file).
BENCH_BINS := $(patsubst bench/%.c,$(B)/bench/%,$(wildcard bench/*.c)) $(B)/bench/floor_cjson

PROGRAMS := $(FIXTURE) $(PROTO_RUNNER) $(EXAMPLE) $(SERVER_BINS) $(BENCH_BINS) $(REGISTRY)

.SECONDARY:

.PHONY: all check test test-unit test-protocol test-interop valgrind install run fuzz bench mcpb \
        format format-check tidy clean deps
all: $(LIBMCP_A) $(LIBMCP_SO) $(B)/lib/mcp.pc $(PROGRAMS) $(UNIT_BIN)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC $<"; $(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIBMCP_A): $(LIBMCP_OBJ)
	@mkdir -p $(dir $@)
	@echo "  AR $@"; rm -f $@ && ar rcs $@ $^

# nodelete: a thread's cache of small blocks is freed by a destructor in the library
# (alloc.c), which must still be there when a thread exits after a dlclose.
$(LIBMCP_SO): $(LIBMCP_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,libmcp.so.0 -Wl,-z,nodelete $(ALL_LDFLAGS) $^ -o $@ $(LIBS)

$(B)/lib/mcp.pc: libmcp/mcp.pc.in
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(LIBMCP_VERSION)|' $< > $@

$(FIXTURE): $(FIXTURE_SRC:%.c=$(B)/%.o) $(LIBMCP_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) $^ -o $@ $(LIBS)

$(EXAMPLE): $(B)/docs/examples/countdown.o $(LIBMCP_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) $^ -o $@ $(LIBS)

$(PROTO_RUNNER): $(B)/tests/protocol/runner.o $(LIBMCP_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) $^ -o $@ $(LIBS)

# A server's capability manifest is compiled in as <name>_manifest_json, the source of its
# tool metadata (registry/manifests/<name>.json).
define server_rule
$(B)/bin/mcp-$(1): $$(patsubst %.c,$(B)/%.o,$$(wildcard servers/$(1)/*.c)) \
                   $(B)/gen/$(1)_manifest.o $(LIBMCP_A)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_LDFLAGS) $$^ -o $$@ $$(LIBS)
endef
$(foreach s,$(SERVERS),$(eval $(call server_rule,$(s))))

# webdav.c calls libcurl through a table (servers/drive/curl_lib.h), where curl's type checks
# of curl_easy_setopt and curl_easy_getinfo arguments cannot follow; it is compiled once more
# calling curl directly, so they run in every build, and that object is thrown away. GCC
# reports them when it generates optimised code (hence -c, not -fsyntax-only, and -O1
# -fno-lto after any CFLAGS, which could turn either off), and keeps quiet about them as about
# anything of a system header's macro unless -ftrack-macro-expansion=0 places them on
# webdav.c's line. curl has them for GCC only.
DRIVE_TYPECHECK := $(B)/servers/drive/webdav.typecheck
$(DRIVE_TYPECHECK): servers/drive/webdav.c
	@mkdir -p $(dir $@)
	@echo "  CHECK $<"; $(CC) $(ALL_CFLAGS) -O1 -fno-lto -DDRIVE_CURL_DIRECT -ftrack-macro-expansion=0 \
	    -MMD -MP -MF $@.d -MT $@ -c $< -o /dev/null && touch $@
ifeq ($(shell $(CC) -dM -E -x c /dev/null 2>/dev/null | grep -c __clang__),0)
$(B)/bin/mcp-drive: | $(DRIVE_TYPECHECK)
endif

# Bytes rather than a string literal: ISO C caps literals at 4095 characters.
$(B)/gen/%_manifest.c: registry/manifests/%.json
	@mkdir -p $(dir $@)
	@echo "  GEN $@"; { printf 'extern const char $*_manifest_json[];\n'; \
	  printf 'const char $*_manifest_json[] = {\n'; \
	  od -An -v -tx1 $< | sed -e 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  printf '0};\n'; } > $@

$(B)/gen/%_manifest.o: $(B)/gen/%_manifest.c
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/bin/mcp-registry: $(REGISTRY_SRC:%.c=$(B)/%.o) $(LIBMCP_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) $^ -o $@ $(LIBS)

$(B)/bench/floor_cjson.o: bench/floor_stdio.c
	@mkdir -p $(dir $@)
	@echo "  CC $< (FLOOR_CJSON)"; $(CC) $(ALL_CFLAGS) -DFLOOR_CJSON -MMD -MP -c $< -o $@

$(B)/bench/%: $(B)/bench/%.o $(LIBMCP_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) $^ -o $@ $(LIBS) $(shell pkg-config --libs libmicrohttpd)

$(B)/tests/test_%: $(B)/tests/unit/test_%.o $(LIBMCP_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) $^ -o $@ $(LIBS)

-include $(shell find build -name '*.d' 2>/dev/null)

# --- tests
deps:
	scripts/deps.sh
	scripts/npm-deps.sh

# Every suite under ASan+UBSan, again under ThreadSanitizer, then the interop run under
# valgrind (which cannot share a process with a sanitizer) on the debug build.
check: deps
	$(MAKE) VARIANT=asan test
	$(MAKE) VARIANT=tsan test
	$(MAKE) VARIANT=debug valgrind

# SUITES: only these (unit, protocol, or a directory under tests/ such as http); all if empty.
test: all
	scripts/run-tests.sh $(B) $(SUITES)

test-unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

bench:
	scripts/deps.sh
	$(MAKE) VARIANT=release all
	bench/run.sh build/release

# One .mcpb bundle per connector (MCPB manifest + binary) in build/<variant>/mcpb.
mcpb: all
	registry/mcpb.sh $(B) $(B)/mcpb

# The unit tests that run in seconds under valgrind: without a sanitizer, libmcp's cache of
# small blocks is compiled in, and this is where it is checked for leaks and misuse.
VALGRIND_UNITS := util engine tasks policy
valgrind:
	$(MAKE) VARIANT=debug all
	tests/interop/run.sh build/debug --valgrind
	for t in $(VALGRIND_UNITS); do \
	    valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
	        build/debug/tests/test_$$t || exit 1; \
	done

run:
	scripts/deps.sh
	$(MAKE) VARIANT=release all
	scripts/run.sh build/release

# --- fuzzing (clang's libFuzzer): make fuzz FUZZ_SECONDS=60
FUZZ_SECONDS ?= 60
fuzz:
	@mkdir -p build/fuzz/corpus
	clang -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 \
	    -fsanitize=fuzzer,address,undefined -Ilibmcp/include -Ilibmcp/src $(PKG_CFLAGS) \
	    tests/fuzz/fuzz_message.c $(LIBMCP_SRC) -o build/fuzz/fuzz_message $(LIBS) -pthread
	build/fuzz/fuzz_message -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	    build/fuzz/corpus tests/fuzz/corpus

# --- install
install: all
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/mcp \
	           $(DESTDIR)$(PREFIX)/bin
	install -m 644 $(LIBMCP_A) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(LIBMCP_SO) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libmcp.so.0 $(DESTDIR)$(PREFIX)/lib/libmcp.so
	install -m 644 libmcp/include/mcp/*.h $(DESTDIR)$(PREFIX)/include/mcp/
	install -m 644 $(B)/lib/mcp.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/

# --- code hygiene
C_FILES = $(shell git ls-files '*.c' '*.h')
format:
	clang-format -i $(C_FILES)
format-check:
	clang-format --dry-run --Werror $(C_FILES)
tidy:
	clang-tidy $(LIBMCP_SRC) -- $(BASE_CFLAGS) $(PKG_CFLAGS)

clean:
	rm -rf build
