"""The runs: everything with side effects, around the pure ``make_issue``.

- ``build``: the next issue, written to ``out/``; records nothing (building is free).
- ``run``: what cron calls: lock, finish a half-sent issue, collect, make the issue,
  write it, record it with what it used, send it.
- ``send``: the issue built in ``out/``, exactly as built, to those who lack it.
- ``send_test`` and ``dry_run``: one copy to one address, or .eml files; record nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field, replace
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
    UsageError,
)
from digest.ingest import collect_articles
from digest.ingest.fetch import DEFAULT_OPTIONS, FetchOptions, Progress, Response
from digest.ingest.fresh import Candidate, cap_per_source, select_fresh, window_start
from digest.ingest.web import complete_items, newest_per_source, read_sources
from digest.lint import Finding
from digest.models import (
    Article,
    DeliveryStatus,
    Issue,
    Item,
    ItemStatus,
    OutcomeStatus,
    Problem,
    RunStatus,
    SentStory,
)
from digest.outputs import load_issue, write_issue
from digest.pipeline import envelope_of, issue_findings, items_of, make_issue
from digest.state import (
    CachedResponse,
    RunRecord,
    Store,
    lock_run,
    open_for_suppressions,
    open_store,
)
from digest.urls import without_userinfo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Collected:
    """What the sources gave: articles, problems, and what the store should learn."""

    articles: list[Article]
    problems: list[Problem]
    failed: list[str]  # the sources that failed
    sources: int  # feeds, pages and directories read
    run: RunRecord
    failing: dict[str, int]  # sources that had failed before this run: attempts in a row
    sent: list[SentStory]  # stories recent issues carried: new reports make them updates

    @property
    def still_failing(self) -> tuple[str, ...]:
        """The sources that failed again: their users were told on the first failure."""
        return tuple(source for source in self.failed if source in self.failing)


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
        taken = store.subjects(today)
    _check_found(config, found)
    issue = make_issue(config, found.articles, today, found.sent, taken)
    files = write_issue(issue, out_dir or config.out_dir)
    return BuildResult(
        issue,
        (*found.problems, *issue.dropped),
        files,
        found.sources,
        tuple(found.failed),
        tuple(issue_findings(config, issue)),
        found.still_failing,
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
        problems += tuple(found.problems)
        try:
            _check_found(config, found)
        except AllSourcesFailedError:
            store.record_run(replace(found.run, status=RunStatus.FAILED, problems=len(problems)))
            raise
        except NoArticlesError:
            store.record_run(replace(found.run, status=RunStatus.EMPTY, problems=len(problems)))
            return RunResult(tuple(sends), problems, nothing_new=True, **_sources(found))
        today = today or date.today()
        try:
            issue = make_issue(config, found.articles, today, found.sent, store.subjects(today))
        except NoArticlesError as exc:  # every story failed a check
            store.record_run(replace(found.run, status=RunStatus.EMPTY, problems=len(problems)))
            problems += exc.problems
            return RunResult(tuple(sends), problems, nothing_new=True, **_sources(found))
        problems += issue.dropped
        if send:
            if findings := issue_findings(config, issue):
                # Nothing recorded: the stories stay new for the run after the fix.
                raise LintError("the issue failed lint and was not sent", tuple(findings), problems)
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
        return RunResult(tuple(sends), problems, issue=issue, **_sources(found))


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


def collect(
    config: Config,
    store: Store,
    now: datetime,
    progress: Progress | None = None,
    fetch_options: FetchOptions = DEFAULT_OPTIONS,
) -> Collected:
    """Articles from every source that no sent issue used; feed and page items only when
    the freshness rule says they are new."""
    local_sources = [s for s in config.sources if s.path is not None]
    web_sources = [s for s in config.sources if s.path is None]
    ingested = collect_articles(local_sources)
    articles, problems = _unused(list(ingested.articles), store), list(ingested.problems)
    failed = [str(s.path) for s in local_sources if s.path and not s.path.is_dir()]
    seen = tuple(item for article in articles for item in items_of(article))
    read = tuple(s.location for s in local_sources if s.location not in failed)
    run = RunRecord(
        started=now,
        finished=now,
        status=RunStatus.OK,
        seen=seen,
        read=read,
        filtered=ingested.filtered,
    )
    sources = len(local_sources)
    if web_sources:
        web, web_run = _collect_web(config, web_sources, store, now, progress, fetch_options)
        run = replace(
            web_run,
            seen=seen + web_run.seen,
            read=read + web_run.read,
            filtered=ingested.filtered + web_run.filtered,
        )
        articles += web.articles
        problems += web.problems
        failed += web.failed
        sources += web.sources
    remember = timedelta(days=config.stories.remember_days)
    sent = store.sent_stories(since=now - remember)
    return Collected(articles, problems, failed, sources, run, store.failing(), sent)


def _sources(found: Collected) -> dict[str, Any]:
    """What a result says of the sources: how many were read, which failed."""
    return {
        "sources": found.sources,
        "failed": tuple(found.failed),
        "still_failing": found.still_failing,
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


def _unused(articles: list[Article], store: Store) -> list[Article]:
    """The local articles no sent issue used: a file goes out once."""
    records = store.items(key for a in articles for key in a.ids)
    used = {key for key, record in records.items() if record.status == ItemStatus.USED}
    return [a for a in articles if not used.intersection(a.ids)]


@dataclass(frozen=True)
class _Web:
    articles: list[Article]
    problems: list[Problem]
    failed: tuple[str, ...]
    sources: int


def _collect_web(
    config: Config,
    sources: Sequence[Source],
    store: Store,
    now: datetime,
    progress: Progress | None,
    options: FetchOptions,
) -> tuple[_Web, RunRecord]:
    """Fetch the feeds and pages, keep what the store says is new, complete the teasers."""
    # One policy for every request: the URLs the user configured are fetched wherever they
    # are; any other host (a redirect's, an OPML list's feeds, the pages items link to) is
    # chosen by someone else and must be public unless fetch_private says otherwise.
    options = replace(options, private=options.private and config.fetch_private)
    read = read_sources(sources, lambda url: _response(store, url), options, progress)
    by_id = {item.article.ids[0]: item for item in read.items}
    candidates = [
        Candidate(i.article.ids[0], i.location, i.article.url, i.article.published)
        for i in read.items
    ]
    start = window_start(config.window, now, store.last_success())
    fresh, skipped = select_fresh(
        candidates,
        store.items(c.id for c in candidates),
        store.used_urls(c.url for c in candidates if c.url),
        store.known_feeds(),
        start,
        config.new_feed_items,
        # A source added now has had no last run: its window is a first run's.
        new_feed_start=window_start(config.window, now, None),
    )
    fresh, over, capped = cap_per_source(fresh, config.max_new_items)
    skipped += over
    cut = [
        Problem(
            feed,
            f"{count} new items in one run; took the newest {config.max_new_items} and "
            "skipped the rest for good (max_new_items in digest.toml)",
        )
        for feed, count in capped.items()
    ]
    chosen = newest_per_source([by_id[c.id] for c in fresh])
    articles, page_problems = complete_items(chosen, options, progress, config.workers)
    feeds = {item.article.ids[0]: item.location for item in chosen}
    failed = set(read.failed)
    run = RunRecord(
        started=now,
        finished=now,
        status=RunStatus.OK,
        seen=tuple(
            Item(c.id, c.feed, c.url, by_id[c.id].article.title, c.published) for c in candidates
        ),
        skipped=tuple(skipped),
        feeds_ok=read.ok,
        feeds_failed=tuple((p.origin, p.message) for p in read.problems if p.origin in failed),
        responses=tuple(
            CachedResponse(
                r.url, r.final_url, r.body, r.content_type, r.charset, r.etag, r.last_modified
            )
            for r in read.responses
        ),
        forget_before=forget_before(config, now, start),
        read=read.ok,
        filtered=read.filtered,
    )
    web = _Web(
        [replace(a, feed=feeds.get(a.ids[0]) if a.ids else None) for a in articles],
        [*read.problems, *cut, *page_problems],
        read.failed,
        len(read.ok) + len(read.failed),
    )
    return web, run


# How long the store keeps an item its source no longer lists: long enough that a feed
# which drops an item and lists it again (a CMS glitch, a feed cut to its newest few)
# finds it known, so the item is not taken as new a second time.
KEEP_UNLISTED = timedelta(days=30)


def forget_before(config: Config, now: datetime, start: datetime | None) -> datetime:
    """Items unlisted since this are forgotten: before the window and the stories
    remembered for updates, and at least ``KEEP_UNLISTED`` ago."""
    earliest = now - max(KEEP_UNLISTED, timedelta(days=config.stories.remember_days))
    return min(earliest, start) if start is not None else earliest


def _response(store: Store, url: str) -> Response | None:
    cached = store.cached([url]).get(url)
    if cached is None:
        return None
    return Response(
        url=cached.url,
        final_url=cached.final_url,
        status=200,
        body=cached.body,
        content_type=cached.content_type,
        charset=cached.charset,
        etag=cached.etag,
        last_modified=cached.last_modified,
    )


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

    def __init__(self, store: Store, issue_id: str, sync: str) -> None:
        self.store = store
        self.issue_id = issue_id
        self.sync = sync  # "normal": survives the process dying; "full": a power cut too

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


# Readers who unsubscribed: `digest unsubscribe` records them, every send skips them


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


# What the sources are doing


@dataclass(frozen=True)
class SourceStatus:
    """One configured source as the store knows it, for `digest sources`."""

    source: str  # the feed or page URL, or the directory
    kind: str  # feed, page or directory
    name: str | None = None
    last_attempt: datetime | None = None
    last_ok: datetime | None = None
    last_error: str | None = None
    failures: int = 0  # attempts in a row that failed
    seen: int = 0  # items seen
    used: int = 0  # items that went out in an issue
    # how many items each filter rule removed when the source was last read
    filtered: dict[str, int] = field(default_factory=dict)


def source_statuses(config: Config) -> list[SourceStatus]:
    """Every configured source (each feed of an OPML list) with what the store knows."""
    with open_store(config.state_dir, preview=True) as store:
        records = {record.url: record for record in store.sources()}
        counts = store.item_counts()
        filtered = store.filtered()
    statuses = []
    for source, location, kind in _expand(config.sources):
        seen, used = counts.get(location, (0, 0))
        status = SourceStatus(
            location, kind, source.name, seen=seen, used=used, filtered=filtered.get(location, {})
        )
        if (record := records.get(location)) is not None:
            status = replace(
                status,
                last_attempt=record.last_attempt,
                last_ok=record.last_ok,
                last_error=record.last_error,
                failures=record.failures,
            )
        statuses.append(status)
    return statuses


def _expand(sources: Sequence[Source]) -> list[tuple[Source, str, str]]:
    """(source, location, kind) of each source, an OPML list's feeds one by one."""
    from digest.ingest.opml import OpmlError, read_opml

    found = []
    for source in sources:
        if isinstance(source.opml, Path):
            try:
                outlines = read_opml(source.opml)
            except OpmlError:
                found.append((source, source.location, "opml"))
                continue
            found += [
                (replace(source, name=source.name or o.title), without_userinfo(o.url), "feed")
                for o in outlines
            ]
        else:
            # An OPML list at a URL is listed as itself: its feeds are known once fetched.
            kinds = (("directory", source.path), ("page", source.page), ("opml", source.opml))
            kind = next((name for name, where in kinds if where), "feed")
            found.append((source, source.location, kind))
    return found
