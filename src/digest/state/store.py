"""The open store: what a run reads and what it records, the send ledger, suppressions and
bounces (see ``digest.state`` for how it is opened and locked)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO

from digest.errors import StateError
from digest.models import (
    DeliveryStatus,
    Envelope,
    Issue,
    Item,
    ItemRecord,
    ItemStatus,
    LedgerSync,
    Response,
    RunRecord,
    SentStory,
)


@dataclass(frozen=True)
class SourceRecord:
    """What the store knows of one source (a feed, a page, an OPML file's feed)."""

    url: str
    last_attempt: datetime | None
    last_ok: datetime | None
    last_error: str | None
    failures: int  # attempts in a row that failed


@dataclass(frozen=True)
class Delivery:
    """One recipient's row in the send ledger."""

    recipient: str
    message_id: str
    status: DeliveryStatus
    attempts: int = 0
    last_error: str | None = None


@dataclass
class Store:
    """An open state store; use ``open_store``."""

    db: sqlite3.Connection
    path: Path
    lock: IO[bytes] | None = field(default=None, repr=False)
    beside_holder: bool = False  # opened while another process holds the lock: see below
    ledgers: dict[LedgerSync, sqlite3.Connection] = field(default_factory=dict, repr=False)

    def close(self) -> None:
        for ledger in self.ledgers.values():
            ledger.close()
        self.db.close()
        if self.lock is not None:
            self.lock.close()  # releases the flock

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Reading

    def cached(self, urls: Iterable[str]) -> dict[str, Response]:
        """The responses kept for ``urls`` (their validators and body), as fetched with 200."""
        found = {}
        for url in urls:
            row = self.db.execute(
                "SELECT url, final_url, body, content_type, charset, etag, last_modified"
                " FROM http_cache WHERE url = ?",
                (url,),
            ).fetchone()
            if row:
                url_, final_url, *rest = row
                found[url] = Response(url_, final_url, 200, *rest)
        return found

    def known_feeds(self) -> dict[str, datetime | None]:
        """Every feed read without error before, and when it last was."""
        rows = self.db.execute("SELECT url, last_ok FROM feeds WHERE last_ok IS NOT NULL")
        return {url: _time(last) for url, last in rows}

    def failing(self) -> dict[str, int]:
        """The sources whose last attempt failed, with how many attempts in a row did."""
        return dict(self.db.execute("SELECT url, failures FROM feeds WHERE failures > 0"))

    def sources(self) -> list[SourceRecord]:
        """What the store knows of every source it has read, or tried to."""
        rows = self.db.execute(
            "SELECT url, last_attempt, last_ok, last_error, failures FROM feeds ORDER BY url"
        )
        return [
            SourceRecord(url, _time(attempt), _time(ok), error, failures)
            for url, attempt, ok, error, failures in rows
        ]

    def item_counts(self) -> dict[str, tuple[int, int]]:
        """Items seen and used, per feed, page or directory they came from."""
        rows = self.db.execute(
            "SELECT feed, count(*), sum(status = 'used') FROM items GROUP BY feed"
        )
        return {feed: (seen, used or 0) for feed, seen, used in rows}

    def filtered(self) -> dict[str, dict[str, int]]:
        """Per source, how many items each filter rule removed when it was last read."""
        counts: dict[str, dict[str, int]] = {}
        for source, rule, items in self.db.execute(
            "SELECT source, rule, items FROM filtered ORDER BY source, items DESC, rule"
        ):
            counts.setdefault(source, {})[rule] = items
        return counts

    def last_success(self) -> datetime | None:
        """When the last build that produced a digest started."""
        row = self.db.execute("SELECT max(started) FROM runs WHERE status = 'ok'").fetchone()
        return _time(row[0])

    def items(self, ids: Iterable[str]) -> dict[str, ItemRecord]:
        found = {}
        for item_id in ids:
            row = self.db.execute(
                "SELECT first_seen, status FROM items WHERE id = ?", (item_id,)
            ).fetchone()
            if row:
                found[item_id] = ItemRecord(_time(row[0]) or _now(), ItemStatus(row[1]))
        return found

    def used_urls(self, urls: Iterable[str]) -> set[str]:
        """Those of ``urls`` that an item already used had (one story, two feeds)."""
        return {
            url
            for url in set(urls)
            if self.db.execute(
                "SELECT 1 FROM items WHERE url = ? AND status = 'used' LIMIT 1", (url,)
            ).fetchone()
        }

    def runs(self) -> list[tuple[int, str, str, int]]:
        """(id, started, status, items) of every run, oldest first."""
        return list(self.db.execute("SELECT id, started, status, items FROM runs ORDER BY id"))

    # Writing

    def record_run(self, run: RunRecord) -> int:
        """Write what one build learned, all or nothing; returns the run's id."""
        if self.lock is None:
            raise StateError(f"{self.path}: opened for reading only (a preview build)")
        started, finished = _iso(run.started), _iso(run.finished)
        with self.db:  # one transaction: committed whole, or rolled back
            cursor = self.db.execute(
                "INSERT INTO runs (started, finished, status, items, problems)"
                " VALUES (?, ?, ?, ?, ?)",
                (started, finished, run.status, len(run.used), run.problems),
            )
            run_id = int(cursor.lastrowid or 0)
            self.db.executemany(
                "INSERT INTO items (id, url, feed, title, published, first_seen, last_seen)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen",
                [
                    (s.id, s.url, s.feed, s.title, _iso(s.published), started, started)
                    for s in run.seen
                ],
            )
            self._mark_used(run.used, run_id, started)
            self._remember(run.stories, run.issue.id if run.issue else None)
            self.db.executemany(
                "UPDATE items SET status = 'skipped' WHERE id = ? AND status = 'new'",
                [(item_id,) for item_id in run.skipped],
            )
            self.db.executemany(
                "INSERT INTO feeds (url, first_seen, last_ok, last_attempt) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (url) DO UPDATE SET last_ok = excluded.last_ok,"
                " last_attempt = excluded.last_attempt, last_error = NULL, failures = 0",
                [(url, started, started, started) for url in run.feeds_ok],
            )
            self.db.executemany(
                "INSERT INTO feeds (url, first_seen, last_attempt, last_error, failures)"
                " VALUES (?, ?, ?, ?, 1) ON CONFLICT (url) DO UPDATE SET"
                " last_attempt = excluded.last_attempt, last_error = excluded.last_error,"
                " failures = failures + 1",
                [(url, started, started, error) for url, error in run.feeds_failed],
            )
            self.db.executemany(
                "INSERT OR REPLACE INTO http_cache (url, final_url, etag, last_modified,"
                " content_type, charset, body, fetched) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        r.url,
                        r.final_url,
                        r.etag,
                        r.last_modified,
                        r.content_type,
                        r.charset,
                        r.body,
                        started,
                    )
                    for r in run.responses
                    if r.etag or r.last_modified  # nothing to validate with: not worth keeping
                ],
            )
            self.db.executemany(
                "DELETE FROM filtered WHERE source = ?", [(source,) for source in run.read]
            )
            self.db.executemany(
                "INSERT OR REPLACE INTO filtered (source, rule, items) VALUES (?, ?, ?)",
                run.filtered,
            )
            if run.issue is not None:
                self._insert_issue(run.issue)
            if run.forget_before is not None:
                self._forget(run.feeds_ok, run.forget_before)
        return run_id

    def _forget(self, feeds: Iterable[str], before: datetime) -> None:
        """Drop the items that ``feeds``, read in full just now, have not listed since
        ``before``.

        Only sources read without error: a feed that is down lists nothing, and its items
        must still be known (as used) when it comes back. An item listed again after it
        was forgotten is new to the store, and the freshness rule treats it as late (at
        most ``new_feed_items`` of those a run): the retention keeps that rare.
        """
        self.db.executemany(
            "DELETE FROM items WHERE feed = ? AND coalesce(last_seen, first_seen) < ?",
            [(feed, _iso(before)) for feed in feeds],
        )

    # The send ledger. Each change is its own transaction, committed before the next
    # step on the wire, so a crash loses at most the step in flight. With ``sync``
    # "normal" (WAL, synchronous=NORMAL) a commit is a write to the WAL file, which
    # outlives the process; "full" also fsyncs it, which outlives a power cut. Delivery
    # threads write their marks through ``_ledger``, one at a time.

    def add_issue(self, issue: Issue) -> bool:
        """Keep ``issue`` for sending, and its items as used, in one transaction.

        False if it was already there (the same issue, sent before or half sent).
        """
        self._writable()
        with self.db:
            added = self._insert_issue(issue)
            if added:
                self._mark_used(issue.items, None, _iso(_now()))
            return added

    def _remember(self, stories: Iterable[SentStory], issue_id: str | None) -> None:
        now = _iso(_now())
        self.db.executemany(
            "INSERT INTO stories (key, issue_id, headline, text, published, sent)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
            [(s.key, issue_id, s.headline, s.text, _iso(s.published), now) for s in stories],
        )

    def sent_stories(self, since: datetime) -> list[SentStory]:
        """The stories of issues sent (or begun) since ``since``, newest first."""
        rows = self.db.execute(
            "SELECT key, headline, text, published FROM stories WHERE sent >= ?"
            " ORDER BY sent DESC, rowid DESC",
            (_iso(since),),
        )
        return [SentStory(key, headline, text, _time(when)) for key, headline, text, when in rows]

    def _mark_used(self, items: Iterable[Item], run_id: int | None, now: str | None) -> None:
        items = list(items)
        self.db.executemany(
            "INSERT INTO items (id, url, feed, title, published, first_seen, last_seen)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            [(i.id, i.url, i.feed, i.title, _iso(i.published), now, now) for i in items],
        )
        self.db.executemany(
            "UPDATE items SET status = 'used', run_id = coalesce(?, run_id) WHERE id = ?",
            [(run_id, i.id) for i in items],
        )

    def _insert_issue(self, issue: Issue) -> bool:
        """The issue and its stories; False if it was there already."""
        self._remember(issue.sent_stories, issue.id)
        cursor = self.db.execute(
            "INSERT INTO issues (id, title, date, subject, html, text, stories, envelope, created)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            (
                issue.id,
                issue.title,
                issue.date.isoformat(),
                issue.subject,
                issue.html,
                issue.text,
                issue.stories,
                json.dumps(issue.envelope.to_dict()) if issue.envelope else None,
                _iso(_now()),
            ),
        )
        return cursor.rowcount == 1

    def unfinished_issues(self) -> list[Issue]:
        """Issues whose sending began but did not end, oldest first."""
        rows = self.db.execute(
            "SELECT id, title, date, subject, html, text, stories, envelope FROM issues"
            " WHERE finished IS NULL ORDER BY created, rowid"
        )
        return [_issue(row) for row in rows]

    def subjects(self, day: date) -> set[str]:
        """The subjects of the issues of ``day`` kept for sending, sent or not."""
        rows = self.db.execute("SELECT subject FROM issues WHERE date = ?", (day.isoformat(),))
        return {subject for (subject,) in rows}

    def plan_deliveries(self, issue_id: str, recipients: Iterable[tuple[str, str]]) -> None:
        """Add a pending row for each (recipient, message id) not yet in the ledger."""
        self._writable()
        now = _iso(_now())
        with self.db:
            self.db.executemany(
                "INSERT INTO deliveries (issue_id, recipient, message_id, created, updated)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (issue_id, recipient) DO NOTHING",
                [(issue_id, r, m, now, now) for r, m in recipients],
            )

    def deliveries(self, issue_id: str) -> dict[str, Delivery]:
        rows = self.db.execute(
            "SELECT recipient, message_id, status, attempts, last_error FROM deliveries"
            " WHERE issue_id = ? ORDER BY rowid",
            (issue_id,),
        )
        return {
            recipient: Delivery(recipient, msgid, DeliveryStatus(status), attempts, error)
            for recipient, msgid, status, attempts, error in rows
        }

    def mark_sending(
        self, issue_id: str, recipient: str, *, sync: LedgerSync = LedgerSync.NORMAL
    ) -> None:
        """The message is about to go: from its final dot on, the server may accept it."""
        self._set(issue_id, recipient, sync, "status = 'sending'")

    def mark_sent(
        self,
        issue_id: str,
        recipient: str,
        attempts: int = 1,
        *,
        sync: LedgerSync = LedgerSync.NORMAL,
    ) -> None:
        self._set(
            issue_id,
            recipient,
            sync,
            "status = 'sent', last_error = NULL, attempts = attempts + ?, sent = ?",
            attempts,
            _iso(_now()),
        )

    def mark_failed(
        self,
        issue_id: str,
        recipient: str,
        error: str,
        attempts: int = 1,
        *,
        sync: LedgerSync = LedgerSync.NORMAL,
    ) -> None:
        """A permanent failure: reported, and not tried again for this issue."""
        self._set(
            issue_id,
            recipient,
            sync,
            "status = 'failed', last_error = ?, attempts = attempts + ?",
            error,
            attempts,
        )

    def mark_deferred(
        self,
        issue_id: str,
        recipient: str,
        error: str,
        attempts: int = 1,
        *,
        sync: LedgerSync = LedgerSync.NORMAL,
    ) -> None:
        """Temporary failures only: the recipient stays pending for the next run."""
        self._set(
            issue_id,
            recipient,
            sync,
            "status = 'pending', last_error = ?, attempts = attempts + ?",
            error,
            attempts,
        )

    def finish_issue(self, issue_id: str) -> None:
        self._writable()
        with self.db:
            self.db.execute(
                "UPDATE issues SET finished = ? WHERE id = ? AND finished IS NULL",
                (_iso(_now()), issue_id),
            )

    def _set(
        self, issue_id: str, recipient: str, sync: LedgerSync, assignments: str, *values: object
    ) -> None:
        self._writable()
        self._ledger(sync).execute(
            f"UPDATE deliveries SET {assignments}, updated = ?"
            " WHERE issue_id = ? AND recipient = ?",
            (*values, _iso(_now()), issue_id, recipient),
        )

    def _ledger(self, sync: LedgerSync) -> sqlite3.Connection:
        """The ledger's own connection, at ``sync``: each statement is its own transaction.

        One statement a mark, without switching ``synchronous`` back and forth around it:
        a "sent" mark is the whole of the sender's part of the duplicate window.
        """
        db = self.ledgers.get(sync)
        if db is None:
            db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            db.execute(f"PRAGMA synchronous = {sync.value.upper()}")
            self.ledgers[sync] = db
        return db

    # Suppressions: readers who unsubscribed, bounced hard or complained

    def suppress(self, addresses: Iterable[str], reason: str = "") -> list[str]:
        """Add ``addresses`` (lower-cased) to the suppressions; returns those that were new."""
        self._writable()
        added = []
        with self.db:
            for address in dict.fromkeys(a.lower() for a in addresses):
                cursor = self.db.execute(
                    "INSERT INTO suppressions (address, added, reason) VALUES (?, ?, ?)"
                    " ON CONFLICT (address) DO NOTHING",
                    (address, _iso(_now()), reason),
                )
                if cursor.rowcount == 1:
                    added.append(address)
        return added

    def unsuppress(self, addresses: Iterable[str]) -> list[str]:
        """Remove ``addresses`` from the suppressions; returns those that were there."""
        self._writable()
        removed = []
        with self.db:
            for address in dict.fromkeys(a.lower() for a in addresses):
                cursor = self.db.execute("DELETE FROM suppressions WHERE address = ?", (address,))
                if cursor.rowcount == 1:
                    removed.append(address)
        return removed

    def suppressions(self) -> dict[str, tuple[datetime, str]]:
        """Every suppressed address: when it was added, and why."""
        rows = self.db.execute("SELECT address, added, reason FROM suppressions ORDER BY address")
        return {a: (_time(added) or _now(), reason) for a, added, reason in rows}

    # Bounces: what `digest bounces` read (see digest.bounces.process)

    def record_bounce(self, ref: str, address: str, kind: str, reason: str, at: datetime) -> bool:
        """Record one recipient's bounce, complaint or delivery; False when already known."""
        self._writable()
        with self.db:
            cursor = self.db.execute(
                "INSERT INTO bounces (ref, address, kind, reason, at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (ref, address) DO NOTHING",
                (ref, address.lower(), kind, reason, _iso(at)),
            )
        return cursor.rowcount == 1

    def bounce_history(self, address: str) -> list[tuple[datetime, str, str]]:
        """Every recorded (time, kind, reason) of ``address``, oldest first."""
        rows = self.db.execute(
            "SELECT at, kind, reason FROM bounces WHERE address = ? ORDER BY at, ref",
            (address.lower(),),
        )
        return [(_time(at) or _now(), kind, reason) for at, kind, reason in rows]

    def ledger_recipients(self) -> set[str]:
        """Every address the send ledger holds (lower-cased)."""
        return {
            row[0].lower() for row in self.db.execute("SELECT DISTINCT recipient FROM deliveries")
        }

    def _writable(self) -> None:
        if self.lock is None and not self.beside_holder:
            raise StateError(f"{self.path}: opened for reading only (a preview build)")


def _issue(row: Sequence[object]) -> Issue:
    issue_id, title, day, subject, html, text, stories, envelope = row
    try:
        kept = Envelope.from_dict(json.loads(str(envelope))) if envelope is not None else None
    except ValueError as exc:
        raise StateError(f"the issue {issue_id}: its envelope is damaged: {exc}") from exc
    return Issue(
        str(issue_id),
        str(title),
        date.fromisoformat(str(day)),
        str(subject),
        str(html),
        str(text),
        int(stories),  # type: ignore[call-overload]
        envelope=kept,
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="microseconds") if value else None


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
