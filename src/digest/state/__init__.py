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
import os
import sqlite3
from pathlib import Path
from typing import IO

from digest.errors import AlreadyRunningError, StateError
from digest.models import RunRecord
from digest.private import create_private, warn_if_readable
from digest.state.schema import DB_NAME, LOCK_NAME, MIGRATIONS, RUN_LOCK_NAME, migrate
from digest.state.store import Delivery, SourceRecord, Store


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
            migrate(db)
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
        migrate(db)
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
                migrate(db)  # refuses it, saying why
            if version == len(MIGRATIONS):
                return db
        except BaseException:
            db.close()
            raise
        db.close()
    db = sqlite3.connect(":memory:")
    migrate(db)
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


__all__ = [
    "DB_NAME",
    "LOCK_NAME",
    "MIGRATIONS",
    "RUN_LOCK_NAME",
    "Delivery",
    "RunRecord",
    "SourceRecord",
    "StateError",
    "Store",
    "lock_run",
    "open_for_suppressions",
    "open_store",
]
