# herd — one build entry point. `make` builds build/herd and the tests;
# `make SAN=1` builds the same into build-san with ASan+UBSan;
# `make check` builds and runs the unit and simulation tests;
# `make fuzz` builds libFuzzer targets into build-fuzz (clang).
CC      ?= cc
SAN     ?= 0
DEBUG   ?= 0
PKGS    := libuv sqlite3 libmicrohttpd jansson libssl libcrypto libcurl zlib liblzma

ifeq ($(SAN),1)
BUILD   ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT     := -O1 -g
else
BUILD   ?= build
SANFLAGS :=
OPT     := $(if $(filter 1,$(DEBUG)),-O0 -g,-O2 -g)
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-missing-field-initializers \
           $(OPT) $(SANFLAGS) -pthread -Isrc -Iinclude -Itests/unit -MMD -MP $(PKG_CFLAGS)
LDFLAGS += $(SANFLAGS) -pthread -rdynamic
LDLIBS  += $(PKG_LIBS) -ldl -lm

LIB_SRC  := $(shell find src -name '*.c' ! -path 'src/cli/main.c' | sort)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SRC := $(shell find tests -name 'test_*.c' | sort)
TEST_BIN := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
TEST_LIB := $(shell find tests -name 'lib_*.c' | sort) tests/unit/check.c
TEST_LIB_OBJ := $(TEST_LIB:%.c=$(BUILD)/obj/%.o)
PLUGIN_SRC := $(shell find examples -name '*.c' 2>/dev/null | sort)
PLUGIN_SO  := $(patsubst examples/%.c,$(BUILD)/examples/%.so,$(PLUGIN_SRC))

.PHONY: all check clean fuzz
.SECONDARY:
all: $(BUILD)/herd $(TEST_BIN) $(PLUGIN_SO)

$(BUILD)/libherd.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcsT $@ $^

$(BUILD)/herd: $(BUILD)/obj/src/cli/main.o $(BUILD)/libherd.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(TEST_LIB_OBJ) $(BUILD)/libherd.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/examples/%.so: examples/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -shared -o $@ $<

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

check: all
	@scripts/run-unit.sh $(BUILD)

# libFuzzer targets: tests/fuzz/fuzz_*.c, each linked with the library
# sources compiled by clang with the fuzzer instrumentation.
FUZZ_SRC := $(shell find tests/fuzz -name 'fuzz_*.c' 2>/dev/null | sort)
FUZZ_BIN := $(patsubst tests/fuzz/%.c,build-fuzz/%,$(FUZZ_SRC))
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -MMD -MP -fsanitize=fuzzer-no-link,address,undefined \
               -pthread -Isrc -Iinclude $(PKG_CFLAGS)
FUZZ_OBJ := $(LIB_SRC:%.c=build-fuzz/obj/%.o)
fuzz: $(FUZZ_BIN)
build-fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -c -o $@ $<
build-fuzz/%: tests/fuzz/%.c $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $(filter %.c %.o,$^) $(LDLIBS) -lpthread

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD) build-fuzz -name '*.d' 2>/dev/null)
