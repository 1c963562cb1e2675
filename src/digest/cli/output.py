"""How the commands print: warnings, a progress bar, and --json's plain data."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from digest.models import Finding, Issue, Problem


def warn(problems: Sequence[object]) -> None:
    for problem in problems:
        print(f"digest: warning: {problem}", file=sys.stderr)


def warn_sources(
    problems: Sequence[Problem], still_failing: Sequence[str], sources: int, verbose: int
) -> None:
    """A line per problem, but a source that failed before only with -v: a summary says
    how many failed, so cron mail does not repeat the same lines every run."""
    quiet = set() if verbose else set(still_failing)
    warn([p for p in problems if p.origin not in quiet])
    if hidden := len({p.origin for p in problems if p.origin in quiet}):
        print(
            f"digest: warning: {hidden} of {sources} sources still failing "
            "(see `digest sources`; -v shows each)",
            file=sys.stderr,
        )


# --json output: plain data, the same names as the library's


def print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def problem_data(problem: Problem) -> dict[str, str]:
    return {"origin": problem.origin, "message": problem.message}


def finding_data(finding: Finding) -> dict[str, str]:
    return {"check": finding.check, "message": finding.message}


def issue_data(issue: Issue) -> dict[str, object]:
    return {
        "id": issue.id,
        "subject": issue.subject,
        "date": issue.date.isoformat(),
        "stories": issue.stories,
        "dropped": [problem_data(p) for p in issue.dropped],
    }


def sources_data(
    sources: int, failed: Sequence[str], problems: Sequence[Problem]
) -> dict[str, object]:
    return {
        "sources": sources,
        "failed": list(failed),
        "problems": [problem_data(p) for p in problems],
    }


def when(moment: datetime | None) -> str:
    return f"{moment.astimezone():%Y-%m-%d %H:%M}" if moment else "never"


class FetchProgress:
    """A progress bar on a terminal; on anything else (cron), a plain line now and then."""

    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.shown = False
        self.last: tuple[int, int] | None = None

    def __call__(self, done: int, total: int, url: str) -> None:
        if self.tty:
            filled = self.WIDTH * done // total
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            self.stream.write(f"\rfetching [{bar}] {done}/{total}\x1b[K")
            self.stream.flush()
            self.shown = True
        elif total >= 8 and (step := (total, 4 * done // total)) != self.last:
            # Long fetches only, and a line per quarter: cron mail stays short.
            self.last = step
            print(f"digest: fetched {done} of {total}", file=self.stream, flush=True)

    def finish(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False
