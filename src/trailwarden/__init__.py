"""trailwarden: a trustworthy, queryable CloudTrail audit trail for an AWS organisation.
Top-level modules are leaves every package may import: errors, arns, concurrency, jsonfile.

The pipeline (aws -> collect -> snapshot -> controls -> plan -> apply/verify) and the packages
beside it are described in docs/architecture.md; each package's docstring says what it owns and
what it may import, and tests/test_layers.py holds the code to it.
"""

__version__ = "0.1.0"
