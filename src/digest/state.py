"""Memory across runs, in SQLite: the items seen and used, the runs, HTTP validators.

One file, ``state.sqlite3``, in the state directory. A build reads it at the start and
writes everything it learned in ONE transaction at the end, so a crash at any point
leaves either the old state or the new one, never a mix. A lock file keeps two builds
(two cron runs) from overlapping; a preview build neither locks nor writes.

The schema has a version (SQLite's ``user_version``) and a list of migrations; to add a
table (a send ledger, say), append a migration to ``MIGRATIONS``.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO

from digest.errors import AlreadyRunningError, StateError
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
from digest.private import create_private, warn_if_readable

DB_NAME = "state.sqlite3"
LOCK_NAME = "lock"

MIGRATIONS: tuple[str, ...] = (
    # 1: runs, items seen and used, feeds seen, HTTP validators and bodies for 304s.
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        started TEXT NOT NULL,
        finished TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('ok', 'empty', 'failed')),
        items INTEGER NOT NULL DEFAULT 0,
        problems INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE items (
        id TEXT PRIMARY KEY,
        url TEXT,
        feed TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        published TEXT,
        first_seen TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'used', 'skipped')),
        run_id INTEGER REFERENCES runs (id)
    );
    CREATE INDEX items_url ON items (url);
    CREATE TABLE feeds (
        url TEXT PRIMARY KEY,
        first_seen TEXT NOT NULL,
        last_ok TEXT
    );
    CREATE TABLE http_cache (
        url TEXT PRIMARY KEY,
        final_url TEXT NOT NULL,
        etag TEXT,
        last_modified TEXT,
        content_type TEXT NOT NULL DEFAULT '',
        charset TEXT,
        body BLOB NOT NULL,
        fetched TEXT NOT NULL
    );
    """,
    # 2: the send ledger. An issue is kept whole (subject and both parts) so that a run
    # after a crash sends the very same issue; one row per recipient records the outcome
    # as it happens.
    """
    CREATE TABLE issues (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        date TEXT NOT NULL,
        subject TEXT NOT NULL,
        html TEXT NOT NULL,
        text TEXT NOT NULL,
        stories INTEGER NOT NULL DEFAULT 0,
        created TEXT NOT NULL,
        finished TEXT
    );
    CREATE TABLE deliveries (
        issue_id TEXT NOT NULL REFERENCES issues (id),
        recipient TEXT NOT NULL,
        message_id TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        created TEXT NOT NULL,
        updated TEXT NOT NULL,
        sent TEXT,
        PRIMARY KEY (issue_id, recipient)
    );
    """,
    # 3: each source's last attempt and error, for `digest sources` and quiet cron mail.
    """
    ALTER TABLE feeds ADD COLUMN last_attempt TEXT;
    ALTER TABLE feeds ADD COLUMN last_error TEXT;
    ALTER TABLE feeds ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
    """,
    # 4: the stories sent, so that a later issue knows them again (as updates).
    """
    CREATE TABLE stories (
        key TEXT PRIMARY KEY,
        issue_id TEXT,  -- none for a run that sent nothing (run --no-send)
        headline TEXT NOT NULL,
        text TEXT NOT NULL,
        published TEXT,
        sent TEXT NOT NULL
    );
    CREATE INDEX stories_sent ON stories (sent);
    """,
    # 5: suppressions: readers who unsubscribed; every send skips them.
    """
    CREATE TABLE suppressions (
        address TEXT PRIMARY KEY,
        added TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT ''
    );
    """,
    # 6: when each item was last listed, so that items a source no longer lists are
    # forgotten after a while instead of piling up.
    """
    ALTER TABLE items ADD COLUMN last_seen TEXT;
    UPDATE items SET last_seen = first_seen;
    CREATE INDEX items_feed_seen ON items (feed, last_seen);
    """,
    # 7: each issue's envelope (sender, List-Id, unsubscribe templates) as JSON, so a
    # resumed send carries the headers the first copies had. NULL: kept by an older
    # digest, whose issues are sent with the configuration's envelope.
    """
    ALTER TABLE issues ADD COLUMN envelope TEXT;
    """,
    # 8: how many items each include or exclude rule removed from each source when it was
    # last read, for `digest sources`.
    """
    CREATE TABLE filtered (
        source TEXT NOT NULL,
        rule TEXT NOT NULL,
        items INTEGER NOT NULL,
        PRIMARY KEY (source, rule)
    );
    """,
    # 9: what `digest bounces` read: each recipient's bounces, complaints and deliveries,
    # for the soft-bounce streaks; (ref, address) makes reading the same report twice a
    # no-op (ref: the report's Message-ID or the provider's event id).
    """
    CREATE TABLE bounces (
        ref TEXT NOT NULL,
        address TEXT NOT NULL,
        kind TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        at TEXT NOT NULL,
        PRIMARY KEY (ref, address)
    );
    CREATE INDEX bounces_address ON bounces (address, at);
    """,
)
RUN_LOCK_NAME = "run.lock"


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


def open_store(state_dir: Path, *, preview: bool = False) -> Store:
    """Open (creating it if need be) the store in ``state_dir``.

    A preview neither creates nor locks nor writes anything: it opens the store read
    only, and reads a store that is missing or at an older schema (which only a build
    may migrate) as an empty one in memory. A store that is there but empty or damaged
    is an error, never a fresh start: it holds who unsubscribed.
    """
    path = state_dir / DB_NAME
    warn_if_readable(path, "readers' addresses")
    try:
        if preview:
            return Store(_read_only(path), path)
        state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock = _lock(state_dir / LOCK_NAME)
        try:
            if not path.exists():
                _create(path)
            db = sqlite3.connect(path, check_same_thread=False)
        except BaseException:
            lock.close()
            raise
        try:
            _check(db, path)
            db.execute("PRAGMA journal_mode = WAL")  # readers never block the writer
            db.execute("PRAGMA synchronous = FULL")  # a commit survives a power cut
            _migrate(db)
        except BaseException:
            db.close()
            lock.close()
            raise
        return Store(db, path, lock)
    except sqlite3.DatabaseError as exc:
        raise _damaged(path, exc) from exc
    except OSError as exc:
        raise StateError(f"{state_dir}: cannot open the state store: {exc.strerror}") from exc


def _create(path: Path) -> None:
    """A new, empty store at ``path``, readable by its owner only (it will hold readers'
    addresses), made beside it and renamed in: it appears whole or not at all, so an empty
    file is always a damaged store, never one a crash left half made."""
    new = path.with_name(f"{path.name}.new")
    for leftover in (new, new.with_name(f"{new.name}-journal")):
        leftover.unlink(missing_ok=True)
    create_private(new)
    db = sqlite3.connect(new)
    try:
        _migrate(db)
    finally:
        db.close()
    os.replace(new, path)


def _check(db: sqlite3.Connection, path: Path) -> None:
    """Raise sqlite3.DatabaseError when the store at ``path`` is empty or damaged."""
    if path.stat().st_size == 0:
        raise sqlite3.DatabaseError("the file is empty (0 bytes)")
    problems = [row[0] for row in db.execute("PRAGMA quick_check(3)")]
    if problems != ["ok"]:
        raise sqlite3.DatabaseError("damaged: " + "; ".join(problems))


def _damaged(path: Path, exc: sqlite3.DatabaseError) -> StateError:
    return StateError(
        f"{path}: cannot use the state store: {exc}",
        hint="it is left as it is; restore it from a backup, or (losing the items used, the "
        "send ledger and the unsubscribed addresses in it) move it away to start a new one",
    )


def open_for_suppressions(state_dir: Path) -> Store:
    """The store, to record who unsubscribed, even while a run or send holds its lock.

    Unsubscribes often come from a web hook, which must not fail because cron is sending.
    Suppressions are rows a run only reads, so this writes them beside the lock holder;
    SQLite serialises the two writers (each waits up to 30 s for the other's commit).
    Use it for ``suppress``, ``unsuppress`` and ``record_bounce`` only.
    """
    try:
        return open_store(state_dir)
    except AlreadyRunningError:
        pass
    path = state_dir / DB_NAME
    try:
        db = sqlite3.connect(path, timeout=30)
        # The holder migrated the store when it opened it; a newer schema is refused.
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version != len(MIGRATIONS):
            db.close()
            raise StateError(f"{path}: schema {version}, expected {len(MIGRATIONS)}")
        db.execute("PRAGMA synchronous = FULL")
    except sqlite3.DatabaseError as exc:
        raise _damaged(path, exc) from exc
    return Store(db, path, beside_holder=True)


def _read_only(path: Path) -> sqlite3.Connection:
    """The store at ``path`` opened read only, or an empty one in memory (see open_store)."""
    if path.is_file():
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            _check(db, path)
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                _migrate(db)  # refuses it, saying why
            if version == len(MIGRATIONS):
                return db
        except BaseException:
            db.close()
            raise
        db.close()
    db = sqlite3.connect(":memory:")
    _migrate(db)
    return db


def _lock(
    path: Path, holder: str = "another digest build is running (it holds the lock)"
) -> IO[bytes]:
    """``path`` opened and locked until closed; AlreadyRunningError when someone holds it."""
    lock = path.open("ab")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        lock.close()
        raise AlreadyRunningError(f"{path}: {holder}; this one did nothing") from exc
    return lock


def lock_run(state_dir: Path) -> IO[bytes]:
    """Hold the run lock (a file apart from the store's own) until the file is closed.

    ``digest run`` and ``digest send`` take it first, then open the store and hand it to
    the build, so the two locks are always taken in one order and never deadlock.
    """
    try:
        state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        return _lock(state_dir / RUN_LOCK_NAME, "another digest run or send is in progress")
    except OSError as exc:
        raise StateError(f"{state_dir}: cannot take the run lock: {exc.strerror}") from exc


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


def _migrate(db: sqlite3.Connection) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise sqlite3.DatabaseError(
            f"schema version {version} is newer than this digest knows ({len(MIGRATIONS)})"
        )
    for number, script in enumerate(MIGRATIONS[version:], version + 1):
        # executescript commits first; the migration and its version bump go together.
        with closing(db.cursor()) as cursor:
            cursor.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="microseconds") if value else None


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
