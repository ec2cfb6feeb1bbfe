"""Owns where CloudTrail files are and how they are read: the S3 key layout, sources, records.
May import errors, concurrency, aws (s3 only) and integrity.keys (fixtures only); never logs/, cli/.

``layout`` (the key layout, pure), ``source`` (the Source protocol and the local-folder source),
``s3`` (the bucket source, the only module here that talks to AWS), ``listing`` (listing
pages read for keys and sizes only), ``files`` (a trail's log
files, walked along the layout with listings in flight), ``records`` (the one record reader:
every file shape, gzip by content, corrupt files skipped and reported) and ``fixtures`` (the one
writer of signed CloudTrail trees, for tests, benchmarks and the demo).
"""
