"""Which accounts to scan: the caller's, a list, or the whole organisation."""

from __future__ import annotations

from typing import Any


def organisation_accounts(organizations: Any) -> list[tuple[str, str]]:
    """(id, name) of every ACTIVE account, from the management or a delegated-admin account."""
    found: list[tuple[str, str]] = []
    for page in organizations.get_paginator("list_accounts").paginate():
        for account in page["Accounts"]:
            if account.get("Status", "ACTIVE") == "ACTIVE":
                found.append((str(account["Id"]), str(account.get("Name", ""))))
    return sorted(found)
