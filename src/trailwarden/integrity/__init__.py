"""Owns tamper evidence: digest chains, their signatures, the log hashes they list, the verdicts.
May import trailstore (layout, sources), errors, concurrency and aws.errors; never logs/ or cli/.

Pure logic (layout, digest checks, the chain walk, verdicts) never imports boto3; objects are
read through a ``trailstore`` Source; CloudTrail's own API is reached only in ``cloudtrail``.
"""
