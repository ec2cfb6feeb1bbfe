"""Benchmark scripts: each prints figures (ratios against a baseline run in the same process)."""
