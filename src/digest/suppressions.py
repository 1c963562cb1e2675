"""Suppressions: readers who unsubscribed, bounced hard or complained. `digest
unsubscribe` (and `digest bounces`) record them; every send skips them."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from digest.config import Config
from digest.deliver import check_address
from digest.errors import ConfigError, UsageError
from digest.state import Store, open_for_suppressions, open_store

log = logging.getLogger(__name__)


def unsubscribe(config: Config, addresses: Sequence[str], reason: str = "") -> list[str]:
    """Record ``addresses`` as suppressed; returns those that were not already.

    Every address is checked first (UsageError naming the bad one), so a typo records
    nothing.
    """
    checked = [given_address(a, "unsubscribe").lower() for a in addresses]
    with open_for_suppressions(config.state_dir) as store:
        return store.suppress(checked, reason)


def resubscribe(config: Config, addresses: Sequence[str]) -> list[str]:
    """Remove ``addresses`` from the suppressions; returns those that were there."""
    with open_for_suppressions(config.state_dir) as store:
        return store.unsuppress(addresses)


def suppressed(config: Config) -> dict[str, tuple[datetime, str]]:
    """Every suppressed address, with when and why it was added."""
    with open_store(config.state_dir, preview=True) as store:
        return store.suppressions()


def given_address(value: str, where: str) -> str:
    """An address typed on the command line: a mistake in it is the command's, not the
    configuration's (UsageError, exit 2)."""
    try:
        return check_address(value, where)
    except ConfigError as exc:
        raise UsageError(
            str(exc), hint="give a reader's email address, such as ann@example.org"
        ) from exc


def skip_suppressed(store: Store, addresses: Sequence[str]) -> list[str]:
    """``addresses`` without the suppressed ones, in order."""
    gone = store.suppressions()
    kept = [a for a in addresses if a.lower() not in gone]
    if len(kept) < len(addresses):
        log.info("skipping %d unsubscribed address(es)", len(addresses) - len(kept))
    return kept
