"""The pure core: articles -> stories -> briefs -> digest -> email -> Issue.

``make_issue`` touches no store, no file and no network, and takes no mode flags: the
runs in ``digest.runs`` collect the articles, then decide what to do with the issue.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time
from urllib.parse import urlsplit

from digest.archive import issue_url
from digest.config import Config, html_lang
from digest.errors import NoArticlesError, TemplateError
from digest.langs import is_cyrillic, main_language, script_language
from digest.lint import CLIP_BYTES, blame, lint_email, sent_size
from digest.models import (
    Article,
    Brief,
    Digest,
    Envelope,
    Finding,
    ImageSize,
    Issue,
    Problem,
    RenderedEmail,
    SentStory,
    Story,
    items_of,
)
from digest.render import long_date, render_email
from digest.stories import group_stories, rank_stories, story_key
from digest.summarize import detect_language, summarize, summarize_story
from digest.text import count_words
from digest.urls import IMAGE, web_url

log = logging.getLogger(__name__)
# Image URLs -> the (width, height) of those whose size could be found.
Measure = Callable[[Sequence[str]], Mapping[str, ImageSize]]

SENT = "sent:"  # the ids of the stand-ins for stories earlier issues carried


def make_issue(
    config: Config,
    articles: Sequence[Article],
    today: date,
    sent: Sequence[SentStory] = (),
    taken: Collection[str] = (),
    measure: Measure | None = None,
) -> Issue:
    """The issue made of ``articles``: grouped into stories, ranked, summarized, rendered
    and checked, with the envelope it is to be sent in.

    ``sent`` are stories earlier issues carried: one that new articles join comes back
    marked as an update. ``taken`` are the subjects of the issues made already on
    ``today``: a second issue's subject is told apart (see ``distinct_subject``). A story
    that fails a per-story check (a link or image of its own, text that differs between
    the parts) is left out, and ``Issue.dropped`` says why; issue-wide findings (size,
    unsubscribe link, language, title) come with it in ``Issue.findings``, the caller's to
    act on. NoArticlesError when no story is left. ``measure`` gives the sizes of images
    the stories to be shown have and their pages did not declare (the runs pass one that
    reads the images' headers); without it, the issue is made of ``articles`` alone.
    """
    found = find_stories(config, articles, today, sent)
    if len(found) > config.max_items:
        log.info("keeping the first %d of %d stories", config.max_items, len(found))
        found = found[: config.max_items]
    stories = [
        (story, brief)
        for story, earlier in found
        if not _repeats(brief := brief_of_story(config, story, earlier is not None), earlier)
    ]
    # A card is never a headline alone: a story whose text gave no sentence is left out.
    dropped = [
        _left_out(story, brief, "none of its text makes a sentence to brief")
        for story, brief in stories
        if not brief.sentences
    ]
    stories = [(story, brief) for story, brief in stories if brief.sentences]
    if measure:
        stories = _measured(stories, measure)
    if not stories:
        raise NoArticlesError(
            "no new story: each was told by an earlier issue or has no sentence to brief",
            tuple(dropped),
        )
    envelope = envelope_of(config)
    while True:
        digest = compose_digest(config, [brief for _, brief in stories], today)
        subject = distinct_subject(
            make_subject(config.send.subject, digest.title, digest.date, len(stories)), taken
        )
        email, faults, findings = _rendered(config, digest, subject, envelope)
        if email and not faults:
            over = _over_clip(email.html, len(stories))
            if not over:
                break
            # Past Gmail's clip the footer and its unsubscribe link are hidden: the
            # lowest-ranked stories make way.
            why = f"the issue would be over Gmail's clip budget of {CLIP_BYTES:,} bytes"
            faults = dict.fromkeys(range(len(stories) - over, len(stories)), why)
        dropped += (_left_out(*stories[n], faults[n]) for n in sorted(faults))
        stories = [pair for n, pair in enumerate(stories) if n not in faults]
        if not stories:
            raise NoArticlesError("every story failed a check", tuple(dropped))
    assert email is not None  # the loop ends on an email with no fault
    return Issue(
        id=issue_id(digest.title, digest.date, subject, email.html, email.text, envelope),
        title=digest.title,
        date=digest.date,
        subject=subject,
        html=email.html,
        text=email.text,
        stories=len(digest.briefs),
        web_html=email.web_html,
        digest=digest,
        items=tuple(item for story, _ in stories for a in story.articles for item in items_of(a)),
        dropped=tuple(dropped),
        sent_stories=tuple(remembered(brief) for brief in digest.briefs),
        envelope=envelope,
        findings=tuple(findings),
    )


def _measured(stories: list[tuple[Story, Brief]], measure: Measure) -> list[tuple[Story, Brief]]:
    """The stories with the sizes ``measure`` finds for their images of unknown size.

    Only images that came from the web are measured: an article from a local file has
    its image's size written beside it, or none, and a run that fetched nothing does not
    start fetching for its images.
    """
    unknown = [
        brief.image
        for story, brief in stories
        if brief.image and not brief.image_size and any(web_url(a.feed) for a in story.articles)
    ]
    sizes = measure(unknown) if unknown else {}
    return [
        (story, replace(brief, image_size=brief.image_size or sizes.get(brief.image or "")))
        for story, brief in stories
    ]


def envelope_of(config: Config) -> Envelope:
    """The envelope the configuration gives an issue made now."""
    return Envelope(
        sender=config.send.sender,
        list_id=config.send.list_id,
        # The very string the footer shows: a copy's own link replaces it in the body.
        unsubscribe_url=config.unsubscribe_url,
        unsubscribe_mailto=config.send.unsubscribe_mailto,
    )


def _repeats(brief: Brief, told: str | None) -> bool:
    """Whether an update's brief says nothing an earlier issue did not (a copy of a story
    sent before, under a new address): it is not shown again."""
    if told is None:
        return False
    earlier = _letters(told)
    repeated = all(_letters(sentence) in earlier for sentence in brief.sentences)
    if repeated:
        log.info("story %r left out: an earlier issue told all of it", brief.headline)
    return repeated


def _letters(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def _left_out(story: Story, brief: Brief, why: object) -> Problem:
    where = story.articles[0].url or story.articles[0].origin
    return Problem(where, f"story {brief.headline!r} left out: {why}")


def _rendered(
    config: Config, digest: Digest, subject: str, envelope: Envelope
) -> tuple[RenderedEmail | None, dict[int, object], list[Finding]]:
    """The email of ``digest``, the stories at fault in it (by position), and every
    finding of the checks."""
    try:
        email = _render(config, digest, subject)
    except TemplateError:
        # One story's text can break the document: that story is left out, not the
        # issue. If a plain stand-in story cannot be rendered either, or every story
        # renders alone, the templates are at fault.
        if _render_error(config, _STAND_IN, digest.date):
            raise
        faults: dict[int, object] = {
            n: f"it cannot be rendered ({error})"
            for n, brief in enumerate(digest.briefs)
            if (error := _render_error(config, brief, digest.date))
        }
        if not faults:
            raise
        return None, faults, []
    findings = lint_issue(config, email.html, email.text, digest, envelope)
    return email, dict(blame(findings, _items(digest))), findings


_STAND_IN = Brief(
    title="A plain story", headline="A plain story", sentences=("It has one plain sentence.",)
)


def _render(config: Config, digest: Digest, subject: str) -> RenderedEmail:
    return render_email(
        digest,
        config.templates_dir,
        lang=issue_language(config, digest.briefs),
        subject=subject,
        reading_time=config.reading_time,
    )


def _render_error(config: Config, brief: Brief, today: date) -> str | None:
    """Why an issue of ``brief`` alone cannot be rendered, if it cannot."""
    digest = compose_digest(config, [brief], today)
    try:
        _render(config, digest, make_subject(config.send.subject, digest.title, today, 1))
    except TemplateError as exc:
        return str(exc)
    return None


def find_stories(
    config: Config, articles: Sequence[Article], today: date, sent: Sequence[SentStory] = ()
) -> list[tuple[Story, str | None]]:
    """The stories among ``articles`` in reading order, each with what ``sent`` already
    told of it (None: nothing, it is no update).

    The sent stories join the grouping as articles of their own (their headline and
    brief); a story that takes one in is an update, and loses it again.
    """
    earlier = [
        Article(s.headline, s.text, SENT + s.key, ids=(SENT + s.key,), published=s.published)
        for s in sent
    ]
    settings = config.stories
    grouped = group_stories(
        [*articles, *earlier], threshold=settings.threshold, window_hours=settings.window_hours
    )
    told = {SENT + s.key: f"{s.headline}. {s.text}" for s in sent}
    found: dict[str, tuple[Story, str | None]] = {}
    for story in grouped:
        new = tuple(_without_sent(a) for a in story.articles if not _only_sent(a))
        if new:
            before = " ".join(told[i] for a in story.articles for i in a.ids if i in told)
            found[story_key(new)] = (Story(story_key(new), new), before or None)
    now = datetime.combine(today, time.max, tzinfo=UTC)
    ranked = rank_stories(
        (story for story, _ in found.values()),
        now,
        by=settings.rank,
        half_life_hours=settings.half_life_hours,
    )
    return [found[story.key] for story in ranked]


def brief_of_story(config: Config, story: Story, update: bool = False) -> Brief:
    """One brief for a story: its article's own, or one across all its outlets' articles."""
    if len(story.articles) == 1:
        brief = brief_of(config, story.articles[0])
    else:
        lead = story.articles[0]
        brief = summarize_story(
            story.articles,
            sentences=config.sentences,
            algorithm=config.algorithm,
            language=config.language,
        )
        brief = replace(brief, section=brief.section or lead.section)
    # One link per outlet, to its most representative article: an outlet that ran the
    # story twice (a follow-up) is still one outlet.
    outlets: dict[str, str] = {}
    for article in story.articles:
        if url := web_url(article.url):
            outlets.setdefault(article.source or _host(url), url)
    links = tuple(outlets.items())
    # Every place a story shows goes through here: the email, its text part, the archive's
    # pages and Atom feed, digest.json. A link that is no http(s) URL goes here too.
    image = web_url(brief.image, IMAGE)
    return replace(
        brief,
        url=web_url(brief.url),
        image=image,
        image_size=brief.image_size if image else None,
        key=story.key,
        update=update,
        links=links if len(links) > 1 else (),
        lang=story_language(config, brief),
    )


def story_language(config: Config, brief: Brief) -> str:
    """The HTML lang code of the language ``brief`` is written in: its script's, or else
    the one whose stop words it uses most (the configured language when unsure)."""
    text = " ".join([brief.headline, *brief.sentences])
    if lang := script_language(text):
        return lang
    configured = "english" if config.language == "auto" else config.language
    found = detect_language(text, default=configured)
    if found == configured and is_cyrillic(text) and html_lang(configured) not in ("ru", "uk"):
        return "ru"  # Cyrillic, and not Ukrainian by its stop words: Russian is likeliest
    return html_lang(found)


def issue_language(config: Config, briefs: Sequence[Brief]) -> str:
    """The issue's HTML lang: the configured language's, or with ``language = "auto"``
    the one most of its stories are in."""
    if config.language != "auto":
        return html_lang(config.language)
    return main_language([brief.lang for brief in briefs], "en")


def remembered(brief: Brief) -> SentStory:
    """What the store keeps of a story that goes out, to know it again."""
    return SentStory(brief.key or "", brief.headline, " ".join(brief.sentences), brief.published)


def lint_issue(
    config: Config,
    html: str,
    text: str,
    digest: Digest | None = None,
    envelope: Envelope | None = None,
) -> list[Finding]:
    """Every lint finding on an issue; an unsubscribe link is required once sending is set
    up, and it must be the envelope's (the configured one, without an envelope)."""
    return lint_email(
        html,
        text,
        _items(digest) if digest else None,
        unsubscribe_url=envelope.unsubscribe_url if envelope else config.unsubscribe_url,
        require_unsubscribe=bool(config.send.host or config.send.sender),
    )


def issue_findings(config: Config, issue: Issue) -> list[Finding]:
    """The findings that stop an issue read back from ``out/`` from going out: its files
    are checked as they are found (``make_issue`` gives a built issue its own). The
    unsubscribe link checked for is the one the issue was built with, which is the one it
    goes out with."""
    return lint_issue(config, issue.html, issue.text, issue.digest, issue.envelope)


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


def distinct_subject(subject: str, taken: Collection[str]) -> str:
    """``subject``, or, when an issue of the same day has it, ``subject (2)``, ``(3)``...

    A reader who gets two issues in one day (a run after a half-sent one, a `digest send`
    after a run) can tell them apart in the inbox and in the archive; a number reads the
    same in every language a newsletter is written in.
    """
    n = 1
    distinct = subject
    while distinct in taken:
        n += 1
        distinct = f"{subject} ({n})"
    return distinct


def issue_id(
    title: str, day: date, subject: str, html: str, text: str, envelope: Envelope | None = None
) -> str:
    """The id of an issue: its content's and its envelope's, so the same build is the
    same issue, and one built to go out under another sender is another issue."""
    parts: list[object] = [title, day.isoformat(), subject, html, text]
    if envelope is not None:
        parts.append(envelope.to_dict())
    content = json.dumps(parts, ensure_ascii=False)
    return hashlib.sha256(content.encode("utf-8")).hexdigest()[:32]


def _over_clip(html: str, stories: int) -> int:
    """How many stories to leave out for ``html`` to fit Gmail's clip (0: it fits), as
    estimated from its size as sent; the issue is rendered and measured again after."""
    size = sent_size(html)
    if size <= CLIP_BYTES or stories < 2:
        return 0
    return min(stories - 1, -(-(size - CLIP_BYTES) * stories // size))


def _only_sent(article: Article) -> bool:
    return bool(article.ids) and all(i.startswith(SENT) for i in article.ids)


def _without_sent(article: Article) -> Article:
    """A new article that near-duplicate merging joined to a sent story's stand-in."""
    if not any(i.startswith(SENT) for i in article.ids):
        return article
    return replace(article, ids=tuple(i for i in article.ids if not i.startswith(SENT)))


def _host(url: str) -> str:
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")


def section_order(config: Config) -> tuple[str, ...]:
    """Sections in configuration order: ``[digest] sections``, then the sources' own."""
    named = (source.section for source in config.sources if source.section)
    return tuple(dict.fromkeys([*config.sections, *named]))


def _items(digest: Digest | None) -> list[dict[str, object]]:
    return digest.to_dict()["items"] if digest else []
