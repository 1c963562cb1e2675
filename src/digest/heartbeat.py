"""The heartbeat: a GET after each `digest run`, so a job that stops is noticed.

The convention is healthchecks.io's (Cronitor and Uptime Kuma's push monitors take it
too): ``URL`` after a run that succeeded, ``URL/<exit code>`` after one that failed.
A monitor that hears nothing for a while raises the alarm, so a cron job that stopped
running is noticed as well as one that keeps failing. The ping must never become the
run's problem: a short timeout, and a failure is one warning line.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from digest import __version__

log = logging.getLogger(__name__)

TIMEOUT = 10.0  # seconds for the whole ping
# Exit 8: another run holds the lock and will ping when it ends; a run that never ends
# leaves the monitor without pings, which is how it is noticed.
NOT_PINGED = frozenset({8})


def ping_url(url: str, exit_code: int) -> str | None:
    """The address to ping after a run that ended with ``exit_code``, or None for none."""
    if exit_code in NOT_PINGED:
        return None
    return url if exit_code == 0 else f"{url.rstrip('/')}/{exit_code}"


def ping(url: str | None, exit_code: int, timeout: float = TIMEOUT) -> str | None:
    """Tell the monitor at ``url`` how the run ended; what went wrong, if the ping failed."""
    if not url or (target := ping_url(url, exit_code)) is None:
        return None
    # The URL holds the check's key: messages name only its host.
    host = urlsplit(url).hostname or "the heartbeat URL"
    request = urllib.request.Request(target, headers={"User-Agent": f"digest/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(1024)
    except urllib.error.HTTPError as exc:
        return f"heartbeat to {host} not taken: HTTP {exc.code} {exc.reason}".rstrip()
    except (OSError, ValueError) as exc:  # URLError, timeouts, TLS and refused connections
        return f"heartbeat to {host} failed: {getattr(exc, 'reason', None) or exc}"
    log.debug("heartbeat sent to %s (exit code %s)", host, exit_code)
    return None
