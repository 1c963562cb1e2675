"""`digest bounces`: bounce reports and provider events -> suppressions, in the store.

What each kind does to the reader it names:

- hard bounce, complaint: suppressed at once (reason and date kept);
- soft bounce: recorded; the reader is suppressed once ``soft_limit`` soft bounces in a
  row span at least ``soft_days`` days (a delivery event between them restarts the count);
- sender-side block: reported, never counted against the reader;
- auto-reply, not a bounce, a cause we cannot tell: left alone (and left in the mailbox).

A report names its reader in one of two ways: the failed recipient it lists, or (VERP)
the ``+TOKEN`` of the address it was sent back to, where TOKEN is the reader's
``unsubscribe_token`` under ``DIGEST_UNSUBSCRIBE_SECRET``. Only readers digest knows
(the recipients list and the send ledger) are acted on: an address a bouncer merely
mentions never enters the suppression list, and its message stays where it is.
Reading the same report twice changes nothing: each is recorded once by its
Message-ID (or event id) and recipient.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING

from digest.bounces.classify import Verdict, classify
from digest.bounces.events import Event, parse_events
from digest.bounces.mailbox import BounceSettings, Mailbox
from digest.bounces.reasons import Kind
from digest.errors import InputError
from digest.state import Store, open_for_suppressions
from digest.unsubscribe import unsubscribe_token

if TYPE_CHECKING:
    from digest.config import Config

log = logging.getLogger(__name__)
ACTED_ON = frozenset({Kind.HARD, Kind.COMPLAINT, Kind.SOFT, Kind.BLOCK})


@dataclass
class Report:
    """What one `digest bounces` did."""

    read: int = 0  # messages or events read
    suppressed: list[tuple[str, str]] = field(default_factory=list)  # (address, reason), new
    soft: list[tuple[str, str]] = field(default_factory=list)  # counted, not yet suppressed
    blocked: list[tuple[str, str]] = field(default_factory=list)  # sender-side: fix the sending
    moved: int = 0
    untouched: int = 0  # left where they were: not recognised, or naming no reader
    kinds: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "read": self.read,
            "kinds": self.kinds,
            "suppressed": [{"address": a, "reason": r} for a, r in self.suppressed],
            "soft_counted": [{"address": a, "reason": r} for a, r in self.soft],
            "blocked": [{"address": a, "reason": r} for a, r in self.blocked],
            "moved": self.moved,
            "untouched": self.untouched,
        }


class Readers:
    """The readers digest knows, and their VERP tokens."""

    def __init__(self, addresses: Iterable[str], secret: str | None) -> None:
        self.addresses = {a.lower() for a in addresses}
        self.tokens = (
            {unsubscribe_token(secret, a).lower(): a for a in self.addresses} if secret else {}
        )

    def by_verp(self, addressed_to: Iterable[str]) -> str | None:
        """The reader whose token is the ``+TOKEN`` of an address the report went to."""
        for address in addressed_to:
            local = address.rpartition("@")[0]
            if "+" in local:
                reader = self.tokens.get(local.rpartition("+")[2].lower())
                if reader:
                    return reader
        return None


def events_of(verdict: Verdict, readers: Readers, ref: str, when: datetime) -> list[Event]:
    """The events a classified message makes: one per reader it names."""
    if verdict.kind not in ACTED_ON:
        return []
    reader = readers.by_verp(verdict.addressed_to)
    if reader is not None:  # the envelope names the reader, whatever the DSN lists
        named = [f for f in verdict.failures if f.address == reader]
        reason = (named[0] if named else None) or (
            verdict.failures[0] if verdict.failures else None
        )
        kind = named[0].kind if named else verdict.kind
        text = reason.reason if reason else verdict.reason
        return [Event(reader, kind, text, when, ref, "verp")]
    return [
        Event(f.address, f.kind, _reason_text(f.reason, f.status), when, ref, "mailbox")
        for f in verdict.failures
        if f.address in readers.addresses and f.kind in ACTED_ON
    ]


def apply_events(
    store: Store, events: Sequence[Event], settings: BounceSettings, now: datetime, report: Report
) -> set[str]:
    """Record ``events`` and suppress whom they condemn; returns the refs that were used."""
    used: set[str] = set()
    for event in events:
        when = event.when or now
        new = store.record_bounce(event.ref, event.address, str(event.kind), event.reason, when)
        used.add(event.ref)
        if event.kind in (Kind.HARD, Kind.COMPLAINT):
            label = "hard bounce" if event.kind is Kind.HARD else "complaint"
            reason = (
                f"{label}: {event.reason}" if not event.reason.startswith(label) else event.reason
            )
            if store.suppress([event.address], reason):
                report.suppressed.append((event.address, reason))
        elif event.kind is Kind.SOFT and new:
            streak = soft_streak(store.bounce_history(event.address))
            span = (streak[-1] - streak[0]) if streak else timedelta(0)
            if len(streak) >= settings.soft_limit and span >= timedelta(days=settings.soft_days):
                reason = (
                    f"soft bounces: {len(streak)} in a row over {span.days} days "
                    f"(last: {event.reason})"
                )
                if store.suppress([event.address], reason):
                    report.suppressed.append((event.address, reason))
            else:
                report.soft.append((event.address, f"{len(streak)} in a row: {event.reason}"))
        elif event.kind is Kind.BLOCK and new:
            report.blocked.append((event.address, event.reason))
    return used


def soft_streak(history: Sequence[tuple[datetime, str, str]]) -> list[datetime]:
    """The times of the soft bounces since the last delivery, hard bounce or complaint."""
    streak: list[datetime] = []
    for at, kind, _ in history:
        if kind == Kind.SOFT:
            streak.append(at)
        elif kind != Kind.BLOCK:  # a delivery (or anything not a failure) ends the streak
            streak = []
    return streak


def read_mailbox(config: Config, settings: BounceSettings, readers_from: Sequence[str]) -> Report:
    """Classify every message of the bounce folder, act on them, move the ones used."""
    report = Report()
    now = datetime.now(UTC)
    with Mailbox(settings) as mailbox:
        stored = mailbox.messages()
        report.read = len(stored)
        moving: list[str] = []
        with open_for_suppressions(config.state_dir) as store:
            readers = Readers(
                [*readers_from, *store.ledger_recipients()], config.send.unsubscribe_secret
            )
            for item in stored:
                verdict = classify(item.raw)
                report.kinds[str(verdict.kind)] = report.kinds.get(str(verdict.kind), 0) + 1
                ref, when = _identity(item.raw, now)
                events = events_of(verdict, readers, ref, when)
                if not events:
                    report.untouched += 1
                    continue
                apply_events(store, events, settings, now, report)
                moving.append(item.uid)
        mailbox.move(moving)
        report.moved = len(moving)
    return report


def read_events(
    config: Config, settings: BounceSettings, path: Path, readers_from: Sequence[str]
) -> Report:
    """Act on a provider's event file (SES, SendGrid, Postmark, Mailgun)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            str(path), f"cannot read ({getattr(exc, 'strerror', None) or exc})"
        ) from exc
    events = parse_events(text, str(path))
    report = Report(read=len(events))
    now = datetime.now(UTC)
    with open_for_suppressions(config.state_dir) as store:
        readers = Readers([*readers_from, *store.ledger_recipients()], None)
        for event in events:
            report.kinds[str(event.kind)] = report.kinds.get(str(event.kind), 0) + 1
        known = [e for e in events if e.address in readers.addresses]
        report.untouched = len(events) - len(known)
        apply_events(
            store,
            [e for e in known if e.kind in ACTED_ON or e.kind is Kind.NOT_BOUNCE],
            settings,
            now,
            report,
        )
    return report


def _identity(raw: bytes, now: datetime) -> tuple[str, datetime]:
    """A message's reference (Message-ID, or a digest of its bytes) and its date."""
    message = message_from_bytes(raw, policy=policy.compat32)
    ref = str(message.get("message-id", "")).strip() or "sha256:" + hashlib.sha256(raw).hexdigest()
    try:
        when = parsedate_to_datetime(str(message.get("date", "")))
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
    except (TypeError, ValueError, IndexError):
        when = now
    return ref, min(when, now)


def _reason_text(reason: str, status: str) -> str:
    return f"{reason} ({status})" if status else reason
