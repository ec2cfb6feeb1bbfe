"""The queryable audit trail: read CloudTrail files (readers, layout, s3), load them into DuckDB
(staging, schema, store), ask questions (questions, hunts, direct), run Sigma rules (sigma),
replay metric-filter alarms (replay, account) and run the same questions on Athena (athena_sql,
athena). See docs/logs.md.
"""
