# Two entry points do all set-up on a fresh Debian 12 machine:
#   make demo   compress the bundled sample data with every codec
#   make test   C++ tests (plain and ASan+UBSan), fuzzers on their seed corpus, Python tests and notebooks
# Both install what is missing (Debian packages, .venv, the package in editable mode) and are quick when
# everything is already there.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
FUZZ_SECONDS ?= 4
FUZZERS := $(patsubst tests/fuzz/%.cpp,%,$(wildcard tests/fuzz/fuzz_*.cpp))

.PHONY: all demo test cpp-test asan-test fuzz-smoke fuzz fuzz-corpus py-test bench bench-filters bench-autoencoder sysdeps venv install clean

all: install

sysdeps: build/.sysdeps
build/.sysdeps: scripts/install-system-deps.sh
	bash scripts/install-system-deps.sh
	@mkdir -p build && touch $@

venv: $(VENV)/.deps
$(VENV)/.deps: pyproject.toml requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements-dev.txt
	touch $@

# Editable install that rebuilds the extension on import when C++ sources change.
install: $(VENV)/.installed
$(VENV)/.installed: build/.sysdeps $(VENV)/.deps CMakeLists.txt pyproject.toml
	$(PIP) install -q --no-build-isolation -e . \
	  -Cbuild-dir=build/py -Ceditable.rebuild=true -Ceditable.verbose=false
	touch $@

demo: install
	$(PY) examples/demo.py

cpp-test: build/.sysdeps
	cmake --preset dev >/dev/null
	cmake --build --preset dev
	ctest --preset dev

asan-test: build/.sysdeps
	cmake --preset asan >/dev/null
	cmake --build --preset asan --target tsquash_tests
	ctest --preset asan

# Each fuzzer runs briefly from its committed seed corpus; new inputs and crash files go to build/fuzz/, not the repo.
fuzz-smoke: build/.sysdeps
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz
	@set -e; for f in $(FUZZERS); do \
	  c=$${f#fuzz_}; mkdir -p build/fuzz/new/$$c; \
	  if build/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) -timeout=10 -artifact_prefix=build/fuzz/ \
	      build/fuzz/new/$$c tests/fuzz/corpus/$$c > build/fuzz/$$f.log 2>&1; then \
	    echo "$$f: $$(grep -oE 'Done [0-9]+ runs.*' build/fuzz/$$f.log | tail -1)"; \
	  else tail -40 build/fuzz/$$f.log; exit 1; fi; \
	done

fuzz:
	$(MAKE) fuzz-smoke FUZZ_SECONDS=120

# Regenerate the committed seed corpora from tests/fuzz/make_corpus.cpp.
fuzz-corpus: build/.sysdeps
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz --target make_corpus
	build/fuzz/make_corpus tests/fuzz/corpus

py-test: install
	$(PY) -c "import tsquash"  # triggers the editable rebuild before pytest starts
	TSQUASH_NO_SKIPS=1 $(PY) -m pytest -q

test: cpp-test asan-test fuzz-smoke py-test

# Codec speed (Google Benchmark, a couple of minutes) and tsquash against its peers (a few minutes); results
# land in benchmarks/results/ under this machine's name. The lossless run alone:
#   .venv/bin/python benchmarks/python/lossless.py --help
bench: install
	cmake --preset dev >/dev/null
	cmake --build --preset dev --target bench_codecs
	m=$$($(PY) benchmarks/python/lossless.py --print-machine) && \
	  build/dev/bench_codecs --benchmark_out_format=json --benchmark_out=benchmarks/results/bench_codecs-$$m.json
	$(PY) benchmarks/python/lossless.py

# Filter speed (C++ loop, Python batch and per-point calls, pydbfilter's algorithm in plain Python,
# tsdownsample) and compression at an error bound; results in benchmarks/results/ (docs/filters.md).
bench-filters: install
	cmake --preset dev >/dev/null
	cmake --build --preset dev --target bench_filters
	$(PY) benchmarks/python/filters_speed.py --bench-binary build/dev/bench_filters
	$(PY) benchmarks/python/filters_ratio.py

# Autoencoder training seconds per epoch and inference throughput (dense on ETTh1, conv on the CFD frames).
bench-autoencoder: install
	$(PY) benchmarks/python/autoencoder_speed.py

clean:
	rm -rf build $(VENV) *.egg-info
