# trailhound build. `make` builds the release binary; `make check` runs every test
# twice: optimised, and under AddressSanitizer + UndefinedBehaviorSanitizer.
# Sources are discovered by wildcard: every src/<layer>/*.c goes into
# libtrailhound except src/cli/main.c; every tests/<layer>/test_*.c is a test
# program linked with cmocka.

CC      ?= cc
PREFIX  ?= /usr/local
VERSION := 0.1.0

WARN    := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wvla -Wundef -Wcast-align -Wnull-dereference -Werror
CSTD    := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
DEPS_CFLAGS := $(shell pkg-config --cflags libpcre2-8 zlib libisal libmaxminddb yaml-0.1 hunspell sqlite3 2>/dev/null)
DEPS_LIBS   := $(shell pkg-config --libs libpcre2-8 zlib libisal libmaxminddb yaml-0.1 hunspell sqlite3 2>/dev/null || echo -lpcre2-8 -lz -lisal -lmaxminddb -lyaml -lhunspell-1.7 -lsqlite3) -lm
BASEFLAGS = $(CSTD) $(WARN) -Isrc $(DEPS_CFLAGS) -DTH_VERSION='"$(VERSION)"' -MMD -MP

MODE ?= release
ifeq ($(MODE),asan)
  OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
  LDOPT := -fsanitize=address,undefined
else ifeq ($(MODE),debug)
  OPT := -O0 -g
  LDOPT :=
else ifeq ($(MODE),release)
  # objects carry GCC's IR and code both: the trailhound binary links them with
  # link-time optimisation (inlined across files: fewer instructions and I-cache
  # misses), the test programs and tools with their code alone (an LTO link each
  # would take minutes); DESIGN-NOTES "Link-time optimisation by default"
  OPT := -O2 -g -flto=auto -ffat-lto-objects
  LDOPT :=
  LTO_LINK := -O2 -g -flto=auto
  NO_LTO := -fno-lto
else
  OPT := -O2 -g
  LDOPT :=
endif

B := build/$(MODE)
LIB_SRC  := $(filter-out src/cli/main.c,$(wildcard src/*/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
TEST_SRC := $(wildcard tests/*/test_*.c)
TEST_BIN := $(TEST_SRC:%.c=$(B)/%)
TEST_SUPPORT := $(wildcard tests/support/*.c)
TEST_SUPPORT_OBJ := $(TEST_SUPPORT:%.c=$(B)/%.o)

.DEFAULT_GOAL := all

# source.as.* by default: ip-location-db's ASN CSV (npm, scripts/setup.sh)
# compiled once into a table trailhound mmaps (reading the CSV costs ~0.3 s a
# run). Without the npm package there is nothing to compile and ASN is off.
ASN_CSV   := node_modules/@ip-location-db/asn
ASN_TABLE := build/data/asn-ranges.bin
ifneq ($(wildcard $(ASN_CSV)/asn-ipv4-num.csv),)
ASN_TABLE_DEP := $(ASN_TABLE)
endif
asn-table: $(ASN_TABLE_DEP)
$(B)/tools/asn_table: tools/asn_table.c $(B)/libtrailhound.a
	@mkdir -p $(dir $@)
	@echo "  CC $@"; $(CC) $(BASEFLAGS) $(OPT) $(NO_LTO) $< -o $@ $(LDOPT) $(B)/libtrailhound.a $(DEPS_LIBS) -lpthread
# rebuilt when the data or the table's format (src/ecs/asn.c) changes
$(ASN_TABLE): $(ASN_CSV)/asn-ipv4-num.csv $(ASN_CSV)/asn-ipv6.csv src/ecs/asn.c src/ecs/asn.h | $(B)/tools/asn_table
	@mkdir -p $(dir $@)
	@$(B)/tools/asn_table $(ASN_CSV) $@

.PHONY: pgo uninstall all check check-fast test-bins demo bench bench-scaling floor inflate-bench input-bench bench-memory clean format install deps asan asn-table fuzz fuzz-bins
all: $(B)/trailhound $(ASN_TABLE_DEP)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC $@"; $(CC) $(BASEFLAGS) $(OPT) -Itests/support -c $< -o $@

$(B)/libtrailhound.a: $(LIB_OBJ)
	@rm -f $@
	@echo "  AR $@"; ar rcs $@ $^

$(B)/trailhound: $(B)/src/cli/main.o $(B)/libtrailhound.a
	@echo "  CC $@"; $(CC) $(LDOPT) $(LTO_LINK) -o $@ $^ $(DEPS_LIBS) -lpthread
	@if [ "$(MODE)" = release ]; then ln -sf $(B)/trailhound trailhound; fi

$(B)/tests/%: tests/%.c $(B)/libtrailhound.a $(TEST_SUPPORT_OBJ)
	@mkdir -p $(dir $@)
	@echo "  CC $@"; $(CC) $(BASEFLAGS) $(OPT) $(NO_LTO) -Itests/support $< $(TEST_SUPPORT_OBJ) -o $@ $(LDOPT) $(B)/libtrailhound.a -lcmocka $(DEPS_LIBS) -lpthread

test-bins: $(B)/trailhound $(TEST_BIN) $(ASN_TABLE_DEP)

# bench/floor: load + one field with the on-demand scanner vs the DOM (not in `all`).
$(B)/bench/floor: bench/floor.c $(B)/libtrailhound.a
	@mkdir -p $(dir $@)
	@echo "  CC $@"; $(CC) $(BASEFLAGS) $(OPT) $(NO_LTO) $< -o $@ $(LDOPT) $(B)/libtrailhound.a $(DEPS_LIBS)

floor: $(B)/bench/floor

# The whole suite, optimised and sanitized; the last line is `N passed, N failed`.
check:
	@$(MAKE) --no-print-directory MODE=release test-bins
	@$(MAKE) --no-print-directory MODE=asan test-bins
	@bash tests/run.sh build/release build/asan

# One pass, sanitized only (quicker while developing).
check-fast:
	@$(MAKE) --no-print-directory MODE=asan test-bins
	@bash tests/run.sh build/asan

asan:
	@$(MAKE) --no-print-directory MODE=asan all

deps:
	@bash scripts/setup.sh

demo: deps
	@$(MAKE) --no-print-directory MODE=release all
	@bash scripts/demo.sh

# Inflate-only throughput of zlib, libdeflate and ISA-L (not part of `all`):
#   make MODE=release inflate-bench && build/release/bench/inflate_bench DIR FILE.gz
inflate-bench: $(B)/bench/inflate_bench
$(B)/bench/inflate_bench: bench/inflate_bench.c $(B)/libtrailhound.a
	@mkdir -p $(dir $@)
	@echo "  CC $@"; $(CC) $(BASEFLAGS) $(OPT) $(NO_LTO) $< -o $@ $(LDOPT) $(B)/libtrailhound.a -ldeflate $(DEPS_LIBS) -lpthread

# th_input's CPU time, eager (DOM) vs lazy (scanner) records (not part of `all`):
#   make MODE=release input-bench && build/release/bench/input_bench FILE...
input-bench: $(B)/bench/input_bench
$(B)/bench/input_bench: bench/input_bench.c $(B)/libtrailhound.a
	@mkdir -p $(dir $@)
	@echo "  CC $@"; $(CC) $(BASEFLAGS) $(OPT) $(NO_LTO) $< -o $@ $(LDOPT) $(B)/libtrailhound.a $(DEPS_LIBS) -lpthread

bench:
	@$(MAKE) --no-print-directory MODE=release all build/release/bench/floor build/release/bench/inflate_bench
	@if [ "$${BENCH_PGO:-1}" != 0 ]; then $(MAKE) --no-print-directory pgo; fi
	@bash bench/run.sh

# build/pgo/trailhound: the release sources with profile-guided optimisation,
# trained on emulated input and checked against build/release (scripts/pgo.sh).
pgo: all
	@bash scripts/pgo.sh

# Speed-up with worker threads, and output identical for every count (bench/scaling.sh).
bench-scaling:
	@$(MAKE) --no-print-directory MODE=release all
	@bash bench/scaling.sh

# Peak RSS of a catch-all rule over ~2M emulated events (bench/memory.sh).
bench-memory:
	@$(MAKE) --no-print-directory MODE=release all
	@bash bench/memory.sh

# libFuzzer targets (fuzz/fuzz_*.c), one per parser, built with clang against
# a copy of the library instrumented for coverage and ASan/UBSan:
#   make fuzz                      # each target for FUZZ_SECONDS (default 60)
#   FUZZ_SECONDS=5 make fuzz       # the CI smoke (.ci/run)
# Corpora grow under build/fuzz/corpus/; fuzz/regress/<target>/ holds every
# input that once failed (replayed first, then fuzzing starts from fuzz/seeds/).
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FB := build/fuzz
FUZZ_WARN := $(WARN) -Wno-format-nonliteral # clang also flags vprintf wrappers; gcc (make check) does not
FUZZ_OPT := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(FB)/%)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FB)/%.o)

$(FB)/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC $@"; $(FUZZ_CC) $(CSTD) $(FUZZ_WARN) -Isrc $(DEPS_CFLAGS) -DTH_VERSION='"$(VERSION)"' -MMD -MP $(FUZZ_OPT) -fsanitize=fuzzer-no-link -c $< -o $@

$(FB)/libtrailhound.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	@echo "  AR $@"; ar rcs $@ $^

$(FB)/fuzz_%: fuzz/fuzz_%.c $(FB)/libtrailhound.a
	@echo "  CC $@"; $(FUZZ_CC) $(CSTD) -D_GNU_SOURCE $(FUZZ_WARN) -Isrc $(DEPS_CFLAGS) $(FUZZ_OPT) -fsanitize=fuzzer $< -o $@ $(FB)/libtrailhound.a $(DEPS_LIBS) -lpthread

fuzz-bins: $(FUZZ_BIN)

fuzz: fuzz-bins
	@bash fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

format:
	clang-format -i $(wildcard src/*/*.c src/*/*.h tests/*/*.c)

# `make install PREFIX=...`: the binary, and under PREFIX/share/trailhound the
# data it reads (found there from any working directory: src/ecs/datapath.c):
# data/ (word list), uap-core's regexes.yaml, the GeoIP City databases and the
# compiled ASN table (build/data/asn-ranges.bin; not the CSV it is made from),
# with their licences; plus the man page and bash completion.
DATADIR := $(PREFIX)/share/trailhound
NPM_DATA = $(wildcard node_modules/uap-core/regexes.yaml node_modules/uap-core/LICENSE* \
             node_modules/uap-core/package.json \
             node_modules/@ip-location-db/*/*.mmdb node_modules/@ip-location-db/*/*LICENSE* \
             node_modules/@ip-location-db/*/*EULA* node_modules/@ip-location-db/*/MODIFICATIONS \
             node_modules/@ip-location-db/*/package.json) $(ASN_TABLE_DEP)
install: $(B)/trailhound $(ASN_TABLE_DEP)
	install -D -m 0755 $(B)/trailhound $(DESTDIR)$(PREFIX)/bin/trailhound
	@test -f node_modules/uap-core/regexes.yaml || \
	  echo "install: warning: node_modules/ is missing (run scripts/setup.sh): user agents and GeoIP will be off"
	@for f in $$(find data -type f) $(NPM_DATA); do \
	  install -D -m 0644 "$$f" "$(DESTDIR)$(DATADIR)/$$f" || exit 1; done
	install -D -m 0644 docs/trailhound.1 $(DESTDIR)$(PREFIX)/share/man/man1/trailhound.1
	install -D -m 0644 scripts/trailhound.bash-completion \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/trailhound
	@echo "install: $(DESTDIR)$(PREFIX)/bin/trailhound, data under $(DESTDIR)$(DATADIR)"

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/trailhound $(DESTDIR)$(PREFIX)/share/man/man1/trailhound.1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/trailhound
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build trailhound

-include $(LIB_OBJ:.o=.d) $(B)/tools/asn_table.d $(B)/src/cli/main.d $(TEST_BIN:=.d) $(TEST_SUPPORT_OBJ:.o=.d) $(wildcard $(FB)/src/*/*.d)
