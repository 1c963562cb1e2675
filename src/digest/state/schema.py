"""The store's schema: its file names and its migrations, applied in order (SQLite's
``user_version`` counts them); to add a table, append a migration."""

from __future__ import annotations

import sqlite3
from contextlib import closing

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


def migrate(db: sqlite3.Connection) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise sqlite3.DatabaseError(
            f"schema version {version} is newer than this digest knows ({len(MIGRATIONS)})"
        )
    for number, script in enumerate(MIGRATIONS[version:], version + 1):
        # executescript commits first; the migration and its version bump go together.
        with closing(db.cursor()) as cursor:
            cursor.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")
