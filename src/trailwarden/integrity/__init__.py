"""Tamper evidence: validate CloudTrail log files against their signed digest chains.

Pure logic (layout, digest checks, the chain walk, verdicts) never imports boto3; S3 and CloudTrail
are reached only through ``integrity.s3``.
"""
