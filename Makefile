# lede - one non-recursive Makefile.
#
#   make            build ./lede (installs missing Debian packages first)
#   make run        build, index corpus/ into ./lede.db, search it, serve it
#                   on http://127.0.0.1:8080/ (LEDE_LISTEN=HOST:PORT)
#   make test       unit tests + end-to-end tests (HTTP and a real browser:
#                   installs chromium and playwright-core when missing);
#                   ends "N passed, N failed"
#   make bench      indexing/search benchmarks against ../shared (slow)
#   make eval       ranking quality on ../shared/data/eval
#   SANITIZER=address,undefined make test    the same under ASan + UBSan

CC       ?= cc
PKGS     := lmdb libmicrohttpd libcjson libutf8proc libxml-2.0 libzstd \
            libxxhash
DEB_PKGS := pkg-config liblmdb-dev lmdb-utils libmicrohttpd-dev \
            libcjson-dev libutf8proc-dev libxml2-dev libzstd-dev \
            libstemmer-dev libxxhash-dev python3
SANITIZER ?=

ifeq ($(SANITIZER),)
BUILD    := build/rel
# -O3 over -O2: news T3 p50 66 -> 64 µs, 1M T2 p50 437 -> 405 µs (five
# and four interleaved runs); -march=x86-64-v3 added nothing measurable.
OPT      := -O3 -g
else
BUILD    := build/san
OPT      := -O1 -g -fno-omit-frame-pointer -fsanitize=$(SANITIZER) \
            -fno-sanitize-recover=undefined
endif

# pkg-config is asked lazily (=) so that `make deps` can run first.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lstemmer -lpthread -lm
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -MMD -MP $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(OPT) $(LDFLAGS)

LIB_SRC  := $(sort $(wildcard common/*.c indexer/*.c searcher/*.c web/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BIN      := $(BUILD)/lede

.PHONY: all deps run test unit e2e bench eval clean assets soak
all: deps
	@$(MAKE) --no-print-directory lede

# Check for every library with pkg-config (libstemmer ships no .pc file:
# look for its header) and apt-get what is missing.
deps:
	@missing=""; \
	for p in $(PKGS); do pkg-config --exists $$p 2>/dev/null || missing=1; done; \
	[ -f /usr/include/libstemmer.h ] || missing=1; \
	command -v mdb_dump >/dev/null 2>&1 || missing=1; \
	command -v python3 >/dev/null 2>&1 || missing=1; \
	if [ -n "$$missing" ]; then \
	  echo "installing build dependencies: $(DEB_PKGS)"; \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    --no-install-recommends $(DEB_PKGS) >/dev/null || exit 1; \
	fi

lede: $(BIN)
	@cp -f $(BIN) lede

$(BIN): $(BUILD)/lede.o $(LIB_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB_OBJ) $(PKG_LIBS)

LEDE_INDEX ?= lede.db
LEDE_LISTEN ?= 127.0.0.1:8080
run: all
	@rm -rf $(LEDE_INDEX)
	./lede index -i $(LEDE_INDEX) corpus/
	./lede stats -i $(LEDE_INDEX)
	./lede search -i $(LEDE_INDEX) -n 3 nso pegasus spyware
	./lede search -i $(LEDE_INDEX) -n 3 '"oil prices" sort:date'
	@echo "open the address below in a browser; Ctrl-C stops the server"
	./lede serve -i $(LEDE_INDEX) --listen $(LEDE_LISTEN)

# The browser test needs Debian's chromium and playwright-core (npm):
# tests/browser/setup.sh installs what is missing.
test: deps
	@sh tests/browser/setup.sh
	@$(MAKE) --no-print-directory $(BIN) $(TEST_BIN) $(REPLAY_BIN)
	@BUILD=$(BUILD) sh tests/run.sh $(TEST_BIN) $(REPLAY_BIN)

# Benchmarks read ../shared; they are slow and not tests. The peers
# (../shared/bench/build.sh) are compared when they are built.
BENCH_WORK ?= /tmp/bench-work
bench: all
	sh bench/bench_index.sh all
	@if [ -x $(BENCH_WORK)/bin/sqlite_fts5 ]; then \
	  sh bench/compare_index.sh $(BENCH_WORK)/corpora/news.jsonl sqlite_fts5 lucene sphinx xapian; \
	  sh bench/compare_index.sh $(BENCH_WORK)/corpora/syn1m.jsonl sqlite_fts5 lucene; \
	  sh bench/compare_search.sh $(BENCH_WORK)/corpora/news.jsonl ../shared/bench/queries/news/queries.tsv sqlite_fts5 lucene xapian sphinx; \
	  sh bench/compare_search.sh $(BENCH_WORK)/corpora/syn1m.jsonl ../shared/bench/queries/syn1m/queries.tsv lucene; \
	else echo "peers not built: bash ../shared/bench/build.sh for the side-by-side table"; fi
	sh bench/bench_search.sh $(BENCH_WORK)/corpora/news.jsonl ../shared/bench/queries/news
	sh bench/bench_search.sh $(BENCH_WORK)/corpora/syn1m.jsonl ../shared/bench/queries/syn1m

# Ranking quality on cranfield and cisi next to the peers' figures;
# EVAL_OPTS passes search options (--k1 1.0 --b 0.5 ...).
eval: all
	sh bench/eval.sh $(EVAL_OPTS)

# The page's CSS, script and icon are embedded in web/assets.c, which is
# committed (building needs no Python); after editing web/assets/*, run
# `make assets`. test_page fails when assets.c is stale.
assets:
	python3 web/embed.py

# libFuzzer harnesses (tests/fuzz/fuzz_*.c) under ASan + UBSan with clang:
# `make fuzz` runs each for FUZZ_SECONDS (60), `make fuzz-smoke` for 10 s,
# on a scratch copy of tests/fuzz/seeds/<target>/ in build/fuzz/corpus/;
# a crash fails the target; its input is copied to tests/fuzz/regress/
# <target>/, where `make test` replays it from then on.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS  = -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
               $(FUZZ_SAN) $(PKG_CFLAGS)
FUZZ_TGTS    := tok query jsonl html text post snip http
FUZZ_OBJ     := $(LIB_SRC:%.c=build/fuzz/%.o)
FUZZ_BIN     := $(FUZZ_TGTS:%=build/fuzz/fuzz_%)

.PHONY: fuzz fuzz-smoke fuzz-build fuzz-deps
build/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

# fuzz_http #includes web/serve.c, so serve.o stays out of its link.
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -MMD -MP -o $@ $< \
	  $(if $(filter http,$*),$(filter-out build/fuzz/web/serve.o,$(FUZZ_OBJ)),$(FUZZ_OBJ)) \
	  $(PKG_LIBS)

# The same harnesses, built with $(CC) and tests/fuzz/replay.c instead of
# libFuzzer: `make test` replays every seed and every input a fuzzer ever
# crashed on (tests/fuzz/regress/<target>/).
REPLAY_BIN := $(FUZZ_TGTS:%=$(BUILD)/tests/replay_%)
.PRECIOUS: $(BUILD)/tests/fuzz/%.o
$(BUILD)/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<
$(BUILD)/tests/fuzz/replay_%.o: tests/fuzz/replay.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DFUZZ_NAME='"$*"' -c -o $@ $<
$(BUILD)/tests/replay_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay_%.o $(LIB_OBJ)
	$(CC) -o $@ $< $(BUILD)/tests/fuzz/replay_$*.o \
	  $(if $(filter http,$*),$(filter-out $(BUILD)/web/serve.o,$(LIB_OBJ)),$(LIB_OBJ)) \
	  $(ALL_LDFLAGS) $(PKG_LIBS)

# clang and its libFuzzer runtime (Debian: clang, libclang-rt-14-dev).
fuzz-deps: deps
	@if ! command -v $(FUZZ_CC) >/dev/null 2>&1 || \
	   ! ls "$$($(FUZZ_CC) --print-resource-dir 2>/dev/null)"/lib/linux/libclang_rt.fuzzer-*.a \
	     >/dev/null 2>&1; then \
	  echo "installing the fuzzing toolchain: clang libclang-rt-14-dev"; \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    --no-install-recommends clang libclang-rt-14-dev >/dev/null || exit 1; \
	fi

fuzz-build: fuzz-deps
	@$(MAKE) --no-print-directory $(FUZZ_BIN)

fuzz: fuzz-build
	@fail=""; for t in $(FUZZ_TGTS); do \
	  c=build/fuzz/corpus/$$t; mkdir -p $$c; \
	  cp -f tests/fuzz/seeds/$$t/* tests/fuzz/regress/$$t/* $$c/ 2>/dev/null; \
	  echo "fuzz_$$t: $(FUZZ_SECONDS) s"; \
	  (cd build/fuzz && ./fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=65536 -print_final_stats=1 -artifact_prefix=crash-$$t- \
	    corpus/$$t > log-$$t.txt 2>&1) || { fail="$$fail $$t"; \
	    mkdir -p tests/fuzz/regress/$$t; \
	    cp build/fuzz/crash-$$t-* tests/fuzz/regress/$$t/ 2>/dev/null; }; \
	  grep -E 'stat::(number_of_executed_units|average_exec_per_sec)' \
	    build/fuzz/log-$$t.txt | tr '\n' ' '; echo; \
	done; \
	nf=$$(echo $$fail | wc -w); \
	if [ -n "$$fail" ]; then echo "fuzz: crashes in:$$fail (build/fuzz/log-*.txt;" \
	  "the inputs are copied to tests/fuzz/regress/, which make test replays:" \
	  "commit them with the fix)"; fi; \
	echo "fuzz: $$(( $(words $(FUZZ_TGTS)) - nf )) passed, $$nf failed"; \
	[ -z "$$fail" ]

fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10

# Long tests, not in make test (tests/soak.sh lists them): fuzzing, kills
# during index/compact, readers during writes, ThreadSanitizer, resource
# limits, load, valgrind. CI runs it after make test.
soak: all fuzz-deps
	@sh tests/soak.sh

clean:
	rm -rf build lede

-include $(shell find build -name '*.d' 2>/dev/null)
