"""The stages in order: sources -> articles -> briefs -> digest -> email -> files."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from digest.config import Config
from digest.errors import DigestError, NoArticlesError
from digest.ingest import collect_articles
from digest.models import Article, Digest, Problem, RenderedEmail
from digest.render import render_email
from digest.summarize import summarize

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildResult:
    digest: Digest
    email: RenderedEmail
    problems: tuple[Problem, ...]
    files: tuple[Path, ...]


def build(config: Config, today: date | None = None, out_dir: Path | None = None) -> BuildResult:
    """Build the digest from the configured sources and write it to ``out_dir``."""
    ingested = collect_articles(config.sources)
    if not ingested.articles:
        where = ", ".join(str(s.path) for s in config.sources)
        raise NoArticlesError(f"no usable article found in {where}")
    articles = order_articles(ingested.articles)
    if len(articles) > config.max_items:
        log.info("keeping the %d newest of %d articles", config.max_items, len(articles))
        articles = articles[: config.max_items]
    briefs = tuple(
        summarize(
            article,
            sentences=config.sentences,
            algorithm=config.algorithm,
            language=config.language,
        )
        for article in articles
    )
    digest = Digest(
        title=config.title, date=today or date.today(), briefs=briefs, intro=config.intro
    )
    email = render_email(digest, config.templates_dir)
    files = write_outputs(digest, email, out_dir or config.out_dir)
    return BuildResult(digest, email, ingested.problems, files)


def order_articles(articles: Iterable[Article]) -> list[Article]:
    """Newest first; undated articles after the dated ones, in the order found."""
    dated = sorted((a for a in articles if a.published), key=_published, reverse=True)
    return dated + [a for a in articles if not a.published]


def _published(article: Article) -> datetime:
    assert article.published is not None
    return article.published


def write_outputs(digest: Digest, email: RenderedEmail, out_dir: Path) -> tuple[Path, ...]:
    """Write the HTML, text and JSON forms of the digest; each file appears whole or not at all."""
    outputs = {
        "digest.html": email.html,
        "digest.txt": email.text,
        "digest.json": json.dumps(digest.to_dict(), ensure_ascii=False, indent=2) + "\n",
    }
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, content in outputs.items():
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
