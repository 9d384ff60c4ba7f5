"""Benchmarks: each prints ratios measured in one run (our path against a bare baseline)."""
