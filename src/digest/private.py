"""Files that hold secrets or readers' addresses: created private, flagged when they are not.

``.env`` holds the SMTP password and the unsubscribe secret; the state store holds every
reader's address (the send ledger, the suppressions). On a shared machine the usual
umask (022) leaves new files readable by every user.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

_warned: set[Path] = set()  # each file once a process: .env files are read more than once


def warn_if_readable(path: Path, holds: str) -> None:
    """Warn when every user of this machine may read ``path``, which holds ``holds``."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    key = path.resolve()
    if mode & 0o004 and key not in _warned:
        _warned.add(key)
        log.warning(
            "%s holds %s and every user of this machine can read it (mode %o); "
            "make it private: chmod 600 %s",
            path,
            holds,
            mode & 0o777,
            path,
        )


def create_private(path: Path) -> bool:
    """Create ``path`` empty and readable by its owner only; False if it already exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    os.close(fd)
    return True
