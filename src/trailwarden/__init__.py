"""trailwarden: a trustworthy, queryable CloudTrail audit trail for an AWS organisation."""

__version__ = "0.1.0"
