"""The stages in order: sources -> articles -> briefs -> digest -> email -> files."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from digest.config import Config, Source, html_lang
from digest.deliver import Composer, Letter
from digest.errors import (
    AllSourcesFailedError,
    ConfigError,
    DigestError,
    LintError,
    NoArticlesError,
)
from digest.ingest import collect_articles, newest_first
from digest.ingest.dedup import merge_duplicates
from digest.ingest.fetch import DEFAULT_OPTIONS, FetchOptions, Progress, Response
from digest.ingest.web import complete_items, newest_per_source, read_sources
from digest.lint import Finding, lint_email
from digest.models import Article, Brief, Digest, Issue, Problem, RenderedEmail
from digest.render import long_date, render_email
from digest.state import (
    CachedResponse,
    Candidate,
    RunRecord,
    SeenItem,
    Store,
    open_store,
    select_fresh,
    window_start,
)
from digest.summarize import summarize
from digest.text import count_words

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildResult:
    digest: Digest
    email: RenderedEmail
    problems: tuple[Problem, ...]
    files: tuple[Path, ...]
    sources: int = 0  # feeds, pages and directories read (an OPML file counts its feeds)
    failed: tuple[str, ...] = ()  # those that failed
    findings: tuple[Finding, ...] = field(default=())  # what `digest lint` would report
    issue: Issue | None = None  # kept in the store for sending (a build with ``sending``)


def build(
    config: Config,
    today: date | None = None,
    out_dir: Path | None = None,
    *,
    preview: bool = False,
    now: datetime | None = None,
    progress: Progress | None = None,
    fetch_options: FetchOptions = DEFAULT_OPTIONS,
    store: Store | None = None,
    sending: bool = False,
) -> BuildResult:
    """Build the digest from the configured sources and write it to ``out_dir``.

    With feed or page sources, the state store in ``config.state_dir`` decides what is
    new and, unless ``preview``, records what this build used. ``store`` is an already
    open store to use (``digest run`` holds one). With ``sending`` the digest must pass
    lint with an unsubscribe link (else LintError, and nothing is recorded) and the
    issue is kept in ``store`` for sending, with what it used, in one transaction.
    """
    if sending and (store is None or preview):
        raise ValueError("a build for sending needs an open store and no preview")
    now = now or datetime.now(UTC)
    web = any(source.path is None for source in config.sources)
    with ExitStack() as stack:
        if store is None and web:
            store = stack.enter_context(open_store(config.state_dir, preview=preview))
        found = gather(config, store, now, sending, progress, fetch_options)

        def record(status: str, **changes: Any) -> None:
            if store is not None and not preview and (web or sending):
                store.record_run(
                    replace(found.run, status=status, problems=len(found.problems), **changes)
                )

        if web and found.failed and len(found.failed) == found.sources:
            record("failed")
            raise AllSourcesFailedError(
                f"all {found.sources} sources failed", tuple(found.problems)
            )
        if not found.articles:
            record("empty")
            where = ", ".join(s.location for s in config.sources)
            new = "new " if web or sending else ""
            raise NoArticlesError(f"no {new}usable article found in {where}", tuple(found.problems))
        articles = newest_first(merge_duplicates(found.articles))
        if len(articles) > config.max_items:
            log.info("keeping the %d newest of %d articles", config.max_items, len(articles))
            articles = articles[: config.max_items]
        digest = compose_digest(config, articles, today or date.today())
        subject = make_subject(config.send.subject, digest.title, digest.date, len(digest.briefs))
        email = render_email(
            digest, config.templates_dir, lang=html_lang(config.language), subject=subject
        )
        files = write_outputs(digest, email, out_dir or config.out_dir)
        findings = lint_email(
            email.html,
            email.text,
            digest.to_dict()["items"],
            unsubscribe_url=config.unsubscribe_url,
            require_unsubscribe=sending,
        )
        if sending and findings:
            # Nothing recorded: the stories stay new for the run after the fix.
            raise LintError(
                f"{files[0].parent}: the digest failed lint and was not sent",
                tuple(findings),
                tuple(found.problems),
            )
        issue = None
        if sending:
            issue = make_issue(
                digest.title, digest.date, len(digest.briefs), email.html, email.text, subject
            )
            # Headers checked before anything is recorded: a bad one must not leave an
            # issue in the store that every later run would fail on.
            Composer(letter(issue, config))
        used = tuple(key for article in articles for key in article.ids)
        record("ok", finished=datetime.now(UTC), used=used, issue=issue)
    return BuildResult(
        digest,
        email,
        tuple(found.problems),
        files,
        found.sources,
        tuple(found.failed),
        tuple(findings),
        issue,
    )


@dataclass(frozen=True)
class Found:
    """What the sources gave: articles, problems, and what the store should learn."""

    articles: list[Article]
    problems: list[Problem]
    failed: list[str]  # the sources that failed
    sources: int  # feeds, pages and directories read
    run: RunRecord


def gather(
    config: Config,
    store: Store | None,
    now: datetime,
    sending: bool = False,
    progress: Progress | None = None,
    fetch_options: FetchOptions = DEFAULT_OPTIONS,
) -> Found:
    """Articles from every source; feed and page items (and, when sending, local files)
    only when the store says they are new."""
    local_sources = [s for s in config.sources if s.path is not None]
    web_sources = [s for s in config.sources if s.path is None]
    ingested = collect_articles(local_sources)
    articles, problems = list(ingested.articles), list(ingested.problems)
    failed = [str(s.path) for s in local_sources if s.path and not s.path.is_dir()]
    run = RunRecord(started=now, finished=now, status="ok")
    if sending and store is not None:
        # A local file goes out once: what a sent issue used is left out of the next.
        articles, seen = _unsent(articles, store)
        run = replace(run, seen=seen)
    sources = len(local_sources)
    if web_sources and store is not None:
        web, web_run = _collect_web(config, web_sources, store, now, progress, fetch_options)
        run = replace(web_run, seen=run.seen + web_run.seen)
        articles += web.articles
        problems += web.problems
        failed += web.failed
        sources += web.sources
    return Found(articles, problems, failed, sources, run)


def compose_digest(config: Config, articles: Sequence[Article], issued: date) -> Digest:
    """The digest of ``articles``: a brief of each, with the configured title and footer."""
    briefs = tuple(
        with_article_facts(
            summarize(
                article,
                sentences=config.sentences,
                algorithm=config.algorithm,
                language=config.language,
            ),
            article,
        )
        for article in articles
    )
    return Digest(
        title=config.title,
        date=issued,
        briefs=briefs,
        intro=config.intro,
        sections=section_order(config),
        web_url=config.web_url.replace("{date}", issued.isoformat()) if config.web_url else None,
        unsubscribe_url=config.unsubscribe_url,
        sender=config.sender_name,
        postal_address=config.postal_address,
    )


def make_subject(template: str, title: str, day: date, stories: int) -> str:
    """The subject line from the configured ``[send] subject`` template."""
    return template.format(
        title=title, date=long_date(day), iso_date=day.isoformat(), count=stories
    )


def make_issue(title: str, day: date, stories: int, html: str, text: str, subject: str) -> Issue:
    """The issue of a built digest, ready to send."""
    # The id is the content's: the same build is the same issue, however it is loaded.
    content = json.dumps([title, day.isoformat(), subject, html, text], ensure_ascii=False)
    issue_id = hashlib.sha256(content.encode("utf-8")).hexdigest()[:32]
    return Issue(issue_id, title, day, subject, html, text, stories)


def letter(issue: Issue, config: Config) -> Letter:
    """What every copy of ``issue`` shares, from the configuration."""
    sender = config.send.sender
    if not sender:
        raise ConfigError("DIGEST_FROM is not set: no sender address for the digest")
    return Letter(
        issue,
        sender,
        list_id=config.send.list_id,
        unsubscribe_url=config.unsubscribe_url,
        unsubscribe_mailto=config.send.unsubscribe_mailto,
    )


def _unsent(articles: list[Article], store: Store) -> tuple[list[Article], tuple[SeenItem, ...]]:
    """The local articles no earlier issue used, and the records to remember them by."""
    records = store.items(key for a in articles for key in a.ids)
    used = {key for key, record in records.items() if record.status == "used"}
    unsent = [a for a in articles if not used.intersection(a.ids)]
    seen = tuple(
        SeenItem(a.ids[0], str(Path(a.origin).parent), a.url, a.title, a.published) for a in unsent
    )
    return unsent, seen


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
    read = read_sources(sources, lambda url: _response(store, url), options, progress)
    items = read.items
    candidates = [
        Candidate(i.article.ids[0], i.location, i.article.url, i.article.published) for i in items
    ]
    fresh, skipped = select_fresh(
        candidates,
        store.items(c.id for c in candidates),
        store.used_urls(c.url for c in candidates if c.url),
        store.known_feeds(),
        window_start(config.window, now, store.last_success()),
        config.new_feed_items,
    )
    chosen = newest_per_source([items[i] for i in sorted(fresh)])
    # The pages items link to are chosen by whoever writes the feed, not by the user.
    page_options = replace(options, private=options.private and config.fetch_private)
    articles, page_problems = complete_items(chosen, page_options, progress, config.workers)
    run = RunRecord(
        started=now,
        finished=now,
        status="ok",
        seen=tuple(
            SeenItem(c.id, c.feed, c.url, i.article.title, c.published)
            for c, i in zip(candidates, items, strict=True)
        ),
        skipped=tuple(skipped),
        feeds_ok=read.ok,
        responses=tuple(
            CachedResponse(
                r.url, r.final_url, r.body, r.content_type, r.charset, r.etag, r.last_modified
            )
            for r in read.responses
        ),
    )
    web = _Web(
        articles,
        [*read.problems, *page_problems],
        read.failed,
        len(read.ok) + len(read.failed),
    )
    return web, run


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


def with_article_facts(brief: Brief, article: Article) -> Brief:
    """The brief with what the email shows from its article: section, length, outlets."""
    return replace(
        brief,
        section=brief.section or article.section,
        words=brief.words or count_words(article.text),
        sources=article.sources if len(article.sources) > 1 else brief.sources,
    )


def section_order(config: Config) -> tuple[str, ...]:
    """Sections in configuration order: ``[digest] sections``, then the sources' own."""
    named = (source.section for source in config.sources if source.section)
    return tuple(dict.fromkeys([*config.sections, *named]))


def write_outputs(digest: Digest, email: RenderedEmail, out_dir: Path) -> tuple[Path, ...]:
    """Write the HTML, text and JSON forms of the digest and its web version.

    Each file appears whole or not at all, and all are written before any replaces its
    old version, so a failure leaves the last digest as it was. The web version goes to
    ``web/YYYY-MM-DD.html`` so that past issues stay, ready to publish at ``web_url``.
    """
    outputs = {}
    if email.web_html is not None:  # first: a new path, the likeliest to fail
        outputs[f"web/{digest.date.isoformat()}.html"] = email.web_html
    outputs["digest.html"] = email.html
    outputs["digest.txt"] = email.text
    outputs["digest.json"] = json.dumps(digest.to_dict(), ensure_ascii=False, indent=2) + "\n"
    try:
        for name in outputs:
            (out_dir / name).parent.mkdir(parents=True, exist_ok=True)
        write_atomic_all({out_dir / name: content for name, content in outputs.items()})
    except OSError as exc:
        raise DigestError(f"{out_dir}: cannot write the digest: {exc.strerror or exc}") from exc
    return tuple(out_dir / name for name in sorted(outputs, key=lambda n: n.startswith("web/")))


def write_atomic(path: Path, content: str) -> None:
    """Write to a temporary file beside ``path``, flush it to disk, then rename it over."""
    write_atomic_all({path: content})


def write_atomic_all(files: Mapping[Path, str]) -> None:
    """Write every file to a temporary beside it, flushed to disk; then rename them all.

    Nothing is replaced until everything is written: the renames are the only window
    in which old and new files stand side by side.
    """
    staged: dict[Path, str] = {}
    try:
        for path, content in files.items():
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            staged[path] = tmp
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                os.fchmod(file.fileno(), 0o666 & ~_UMASK)  # mkstemp makes files private
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
        for path, tmp in staged.items():
            os.replace(tmp, path)
    except BaseException:
        for tmp in staged.values():
            Path(tmp).unlink(missing_ok=True)
        raise


def _read_umask() -> int:
    # Setting the umask is the only way to read it; done once, at import, before any
    # thread (the preview server's) can create files meanwhile.
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _read_umask()
