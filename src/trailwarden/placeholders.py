"""The placeholders a plan carries for what only apply can know, written and read in one place.

A plan is built before some things exist: a KMS key the plan creates has no ARN yet, an SCP no
id. Steps name them by what the plan does know, and apply resolves the names just before the
call (``apply/context.py``, the drift handlers):

* ``${kms-alias:[ACCOUNT:]REGION:ALIAS}``: the ARN of the key behind ALIAS; ACCOUNT is given
  when the key lives in another account than the step's (the log-archive account's key named
  by the management account's CreateTrail);
* ``${kms-key-id:[ACCOUNT:]REGION:ALIAS}``: the same key's id (what CloudTrail records as
  ``requestParameters.keyId`` when a call names the key by id);
* ``${scp:NAME}``: the id of the service control policy named NAME.

Every module that writes or reads one goes through here, so a new field (the account was one)
cannot leave a reader behind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_KEY = r"\$\{kms-(alias|key-id):(?:([0-9]{12}):)?([a-z0-9-]+):(alias/[\w/-]+)\}"
_KEY_REF = re.compile(f"^{_KEY}$")
# Anywhere in a text (a policy document measured for its size).
KEY_REF_IN_TEXT = re.compile(_KEY)
_SCP_REF = re.compile(r"^\$\{scp:([\w+=,.@ -]+)\}$")


@dataclass(frozen=True)
class KeyRef:
    """A key the plan creates, known by its alias until apply."""

    region: str
    alias: str
    account: str | None = None  # None: the account of the step that carries it
    kind: str = "alias"  # "alias": stands for the ARN; "key-id": for the key id

    def text(self) -> str:
        account = f"{self.account}:" if self.account else ""
        return f"${{kms-{self.kind}:{account}{self.region}:{self.alias}}}"

    def key_id(self) -> KeyRef:
        return KeyRef(self.region, self.alias, self.account, "key-id")


def kms_alias_ref(region: str, alias: str, account: str | None = None) -> str:
    """The placeholder apply resolves to the ARN of the key behind ``alias``."""
    return KeyRef(region, alias, account).text()


def parse_key_ref(value: object) -> KeyRef | None:
    """The key a ``${kms-alias:...}``/``${kms-key-id:...}`` placeholder names; None otherwise."""
    if not isinstance(value, str):
        return None
    match = _KEY_REF.match(value)
    if match is None:
        return None
    kind, account, region, alias = match.groups()
    return KeyRef(region, alias, account, kind)


def scp_ref(name: str) -> str:
    """The placeholder apply resolves to the id of the SCP named ``name``."""
    return "${scp:" + name + "}"


def parse_scp_ref(value: object) -> str | None:
    """The SCP name a ``${scp:NAME}`` placeholder names; None otherwise."""
    if not isinstance(value, str):
        return None
    match = _SCP_REF.match(value)
    return match.group(1) if match else None
