"""The stages in order: sources -> articles -> briefs -> digest -> email -> files."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from digest.config import Config, html_lang
from digest.errors import DigestError, NoArticlesError
from digest.ingest import collect_articles
from digest.lint import Finding, lint_email
from digest.models import Article, Brief, Digest, Problem, RenderedEmail
from digest.render import render_email
from digest.summarize import summarize
from digest.text import count_words

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildResult:
    digest: Digest
    email: RenderedEmail
    problems: tuple[Problem, ...]
    files: tuple[Path, ...]
    findings: tuple[Finding, ...] = field(default=())  # what `digest lint` would report


def build(
    config: Config,
    today: date | None = None,
    out_dir: Path | None = None,
    *,
    preview: bool = False,
) -> BuildResult:
    """Build the digest from the configured sources and write it to ``out_dir``.

    A ``preview`` build is for looking at: it must record nothing as used or sent.
    """
    ingested = collect_articles(config.sources)
    if not ingested.articles:
        where = ", ".join(str(s.path) for s in config.sources)
        raise NoArticlesError(f"no usable article found in {where}")
    articles = order_articles(ingested.articles)
    if len(articles) > config.max_items:
        log.info("keeping the %d newest of %d articles", config.max_items, len(articles))
        articles = articles[: config.max_items]
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
    issued = today or date.today()
    digest = Digest(
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
    email = render_email(digest, config.templates_dir, lang=html_lang(config.language))
    files = write_outputs(digest, email, out_dir or config.out_dir)
    findings = lint_email(
        email.html,
        email.text,
        digest.to_dict()["items"],
        unsubscribe_url=config.unsubscribe_url,
    )
    return BuildResult(digest, email, ingested.problems, files, tuple(findings))


def with_article_facts(brief: Brief, article: Article) -> Brief:
    """The brief with what the email shows from its article: section and length."""
    return replace(
        brief,
        section=brief.section or article.section,
        words=brief.words or count_words(article.text),
    )


def section_order(config: Config) -> tuple[str, ...]:
    """Sections in configuration order: ``[digest] sections``, then the sources' own."""
    # Sources gain a `section` setting in ingest; until then they have none.
    named = [getattr(source, "section", None) for source in config.sources]
    return tuple(dict.fromkeys([*config.sections, *(name for name in named if name)]))


def order_articles(articles: Iterable[Article]) -> list[Article]:
    """Newest first; undated articles after the dated ones, in the order found."""
    dated = sorted((a for a in articles if a.published), key=_published, reverse=True)
    return dated + [a for a in articles if not a.published]


def _published(article: Article) -> datetime:
    assert article.published is not None
    return article.published


def write_outputs(digest: Digest, email: RenderedEmail, out_dir: Path) -> tuple[Path, ...]:
    """Write the HTML, text and JSON forms of the digest and its web version.

    Each file appears whole or not at all. The web version goes to ``web/YYYY-MM-DD.html``
    so that past issues stay, ready to publish at ``web_url``.
    """
    outputs = {
        "digest.html": email.html,
        "digest.txt": email.text,
        "digest.json": json.dumps(digest.to_dict(), ensure_ascii=False, indent=2) + "\n",
    }
    if email.web_html is not None:
        outputs[f"web/{digest.date.isoformat()}.html"] = email.web_html
    try:
        for name, content in outputs.items():
            (out_dir / name).parent.mkdir(parents=True, exist_ok=True)
            write_atomic(out_dir / name, content)
    except OSError as exc:
        raise DigestError(f"{out_dir}: cannot write the digest: {exc.strerror or exc}") from exc
    return tuple(out_dir / name for name in outputs)


def write_atomic(path: Path, content: str) -> None:
    """Write to a temporary file beside ``path``, flush it to disk, then rename it over."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes files private; outputs are not
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
