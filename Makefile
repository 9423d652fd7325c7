# The two commands a newcomer needs:
#   make run    build and start a development node (data in ./var, API and web app on http://127.0.0.1:8645/)
#   make test   build and run the whole test suite
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all setup configure build run test bench clean

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

bench: build
	$(BUILD)/bench/ledger_bench

clean:
	rm -rf $(BUILD)
