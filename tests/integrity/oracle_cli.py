"""Run the real AWS CLI (`aws cloudtrail validate-logs`) with what moto lacks taught to botocore.

Usage: python oracle_cli.py CONFIG.json -- <aws cli args>

moto has no CloudTrail ListPublicKeys, and the CLI needs it (and, for organisation trails,
Organizations DescribeOrganization with our fixture's org id). We answer those two calls with a
botocore ``before-call`` handler on the CLI's own session, so the CLI code path is unchanged: every
S3 call and DescribeTrails still goes to the moto server named by AWS_ENDPOINT_URL.
CONFIG holds {"keys": [{"fingerprint", "der_b64", "valid_from", "valid_to"} (epoch seconds)],
"org_id": str | null}.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any


def main(argv: list[str]) -> int:
    from awscli.clidriver import create_clidriver

    with open(argv[0]) as handle:
        config = json.load(handle)
    driver = create_clidriver()

    def list_public_keys(params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        # ``params`` is the serialised request; CloudTrail's JSON protocol sends epoch seconds.
        body = json.loads(params["body"] or b"{}")
        start, end = body.get("StartTime", 0), body.get("EndTime", 4102444800)
        # CloudTrail returns the keys whose validity overlaps the requested range. The CLI's
        # parser leaves blobs base64-encoded, so Value stays a base64 string here too.
        keys = [
            {
                "Value": k["der_b64"],
                "ValidityStartTime": datetime.fromtimestamp(k["valid_from"], UTC),
                "ValidityEndTime": datetime.fromtimestamp(k["valid_to"], UTC),
                "Fingerprint": k["fingerprint"],
            }
            for k in config["keys"]
            if k["valid_from"] <= float(end) and k["valid_to"] >= float(start)
        ]
        return _http(), {"PublicKeyList": keys}

    def describe_organization(**_: Any) -> tuple[Any, dict[str, Any]]:
        return _http(), {"Organization": {"Id": config["org_id"]}}

    session = driver.session
    session.register("before-call.cloudtrail.ListPublicKeys", list_public_keys)
    session.register("before-call.organizations.DescribeOrganization", describe_organization)
    return int(driver.main(argv[2:] if argv[1:2] == ["--"] else argv[1:]))


def _http() -> Any:
    from botocore.awsrequest import AWSResponse

    return AWSResponse("https://taught.invalid", 200, {}, None)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
