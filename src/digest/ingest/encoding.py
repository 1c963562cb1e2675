"""Bytes to text for web pages: the declared charset, else one detected, and mojibake repaired.

The only module that imports charset-normalizer and ftfy.
"""

from __future__ import annotations

import codecs
import re

import ftfy
from charset_normalizer import from_bytes

# Where a page declares its charset: <meta charset="x"> or <meta http-equiv ... content="...;
# charset=x">. Browsers look in the first 1024 bytes; pages put scripts first, so look further.
_META_CHARSET = re.compile(rb"<meta[^>]+?charset\s*=\s*[\"']?\s*([\w:.-]+)", re.IGNORECASE)
_DECLARATION_BYTES = 8192
# What browsers read a declared legacy charset as (the WHATWG encoding standard): a page
# labelled ISO-8859-1 is windows-1252, GB2312 is GBK and so GB18030, Shift_JIS is cp932.
_BROWSER_NAMES = {
    "ascii": "cp1252",
    "latin_1": "cp1252",
    "iso8859_9": "cp1254",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "big5": "big5hkscs",
}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Detection reads this much: enough text for the statistics, little time.
_DETECT_BYTES = 64_000


def decode_html(body: bytes, charset: str | None = None) -> str:
    """The text of the HTML page ``body``; ``charset`` is the one its HTTP header names.

    A byte order mark decides; then valid UTF-8 is UTF-8 (servers and pages often label
    UTF-8 as ISO-8859-1); then the page's own ``<meta>`` charset, then the HTTP one; then
    the charset charset-normalizer detects in the bytes; windows-1252 as the last resort.
    """
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body.decode(name, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _META_CHARSET.search(body[:_DECLARATION_BYTES])
    for label in (declared.group(1).decode("ascii", "ignore") if declared else None, charset):
        text = _decode_as(body, label)
        if text is not None:
            return text
    text = _decode_as(body, _detected(body[:_DETECT_BYTES]))
    return text if text is not None else body.decode("cp1252", errors="replace")


def _detected(body: bytes) -> str | None:
    """The charset charset-normalizer finds likeliest for ``body``.

    Where windows-1252 reads the bytes as well as the winner (a Western page whose few
    accented letters cannot tell cp1250 from cp1252), it wins, as in browsers.
    """
    matches = from_bytes(body)
    best = matches.best()
    if best is None:
        return None
    for match in matches:
        if match.encoding == "cp1252" and (match.chaos, -match.coherence) <= (
            best.chaos,
            -best.coherence,
        ):
            return "cp1252"
    return best.encoding


def _decode_as(body: bytes, label: str | None) -> str | None:
    """``body`` decoded as ``label`` reads in a browser; None when unknown or it does not fit."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().lower()).name
    except LookupError:
        return None
    name = _BROWSER_NAMES.get(name.replace("-", "_"), name)
    try:
        return body.decode(name)
    except UnicodeDecodeError:
        return None


# UTF-8's lead bytes read as windows-1252 or latin-1, then one of its continuation bytes:
# what mojibake always holds, and clean text almost never does. ftfy decides the rest.
_MOJIBAKE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
    "\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a"
    "\u20ac\u2122]"
)


def has_mojibake(text: str) -> bool:
    """Whether ``text`` looks like UTF-8 read as windows-1252 ("Watersâ€\u2122")."""
    return _MOJIBAKE.search(text) is not None


def repair_text(text: str) -> str:
    """``text`` with mojibake undone: UTF-8 read as windows-1252, "â€\u2122" back to "\u2019"."""
    return ftfy.fix_encoding(text) if has_mojibake(text) else text
