"""Markdown with optional front matter, reduced to metadata and paragraphs of text."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import yaml

_FRONT_MATTER = re.compile(r"\A(---|\+\+\+)[ \t]*\n(.*?)\n\1[ \t]*(?:\n|\Z)", re.DOTALL)
_FENCE = re.compile(r"^(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|(\d+)[.)])\s+")
_REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*\S+")
_INLINE = [
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),  # images
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # [text](url)
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # [text][ref]
    (re.compile(r"<(https?://[^>]+)>"), r"\1"),  # autolinks
    (re.compile(r"<[^>]+>"), ""),  # inline HTML
    (re.compile(r"`([^`]*)`"), r"\1"),
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"(?<![\w*])([*_])(?!\s)(.+?)(?<!\s)\1(?![\w*])"), r"\2"),
]


class FrontMatterError(ValueError):
    pass


def split_front_matter(source: str) -> tuple[dict[str, Any], str]:
    """Front matter (YAML between ``---`` or TOML between ``+++``) and the body."""
    match = _FRONT_MATTER.match(source)
    if not match:
        return {}, source
    fence, raw = match.groups()
    try:
        meta = tomllib.loads(raw) if fence == "+++" else yaml.safe_load(raw)
    except (yaml.YAMLError, ValueError, tomllib.TOMLDecodeError) as exc:
        # ValueError: YAML reads "2024-02-30" as a date that does not exist.
        first_line = str(exc).splitlines()[0]
        raise FrontMatterError(f"front matter is not valid: {first_line}") from exc
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise FrontMatterError("front matter is not a mapping of keys to values")
    return meta, source[match.end() :]


def _inline_text(line: str) -> str:
    for pattern, replacement in _INLINE:
        line = pattern.sub(replacement, line)
    return line.strip()


def markdown_blocks(body: str) -> tuple[str | None, list[str]]:
    """The first level-one heading, if any, and the text paragraphs of ``body``.

    Headings, code blocks, rules and images are not article text and are left out;
    each list item is a paragraph of its own.
    """
    title: str | None = None
    blocks: list[str] = []
    current: list[str] = []
    in_fence = False

    def flush() -> None:
        if current:
            text = _inline_text(" ".join(current))
            if text:
                blocks.append(text)
            current.clear()

    for line in body.splitlines():
        if _FENCE.match(line.strip()):
            flush()
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        stripped = line.strip()
        heading = _HEADING.match(stripped)
        level = 0
        if heading:
            flush()
            level, text = len(heading.group(1)), heading.group(2)
        elif current and _SETEXT.match(stripped):
            level, text = (1 if stripped[0] == "=" else 2), " ".join(current)
            current.clear()
        if level:
            if level == 1 and title is None and not blocks:
                title = _inline_text(text)
            continue
        if not stripped or _RULE.match(stripped) or _REFERENCE.match(stripped):
            flush()
            continue
        stripped = stripped.lstrip(">").strip()
        item = _LIST_ITEM.match(stripped)
        # Only a list numbered from 1 can interrupt a paragraph: "in the spring of\n2027. The"
        if item and (not current or item.group(1) in (None, "1")):
            flush()
            stripped = _LIST_ITEM.sub("", stripped)
        current.append(stripped)
    flush()
    return title, blocks
