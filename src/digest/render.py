"""Render: a Digest becomes an email (the only module that imports jinja2 and mjml).

The HTML part is Jinja2 over MJML, compiled by mjml-python; the plain-text part comes
from its own template over the same data, so both always carry the same items. The
archive's index page (``render_archive``) is plain Jinja2 HTML.
Templates in a user's directory win over the built-in ones, which stay reachable as
``builtin/NAME`` for ``{% extends %}``.
"""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import mjml
from markupsafe import Markup, escape

from digest.errors import TemplateError
from digest.langs import text_direction
from digest.models import Brief, Digest, ImageSize, RenderedEmail
from digest.shipped import shipped
from digest.urls import IMAGE, MAILTO, web_url

if TYPE_CHECKING:
    from digest.archive import Entry

HTML_TEMPLATE = "digest.mjml.j2"
TEXT_TEMPLATE = "digest.txt.j2"
ARCHIVE_TEMPLATE = "archive.html.j2"
CONTENTS_MIN = 3  # an "In this issue" list from this many stories up
PREHEADER_LIMIT = 140
# Inbox previews show up to about 200 characters; past the preheader they would run on
# into the email's first lines, so the template fills the rest with blank characters.
PREHEADER_SPAN = 200


def builtin_templates() -> Path:
    """The built-in templates: inside the installed package, or in a source checkout."""
    return shipped("templates/email")


@dataclass(frozen=True)
class Section:
    """The briefs shown under one heading; ``name`` is None for the unnamed section.

    ``first`` is the number of its first story in the issue (1 for the top story): the
    stories' anchors (``#story-N``) and the plain text's list use these numbers.
    """

    name: str | None
    briefs: tuple[Brief, ...]
    first: int = 1

    @property
    def stories(self) -> tuple[tuple[int, Brief], ...]:
        """The briefs with their numbers."""
        return tuple(enumerate(self.briefs, self.first))


def render_email(
    digest: Digest,
    templates_dir: Path | None = None,
    lang: str = "en",
    subject: str | None = None,
    reading_time: bool = False,
) -> RenderedEmail:
    """The HTML and plain-text parts of ``digest``, its subject and its web version.

    ``subject`` is the email's subject, also the HTML title; by default title and date.
    ``reading_time`` adds "N min read" to each story.
    """
    subject = subject or f"{digest.title} · {long_date(digest.date)}"
    sections = group_sections(digest)
    stories = [story for section in sections for story in section.stories]
    preheader = make_preheader(digest)
    context: dict[str, Any] = {
        "digest": digest,
        "subject": subject,
        "preheader": preheader,
        "preheader_fill": max(0, PREHEADER_SPAN - len(preheader)),
        "lang": lang,
        "sections": sections,
        "contents": stories if len(stories) >= CONTENTS_MIN else [],
        # h1 title, h2 "In this issue" and sections, stories h3 under a section's h2 and
        # h2 when there is none, so the outline never skips a level.
        "story_level": 3 if any(section.name for section in sections) else 2,
        "reading_time": reading_time,
        "web_url": web_url(digest.web_url),
        "unsubscribe_url": web_url(digest.unsubscribe_url, MAILTO),
        "web": False,
    }
    html_env, text_env = _environments(templates_dir, _template_names(templates_dir))
    html = _compile(_render(html_env, HTML_TEMPLATE, context))
    web_html = with_main(_compile(_render(html_env, HTML_TEMPLATE, {**context, "web": True})))
    text = _render(text_env, TEXT_TEMPLATE, context).strip() + "\n"
    return RenderedEmail(subject=subject, html=html, text=text, web_html=web_html)


def group_sections(digest: Digest) -> tuple[Section, ...]:
    """Briefs grouped by section: the configured order, then others as met, then unnamed."""
    order = dict.fromkeys([*digest.sections, *(b.section for b in digest.briefs if b.section)])
    groups = [Section(name, tuple(b for b in digest.briefs if b.section == name)) for name in order]
    groups.append(Section(None, tuple(b for b in digest.briefs if not b.section)))
    numbered, first = [], 1
    for group in groups:
        if group.briefs:
            numbered.append(replace(group, first=first))
            first += len(group.briefs)
    return tuple(numbered)


def render_archive(entries: Sequence[Entry], lang: str = "en") -> str:
    """The archive's index page: every issue in ``entries``, newest first."""
    newest = list(reversed(entries))
    title = newest[0].title if newest else "Digest"
    context: dict[str, object] = {"entries": newest, "title": title, "lang": lang}
    html_env, _ = _environments(None)
    return _render(html_env, ARCHIVE_TEMPLATE, context)


def _compile(source: str) -> str:
    try:
        html = mjml.mjml2html(source, disable_comments=True, fonts={})
    except Exception as exc:  # mjml-python raises plain exceptions for bad MJML
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TemplateError(f"{HTML_TEMPLATE}: not valid MJML: {message}") from exc
    # MJML has no id for <body>; Gmail's data-detector reset ("u + #body a") needs one.
    return html.replace("<body ", '<body id="body" ', 1)


def with_main(html: str) -> str:
    """The web page with its content in a ``<main>`` landmark: a page in a browser needs
    one (an email body does not: the mail client's own page is around it)."""
    start = html.find(">", html.find("<body")) + 1
    end = html.rfind("</body>")
    if not start or end < start:
        return html
    return f"{html[:start]}<main>{html[start:end]}</main>{html[end:]}"


def make_preheader(digest: Digest) -> str:
    """The line mail clients show after the subject: the first headlines."""
    preheader = ""
    for brief in digest.briefs:
        candidate = f"{preheader} · {brief.headline}" if preheader else brief.headline
        if len(candidate) > PREHEADER_LIMIT:
            break
        preheader = candidate
    return preheader or digest.title


def _render(env: jinja2.Environment, name: str, context: dict[str, object]) -> str:
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template not found: {exc.name}") from exc
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.filename or exc.name}:{exc.lineno}: {exc.message}") from exc
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{name}: {exc}") from exc


def _template_names(templates_dir: Path | None) -> tuple[str, ...]:
    if templates_dir is None or not templates_dir.is_dir():
        return ()
    return tuple(sorted(str(p.relative_to(templates_dir)) for p in templates_dir.rglob("*")))


@functools.lru_cache(maxsize=8)
def _environments(
    templates_dir: Path | None, names: tuple[str, ...] = ()
) -> tuple[jinja2.Environment, jinja2.Environment]:
    # Cached: compiling the templates costs more than rendering them. Jinja checks an
    # edited template's modification time on each use; ``names`` (the user's templates)
    # is part of the key so that a newly added template replaces the built-in one.
    builtin = jinja2.FileSystemLoader(builtin_templates())
    loaders: list[jinja2.BaseLoader] = [jinja2.PrefixLoader({"builtin": builtin})]
    if templates_dir is not None:
        loaders.insert(0, jinja2.FileSystemLoader(templates_dir))
    loaders.append(builtin)
    loader = jinja2.ChoiceLoader(loaders)
    html_env = jinja2.Environment(
        loader=loader, autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True
    )
    text_env = jinja2.Environment(
        loader=loader,
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    for env in (html_env, text_env):
        env.filters.update(
            long_date=long_date,
            short_date=short_date,
            oneline=oneline,
            wrap=wrap,
            safe_url=safe_url,
            image_url=image_url,
            image_box=image_box,
            lines=lines,
            text_direction=text_direction,
            lang_attributes=lang_attributes,
        )
    return html_env, text_env


def long_date(value: date) -> str:
    return f"{value:%A}, {value.day} {value:%B %Y}"


def short_date(value: date | datetime) -> str:
    return f"{value.day} {value:%b %Y}"


def oneline(value: str) -> str:
    """Whitespace collapsed: MRML corrupts attribute values that hold line breaks."""
    return " ".join(str(value).split())


def wrap(value: str, width: int = 72) -> str:
    return textwrap.fill(str(value), width=width, break_long_words=False, break_on_hyphens=False)


def safe_url(value: str | None) -> str | None:
    """A link the email may hold: an absolute http(s) URL (see ``digest.urls.web_url``).

    A feed's ``javascript:`` or relative link must never become a link in the email.
    """
    return web_url(value)


def image_url(value: str | None) -> str | None:
    """An image address the email may show: absolute https only (mail clients block others)."""
    return web_url(value, IMAGE)


def image_box(size: ImageSize | None, column: int) -> ImageSize | None:
    """The width and height to show an image of ``size`` at in a ``column`` px wide slot:
    its own shape, no wider than the slot nor than the image itself; None if unknown."""
    if not size:
        return None
    width, height = size
    shown = min(width, column)
    return shown, max(1, round(shown * height / width))


def lang_attributes(brief: Brief, lang: str) -> Markup:
    """`` lang="…"`` (and `` dir="…"``) for a story in another language than the issue's
    ``lang``, so that it is read in its own voice and runs its own way; else nothing."""
    if not brief.lang or brief.lang == lang:
        return Markup("")
    attributes = f' lang="{escape(brief.lang)}"'
    if (direction := text_direction(brief.lang)) != text_direction(lang):
        attributes += f' dir="{direction}"'
    return Markup(attributes)


def lines(value: str | None) -> list[str]:
    """The non-blank lines of ``value``, each with its whitespace collapsed."""
    return [oneline(line) for line in str(value or "").splitlines() if line.strip()]
