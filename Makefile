# The two commands a newcomer needs:
#   make run    build and start a development node (data in ./var, API and web app on http://127.0.0.1:8645/)
#   make test   build and run the whole test suite
BUILD ?= build
JOBS ?= $(shell nproc)

FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
SANITIZE_BUILD ?= build-sanitize
SANITIZE_ASAN_OPTIONS ?= detect_leaks=1:abort_on_error=0:strict_string_checks=1

.PHONY: all setup configure build run test test-sanitize bench fuzz clean

all: build

setup:
	@bash scripts/setup

configure: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/tributary node --data ./var --dev --demo --demo-models

test: build
	cd $(BUILD) && ctest -j2 --output-on-failure

# The whole suite built with AddressSanitizer and UndefinedBehaviorSanitizer in $(SANITIZE_BUILD)
# (docs/reliability.md). Slower than `make test`: not part of CI.
test-sanitize: setup
	@cmake -S . -B $(SANITIZE_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRIBUTARY_SANITIZE=ON \
	  -DTRIBUTARY_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(SANITIZE_BUILD) -j $(JOBS)
	cd $(SANITIZE_BUILD) && ASAN_OPTIONS=$(SANITIZE_ASAN_OPTIONS) \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest -j2 --output-on-failure

bench: build
	$(BUILD)/bench/ledger_bench

# libFuzzer targets (fuzz/README.md): clang with ASan and UBSan in $(FUZZ_BUILD), each target run
# FUZZ_SECONDS from its seeds in fuzz/corpus; FUZZ_TARGETS="tx_codec gguf" runs only those.
fuzz:
	@bash scripts/setup --fuzz
	@CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRIBUTARY_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_all
	@bash tools/fuzz-run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD) $(SANITIZE_BUILD)
