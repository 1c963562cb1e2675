"""DKIM (RFC 6376): each reader's copy signed with the domain's key (the only module that
imports cryptography).

The key is an RSA key in PEM (``openssl genrsa -out dkim.pem 2048``), or an Ed25519 key
(RFC 8463) in PEM (``openssl genpkey -algorithm ed25519``) or as dkimpy's ``dknewkey``
writes it (the base64 of its 32-byte seed). Signatures are relaxed/relaxed over the
headers in ``SIGNED`` that the copy has.

Why not dkimpy's signer: it parses and canonicalises every copy whole and signs in pure
Python, 18 ms of CPU a copy with RSA (about 56 copies a second, fewer than the server
takes); here the shared body is canonicalised once (``BodyHash``) and OpenSSL signs, well
under a millisecond a copy. dkimpy verifies every signature in the tests.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

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
MIN_RSA_BITS = 1024  # verifiers refuse shorter keys (RFC 8301); 2048 is what to make
MAKE_KEY = "openssl genrsa -out dkim.pem 2048"
_WSP_RUN = re.compile(rb"[\t ]+")
_TRAILING_WSP = re.compile(rb" \r\n")  # after runs are one space
_LINE_BREAK_OR_WSP = (b"", b" ", b"\t", b"\r", b"\n")
_TRAILING_LINES = re.compile(rb"(?:\r\n)+\Z")
_FIELDS = re.compile(
    rb"(?m)^([!-9;-~]+)[\t ]*:([^\r\n]*(?:\r\n[\t ][^\r\n]*)*)"
)  # a header and its folds

Key = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


@dataclass(frozen=True)
class DkimKey:
    """A signing identity: ``d=domain``, ``s=selector`` and the private key."""

    selector: str
    domain: str
    key: Key = field(repr=False)
    path: Path | None = None  # where it was read from, for messages

    @property
    def algorithm(self) -> str:
        return ED25519 if isinstance(self.key, ed25519.Ed25519PrivateKey) else RSA

    def sign(self, message: bytes) -> bytes:
        """The DKIM-Signature header (folded, ending in CRLF) for ``message`` (CRLF lines)."""
        head, _, body = message.partition(b"\r\n\r\n")
        return self.signature(head, hashlib.sha256(canonical_body(body)).digest())

    def signature(self, head: bytes, body_hash: bytes, now: float | None = None) -> bytes:
        """The DKIM-Signature header for a message of these headers (``head``, CRLF lines,
        no blank line) whose canonical body has the SHA-256 ``body_hash``."""
        fields = {name.lower(): value for name, value in _FIELDS.findall(head + b"\r\n")}
        names = [n.lower() for n in SIGNED if n.lower().encode() in fields]
        stamp = int(time.time() if now is None else now)
        text = (
            f"DKIM-Signature: v=1; a={self.algorithm}; c=relaxed/relaxed; d={self.domain};\r\n"
            f" s={self.selector}; t={stamp};\r\n"
            f" h={':'.join(names)};\r\n"
            f" bh={base64.b64encode(body_hash).decode()};\r\n"
            " b="
        ).encode()
        signed = b"".join(_canonical_header(n.encode(), fields[n.encode()]) for n in names)
        signed += _canonical_header(b"dkim-signature", text.partition(b":")[2])[:-2]
        if isinstance(self.key, ed25519.Ed25519PrivateKey):
            raw = self.key.sign(hashlib.sha256(signed).digest())  # RFC 8463: the hash
        else:
            raw = self.key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
        b = base64.b64encode(raw)
        return text + b"\r\n ".join(b[i : i + 72] for i in range(0, len(b), 72)) + b"\r\n"

    def matches(self, published: str) -> bool:
        """Whether ``published``, the ``p=`` of a DKIM DNS record (base64), is this key's
        public half."""
        try:
            data = base64.b64decode("".join(published.split()), validate=True)
            if isinstance(self.key, ed25519.Ed25519PrivateKey):
                ours = self.key.public_key().public_bytes(
                    serialization.Encoding.Raw, serialization.PublicFormat.Raw
                )
                return ours == data
            theirs = serialization.load_der_public_key(data)
        except (binascii.Error, ValueError, UnsupportedAlgorithm):
            return False
        return (
            isinstance(theirs, rsa.RSAPublicKey)
            and theirs.public_numbers() == self.key.public_key().public_numbers()
        )


def canonical_body(body: bytes) -> bytes:
    """``body`` in the relaxed canonical form (RFC 6376 3.4.4)."""
    body = _TRAILING_WSP.sub(b"\r\n", _WSP_RUN.sub(b" ", body))
    return _TRAILING_LINES.sub(b"", body) + b"\r\n" if body.strip(b"\r\n") else b""


class BodyHash:
    """The body hash of copies that differ only in a few filled-in pieces.

    ``pieces`` is the body cut where each copy differs: bytes, and a slot's number where
    the copy's own bytes go. The shared bytes are canonicalised once, so a copy costs a
    hash of the body and no more; this holds when each fill starts with a character
    other than a space, tab or line break and ends a line, as the unsubscribe slots do. A copy whose
    fills do not is canonicalised whole.
    """

    def __init__(self, pieces: Sequence[bytes | int]) -> None:
        self.pieces = list(pieces)
        self.canonical = [
            _TRAILING_WSP.sub(b"\r\n", _WSP_RUN.sub(b" ", p)) if isinstance(p, bytes) else p
            for p in pieces
        ]
        last = self.canonical[-1]
        # The trailing blank lines to drop are all in the last piece when it holds text.
        self.whole = not isinstance(last, bytes) or not last.strip(b"\r\n")
        if not self.whole:
            assert isinstance(last, bytes)
            self.canonical[-1] = _TRAILING_LINES.sub(b"", last) + b"\r\n"

    def digest(self, fills: Sequence[bytes] = ()) -> bytes:
        """The SHA-256 of the canonical body with ``fills[n]`` in slot n."""
        piecewise = all(f[:1] not in _LINE_BREAK_OR_WSP and f.endswith(b"\r\n") for f in fills)
        if self.whole or not piecewise:
            body = b"".join(p if isinstance(p, bytes) else fills[p] for p in self.pieces)
            return hashlib.sha256(canonical_body(body)).digest()
        sha = hashlib.sha256()
        for piece in self.canonical:
            if isinstance(piece, bytes):
                sha.update(piece)
            else:
                sha.update(_TRAILING_WSP.sub(b"\r\n", _WSP_RUN.sub(b" ", fills[piece])))
        return sha.digest()


def _canonical_header(name: bytes, value: bytes) -> bytes:
    """A header in the relaxed canonical form (RFC 6376 3.4.2), ending in CRLF."""
    value = _WSP_RUN.sub(b" ", value.replace(b"\r\n", b"")).strip(b" ")
    return name.lower().strip() + b":" + value + b"\r\n"


def configured_key(send: SendConfig, sender: str) -> DkimKey | None:
    """The key DIGEST_DKIM_* name, for ``sender``'s domain unless DIGEST_DKIM_DOMAIN says
    otherwise; None when no key file is set."""
    if not send.dkim_key_file or not send.dkim_selector:
        return None
    domain = send.dkim_domain or domain_of(sender)
    return load_key(send.dkim_selector, domain.lower(), send.dkim_key_file)


def load_key(selector: str, domain: str, path: Path) -> DkimKey:
    """The key in ``path``; ConfigError naming the file if the file cannot be read or
    holds no usable key."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _unusable(path, f"cannot read the DKIM key: {exc.strerror or exc}") from exc
    if b"-----BEGIN" not in data:  # dknewkey's Ed25519 file: the base64 of the seed
        try:
            seed = base64.b64decode(data.strip(), validate=True)
        except (binascii.Error, ValueError):
            seed = b""
        if len(seed) != 32:
            raise _unusable(path, "not a PEM private key, nor a base64 Ed25519 seed")
        return DkimKey(selector, domain, ed25519.Ed25519PrivateKey.from_private_bytes(seed), path)
    if b"PRIVATE KEY-----" not in data:
        raise _unusable(path, "holds no private key (a public key or a certificate?)")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError as exc:
        raise _unusable(
            path, "the private key is encrypted: store it without a passphrase"
        ) from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        reason = (str(exc).strip().splitlines() or ["unreadable"])[0]  # one line
        raise _unusable(path, f"not a usable private key: {reason}") from exc
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < MIN_RSA_BITS:
            raise _unusable(path, f"an RSA key of {key.key_size} bits is refused by receivers")
        return DkimKey(selector, domain, key, path)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return DkimKey(selector, domain, key, path)
    raise _unusable(path, f"a {type(key).__name__} cannot sign DKIM: use an RSA or Ed25519 key")


def _unusable(path: Path, reason: str) -> ConfigError:
    return ConfigError(
        f"{path}: {reason} (DIGEST_DKIM_KEY_FILE)", hint=f"make a key with: {MAKE_KEY}"
    )
