"""The pure core: articles -> stories -> briefs -> digest -> email -> Issue.

``make_issue`` touches no store, no file and no network, and takes no mode flags: the
runs in ``digest.runs`` collect the articles, then decide what to do with the issue.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from digest.archive import issue_url
from digest.config import Config, html_lang
from digest.errors import NoArticlesError
from digest.ingest import newest_first
from digest.ingest.dedup import merge_duplicates
from digest.lint import Finding, blame, lint_email
from digest.models import Article, Brief, Digest, Issue, Item, Problem
from digest.render import long_date, render_email
from digest.summarize import summarize
from digest.text import count_words

log = logging.getLogger(__name__)


def make_issue(config: Config, articles: Sequence[Article], today: date) -> Issue:
    """The issue made of ``articles``: merged, summarized, rendered and checked.

    A story that fails a per-story check (a link or image of its own, text that differs
    between the parts) is left out, and ``Issue.dropped`` says why; issue-wide findings
    (size, unsubscribe link, language, title) are the caller's to act on, through
    ``issue_findings``. NoArticlesError when no story is left.
    """
    chosen = newest_first(merge_duplicates(articles))
    if len(chosen) > config.max_items:
        log.info("keeping the %d newest of %d articles", config.max_items, len(chosen))
        chosen = chosen[: config.max_items]
    stories = [(article, brief_of(config, article)) for article in chosen]
    dropped: list[Problem] = []
    while True:
        digest = compose_digest(config, [brief for _, brief in stories], today)
        subject = make_subject(config.send.subject, digest.title, digest.date, len(stories))
        email = render_email(
            digest,
            config.templates_dir,
            lang=html_lang(config.language),
            subject=subject,
            reading_time=config.reading_time,
        )
        faults = blame(lint_issue(config, email.html, email.text, digest), _items(digest))
        if not faults:
            break
        for n, finding in sorted(faults.items(), reverse=True):
            article, brief = stories.pop(n)
            where = article.url or article.origin
            dropped.append(Problem(where, f"story {brief.headline!r} left out: {finding}"))
        if not stories:
            raise NoArticlesError("every story failed a check", tuple(reversed(dropped)))
    return Issue(
        id=issue_id(digest.title, digest.date, subject, email.html, email.text),
        title=digest.title,
        date=digest.date,
        subject=subject,
        html=email.html,
        text=email.text,
        stories=len(digest.briefs),
        web_html=email.web_html,
        digest=digest,
        items=tuple(item for article, _ in stories for item in items_of(article)),
        dropped=tuple(reversed(dropped)),
    )


def lint_issue(config: Config, html: str, text: str, digest: Digest | None = None) -> list[Finding]:
    """Every lint finding on an issue; an unsubscribe link is required once sending is set up."""
    return lint_email(
        html,
        text,
        _items(digest) if digest else None,
        unsubscribe_url=config.unsubscribe_url,
        require_unsubscribe=bool(config.send.host or config.send.sender),
    )


def issue_findings(config: Config, issue: Issue) -> list[Finding]:
    """The findings that stop ``issue`` from going out (``make_issue`` left out the stories
    at fault, so what remains is the issue's own)."""
    return lint_issue(config, issue.html, issue.text, issue.digest)


def brief_of(config: Config, article: Article) -> Brief:
    """The brief of one article, with what the email shows from the article itself."""
    brief = summarize(
        article, sentences=config.sentences, algorithm=config.algorithm, language=config.language
    )
    return replace(
        brief,
        section=brief.section or article.section,
        words=brief.words or count_words(article.text),
        sources=article.sources if len(article.sources) > 1 else brief.sources,
    )


def compose_digest(config: Config, briefs: Sequence[Brief], issued: date) -> Digest:
    """The digest of ``briefs``, with the configured title and footer."""
    return Digest(
        title=config.title,
        date=issued,
        briefs=tuple(briefs),
        intro=config.intro,
        sections=section_order(config),
        web_url=issue_url(config.web_url, issued, briefs),
        unsubscribe_url=config.unsubscribe_url,
        sender=config.sender_name,
        postal_address=config.postal_address,
    )


def make_subject(template: str, title: str, day: date, stories: int) -> str:
    """The subject line from the configured ``[send] subject`` template."""
    return template.format(
        title=title, date=long_date(day), iso_date=day.isoformat(), count=stories
    )


def issue_id(title: str, day: date, subject: str, html: str, text: str) -> str:
    """The id of an issue: its content's, so the same build is the same issue."""
    content = json.dumps([title, day.isoformat(), subject, html, text], ensure_ascii=False)
    return hashlib.sha256(content.encode("utf-8")).hexdigest()[:32]


def items_of(article: Article) -> tuple[Item, ...]:
    """The store's items an article stands for (several, when merged from several)."""
    feed = article.feed or article.origin
    return tuple(
        Item(key, feed, article.url, article.title, article.published) for key in article.ids
    )


def section_order(config: Config) -> tuple[str, ...]:
    """Sections in configuration order: ``[digest] sections``, then the sources' own."""
    named = (source.section for source in config.sources if source.section)
    return tuple(dict.fromkeys([*config.sections, *named]))


def _items(digest: Digest | None) -> list[dict[str, object]]:
    return digest.to_dict()["items"] if digest else []
