"""Steps 1-3 of docs/aws-facts/trail-setup.md#setup-order (pure): the buckets, the KMS key, the log
group and delivery role."""

from __future__ import annotations

from typing import Any

from trailwarden.placeholders import kms_alias_ref
from trailwarden.plan.build_base import CLOUDWATCH_CONTROLS, StepBuilder
from trailwarden.plan.model import Action
from trailwarden.snapshot.model import Bucket


class ResourceSteps(StepBuilder):
    """Buckets (access-log first, so the trail bucket can log to it), key, log group, role."""

    # --- 1. buckets ---------------------------------------------------------------------------

    def bucket(self, name: str) -> Bucket | None:
        return next((b for b in self.scan.buckets if b.name == name and b.owned), None)

    def create_bucket(self, name: str, known: Bucket | None, why: str, controls: list[str]) -> None:
        region = self.b.bucket.region
        params: dict[str, Any] = {"Bucket": name}
        if region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": region}
        action: Action = "noop" if known is not None and known.exists else "create"
        self.add(region, "s3", "CreateBucket", params, action, why, controls, name)
        pab = known.public_access_block if known else None
        self.add(
            region,
            "s3",
            "PutPublicAccessBlock",
            {"Bucket": name, "PublicAccessBlockConfiguration": self.b.public_access_block()},
            "noop" if pab and all(pab.get(k) for k in self.b.public_access_block()) else "update",
            "turn on all four Block Public Access flags",
            ["CloudTrail.6"] if name == self.b.bucket.name else [],
            name,
        )
        self.add(
            region,
            "s3",
            "PutBucketEncryption",
            {
                "Bucket": name,
                "ServerSideEncryptionConfiguration": {"Rules": self.b.encryption_rules()},
            },
            "noop" if known and known.encryption else "update",
            "default encryption (kept as it is when the bucket already has one)",
            [],
            name,
        )

    def access_log_bucket(self) -> None:
        name = self.b.bucket.access_log_bucket
        known = self.bucket(name)
        self.create_bucket(
            name, known, "a separate bucket for the trail bucket's access logs", ["CloudTrail.7"]
        )
        self.merge_step(
            self.b.bucket.region,
            "s3",
            "PutBucketPolicy",
            {"Bucket": name},
            known.policy if known else None,
            self.b.access_log_bucket_policy()["Statement"],
            f"the bucket policy of {name} (S3 server access log delivery, TLS only)",
            ["CloudTrail.7"],
            name,
        )

    def trail_bucket(self) -> None:
        name, region = self.b.bucket.name, self.b.bucket.region
        known = self.bucket(name)
        self.create_bucket(name, known, "the trail's log bucket", ["CloudTrail.1", "CloudTrail.3"])
        self.add(
            region,
            "s3",
            "PutBucketVersioning",
            {"Bucket": name, "VersioningConfiguration": {"Status": "Enabled"}},
            "update",
            "keep overwritten or deleted log files (versioning)",
            [],
            name,
        )
        self.add(
            region,
            "s3",
            "PutBucketLifecycleConfiguration",
            {"Bucket": name, "LifecycleConfiguration": {"Rules": self.b.lifecycle_rules()}},
            "update",
            f"expire log files after {self.b.bucket.retention_days} days (rule"
            " trailwarden-retention; other lifecycle rules are kept)",
            [],
            name,
        )
        logged = known is not None and known.logging_enabled
        self.add(
            region,
            "s3",
            "PutBucketLogging",
            {"Bucket": name, "BucketLoggingStatus": {"LoggingEnabled": self.b.logging_target()}},
            "noop" if logged else "update",
            f"server access logging to {self.b.bucket.access_log_bucket}",
            ["CloudTrail.7"],
            name,
        )
        self.merge_step(
            region,
            "s3",
            "PutBucketPolicy",
            {"Bucket": name},
            known.policy if known else None,
            self.b.bucket_policy()["Statement"],
            f"the bucket policy of {name} (CloudTrail may write, TLS only); CreateTrail checks it",
            ["CloudTrail.1", "CloudTrail.3"],
            name,
        )

    # --- 2. KMS -------------------------------------------------------------------------------

    def kms_key(self) -> None:
        kms = self.b.kms
        region = self.b.kms_region
        if kms.mode == "none":
            self.notes.append("--kms-key none: CloudTrail.2 stays failed")
            return
        if kms.mode == "existing":
            assert kms.key_arn is not None
            self.merge_step(
                region,
                "kms",
                "PutKeyPolicy",
                {"KeyId": kms.key_arn, "PolicyName": "default"},
                None,
                self.b.key_policy_statements(),
                f"the key policy of {kms.key_arn}",
                ["CloudTrail.2"],
                kms.key_arn,
            )
            return
        assert kms.alias is not None
        params = {**self.b.create_key_params(), "AliasName": kms.alias}
        self.add(
            region,
            "kms",
            "CreateKey",
            params,
            "create",
            f"a symmetric key in the bucket's Region {region} with CloudTrail's key policy"
            f" (alias {kms.alias})",
            ["CloudTrail.2"],
            kms.alias,
        )
        self.add(
            region,
            "kms",
            "EnableKeyRotation",
            {"KeyId": kms_alias_ref(region, kms.alias)},
            "update",
            "yearly automatic rotation of the new key",
            [],
            kms.alias,
        )

    # --- 3. CloudWatch Logs group and delivery role ---------------------------------------------

    def cloudwatch(self) -> None:
        cw = self.b.cloudwatch
        group = self.group
        exists = group is not None and bool(group.exists)
        controls = ["CloudTrail.5", *CLOUDWATCH_CONTROLS]
        self.add(
            self.home,
            "logs",
            "CreateLogGroup",
            {"logGroupName": cw.log_group, "tags": dict(self.b.tags)},
            "noop" if exists else "create",
            f"the trail's CloudWatch Logs group in its home Region {self.home}",
            controls,
            cw.log_group,
        )
        retention = group.retention_days if group else None
        self.add(
            self.home,
            "logs",
            "PutRetentionPolicy",
            {"logGroupName": cw.log_group, "retentionInDays": cw.retention_days},
            "noop" if retention is not None and retention >= cw.retention_days else "update",
            f"keep events {cw.retention_days} days (a longer existing retention is never"
            " shortened)",
            [],
            cw.log_group,
        )
        role_known = (
            self.trail is not None and self.trail.cloudwatch_logs_role_arn == self.b.role_arn
        )
        self.add(
            self.home,
            "iam",
            "CreateRole",
            self.b.create_role_params(),
            "noop" if role_known else "create",
            "the role CloudTrail assumes to write to the log group",
            controls,
            cw.role_name,
        )
        if role_known:
            self.merge_step(
                self.home,
                "iam",
                "UpdateAssumeRolePolicy",
                {"RoleName": cw.role_name},
                None,
                self.b.cloudwatch_trust_policy()["Statement"],
                f"the trust policy of role {cw.role_name}",
                ["CloudTrail.5"],
                cw.role_name,
            )
        self.merge_step(
            self.home,
            "iam",
            "PutRolePolicy",
            {"RoleName": cw.role_name, "PolicyName": cw.role_policy_name},
            None,
            self.b.cloudwatch_role_policy()["Statement"],
            f"inline policy {cw.role_policy_name} of role {cw.role_name}",
            controls,
            cw.role_name,
        )
