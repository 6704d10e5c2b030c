"""Performance benchmarks: Tandem's overhead measured side by side against the bare models' own cost.

Run everything with `make bench` (or `python -m bench.perf`); results land in bench/results/perf.*.
"""
