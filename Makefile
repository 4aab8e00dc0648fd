# Convenience wrapper around CMake. `make demo` and `make test` work on a
# fresh Debian machine: they install what is missing first (as root) or say
# what to install.

DEPS := cmake gcc make pkg-config librocksdb-dev libmsgpack-dev \
	libcmocka-dev libmicrohttpd-dev tmux jq curl
# The browser tests of `hindsight serve` (label browser).
TEST_DEPS := chromium chromium-driver
# The fuzzing build (make fuzz): clang and its libFuzzer runtime.
FUZZ_DEPS := clang libclang-rt-14-dev
FUZZ_SECONDS ?= 60
DEMO ?= ships
JOBS ?= 2
comma := ,
MAKEFLAGS += --no-print-directory
CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=RelWithDebInfo

ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# Debian's librocksdb (and the libstdc++/snappy code it calls) is not
# instrumented: TSan cannot see its synchronisation, so accesses made from
# those modules are ignored; our own code is still checked.
TSAN_ENV := TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 \
	ignore_noninstrumented_modules=1 \
	suppressions=$(CURDIR)/scripts/tsan.supp"
# TSan wants a memory layout without full ASLR on some kernels.
TSAN_RUN = $(shell setarch $$(uname -m) -R true 2>/dev/null && \
	echo setarch $$(uname -m) -R)

.PHONY: all deps test-deps build demo test asan tsan fuzz clean

all: build

# install_pkgs(packages): installs those missing (as root), or says how.
define install_pkgs
	@missing=; for p in $(1); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
			grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "installing:$$missing"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y $$missing; \
	else \
		echo "missing packages; install them with:"; \
		echo "sudo apt-get install -y$$missing"; exit 1; \
	fi
endef

deps:
	$(call install_pkgs,$(DEPS))

test-deps: deps
	$(call install_pkgs,$(TEST_DEPS))

# build-dir rule: configure (cheap when nothing changed) and build.
define build_in
	cmake -S . -B $(1) $(CMAKE_FLAGS) $(2)
	cmake --build $(1) -j $(JOBS)
endef

build: deps
	$(call build_in,build)

demo: build
	./build/demos/hs-$(DEMO)
	@echo
	@echo "Look at its log in a browser:"
	@echo "  ./build/tools/hindsight serve hindsight-data/$(DEMO) --types build/demos/libhs_$(DEMO)_types.so"
	@echo "  then open http://127.0.0.1:8470/"

test: build test-deps
	cd build && ctest --output-on-failure -j $(JOBS)

asan: test-deps
	$(call build_in,build-asan,-DHS_SANITIZE=address$(comma)undefined)
	cd build-asan && $(ASAN_ENV) ctest --output-on-failure -j $(JOBS)

tsan: test-deps
	$(call build_in,build-tsan,-DHS_SANITIZE=thread)
	cd build-tsan && $(TSAN_ENV) $(TSAN_RUN) \
		ctest --output-on-failure -j $(JOBS)

# Each libFuzzer harness of tests/fuzz/ for FUZZ_SECONDS (docs/TESTING.md).
fuzz: deps
	$(call install_pkgs,$(FUZZ_DEPS))
	CC=clang cmake -S . -B build-fuzz $(CMAKE_FLAGS) -DHS_FUZZ=ON \
		-DHS_BUILD_TESTS=OFF -DHS_BUILD_DEMOS=OFF -DHS_BUILD_BENCH=OFF
	cmake --build build-fuzz --target fuzz -j $(JOBS)
	tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

clean:
	rm -rf build build-asan build-tsan build-fuzz
