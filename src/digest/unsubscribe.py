"""Per-reader unsubscribe links, and the check a user's unsubscribe endpoint makes.

``unsubscribe_url`` may hold two placeholders, filled for each reader when the message
is composed (the issue itself is rendered once, with the placeholders in it):

- ``{email}``: the reader's address, URL-quoted (``ann%40example.com``);
- ``{token}``: ``unsubscribe_token(secret, address)``, an HMAC-SHA256 of the lower-cased
  address under ``DIGEST_UNSUBSCRIBE_SECRET``, so a link cannot be forged for someone
  else. An endpoint receiving ``?email=...&token=...`` calls ``verify_token``.

This module is pure (no I/O) and imports nothing heavy: an endpoint may import it alone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import quote

from digest.errors import ConfigError

PLACEHOLDERS = ("{email}", "{token}")
SECRET_VARIABLE = "DIGEST_UNSUBSCRIBE_SECRET"
TOKEN_BYTES = 16  # 128 bits of the HMAC: 22 URL-safe characters, beyond guessing
# A short secret falls to a search from any one reader's own token (three letters: in a
# tenth of a second), and then every reader's token can be forged. 32 characters of a
# random string carry at least 128 bits.
MIN_SECRET_CHARS = 32
MIN_SECRET_DISTINCT = 10  # "aaaa..." or a word repeated is long but not random
_MAKE_ONE = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
_BRACES = re.compile(r"\{[^{}]*\}")


def unsubscribe_token(secret: str, address: str) -> str:
    """The reader's token: URL-safe base64 of the first 16 bytes of HMAC-SHA256."""
    mac = hmac.new(secret.encode(), address.strip().lower().encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:TOKEN_BYTES]).decode().rstrip("=")


def verify_token(secret: str, address: str, token: str) -> bool:
    """True when ``token`` is ``address``'s token under ``secret`` (in constant time)."""
    return hmac.compare_digest(unsubscribe_token(secret, address).encode(), token.encode())


def is_personal(url: str | None) -> bool:
    """Whether ``url`` holds a per-reader placeholder."""
    return bool(url) and any(p in url for p in PLACEHOLDERS)  # type: ignore[operator]


def check_template(url: str, where: str) -> None:
    """Raise ConfigError when ``url`` holds a placeholder other than {email} and {token}."""
    unknown = [p for p in _BRACES.findall(url) if p not in PLACEHOLDERS]
    if unknown:
        raise ConfigError(
            f"{where}: unknown placeholder {unknown[0]} in {url!r}",
            hint="an unsubscribe URL may hold {email} and {token}, nothing else in braces",
        )


def check_secret(url: str | None, secret: str | None) -> None:
    """Raise ConfigError when ``url`` needs a token and there is no strong secret to make it."""
    if not url or "{token}" not in url:
        return
    if not secret:
        raise ConfigError(
            f"the unsubscribe URL holds {{token}} but {SECRET_VARIABLE} is not set",
            hint=f"set {SECRET_VARIABLE} in .env to a long random string, e.g. the output "
            f"of: {_MAKE_ONE}",
        )
    if len(secret) < MIN_SECRET_CHARS or len(set(secret)) < MIN_SECRET_DISTINCT:
        raise ConfigError(
            f"{SECRET_VARIABLE} is too weak for {{token}}s ({len(secret)} characters): a "
            "reader could work it out from their own token and forge anyone's; it must be "
            f"a random string of at least {MIN_SECRET_CHARS} characters",
            hint=f"make one with: {_MAKE_ONE} (links already sent stop verifying)",
        )


def personal_url(template: str, address: str, secret: str | None) -> str:
    """``template`` with this reader's {email} and {token} filled in."""
    url = template.replace("{email}", quote(address.lower(), safe=""))
    if "{token}" in url:
        check_secret(template, secret)
        url = url.replace("{token}", unsubscribe_token(secret or "", address))
    return url
