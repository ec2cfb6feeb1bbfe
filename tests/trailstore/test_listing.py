"""Keys-only listings: the same keys and sizes as botocore's full answer (odd characters too),
and the same client's other callers still get botocore's full answer."""

from __future__ import annotations

from datetime import datetime

import boto3

from trailwarden.aws.session import AwsAccess
from trailwarden.trailstore.listing import prepare
from trailwarden.trailstore.s3 import S3Source, access_clients

KEYS = ["a/plain.json.gz", "a/with space & amp.json", "a/ünï cödé+plus.json", "a/x<y>.json"]


def test_keys_only_listing_matches_the_full_answer(aws: str) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="listing-bucket")
    for i, key in enumerate(KEYS * 1):
        s3.put_object(Bucket="listing-bucket", Key=key, Body=b"x" * i)
    for i in range(1200):  # more than a page
        s3.put_object(Bucket="listing-bucket", Key=f"b/{i:05d}", Body=b"")
    clients = access_clients(AwsAccess())
    source = S3Source(clients)
    listed = [(r.key, r.size) for r in source.list_objects("listing-bucket", "a/")]
    assert listed == sorted(((k, i) for i, k in enumerate(KEYS)), key=lambda p: p[0].encode())
    assert len(list(source.list_objects("listing-bucket", "b/"))) == 1200

    # The same (prepared) client outside a keys-only block: botocore's full answer.
    client = prepare(clients("s3", "us-east-1"))
    page = client.list_objects_v2(Bucket="listing-bucket", Prefix="a/")
    assert all(isinstance(o["LastModified"], datetime) for o in page["Contents"])
    assert [o["Key"] for o in page["Contents"]] == [k for k, _ in listed]
