# The two commands of the README: `make demo` and `make test`.
# `make test-fast` is the quick tier for the development loop (lint + unmarked tests);
# `make test-offline` runs the checks too long for CI.
.PHONY: demo test test-fast test-offline lint bench env

env:
	@tools/bootstrap.sh

demo: env
	.venv/bin/smartspec demo --out results/demo

lint: env
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

test: lint
	.venv/bin/python -m pytest -q

test-fast: lint
	.venv/bin/python -m pytest -q -m "not slow and not browser"

# Checks too long for CI (tests marked offline), e.g. the liveness check's 1,024-seed stage.
test-offline: env
	.venv/bin/python -m pytest -q --offline -m offline

bench: env
	.venv/bin/python benchmarks/bench_model.py
