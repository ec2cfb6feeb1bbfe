"""Teach moto the drift-detection answers, where moto 5.2.5 differs from AWS.

Continues ``demo/motogaps.py`` (same rules: one patch per gap, tagged with its letter from
docs/aws-facts/moto.md#gaps; in-process only; state lives on moto's backend objects so
``/moto-api/reset`` forgets it). ``teach_moto()`` applies these too.

(w) ``PutOrganizationConformancePack`` with ``TemplateBody`` and no ``TemplateS3Uri`` answers
    ``ValidationException`` (moto checks the URI's ``s3://`` pattern even when it is absent).
    AWS takes either one of the two; so does this patch, and it still refuses neither.
"""

from __future__ import annotations

from typing import Any

from moto.config.exceptions import ValidationException
from moto.config.models import ConfigBackend


def teach_drift() -> None:
    _teach_conformance_pack_body()


# (w) Either TemplateBody or TemplateS3Uri (API reference, PutOrganizationConformancePack).
def _teach_conformance_pack_body() -> None:
    original = ConfigBackend.put_organization_conformance_pack

    def put_organization_conformance_pack(
        self: ConfigBackend,
        name: str,
        template_s3_uri: str,
        template_body: str,
        *args: Any,
        **kwargs: Any,
    ) -> dict[str, Any]:
        if template_body and not template_s3_uri:
            # moto's own check wants an s3:// URI; give it one it will not read (it never does).
            template_s3_uri = "s3://trailwarden-template-body/inline"
        elif not template_body and not template_s3_uri:
            raise ValidationException("Template body is invalid")
        return dict(original(self, name, template_s3_uri, template_body, *args, **kwargs))

    ConfigBackend.put_organization_conformance_pack = put_organization_conformance_pack  # type: ignore[method-assign]
