# The two commands of the README: `make demo` and `make test`.
.PHONY: demo test lint bench env

env:
	@tools/bootstrap.sh

demo: env
	.venv/bin/smartspec demo --out results/demo

test: env
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/python -m pytest -q

bench: env
	.venv/bin/python benchmarks/bench_model.py
