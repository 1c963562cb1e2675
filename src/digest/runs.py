"""The runs: everything with side effects, around the pure ``make_issue``.

- ``build``: the next issue, written to ``out/``; records nothing (building is free).
- ``run``: what cron calls: lock, finish a half-sent issue, collect, make the issue,
  write it, record it with what it used, send it.
- ``send``: the issue built in ``out/``, exactly as built, to those who lack it.
- ``send_test`` and ``dry_run``: one copy to one address, or .eml files; record nothing.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from digest.config import Config, Source
from digest.deliver import (
    Composer,
    Letter,
    Outcome,
    check_address,
    check_headers,
    configured_key,
    deliver,
    fresh_message_id,
    message_id,
    read_recipients,
    write_outbox,
)
from digest.errors import (
    AllSourcesFailedError,
    ConfigError,
    LintError,
    NoArticlesError,
)
from digest.ingest.collect import Collected, collect
from digest.ingest.fetch import DEFAULT_OPTIONS, FetchOptions, Progress
from digest.ingest.image_size import measure_images
from digest.models import (
    DeliveryStatus,
    Finding,
    Issue,
    LedgerSync,
    OutcomeStatus,
    Problem,
    RunStatus,
    SentStory,
)
from digest.outputs import load_issue, write_issue
from digest.pipeline import envelope_of, issue_findings, make_issue
from digest.state import (
    Store,
    lock_run,
    open_store,
)
from digest.suppressions import given_address, skip_suppressed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildResult:
    issue: Issue
    problems: tuple[Problem, ...]  # skipped inputs and stories left out
    files: tuple[Path, ...]
    sources: int = 0  # feeds, pages and directories read (an OPML file counts its feeds)
    failed: tuple[str, ...] = ()  # those that failed
    findings: tuple[Finding, ...] = ()  # what would stop the issue from being sent
    still_failing: tuple[str, ...] = ()  # failed sources that had failed before


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
    problems: tuple[Problem, ...] = ()  # bad recipients, sources that failed, stories left out
    nothing_new: bool = False
    issue: Issue | None = None  # the issue this run made, if it made one
    sources: int = 0  # feeds, pages and directories read
    failed: tuple[str, ...] = ()  # those that failed
    still_failing: tuple[str, ...] = ()  # failed sources that had failed before
    # The run sent the rest of a half-sent issue and so made no new one (one issue a run).
    finished_earlier: bool = False


# The runs


def build(
    config: Config,
    today: date | None = None,
    out_dir: Path | None = None,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
    fetch_options: FetchOptions = DEFAULT_OPTIONS,
) -> BuildResult:
    """The next issue, written to ``out_dir``; the store is only read, never written."""
    now = now or datetime.now(UTC)
    today = today or date.today()
    with open_store(config.state_dir, preview=True) as store:
        found = collect(config, store, now, progress, fetch_options)
        sent, failing, taken = _sent(config, store, now), store.failing(), store.subjects(today)
    _check_found(config, found)
    measure = functools.partial(measure_images, options=fetch_options)
    issue = make_issue(config, found.articles, today, sent, taken, measure)
    files = write_issue(issue, out_dir or config.out_dir)
    return BuildResult(
        issue,
        (*found.problems, *issue.dropped),
        files,
        found.sources,
        tuple(found.failed),
        issue.findings,
        _still_failing(found, failing),
    )


def run(
    config: Config,
    today: date | None = None,
    *,
    send: bool = True,
    now: datetime | None = None,
    progress: Progress | None = None,
    fetch_options: FetchOptions = DEFAULT_OPTIONS,
) -> RunResult:
    """Finish any half-sent issue; if that sent nothing, make, record and send a new one.

    One issue per run: a run that sends the rest of an earlier issue stops there, and the
    next issue waits for the next run, so nobody gets two issues seconds apart. (One
    whose remaining readers are all deferred again does not hold the next one back.)

    With ``send`` False (``digest run --no-send``) the issue is written and its stories
    recorded as used, and nothing is sent: a first run over a long feed list.
    """
    addresses: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    if send:
        if not config.send.host:
            raise ConfigError("SMTP_HOST is not set: no server to send through")
        addresses, problems = recipients(config)
    now = now or datetime.now(UTC)
    sends: list[SendResult] = []
    with closing(lock_run(config.state_dir)), open_store(config.state_dir) as store:
        if send:
            sends, abandoned = _finish_unsent(config, store, addresses)
            problems += abandoned
            if sends and sends[-1].stopped:  # the server is out of reach: make nothing new
                return RunResult(tuple(sends), problems)
            if any(earlier.sent for earlier in sends):
                log.info("an earlier issue went out in this run: the next waits for the next run")
                return RunResult(tuple(sends), problems, finished_earlier=True)
        found = collect(config, store, now, progress, fetch_options)
        about = _sources(found, store.failing())
        problems += tuple(found.problems)
        try:
            _check_found(config, found)
        except AllSourcesFailedError:
            store.record_run(replace(found.run, status=RunStatus.FAILED, problems=len(problems)))
            raise
        except NoArticlesError:
            store.record_run(replace(found.run, status=RunStatus.EMPTY, problems=len(problems)))
            return RunResult(tuple(sends), problems, nothing_new=True, **about)
        today = today or date.today()
        try:
            measure = functools.partial(measure_images, options=fetch_options)
            sent, taken = _sent(config, store, now), store.subjects(today)
            issue = make_issue(config, found.articles, today, sent, taken, measure)
        except NoArticlesError as exc:  # every story failed a check
            store.record_run(replace(found.run, status=RunStatus.EMPTY, problems=len(problems)))
            problems += exc.problems
            return RunResult(tuple(sends), problems, nothing_new=True, **about)
        problems += issue.dropped
        if send:
            if issue.findings:
                # Nothing recorded: the stories stay new for the run after the fix.
                raise LintError("the issue failed lint and was not sent", issue.findings, problems)
            # Headers checked before anything is recorded: a bad one must not leave an
            # issue in the store that every later run would fail on.
            Composer(letter(issue, config))
        write_issue(issue, config.out_dir)
        store.record_run(
            replace(
                found.run,
                status=RunStatus.OK,
                finished=datetime.now(UTC),
                problems=len(problems),
                used=issue.items,
                stories=issue.sent_stories,
                issue=issue if send else None,
            )
        )
        if send:
            sends.append(send_issue(issue, config, store, addresses))
        return RunResult(tuple(sends), problems, issue=issue, **about)


def send(config: Config, out_dir: Path | None = None) -> tuple[SendResult, tuple[Problem, ...]]:
    """Send the issue built in ``out_dir``, exactly as built, to those who lack it."""
    issue = _sendable(config, out_dir or config.out_dir)
    addresses, problems = recipients(config)
    with closing(lock_run(config.state_dir)), open_store(config.state_dir) as store:
        return send_issue(issue, config, store, addresses), problems


def send_test(config: Config, address: str, out_dir: Path | None = None) -> SendResult:
    """One copy of the built issue to ``address``, with a fresh Message-ID; records nothing."""
    address = given_address(address, "--to")
    issue = _sendable(config, out_dir or config.out_dir)
    composer = Composer(letter(issue, config))
    report = deliver(composer, [(address, fresh_message_id(composer.sender))], config.send)
    return SendResult(
        issue,
        1,
        tuple(o.recipient for o in report.with_status(OutcomeStatus.SENT)),
        failed=report.with_status(OutcomeStatus.FAILED),
        deferred=report.with_status(OutcomeStatus.DEFERRED),
        stopped=report.stopped,
    )


def dry_run(
    config: Config, out_dir: Path | None = None, outbox: Path | None = None
) -> tuple[list[Path], tuple[Problem, ...], tuple[Finding, ...]]:
    """Write each recipient's message as an .eml file; send and record nothing.

    The recipients are those a send would write to: not the unsubscribed.
    """
    out_dir = out_dir or config.out_dir
    issue = load_issue(out_dir)
    addresses, problems = recipients(config)
    with open_store(config.state_dir, preview=True) as store:
        addresses = tuple(skip_suppressed(store, addresses))
    composer = Composer(letter(issue, config))
    planned = [(a, message_id(issue, a, composer.sender)) for a in addresses]
    files = write_outbox(composer, planned, outbox or out_dir / "outbox")
    return files, problems, tuple(issue_findings(config, issue))


# Collecting


def _sent(config: Config, store: Store, now: datetime) -> list[SentStory]:
    """The stories recent issues carried: new reports of them make updates."""
    return store.sent_stories(since=now - timedelta(days=config.stories.remember_days))


def _still_failing(found: Collected, failing: dict[str, int]) -> tuple[str, ...]:
    """The sources that failed again: their users were told on the first failure."""
    return tuple(source for source in found.failed if source in failing)


def _sources(found: Collected, failing: dict[str, int]) -> dict[str, Any]:
    """What a result says of the sources: how many were read, which failed."""
    return {
        "sources": found.sources,
        "failed": tuple(found.failed),
        "still_failing": _still_failing(found, failing),
    }


def _check_found(config: Config, found: Collected) -> None:
    web = any(source.path is None for source in config.sources)
    if web and found.failed and len(found.failed) == found.sources:
        raise AllSourcesFailedError(f"all {found.sources} sources failed", tuple(found.problems))
    if not found.articles:
        missing = [s.location for s in config.sources if s.path and not s.path.is_dir()]
        if missing:  # nothing to build because of a typo: the user's to fix
            raise ConfigError(
                f"{missing[0]}: content directory not found, and no other source gave an article",
                hint="check `path` in [[sources]] of the configuration file",
            )
        where = ", ".join(s.location for s in config.sources)
        new = "new " if web else ""
        raise NoArticlesError(
            f"no {new}usable article found in {where}",
            tuple(found.problems),
            hint=_nothing_new_hint(config.sources),
        )


def _nothing_new_hint(sources: Sequence[Source]) -> str:
    """What to do when no source gave anything, in the terms of the sources configured:
    a feeds-only newsletter has no content directory to add files to."""
    kinds = [
        noun
        for noun, present in (
            ("feeds", any(s.feed or s.opml for s in sources)),
            ("pages", any(s.page for s in sources)),
        )
        if present
    ]
    steps = []
    if any(s.path is not None for s in sources):
        steps.append("add articles to the content directory")
    if kinds:
        steps.append(f"wait for the {' and '.join(kinds)} to post something new")
    return f"{' or '.join(steps)}, or check the warnings above"


# Sending


def recipients(config: Config) -> tuple[tuple[str, ...], tuple[Problem, ...]]:
    """The valid recipients; ConfigError when there are none, or no sender."""
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


def letter(issue: Issue, config: Config) -> Letter:
    """What every copy of ``issue`` shares: the envelope it was built with, whatever the
    configuration says now, and the current secret of its ``{token}``s (a credential, so
    never kept in the issue), DKIM key and bounce address (how it goes, not what goes).
    An issue an older digest kept has no envelope: it goes out with the configuration's,
    as it would have then."""
    envelope = issue.envelope or envelope_of(config)
    if not envelope.sender:
        if issue.envelope is None:
            raise ConfigError("DIGEST_FROM is not set: no sender address for the digest")
        raise ConfigError(
            "the issue was built without DIGEST_FROM: it has no sender to go out from",
            hint="set DIGEST_FROM (in .env) and run `digest build` again",
        )
    return Letter(
        issue,
        envelope.sender,
        list_id=envelope.list_id,
        unsubscribe_url=envelope.unsubscribe_url,
        unsubscribe_mailto=envelope.unsubscribe_mailto,
        unsubscribe_secret=config.send.unsubscribe_secret,
        dkim=configured_key(config.send, envelope.sender),
        bounce_address=config.send.bounce_address,
        verp=config.send.verp,
    )


class _Ledger:
    """The deliverer's journal, written to the send ledger as each step happens."""

    def __init__(self, store: Store, issue_id: str, sync: LedgerSync) -> None:
        self.store = store
        self.issue_id = issue_id
        self.sync = sync

    def sending(self, recipient: str) -> None:
        self.store.mark_sending(self.issue_id, recipient, sync=self.sync)

    def done(self, outcome: Outcome) -> None:
        issue, who, tries, error = self.issue_id, outcome.recipient, outcome.attempts, outcome.error
        if outcome.status == OutcomeStatus.SENT:
            self.store.mark_sent(issue, who, tries, sync=self.sync)
        elif outcome.status == OutcomeStatus.FAILED:
            self.store.mark_failed(issue, who, error or "", tries, sync=self.sync)
        else:
            self.store.mark_deferred(issue, who, error or "", tries, sync=self.sync)


def send_issue(issue: Issue, config: Config, store: Store, addresses: Sequence[str]) -> SendResult:
    """Send ``issue`` to each of ``addresses`` the ledger does not show as sent or failed.

    The issue and its items (as used) are recorded first; a recipient left "sending" by a
    crash is sent again, with the same Message-ID.
    """
    composer = Composer(letter(issue, config))
    addresses = skip_suppressed(store, addresses)
    store.add_issue(issue)
    store.plan_deliveries(issue.id, [(a, message_id(issue, a, composer.sender)) for a in addresses])
    ledger = store.deliveries(issue.id)
    open_rows = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
    todo = [(a, ledger[a].message_id) for a in addresses if ledger[a].status in open_rows]
    before = sum(1 for a in addresses if ledger[a].status == DeliveryStatus.SENT)
    if not todo:
        result = SendResult(issue, len(addresses), before=before)
    else:
        journal = _Ledger(store, issue.id, config.send.ledger_sync)
        report = deliver(composer, todo, config.send, journal)
        result = SendResult(
            issue,
            len(addresses),
            tuple(o.recipient for o in report.with_status(OutcomeStatus.SENT)),
            before,
            report.with_status(OutcomeStatus.FAILED),
            report.with_status(OutcomeStatus.DEFERRED),
            report.stopped,
        )
    if result.complete:
        store.finish_issue(issue.id)
    return result


def _finish_unsent(
    config: Config, store: Store, addresses: Sequence[str]
) -> tuple[list[SendResult], tuple[Problem, ...]]:
    """Send the issues a crash or an unreachable server left half sent, oldest first."""
    sends: list[SendResult] = []
    problems: tuple[Problem, ...] = ()
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
        if sends[-1].stopped:
            break
    return sends, problems


def _sendable(config: Config, out_dir: Path) -> Issue:
    """The issue in ``out_dir``, if nothing issue-wide stops it from going out."""
    issue = load_issue(out_dir)
    if findings := issue_findings(config, issue):
        raise LintError(f"{out_dir}: the digest failed lint and was not sent", tuple(findings))
    return issue


# What the sources are doing
