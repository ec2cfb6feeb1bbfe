"""Teach moto the organisation answers the organisation trail path reads, where moto 5.2.5 differs.

Continues ``demo/motogaps.py`` (same rules: one patch per gap, tagged with its letter from
docs/aws-facts/moto.md#gaps; in-process only). ``teach_moto()`` applies these too.

(m) ``ListDelegatedAdministrators(ServicePrincipal="cloudtrail.amazonaws.com")`` and
    ``RegisterDelegatedAdministrator`` for CloudTrail raise ``InvalidInputException``
    ("unrecognized service principal"): moto's list of services that support a delegated
    administrator lacks CloudTrail. AWS supports one (CloudTrail
    ``RegisterOrganizationDelegatedAdmin``, docs/org.md#delegated-administrator), and the
    Organizations calls accept its principal. The patch adds it to moto's list.
"""

from __future__ import annotations

from moto.organizations.models import FakeDelegatedAdministrator

CLOUDTRAIL = "cloudtrail.amazonaws.com"


def teach_organizations() -> None:
    """(m): CloudTrail may have a delegated administrator."""
    if CLOUDTRAIL not in FakeDelegatedAdministrator.SUPPORTED_SERVICES:
        FakeDelegatedAdministrator.SUPPORTED_SERVICES.append(CLOUDTRAIL)
