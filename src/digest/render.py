"""Render: a Digest becomes an email (the only module that imports jinja2 and mjml).

The HTML part is Jinja2 over MJML, compiled by mjml-python; the plain-text part comes
from its own template over the same data, so both always carry the same items.
Templates in a user's directory win over the built-in ones, which stay reachable as
``builtin/NAME`` for ``{% extends %}``.
"""

from __future__ import annotations

import textwrap
from datetime import date, datetime
from pathlib import Path

import jinja2
import mjml

from digest.errors import DigestError
from digest.models import Digest, RenderedEmail

HTML_TEMPLATE = "digest.mjml.j2"
TEXT_TEMPLATE = "digest.txt.j2"
PREHEADER_LIMIT = 140


def builtin_templates() -> Path:
    """The built-in templates: inside the installed package, or in a source checkout."""
    packaged = Path(__file__).parent / "templates" / "email"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates" / "email"


class TemplateError(DigestError):
    hint = "check your templates directory; built-in templates are in templates/email/"


def render_email(
    digest: Digest, templates_dir: Path | None = None, lang: str = "en"
) -> RenderedEmail:
    """The HTML and plain-text parts of ``digest``, with its subject."""
    subject = f"{digest.title} · {long_date(digest.date)}"
    context = {
        "digest": digest,
        "subject": subject,
        "preheader": make_preheader(digest),
        "lang": lang,
    }
    html_env, text_env = _environments(templates_dir)
    source = _render(html_env, HTML_TEMPLATE, context)
    try:
        html = mjml.mjml2html(source, disable_comments=True, fonts={})
    except Exception as exc:  # mjml-python raises plain exceptions for bad MJML
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TemplateError(f"{HTML_TEMPLATE}: not valid MJML: {message}") from exc
    text = _render(text_env, TEXT_TEMPLATE, context).strip() + "\n"
    return RenderedEmail(subject=subject, html=html, text=text)


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


def _environments(templates_dir: Path | None) -> tuple[jinja2.Environment, jinja2.Environment]:
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
        env.filters.update(long_date=long_date, short_date=short_date, oneline=oneline, wrap=wrap)
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
