"""DKIM: each reader's copy signed with the domain's key (the only module that imports
dkimpy).

The key is an RSA key in PEM (``openssl genrsa -out dkim.pem 2048``), or an Ed25519 key
in PEM (``openssl genpkey -algorithm ed25519``) or as dkimpy's ``dknewkey`` writes it
(the base64 of its 32-byte seed); Ed25519 needs PyNaCl (``pip install 'digest[ed25519]'``).
Signatures are relaxed/relaxed over the headers in ``SIGNED`` that the copy has.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from pathlib import Path

import dkim
import dkim.crypto

from digest.config import SendConfig
from digest.deliver.addresses import domain_of
from digest.errors import ConfigError

# What a reader sees and what a forwarder must not change; To, Message-ID and the
# List-Unsubscribe URLs are each reader's, so each copy is signed on its own.
SIGNED = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "MIME-Version",
    "Content-Type",
)
RSA = "rsa-sha256"
ED25519 = "ed25519-sha256"
MAKE_KEY = "openssl genrsa -out dkim.pem 2048"
# PKCS#8 of an Ed25519 key: this prefix (version 0, OID 1.3.101.112), then the 32-byte seed.
_ED25519_PKCS8 = bytes.fromhex("302e020100300506032b657004220420")
_PEM = re.compile(rb"-----BEGIN ([A-Z ]+)-----\s*(.*?)\s*-----END \1-----", re.DOTALL)
_HEADER_NAME = re.compile(rb"^([!-9;-~]+):", re.MULTILINE)
_PROBE = b"From: a@example.org\r\nSubject: probe\r\n\r\nprobe\r\n"


@dataclass(frozen=True)
class DkimKey:
    """A signing identity: ``d=domain``, ``s=selector`` and the private key."""

    selector: str
    domain: str
    algorithm: str  # RSA or ED25519
    private: bytes = field(repr=False)  # PEM for RSA, the base64 seed for Ed25519
    path: Path | None = None  # where it was read from, for messages

    def sign(self, message: bytes) -> bytes:
        """The DKIM-Signature header (folded, ending in CRLF) for ``message`` (CRLF lines)."""
        head = message.partition(b"\r\n\r\n")[0]
        present = {name.lower() for name in _HEADER_NAME.findall(head)}
        headers = [n.encode() for n in SIGNED if n.lower().encode() in present]
        signature: bytes = dkim.sign(
            message,
            self.selector.encode(),
            self.domain.encode(),
            self.private,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=headers,
            signature_algorithm=self.algorithm.encode(),
            linesep=b"\r\n",
        )
        return signature

    def matches(self, published: str) -> bool:
        """Whether ``published``, the ``p=`` of a DKIM DNS record (base64), is this key's
        public half."""
        try:
            data = base64.b64decode("".join(published.split()), validate=True)
            if self.algorithm == ED25519:
                import nacl.signing

                seed = nacl.signing.SigningKey(base64.b64decode(self.private))
                return bytes(seed.verify_key) == data
            ours = dkim.crypto.parse_pem_private_key(self.private)
            theirs = dkim.crypto.parse_public_key(data)
        except (binascii.Error, ValueError, dkim.crypto.UnparsableKeyError):
            return False
        return bool(
            ours["modulus"] == theirs["modulus"]
            and ours["publicExponent"] == theirs["publicExponent"]
        )


def configured_key(send: SendConfig, sender: str) -> DkimKey | None:
    """The key DIGEST_DKIM_* name, for ``sender``'s domain unless DIGEST_DKIM_DOMAIN says
    otherwise; None when no key file is set."""
    if not send.dkim_key_file or not send.dkim_selector:
        return None
    domain = send.dkim_domain or domain_of(sender)
    return load_key(send.dkim_selector, domain.lower(), send.dkim_key_file)


def load_key(selector: str, domain: str, path: Path) -> DkimKey:
    """The key in ``path``, tried on a probe message; ConfigError naming the file if the
    file cannot be read or holds no usable key."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read the DKIM key (DIGEST_DKIM_KEY_FILE): {exc.strerror or exc}",
            hint=f"make one with: {MAKE_KEY}",
        ) from exc
    key = DkimKey(selector, domain, *_parse(data, path), path=path)
    try:
        key.sign(_PROBE)
    except dkim.NaClNotFoundError as exc:
        raise ConfigError(
            f"{path}: an Ed25519 DKIM key needs PyNaCl, which is not installed",
            hint="pip install 'digest[ed25519]', or use an RSA key",
        ) from exc
    except (dkim.DKIMException, ValueError, IndexError, TypeError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[-1]  # one line
        raise ConfigError(
            f"{path}: not a usable DKIM private key (DIGEST_DKIM_KEY_FILE): {reason}",
            hint=f"make one with: {MAKE_KEY}",
        ) from exc
    return key


def _parse(data: bytes, path: Path) -> tuple[str, bytes]:
    """The algorithm and the key as dkimpy takes it."""
    pem = _PEM.search(data)
    if pem is None:  # dknewkey's Ed25519 file: the base64 of the seed
        try:
            seed = base64.b64decode(data.strip(), validate=True)
        except (binascii.Error, ValueError):
            seed = b""
        if len(seed) != 32:
            raise ConfigError(
                f"{path}: not a PEM private key, nor a base64 Ed25519 seed (DIGEST_DKIM_KEY_FILE)",
                hint=f"make one with: {MAKE_KEY}",
            )
        return ED25519, base64.b64encode(seed)
    kind = pem[1]
    if kind == b"PRIVATE KEY":
        try:
            der = base64.b64decode(b"".join(pem[2].split()))
        except (binascii.Error, ValueError):
            der = b""
        if der.startswith(_ED25519_PKCS8) and len(der) == len(_ED25519_PKCS8) + 32:
            return ED25519, base64.b64encode(der[len(_ED25519_PKCS8) :])
    elif kind != b"RSA PRIVATE KEY":
        raise ConfigError(
            f"{path}: holds a {kind.decode()}, not a private key (DIGEST_DKIM_KEY_FILE)",
            hint=f"make one with: {MAKE_KEY}",
        )
    return RSA, pem[0]
