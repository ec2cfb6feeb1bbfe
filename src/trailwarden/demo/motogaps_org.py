"""Teach moto the organisation answers the organisation trail path reads, where moto 5.2.5 differs.

Continues ``demo/motogaps.py`` (same rules: one patch per gap, tagged with its letter from
docs/aws-facts/moto.md#gaps; in-process only). ``teach_moto()`` applies these too.

(m) ``ListDelegatedAdministrators(ServicePrincipal="cloudtrail.amazonaws.com")`` and
    ``RegisterDelegatedAdministrator`` for CloudTrail raise ``InvalidInputException``
    ("unrecognized service principal"): moto's list of services that support a delegated
    administrator lacks CloudTrail. AWS supports one (CloudTrail
    ``RegisterOrganizationDelegatedAdmin``, docs/org.md#delegated-administrator), and the
    Organizations calls accept its principal. The patch adds it to moto's list.
(n) A delegated administrator's Organizations reads (``ListAccounts``, ``ListRoots``,
    ``ListDelegatedAdministrators``, ``ListAWSServiceAccessForOrganization``, ``ListPolicies``,
    ``DescribePolicy``, ``ListTargetsForPolicy``, ``ListAccountsForParent``,
    ``ListOrganizationalUnitsForParent``) answer from the member's own, empty backend in
    moto. AWS answers them with the organisation's data: each "can be called only from the
    organization's management account or by a member account that is a delegated administrator"
    (Organizations API reference). The patch serves these reads, for a registered delegated
    administrator, from the management account's backend.
"""

from __future__ import annotations

from typing import Any

from moto.organizations.models import (
    FakeDelegatedAdministrator,
    OrganizationsBackend,
    organizations_backends,
)
from moto.organizations.responses import OrganizationsResponse

CLOUDTRAIL = "cloudtrail.amazonaws.com"
_reads_taught = False
# The reads a delegated administrator may make (each operation's page in the API reference).
DELEGATED_ADMIN_READS = frozenset(
    {
        "ListAccounts",
        "ListRoots",
        "ListDelegatedAdministrators",
        "ListAWSServiceAccessForOrganization",
        "ListPolicies",
        "DescribePolicy",
        "ListTargetsForPolicy",
        "ListAccountsForParent",
        "ListOrganizationalUnitsForParent",
    }
)


def teach_organizations() -> None:
    """(m): CloudTrail may have a delegated administrator; (n): who reads as one."""
    if CLOUDTRAIL not in FakeDelegatedAdministrator.SUPPORTED_SERVICES:
        FakeDelegatedAdministrator.SUPPORTED_SERVICES.append(CLOUDTRAIL)
    _teach_delegated_admin_reads()


def _teach_delegated_admin_reads() -> None:
    global _reads_taught
    if _reads_taught:
        return
    original: Any = OrganizationsResponse.__dict__["organizations_backend"]  # a property

    def backend(self: Any) -> OrganizationsBackend:
        own: OrganizationsBackend = original.fget(self)
        management = organizations_backends.master_accounts.get(self.current_account)
        if own.org is not None or management is None:
            return own
        if self._get_action() not in DELEGATED_ADMIN_READS:
            return own
        theirs: OrganizationsBackend = organizations_backends[management[0]][management[1]]
        if any(admin.account.id == self.current_account for admin in theirs.admins):
            return theirs
        return own

    setattr(OrganizationsResponse, "organizations_backend", property(backend))  # noqa: B010
    _reads_taught = True
