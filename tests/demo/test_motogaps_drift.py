"""Gap (w) of docs/aws-facts/moto.md: an organisation conformance pack from TemplateBody alone."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError


def test_template_body_alone_is_enough_as_in_aws(aws: str) -> None:
    config = boto3.client("config", region_name="us-east-1")
    config.put_organization_conformance_pack(
        OrganizationConformancePackName="p", TemplateBody="Resources: {}\n"
    )
    names = config.describe_organization_conformance_packs(OrganizationConformancePackNames=["p"])
    assert [
        p["OrganizationConformancePackName"] for p in names["OrganizationConformancePacks"]
    ] == ["p"]


def test_neither_body_nor_uri_is_still_refused(aws: str) -> None:
    config = boto3.client("config", region_name="us-east-1")
    with pytest.raises(ClientError) as caught:
        config.put_organization_conformance_pack(OrganizationConformancePackName="p")
    assert caught.value.response["Error"]["Code"] == "ValidationException"
