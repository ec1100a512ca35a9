"""Benchmarks: `make bench` (python -m bench.run_all). Results go to docs/benchmarks.md by hand."""
