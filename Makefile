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
PKGS     := lmdb libmicrohttpd libcjson libutf8proc libxml-2.0 libzstd
DEB_PKGS := pkg-config liblmdb-dev lmdb-utils libmicrohttpd-dev \
            libcjson-dev libutf8proc-dev libxml2-dev libzstd-dev \
            libstemmer-dev python3
SANITIZER ?=

ifeq ($(SANITIZER),)
BUILD    := build/rel
OPT      := -O2 -g
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

.PHONY: all deps run test unit e2e bench eval clean assets
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
	@$(MAKE) --no-print-directory $(BIN) $(TEST_BIN)
	@BUILD=$(BUILD) sh tests/run.sh $(TEST_BIN)

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

# Ranking quality on cranfield and cisi next to the peers' figures;
# EVAL_OPTS passes search options (--k1 1.0 --b 0.5 ...).
eval: all
	sh bench/eval.sh $(EVAL_OPTS)

# The page's CSS, script and icon are embedded in web/assets.c, which is
# committed (building needs no Python); after editing web/assets/*, run
# `make assets`. test_page fails when assets.c is stale.
assets:
	python3 web/embed.py

clean:
	rm -rf build lede

-include $(shell find build -name '*.d' 2>/dev/null)
