"""`trailwarden logs ...`: ingest the record, then ask it who did what, when and from where.

One module per kind of command; each adds its commands to ``group.logs_app`` on import, and
they are imported in the order ``logs --help`` lists them: ingest first, then the questions.
"""

import importlib

for _module in ("ingest", "questions", "hunt"):
    importlib.import_module(f"trailwarden.cli.logs.{_module}")
