"""Owns the simulated organisation of ``trailwarden demo``: a moto server in-process, seeded as AWS.
May import moto (the ``demo`` extra), boto3, any trailwarden package; only cli/demo.py imports it.

Nothing outside this package imports moto (tests/test_lean_runtime.py holds both rules), so every
other command runs on an install without the extra.
"""
