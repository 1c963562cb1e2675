"""The bounce mailbox over IMAP: the only module that imports imaplib.

Settings come from the environment (``.env``), named as the SMTP ones are:

- ``BOUNCE_IMAP_HOST``, ``BOUNCE_IMAP_PORT`` (default 993 with tls, 143 with starttls);
- ``BOUNCE_IMAP_USERNAME``, ``BOUNCE_IMAP_PASSWORD``;
- ``BOUNCE_IMAP_SECURITY``: ``tls`` (implicit TLS, the default) or ``starttls``; there
  is no plain mode: the password never crosses the network in clear;
- ``BOUNCE_IMAP_FOLDER``: where bounces arrive (default ``INBOX``);
- ``BOUNCE_IMAP_DONE_FOLDER``: where the messages used go (default ``digest-processed``;
  created when missing);
- ``BOUNCE_SOFT_LIMIT`` and ``BOUNCE_SOFT_DAYS``: a reader is suppressed after this many
  soft bounces in a row spread over at least this many days (default 3 over 7).

Messages are read with ``BODY.PEEK[]`` (their \\Seen flag is left alone) and moved with
``UID MOVE`` (RFC 6851), or UID COPY + UID EXPUNGE (RFC 4315) where MOVE is missing:
never a plain EXPUNGE, which would also remove other messages marked deleted.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType

from digest.errors import ConfigError, DigestError

SECURITIES = ("tls", "starttls")


@dataclass(frozen=True)
class BounceSettings:
    host: str | None = None
    port: int | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    security: str = "tls"
    folder: str = "INBOX"
    done_folder: str = "digest-processed"
    soft_limit: int = 3
    soft_days: float = 7.0

    @property
    def imap_port(self) -> int:
        return self.port or (993 if self.security == "tls" else 143)


def load_settings(env: Mapping[str, str]) -> BounceSettings:
    """The bounce settings from ``env`` (the process environment with .env applied)."""

    def number(key: str, default: float, kind: type[int] | type[float]) -> float:
        value = env.get(key, "").strip()
        if not value:
            return default
        try:
            parsed = kind(value)
        except ValueError as exc:
            raise ConfigError(f"{key}: {value!r} is not a number") from exc
        if parsed < (1 if kind is int else 0):
            raise ConfigError(f"{key}: {value!r} is too small")
        return parsed

    security = env.get("BOUNCE_IMAP_SECURITY", "tls").strip().lower() or "tls"
    if security not in SECURITIES:
        raise ConfigError(
            f"BOUNCE_IMAP_SECURITY: {security!r} is not one of {', '.join(SECURITIES)}",
            hint="the bounce mailbox is read over TLS or STARTTLS only",
        )
    port = env.get("BOUNCE_IMAP_PORT", "").strip()
    return BounceSettings(
        host=env.get("BOUNCE_IMAP_HOST", "").strip() or None,
        port=int(number("BOUNCE_IMAP_PORT", 0, int)) if port else None,
        username=env.get("BOUNCE_IMAP_USERNAME", "").strip() or None,
        password=env.get("BOUNCE_IMAP_PASSWORD") or None,
        security=security,
        folder=env.get("BOUNCE_IMAP_FOLDER", "").strip() or "INBOX",
        done_folder=env.get("BOUNCE_IMAP_DONE_FOLDER", "").strip() or "digest-processed",
        soft_limit=int(number("BOUNCE_SOFT_LIMIT", 3, int)),
        soft_days=float(number("BOUNCE_SOFT_DAYS", 7.0, float)),
    )


class MailboxError(DigestError):
    """The bounce mailbox cannot be reached, logged into or changed."""


@dataclass(frozen=True)
class Stored:
    uid: str
    raw: bytes


class Mailbox:
    """One IMAP session on the bounce mailbox; use as a context manager."""

    def __init__(self, settings: BounceSettings, timeout: float = 60) -> None:
        if not settings.host or not settings.username or not settings.password:
            raise ConfigError(
                "the bounce mailbox is not configured",
                hint="set BOUNCE_IMAP_HOST, BOUNCE_IMAP_USERNAME and BOUNCE_IMAP_PASSWORD in .env",
            )
        self.settings = settings
        self.where = f"{settings.host}:{settings.imap_port}"
        context = ssl.create_default_context()  # trusts SSL_CERT_FILE, as SMTP does
        try:
            if settings.security == "tls":
                self.imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    settings.host, settings.imap_port, ssl_context=context, timeout=timeout
                )
            else:
                self.imap = imaplib.IMAP4(settings.host, settings.imap_port, timeout=timeout)
                self.imap.starttls(ssl_context=context)
            self.imap.login(settings.username, settings.password)
        except (TimeoutError, OSError, imaplib.IMAP4.error) as exc:
            raise MailboxError(
                f"bounce mailbox {self.where}: cannot log in ({_short(exc)})",
                hint="check BOUNCE_IMAP_HOST, _PORT, _SECURITY and the login in .env",
            ) from exc

    def __enter__(self) -> Mailbox:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            self.imap.logout()

    def messages(self) -> list[Stored]:
        """Every message of the bounce folder, unread flags untouched."""
        folder = self.settings.folder
        self._ok(self.imap.select(_quote(folder)), f"cannot open folder {folder!r}")
        found = self._ok(self.imap.uid("SEARCH", "ALL"), "cannot list the messages")
        uids = b" ".join(x for x in found if isinstance(x, bytes)).split()
        out = []
        for uid in uids:
            number = uid.decode()
            data = self._ok(
                self.imap.uid("FETCH", number, "(BODY.PEEK[])"), f"cannot read {number}"
            )
            raw = next((part[1] for part in data if isinstance(part, tuple)), None)
            if isinstance(raw, bytes):
                out.append(Stored(number, raw))
        return out

    def move(self, uids: Sequence[str]) -> None:
        """Move the messages ``uids`` of the bounce folder to the done folder."""
        if not uids:
            return
        target = _quote(self.settings.done_folder)
        listed = self._ok(self.imap.list('""', target), "cannot list folders")
        if not any(isinstance(x, bytes) and x for x in listed):
            self._ok(self.imap.create(target), f"cannot create {self.settings.done_folder!r}")
            self.imap.subscribe(target)
        # The capabilities after login, which servers extend (imaplib keeps the first ones).
        answer = self._ok(self.imap.capability(), "cannot list the server's capabilities")
        words = b" ".join(x for x in answer if isinstance(x, bytes)).decode(errors="replace")
        capabilities = set(words.upper().split())
        numbers = ",".join(uids)
        if "MOVE" in capabilities:
            self._ok(self.imap.uid("MOVE", numbers, target), "cannot move messages")
        elif "UIDPLUS" in capabilities:
            self._ok(self.imap.uid("COPY", numbers, target), "cannot copy messages")
            self._ok(self.imap.uid("STORE", numbers, "+FLAGS.SILENT", r"(\Deleted)"), "cannot flag")
            self._ok(self.imap.uid("EXPUNGE", numbers), "cannot expunge the moved messages")
        else:
            raise MailboxError(
                f"bounce mailbox {self.where}: the server has neither MOVE nor UIDPLUS",
                hint="digest never expunges a whole folder; nothing was moved",
            )

    def _ok(self, answer: tuple[str, Sequence[object]], what: str) -> Sequence[object]:
        status, data = answer
        if status != "OK":
            detail = b" ".join(x for x in data if isinstance(x, bytes)).decode(errors="replace")
            raise MailboxError(f"bounce mailbox {self.where}: {what} ({detail or status})")
        return data


def _quote(folder: str) -> str:
    return '"' + re.sub(r'(["\\])', r"\\\1", folder) + '"'


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, bytes):
        text = exc.decode(errors="replace")
    return text.replace("b'", "").replace("'", "")[:200]
