"""Owns the queryable audit trail: records in DuckDB, questions, hunts, Sigma, alarm replay, Athena.
May import trailstore (files and records), filterpattern, errors, concurrency and aws; never cli/.

Reads through ``trailwarden.trailstore`` (its readers module adds deduplication and the time
window), loads into DuckDB (staging, schema, store), asks questions (questions, hunts, direct;
``ask`` puts them to a database, the files or Athena), runs Sigma rules (sigma), replays
metric-filter alarms (replay, account) and runs the same questions on Athena (athena_sql,
athena). See docs/logs.md.
"""
