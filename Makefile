# longweave: one library (liblongweave.a) and one command (longweave).
#
#   make          build         make test    unit + command-line tests
#   make demo     run the pipeline on the bundled sample corpus
#   make asan     AddressSanitizer + UBSan build, then its tests
#   make fuzz     libFuzzer targets (clang), each run FUZZ_SECONDS (default 60)
#   make valgrind the command-line tests under valgrind --leak-check=full
#   make bench    benchmarks (by hand; figures go in notes, not tests)
#   make deps     install missing Debian packages (as root) or print the line
#   make install  PREFIX=/usr/local DESTDIR=   (make uninstall: the same, removed)

PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build

# Debian packages the build, tests and demo need.
DEB_PACKAGES = gcc g++ make libzstd-dev zstd zlib1g-dev liblzma-dev libbz2-dev libisal-dev \
               xz-utils bzip2 gzip tabix libsnappy-dev liblz4-dev libcjson-dev libpcre2-dev libxxhash-dev \
               nettle-dev libsentencepiece-dev libutf8proc-dev libcmocka-dev python3 python3-numpy \
               xxhash parallel slurm-wlm munge pkgconf \
               python3-sentencepiece python3-jinja2

# What `make fuzz` adds (clang with its libFuzzer and OpenMP runtimes).
FUZZ_PACKAGES = clang libclang-rt-dev libomp-dev
FUZZ_SECONDS ?= 60

WARN = -Wall -Wextra -Werror
CFLAGS ?= -O2 -g
SANITIZE ?=
ifeq ($(SANITIZE),1)
  CFLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
  LDSAN = -fsanitize=address,undefined
endif
ifeq ($(SANITIZE),fuzz)
  CFLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
           -fno-sanitize-recover=all
  LDSAN = -fsanitize=address,undefined
endif
ALL_CFLAGS = -std=c11 $(CFLAGS) $(WARN) -fopenmp -pthread -D_GNU_SOURCE -Iinclude -MMD -MP
# The SentencePiece shim is the only C++ file.
ALL_CXXFLAGS = -std=c++17 $(CFLAGS) $(WARN) -Iinclude -MMD -MP
LIBS = -lzstd -lz -llzma -lbz2 -lisal -lsnappy -llz4 -lcjson -lpcre2-8 -lxxhash -lnettle -lutf8proc \
       -lsentencepiece -lstdc++ -lm
LDFLAGS_ALL = -fopenmp -pthread $(LDSAN) $(LDFLAGS)

# The output path's id stores and checks are loops over whole buffers, which
# GCC's -O2 cost model ("very cheap") leaves scalar.
VECTORIZE := $(shell $(CC) -ftree-vectorize -fvect-cost-model=cheap -Werror -E -x c /dev/null \
               >/dev/null 2>&1 && echo -ftree-vectorize -fvect-cost-model=cheap)
$(BUILD)/obj/core/bufout.o: ALL_CFLAGS += $(VECTORIZE)

LIB_SRC = $(wildcard core/*.c corpus/*.c tokenizer/*.c gen/*.c)
LIB_CXX_SRC = $(wildcard tokenizer/*.cc)
CLI_SRC = $(wildcard cli/*.c)
TEST_SRC = $(wildcard tests/unit/test_*.c)

LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(LIB_CXX_SRC:%.cc=$(BUILD)/obj/%.o)
CLI_OBJ = $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN = $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN = $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/%)

.SECONDARY:
.PHONY: all test test-run demo asan fuzz fuzz-build valgrind bench deps install uninstall clean print-libs

all: $(BUILD)/liblongweave.a $(BUILD)/longweave $(TEST_BIN)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.cc
	@mkdir -p $(dir $@)
	$(CXX) $(ALL_CXXFLAGS) -c $< -o $@

$(BUILD)/liblongweave.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/longweave: $(CLI_OBJ) $(BUILD)/liblongweave.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(CLI_OBJ) $(BUILD)/liblongweave.a $(LIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/liblongweave.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(BUILD)/liblongweave.a $(LIBS) -lcmocka

# A libFuzzer target: the library built with coverage, ASan and UBSan;
# linked by the C++ driver, which brings UBSan's C++ runtime for the shim.
$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(BUILD)/liblongweave.a
	$(CC) -std=c11 $(CFLAGS) $(WARN) -D_GNU_SOURCE -Iinclude \
	    -DFUZZ_FIXTURES='"$(CURDIR)/tests/fixtures"' -c $< -o $@.o
	$(CXX) -fsanitize=fuzzer $(LDSAN) -fopenmp -pthread -o $@ $@.o $(BUILD)/liblongweave.a $(LIBS)

deps:
	@scripts/deps.sh $(DEB_PACKAGES)

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory test-run

test-run:
	@tests/run.sh $(BUILD)

asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan SANITIZE=1 all
	@$(MAKE) --no-print-directory BUILD=build-asan SANITIZE=1 test-run

fuzz: deps
	@scripts/deps.sh $(FUZZ_PACKAGES)
	@$(MAKE) --no-print-directory BUILD=build-fuzz SANITIZE=fuzz CC=clang CXX=clang++ fuzz-build
	@tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

fuzz-build: $(FUZZ_BIN)

valgrind: deps
	@scripts/deps.sh valgrind
	@$(MAKE) --no-print-directory all
	@tests/valgrind.sh $(BUILD)

demo: deps
	@$(MAKE) --no-print-directory all
	@examples/demo.sh $(BUILD)/longweave

bench: deps
	@$(MAKE) --no-print-directory all
	@bench/run.sh $(BUILD)/longweave

# The libraries a program linking liblongweave.a needs (bench/bpe_bench.sh).
print-libs:
	@echo $(LIBS)

# What `make install` puts in PREFIX/include: longweave.h and the headers it
# includes (found by the compiler, so the #include lines are the one list);
# the other headers of include/longweave/ are internal (and removed, where an
# older install put them). longweave.pc is made
# from longweave.pc.in with PREFIX, the version and LIBS.
PUBLIC_HEADERS = $(sort $(filter include/longweave/%.h,$(shell $(CC) -x c -Iinclude -MM include/longweave.h)))
LW_VERSION = $(shell sed -n 's/^\#define LW_VERSION "\(.*\)"/\1/p' include/longweave/version.h)

install: $(BUILD)/liblongweave.a $(BUILD)/longweave
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	    $(DESTDIR)$(PREFIX)/include/longweave
	install -m 755 $(BUILD)/longweave $(DESTDIR)$(PREFIX)/bin/longweave
	install -m 644 $(BUILD)/liblongweave.a $(DESTDIR)$(PREFIX)/lib/liblongweave.a
	install -m 644 include/longweave.h $(DESTDIR)$(PREFIX)/include/longweave.h
	install -m 644 $(PUBLIC_HEADERS) $(DESTDIR)$(PREFIX)/include/longweave/
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/include/longweave/,$(filter-out \
	    $(notdir $(PUBLIC_HEADERS)),$(notdir $(wildcard include/longweave/*.h))))
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(LW_VERSION)|' -e 's|@LIBS@|$(strip $(LIBS))|' \
	    longweave.pc.in >$(DESTDIR)$(PREFIX)/lib/pkgconfig/longweave.pc

# Every header name longweave has (an older install put them all there).
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/longweave $(DESTDIR)$(PREFIX)/lib/liblongweave.a \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig/longweave.pc $(DESTDIR)$(PREFIX)/include/longweave.h \
	    $(addprefix $(DESTDIR)$(PREFIX)/include/longweave/,$(notdir $(wildcard include/longweave/*.h)))
	-rmdir $(DESTDIR)$(PREFIX)/include/longweave 2>/dev/null

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
