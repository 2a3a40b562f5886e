# Vigil: the only entry point. `make test` and `make demo` work on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := build

BUILD        ?= build
BUILD_ASAN   ?= build-asan
BUILD_FUZZ   ?= build-fuzz
JOBS         ?= $(shell nproc)
FUZZ_SECONDS ?= 60
# How long `make demo` runs at most (it ends sooner once everything is done).
DEMO_SECONDS ?= 90
# Public test vectors live outside the repo (see tests/README.md).
export VIGIL_VECTORS ?= $(abspath $(CURDIR)/../shared/vectors)

# Debian packages the build, the tests, the fuzzers and the benchmarks need.
DEB_PACKAGES := build-essential cmake pkg-config git \
  libcurl4-openssl-dev libwebsocketpp-dev libboost-dev libasio-dev \
  libleveldb-dev libsnappy-dev libsecp256k1-dev libyaml-cpp-dev prometheus-cpp-dev \
  libgtest-dev libgmock-dev libbenchmark-dev libssl-dev nlohmann-json3-dev libsimdjson-dev libcrypto++-dev \
  clang-16 libclang-rt-16-dev clang-format jq

# What `make chart-test` needs: Go, sprig and yaml.v3 from Debian (the chart renderer and
# its test build offline in GOPATH mode), and promtool, extracted from Debian's
# prometheus package without installing it (the package would start a server).
CHART_PACKAGES := golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev
GO_OFFLINE   := GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off GOFLAGS= GOCACHE=$(abspath $(BUILD))/go-cache
PROMTOOL     := $(BUILD)/tools/promtool

.PHONY: demo deps devnet-tools devnet-contracts build test unit asan fuzz fuzz-smoke bench lint format clean chart-deps chart-test

## deps: install the Debian packages that are missing (needs root or sudo).
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	  done); \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing $$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "deps: all Debian packages present"; fi

## devnet-tools: Anvil, cast and solc pinned in tests/devnet/package-lock.json.
DEVNET_STAMP := tests/devnet/node_modules/.installed
devnet-tools: $(DEVNET_STAMP)
$(DEVNET_STAMP): tests/devnet/package.json tests/devnet/package-lock.json
	@command -v npm >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nodejs npm; }
	cd tests/devnet && npm ci --no-audit --no-fund --loglevel=error
	touch $@

## devnet-contracts: the devnet's Solidity contracts compiled with the pinned solcjs.
DEVNET_ARTIFACTS := $(BUILD)/devnet/contracts.json
devnet-contracts: $(DEVNET_ARTIFACTS)
$(DEVNET_ARTIFACTS): $(DEVNET_STAMP) $(wildcard tests/devnet/contracts/*.sol) tests/devnet/compile.js
	@mkdir -p $(dir $@)
	node tests/devnet/compile.js $@

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

## build: the vigil binary, tests and benchmarks (Release) into build/.
build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

## test: everything CI must pass.
test: build devnet-tools devnet-contracts fuzz-smoke chart-test
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

## chart-deps: the Debian packages chart-test needs (needs root or sudo).
chart-deps:
	@missing=$$(for p in $(CHART_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	  done); \
	if [ -n "$$missing" ]; then \
	  echo "chart-deps: installing $$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BUILD)/chart-render: tools/chart-render/main.go | chart-deps
	@mkdir -p $(dir $@)
	$(GO_OFFLINE) go build -o $@ ./tools/chart-render

$(PROMTOOL):
	@mkdir -p $(dir $@)
	cd $(dir $@) && rm -f prometheus_*.deb && \
	  { apt-get download -qq prometheus || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && apt-get download -qq prometheus; }; } && \
	  dpkg-deb --fsys-tarfile prometheus_*.deb | tar -xO ./usr/bin/promtool > promtool.tmp && \
	  chmod +x promtool.tmp && mv promtool.tmp promtool && rm -f prometheus_*.deb

## chart-test: render charts/vigil for several value sets and check the objects, the
## rendered configs (with build/vigil when built) and the alerts (promtool).
chart-test: $(BUILD)/chart-render $(PROMTOOL)
	VIGIL_BIN=$$( [ -x $(BUILD)/vigil ] && echo $(abspath $(BUILD)/vigil) ) \
	  CHART_RENDER=$(abspath $(BUILD)/chart-render) PROMTOOL=$(abspath $(PROMTOOL)) \
	  $(GO_OFFLINE) go test -count=1 ./tests/chart/

## asan: the unit tests under ASan + UBSan.
asan: deps devnet-tools
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DVIGIL_SANITIZE=ON -DVIGIL_BENCH=OFF
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	cd $(BUILD_ASAN) && ctest --output-on-failure -j $(JOBS) --timeout 900

$(BUILD_FUZZ)/CMakeCache.txt:
	cmake -S . -B $(BUILD_FUZZ) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIGIL_FUZZ=ON \
	  -DCMAKE_C_COMPILER=clang-16 -DCMAKE_CXX_COMPILER=clang++-16

fuzz-build: deps $(BUILD_FUZZ)/CMakeCache.txt
	cmake --build $(BUILD_FUZZ) -j $(JOBS)

## fuzz: each libFuzzer target for FUZZ_SECONDS (default 60), corpus in tests/fuzz/corpus/.
fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(BUILD_FUZZ)

## fuzz-smoke: each target briefly on its corpus (part of make test).
fuzz-smoke: fuzz-build
	FUZZ_SECONDS=5 tests/fuzz/run.sh $(BUILD_FUZZ)

## demo: Vigil (`vigil run`) against a local devnet (L1 + two L2s): withdrawals proved and
## finalized, an invalid output root caught and challenged; live progress, then a summary.
## Ends by itself after DEMO_SECONDS (default 90); Ctrl-C ends it cleanly at any time.
demo: build devnet-tools devnet-contracts
	$(BUILD)/vigil-devnet demo --vigil $(BUILD)/vigil --dir $(BUILD)/demo --seconds $(DEMO_SECONDS)

## bench: the Google Benchmark suites (figures, never pass/fail).
bench: build
	@for b in $(BUILD)/*_bench; do echo "== $$b"; $$b --benchmark_counters_tabular=true || exit 1; done

## lint: clang-format check of every C++ source.
lint:
	@files=$$(git ls-files '*.h' '*.cpp'); clang-format --dry-run --Werror $$files && echo "lint: clean"

format:
	clang-format -i $$(git ls-files '*.h' '*.cpp')

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)
