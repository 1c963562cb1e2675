"""The send side of the pipeline: a built issue goes to its recipients through the ledger.

``run`` is what cron calls: take the run lock, finish any issue a crash left half sent,
build a new issue (which must pass lint), send it, record every outcome. ``send`` does
the sending alone, for the digest already built in the output directory.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from digest.config import Config
from digest.deliver import (
    Composer,
    Outcome,
    check_address,
    check_headers,
    deliver,
    fresh_message_id,
    message_id,
    read_recipients,
    write_outbox,
)
from digest.errors import ConfigError, InputError, LintError, NoArticlesError
from digest.ingest.fetch import DEFAULT_OPTIONS, FetchOptions, Progress
from digest.lint import lint_directory
from digest.models import Issue, Problem
from digest.pipeline import build, letter, make_issue, make_subject
from digest.state import Store, lock_run, open_store
from digest.suppressions import skip_suppressed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendResult:
    """One issue's sending in this run; ``stopped`` says why it ended early, if it did."""

    issue: Issue
    recipients: int  # the recipients configured now
    sent: tuple[str, ...] = ()  # sent in this run
    before: int = 0  # already sent by an earlier run
    failed: tuple[Outcome, ...] = ()  # refused for good (5xx), in this run
    deferred: tuple[Outcome, ...] = ()  # temporary failures: left for the next run
    stopped: str | None = None

    @property
    def complete(self) -> bool:
        return self.stopped is None and not self.deferred


@dataclass(frozen=True)
class RunResult:
    sends: tuple[SendResult, ...] = ()
    problems: tuple[Problem, ...] = ()  # bad recipients, sources that failed
    nothing_new: bool = False


# The issue


def load_issue(out_dir: Path, subject_template: str) -> Issue:
    """The issue built in ``out_dir`` (digest.json, digest.html and digest.txt)."""
    parts = {}
    for name in ("digest.json", "digest.html", "digest.txt"):
        try:
            parts[name] = (out_dir / name).read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise InputError(str(out_dir / name), "not found; run `digest build` first") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(str(out_dir / name), f"cannot be read: {exc}") from exc
    try:
        data = json.loads(parts["digest.json"])
        title, day, items = str(data["title"]), date.fromisoformat(data["date"]), data["items"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(str(out_dir / "digest.json"), f"not a digest: {exc}") from exc
    subject = make_subject(subject_template, title, day, len(items))
    return make_issue(title, day, len(items), parts["digest.html"], parts["digest.txt"], subject)


def recipients(config: Config) -> tuple[tuple[str, ...], tuple[Problem, ...]]:
    """The valid recipients; ConfigError when there are none, or no sender or server."""
    if not config.send.sender:
        raise ConfigError("DIGEST_FROM is not set: no sender address for the digest")
    check_address(config.send.sender, "DIGEST_FROM")
    found, problems = read_recipients(config.send)
    if not found:
        where = " and ".join(
            name
            for name, value in (
                ("DIGEST_TO", config.send.to),
                ("DIGEST_RECIPIENTS_FILE", config.send.recipients_file),
            )
            if value
        )
        raise ConfigError(
            f"no valid recipient in {where}"
            if where
            else "no recipients: set DIGEST_TO or DIGEST_RECIPIENTS_FILE"
        )
    return found, problems


# Sending


class _Ledger:
    """The deliverer's journal, written to the send ledger as each step happens."""

    def __init__(self, store: Store, issue_id: str, sync: str = "normal") -> None:
        self.store = store
        self.issue_id = issue_id
        self.sync = sync

    def sending(self, recipient: str) -> None:
        self.store.mark_sending(self.issue_id, recipient, sync=self.sync)

    def done(self, outcome: Outcome) -> None:
        mark = {
            "sent": lambda: self.store.mark_sent(
                self.issue_id, outcome.recipient, outcome.attempts, sync=self.sync
            ),
            "failed": lambda: self.store.mark_failed(
                self.issue_id,
                outcome.recipient,
                outcome.error or "",
                outcome.attempts,
                sync=self.sync,
            ),
            "deferred": lambda: self.store.mark_deferred(
                self.issue_id,
                outcome.recipient,
                outcome.error or "",
                outcome.attempts,
                sync=self.sync,
            ),
        }
        mark[outcome.status]()


def send_issue(issue: Issue, config: Config, store: Store, addresses: Sequence[str]) -> SendResult:
    """Send ``issue`` to each of ``addresses`` the ledger does not show as sent or failed.

    A recipient left "sending" by a crash is sent again, with the same Message-ID.
    """
    composer = Composer(letter(issue, config))
    addresses = skip_suppressed(store, addresses)
    store.add_issue(issue)
    store.plan_deliveries(issue.id, [(a, message_id(issue, a, composer.sender)) for a in addresses])
    ledger = store.deliveries(issue.id)
    todo = [
        (a, ledger[a].message_id) for a in addresses if ledger[a].status in ("pending", "sending")
    ]
    before = sum(1 for a in addresses if ledger[a].status == "sent")
    journal = _Ledger(store, issue.id, config.send.ledger_sync)
    report = deliver(composer, todo, config.send, journal) if todo else None
    result = SendResult(issue, len(addresses), before=before)
    if report is not None:
        result = SendResult(
            issue,
            len(addresses),
            tuple(o.recipient for o in report.with_status("sent")),
            before,
            report.with_status("failed"),
            report.with_status("deferred"),
            report.stopped,
        )
    if result.complete:
        store.finish_issue(issue.id)
    return result


def check_lint(config: Config, out_dir: Path) -> None:
    """Raise LintError, with the findings, when the digest in ``out_dir`` is not fit to send."""
    findings = lint_directory(
        out_dir, require_unsubscribe=True, unsubscribe_url=config.unsubscribe_url
    )
    if findings:
        raise LintError(f"{out_dir}: the digest failed lint and was not sent", tuple(findings))


def send(
    config: Config, out_dir: Path | None = None, *, lint: bool = True
) -> tuple[SendResult, tuple[Problem, ...]]:
    """Send the digest built in ``out_dir`` to those who do not have it yet.

    It must pass lint (``digest lint --sending``) unless ``lint`` is False.
    """
    out_dir = out_dir or config.out_dir
    if lint:
        check_lint(config, out_dir)
    addresses, problems = recipients(config)
    issue = load_issue(out_dir, config.send.subject)
    with closing(lock_run(config.state_dir)), open_store(config.state_dir) as store:
        return send_issue(issue, config, store, addresses), problems


def send_test(
    config: Config, address: str, out_dir: Path | None = None, *, lint: bool = True
) -> SendResult:
    """One copy of the built digest to ``address``, with a fresh Message-ID; records nothing.

    Like ``send``, it must pass lint unless ``lint`` is False.
    """
    address = check_address(address, "--to")
    out_dir = out_dir or config.out_dir
    if lint:
        check_lint(config, out_dir)
    issue = load_issue(out_dir, config.send.subject)
    composer = Composer(letter(issue, config))
    report = deliver(composer, [(address, fresh_message_id(composer.sender))], config.send)
    return SendResult(
        issue,
        1,
        tuple(o.recipient for o in report.with_status("sent")),
        failed=report.with_status("failed"),
        deferred=report.with_status("deferred"),
        stopped=report.stopped,
    )


def dry_run(
    config: Config, out_dir: Path | None = None, outbox: Path | None = None
) -> tuple[list[Path], tuple[Problem, ...]]:
    """Write each recipient's message as an .eml file; send and record nothing."""
    out_dir = out_dir or config.out_dir
    addresses, problems = recipients(config)
    issue = load_issue(out_dir, config.send.subject)
    composer = Composer(letter(issue, config))
    planned = [(a, message_id(issue, a, composer.sender)) for a in addresses]
    return write_outbox(composer, planned, outbox or out_dir / "outbox"), problems


def run(
    config: Config,
    today: date | None = None,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
    fetch_options: FetchOptions = DEFAULT_OPTIONS,
) -> RunResult:
    """What cron runs: finish any half-sent issue, then build, lint and send a new one."""
    if not config.send.host:
        raise ConfigError("SMTP_HOST is not set: no server to send through")
    addresses, problems = recipients(config)
    sends: list[SendResult] = []
    with closing(lock_run(config.state_dir)), open_store(config.state_dir) as store:
        for issue in store.unfinished_issues():
            try:
                check_headers(issue)
            except ConfigError as exc:
                # The stored issue itself can never be sent (an older digest kept it
                # unchecked): give it up, or every later run would fail on it.
                store.finish_issue(issue.id)
                problems += (Problem(f"the issue of {issue.date}", f"abandoned: {exc}"),)
                continue
            log.info("finishing the issue of %s (%s)", issue.date, issue.id)
            sends.append(send_issue(issue, config, store, addresses))
            if sends[-1].stopped:  # the server is out of reach: build nothing new
                return RunResult(tuple(sends), problems)
        try:
            built = build(
                config,
                today,
                now=now,
                progress=progress,
                fetch_options=fetch_options,
                store=store,
                sending=True,
            )
        except NoArticlesError as exc:
            # Quiet, but the skipped files and missing directories are still warnings.
            return RunResult(tuple(sends), (*problems, *exc.problems), nothing_new=True)
        assert built.issue is not None
        sends.append(send_issue(built.issue, config, store, addresses))
        return RunResult(tuple(sends), (*problems, *built.problems))
