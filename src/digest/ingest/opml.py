"""The feeds listed in an OPML file (the usual export of feed readers)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

MAX_BYTES = 5 * 1024 * 1024


class OpmlError(Exception):
    """The file is not a readable OPML list of feeds; the message says why."""


@dataclass(frozen=True)
class Outline:
    url: str
    title: str | None = None


def read_opml(path: Path) -> list[Outline]:
    """Every feed the OPML file at ``path`` lists; see ``parse_opml``."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)
    except OSError as exc:
        raise OpmlError(f"cannot be read: {exc.strerror or exc}") from exc
    return parse_opml(data)


def parse_opml(data: bytes) -> list[Outline]:
    """Every outline with an ``xmlUrl``, nested ones included, each URL once."""
    if len(data) > MAX_BYTES:
        raise OpmlError("larger than 5 MB")
    try:
        # expat refuses entity expansion bombs and does not fetch external entities.
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise OpmlError(f"not well-formed XML: {exc}") from exc
    if root.tag.lower() != "opml":
        raise OpmlError(f"not OPML (the root element is <{root.tag}>)")
    outlines: dict[str, Outline] = {}
    for node in root.iter("outline"):
        url = (node.get("xmlUrl") or node.get("xmlurl") or "").strip()
        if url and url not in outlines:
            title = node.get("title") or node.get("text")
            outlines[url] = Outline(url, " ".join(title.split()) if title else None)
    if not outlines:
        raise OpmlError("lists no feeds (no outline has an xmlUrl)")
    return list(outlines.values())
