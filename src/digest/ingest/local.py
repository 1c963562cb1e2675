"""Articles from local files: Markdown, HTML and text scraped from web pages."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from digest.errors import InputError
from digest.ingest.clean import clean_blocks, has_article_text, is_boilerplate, safe_article
from digest.ingest.extract import extract_html
from digest.ingest.identity import item_id
from digest.ingest.image_size import declared_size
from digest.ingest.markdown import FrontMatterError, markdown_blocks, split_front_matter
from digest.models import Article, IngestResult, Problem, parse_datetime
from digest.urls import IMAGE, web_url

MARKDOWN = frozenset({".md", ".markdown"})
HTML = frozenset({".html", ".htm"})
TEXT = frozenset({".txt"})
SUFFIXES = MARKDOWN | HTML | TEXT

# Read no more of a file than this: an article is far smaller.
MAX_BYTES = 5 * 1024 * 1024


def load_directory(directory: Path, source: str | None = None) -> IngestResult:
    """Every article in ``directory`` (recursively); unusable files become problems."""
    if not directory.is_dir():
        problem = Problem(str(directory), "content directory not found")
        return IngestResult(problems=(problem,))
    articles: list[Article] = []
    problems: list[Problem] = []
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory)
        if any(part.startswith((".", "_")) for part in relative.parts) or path.is_dir():
            continue  # hidden files, drafts and folders
        try:
            articles.append(load_file(path, source=source))
        except InputError as exc:
            problems.append(Problem(exc.origin, f"skipped: {exc.reason}"))
    return IngestResult(tuple(articles), tuple(problems))


class _Unusable(Exception):
    pass


def load_file(path: Path, source: str | None = None) -> Article:
    """The article in one file; raises InputError saying why a file is unusable."""
    try:
        article = _load(path)
    except _Unusable as exc:
        raise InputError(str(path), str(exc)) from exc
    if source and not article.source:
        article = replace(article, source=source)
    return article


def _load(path: Path) -> Article:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise _Unusable(f"not a supported file type ({suffix or 'no extension'})")
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)
    except OSError as exc:
        raise _Unusable(f"cannot be read: {exc.strerror or exc}") from exc
    if len(data) > MAX_BYTES:
        raise _Unusable(f"larger than {MAX_BYTES // (1024 * 1024)} MB")
    if not data.strip():
        raise _Unusable("the file is empty")
    if b"\x00" in data[:8192]:
        raise _Unusable("a binary file, not text")

    origin = str(path)
    if suffix in HTML:
        article = _from_html(data, origin)
    else:
        text = _decode(data)
        article = (
            _from_markdown(text, origin, path) if suffix in MARKDOWN else _from_text(text, origin)
        )
    return article


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _Unusable(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); save it as UTF-8"
        ) from exc


def _from_text(text: str, origin: str) -> Article:
    """Text scraped from a page: the first line that is not boilerplate is the title."""
    lines = [line.strip() for line in text.splitlines()]
    title_at = next((i for i, line in enumerate(lines) if line and not is_boilerplate(line)), None)
    if title_at is None:
        raise _Unusable("nothing but boilerplate (navigation, sign-up, legal lines)")
    body = clean_blocks(_unwrap(lines[title_at + 1 :]))
    return _article(lines[title_at], body, origin)


def _unwrap(lines: list[str]) -> list[str]:
    """Join hard-wrapped lines: a line that stops mid-sentence continues on the next."""
    blocks: list[str] = []
    for line in lines:
        if (
            blocks
            and blocks[-1]
            and line
            and line[0].islower()
            and not blocks[-1].endswith((".", "!", "?", ":", '"', "”"))
        ):
            blocks[-1] += " " + line
        else:
            blocks.append(line)
    return blocks


def _from_markdown(text: str, origin: str, path: Path) -> Article:
    try:
        meta, body = split_front_matter(text)
    except FrontMatterError as exc:
        raise _Unusable(str(exc)) from exc
    heading, blocks = markdown_blocks(body)
    title = _text_value(meta.get("title")) or heading or _title_from_name(path)
    return _article(
        title,
        clean_blocks(blocks),
        origin,
        url=_web_url(meta.get("url") or meta.get("link")),
        source=_text_value(meta.get("source")),
        published=parse_datetime(meta.get("published") or meta.get("date")),
        author=_text_value(meta.get("author")),
        image=(image := _web_url(meta.get("image"))),
        image_size=(
            declared_size(meta.get("image_width"), meta.get("image_height")) if image else None
        ),
    )


def _from_html(data: bytes, origin: str) -> Article:
    extracted = extract_html(data)
    if extracted is None:
        raise _Unusable("no article text found in the page")
    blocks = extracted.text.splitlines()  # extract_html has cleaned them
    return _article(
        extracted.title or "",
        blocks,
        origin,
        url=web_url(extracted.url),
        source=extracted.site,
        published=parse_datetime(extracted.published),
        author=extracted.author,
        image=(image := web_url(extracted.image, IMAGE)),
        image_size=extracted.image_size if image else None,
    )


def _article(title: str, blocks: list[str], origin: str, **meta: Any) -> Article:
    title = " ".join(title.split())
    if blocks and blocks[0] == title:
        blocks = blocks[1:]
    if not has_article_text(blocks):
        raise _Unusable("no article text left after removing boilerplate")
    if not title:
        title = blocks[0] if len(blocks[0]) <= 90 else blocks[0][:90].rsplit(" ", 1)[0] + "…"
    text = "\n\n".join(blocks)
    # Remembered by its URL when it names one, else by its words: a moved or renamed
    # file is the same story, an edited one a new story.
    key = item_id(origin, None, meta.get("url"), title, text, stable=False)
    return safe_article(Article(title=title, text=text, origin=origin, ids=(key,), **meta))


def _text_value(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _web_url(value: Any) -> str | None:
    """An http(s) URL from front matter; "www.example.org/x" gets its missing scheme."""
    url = _text_value(value)
    if url and "://" not in url and re.match(r"^[\w-]+(\.[\w-]+)+(/|$)", url):
        url = "https://" + url
    return web_url(url)


def _title_from_name(path: Path) -> str:
    return re.sub(r"[-_]+", " ", path.stem).strip().capitalize()
