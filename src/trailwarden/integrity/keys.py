"""Public keys and RSA verification with python-rsa's verdicts, computed by ``cryptography``.

The AWS CLI verifies with python-rsa, which reads the hash algorithm out of the signature's
DigestInfo: an MD5/SHA-1/SHA-224/SHA-384/SHA-512 signature is accepted too. We verify SHA-256 with
OpenSSL first (the normal case) and only on failure recover the DigestInfo to apply the same rule;
the hash actually used is returned so ``--strict`` can flag anything but SHA-256.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from trailwarden.errors import UsageError

# DigestInfo prefixes, in python-rsa's search order.
_DIGEST_INFO: dict[str, bytes] = {
    "MD5": bytes.fromhex("3020300c06082a864886f70d020505000410"),
    "SHA-1": bytes.fromhex("3021300906052b0e03021a05000414"),
    "SHA-224": bytes.fromhex("302d300d06096086480165030402040500041c"),
    "SHA-256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "SHA-384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "SHA-512": bytes.fromhex("3051300d060960864801650304020305000440"),
}
_HASHLIB = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-224": "sha224",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}


class KeyLoadError(ValueError):
    """The key bytes are not a PKCS #1 RSA public key (the CLI: Unable to load PKCS #1 key)."""


@dataclass
class PublicKey:
    fingerprint: str
    der: bytes  # as ListPublicKeys returns it: DER PKCS#1 RSAPublicKey
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    _loaded: rsa.RSAPublicKey | None = field(default=None, repr=False)

    def load(self) -> rsa.RSAPublicKey:
        if self._loaded is None:
            if not _is_pkcs1(self.der):
                # The CLI loads PKCS#1 only; cryptography would also take SubjectPublicKeyInfo.
                raise KeyLoadError("not a DER PKCS#1 RSAPublicKey")
            try:
                key = serialization.load_der_public_key(self.der)
            except ValueError as exc:
                raise KeyLoadError(str(exc)) from exc
            if not isinstance(key, rsa.RSAPublicKey):
                raise KeyLoadError("not an RSA key")
            self._loaded = key
        return self._loaded

    def in_validity(self, when: datetime) -> bool:
        if self.valid_from is not None and when < self.valid_from:
            return False
        return not (self.valid_to is not None and when > self.valid_to)


def _is_pkcs1(der: bytes) -> bool:
    """DER RSAPublicKey is SEQUENCE { INTEGER n, INTEGER e }: an INTEGER follows the header
    (SubjectPublicKeyInfo has a SEQUENCE there)."""
    if len(der) < 4 or der[0] != 0x30:
        return False
    header = 2 + (der[1] & 0x7F if der[1] & 0x80 else 0)
    return len(der) > header and der[header] == 0x02


def verify(key: rsa.RSAPublicKey, message: bytes, signature: bytes) -> str | None:
    """Return the hash name python-rsa would accept the signature with, or None if it fails."""
    if len(signature) != (key.key_size + 7) // 8:
        return None
    try:
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        return "SHA-256"
    except InvalidSignature:
        pass
    try:
        info = key.recover_data_from_signature(signature, padding.PKCS1v15(), None)
    except (InvalidSignature, ValueError):
        return None
    for name, prefix in _DIGEST_INFO.items():
        if info.startswith(prefix):
            expected = prefix + hashlib.new(_HASHLIB[name], message).digest()
            return name if info == expected else None
    return None


def fingerprint_of(der_pkcs1: bytes) -> str:
    """MD5 of the DER PKCS#1 key: how trailwarden's fixtures (and offline key files) are named.

    AWS does not document its fingerprint derivation, hence FINGERPRINT=FILE on the command line.
    """
    return hashlib.md5(der_pkcs1, usedforsecurity=False).hexdigest()


def load_key_file(spec: str) -> PublicKey:
    """``FILE`` or ``FINGERPRINT=FILE``; the file holds a DER or PEM RSA public key."""
    fingerprint: str | None = None
    path_text = spec
    head, sep, tail = spec.partition("=")
    if sep and len(head) == 32 and all(c in "0123456789abcdefABCDEF" for c in head):
        fingerprint, path_text = head.lower(), tail
    path = Path(path_text)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read public key file {path}: {exc.strerror}") from exc
    key = _parse_public_key(raw)
    if key is None:
        raise UsageError(f"{path} is not an RSA public key (DER or PEM)")
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return PublicKey(fingerprint or fingerprint_of(der), der, _loaded=key)


def _parse_public_key(raw: bytes) -> rsa.RSAPublicKey | None:
    loaders = (
        (serialization.load_pem_public_key, serialization.load_der_public_key)
        if raw.lstrip().startswith(b"-----")
        else (serialization.load_der_public_key,)
    )
    for loader in loaders:
        try:
            key = loader(raw)
        except ValueError:
            continue
        return key if isinstance(key, rsa.RSAPublicKey) else None
    return None


def static_key_loader(
    keys: Sequence[PublicKey],
) -> Callable[[str], Callable[[datetime, datetime], list[PublicKey]]]:
    """``loader(region)(start, end)`` that answers ``keys`` for every Region and range: digests
    checked with keys given on the command line (``--public-key``) instead of ListPublicKeys."""
    given = list(keys)
    return lambda _region: lambda _start, _end: list(given)
