"""Owns collection: every account and Region read through boto3 into one Snapshot; declared reads.
May import aws/, snapshot/, arns, errors, policies.permissions; not controls/, plan/, apply/, cli/.

``reads`` is the leaf (Read declarations, ReadContext); ``details`` reads one trail's resources on a
ReadContext; ``collector`` schedules the reads; ``progress`` is ``--resume``'s file and ``shards``
splits the accounts across worker processes (``--processes``).
"""

from trailwarden.collect.collector import ScanOptions, collect, incomplete_accounts

__all__ = ["ScanOptions", "collect", "incomplete_accounts"]
