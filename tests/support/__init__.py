"""Test machinery shared by tests and benchmarks (never shipped): the latency/fault proxy.

Importable as ``tests.support`` from the repository root (``python -m pytest`` puts it on the
path; benchmarks add it themselves).
"""
