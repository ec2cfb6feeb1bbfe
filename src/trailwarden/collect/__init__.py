"""Collection: read every account and Region through boto3 into one Snapshot."""

from trailwarden.collect.collector import ScanOptions, collect

__all__ = ["ScanOptions", "collect"]
