"""Sentence and word splitting that needs no downloaded data.

NLTK's punkt models cannot be assumed on a cron host, and rule-based splitters such
as pysbd cost about 12 ms per news article; these regular expressions cost well under
one and handle what news text needs: abbreviations, initials, decimals, quotes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.errors import HeaderParseError
from email.header import decode_header, make_header

# Words that end with a period without ending the sentence. Compared in lower case.
ABBREVIATIONS = frozenset(
    """
    mr mrs ms mx dr prof sr jr st mt ft rev hon pres gov sen rep gen col lt sgt capt cmdr
    adm maj cpl pvt supt det insp insp ave blvd rd hwy co corp inc ltd llc plc bros dept
    est approx vs etc cf al ed eds vol no nos pp fig figs ch sec art para
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun
    e.g i.e a.k.a u.s u.k u.n u.s.a e.u d.c n.y l.a ph.d m.d b.a m.a
    """.split()
)

# After these, a capitalised word still starts a new sentence ("... in the U.S. The ...").
_SENTENCE_STARTERS = frozenset(
    """
    a an the this that these those it its he she they we i you his her their our my
    but and so yet or in on at for if when while after before as since although though
    there here what who why how where
    """.split()
)

# A candidate boundary: terminal punctuation, optional closing quotes or brackets,
# whitespace, then something that can open a sentence.
_BOUNDARY = re.compile(
    r"""(?<=[.!?…])["'”’»)\]]*\s+(?=["'“‘«(\[]?[\w¿¡])"""
    r"""|(?<=[。！？])[」』）”’]*\s*(?=\S)""",
    re.UNICODE,
)
_LAST_TOKEN = re.compile(r"(\S+)$")
_HAN_KANA = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Chinese and Japanese script (Han, kana), written without spaces between words.
_CJK = re.compile(f"[{_HAN_KANA}\uff66-\uff9f]")
# Scripts that pack a word into a few characters (Han, kana, Hangul): a line of them is
# long in meaning though short in characters.
DENSE_SCRIPT = re.compile(f"[{_HAN_KANA}\uac00-\ud7af]")
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*", re.UNICODE)


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of ``text``: blocks separated by blank lines, inner lines joined."""
    blocks = re.split(r"\n\s*\n", text.strip())
    return [" ".join(block.split()) for block in blocks if block.strip()]


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` in order; a paragraph break always ends a sentence."""
    return [s for paragraph in split_paragraphs(text) for s in _split_paragraph(paragraph)]


def _split_paragraph(paragraph: str) -> Iterator[str]:
    start = 0
    for match in _BOUNDARY.finditer(paragraph):
        before, after = paragraph[start : match.start()], paragraph[match.end() : match.end() + 40]
        if _is_boundary(before, after) and not _inside_quote(before + match.group(), after):
            sentence = paragraph[start : match.start()] + match.group().rstrip()
            yield sentence.strip()
            start = match.end()
    rest = paragraph[start:].strip()
    if rest:
        yield rest


def _inside_quote(before: str, after: str) -> bool:
    """Whether a Chinese or Japanese sentence end is part of a quotation: 「行く。」と言った。"""
    if not before.rstrip().endswith(("。", "！", "？", "」", "』")):
        return False
    opened = before.count("「") + before.count("『") - before.count("」") - before.count("』")
    return opened > 0 or (before.rstrip()[-1] in "」』" and after.startswith(("と", "って")))


def _is_boundary(before: str, after: str) -> bool:
    if before.endswith(("!", "?", "…", "。", "！", "？")):
        return True
    token = _LAST_TOKEN.search(before)
    if token is None:
        return True
    word = token.group(1).lstrip("\"'“‘(«[").rstrip(".").lower()
    next_word = after.lstrip("\"'“‘«([").split(" ", 1)[0].lower()
    if not word:
        return True
    if after[:1].islower():
        return False  # "e.g. the", "approx. five"
    if len(word) == 1 and word.isalpha():
        return False  # an initial: "George W. Bush"
    if word in ABBREVIATIONS or re.fullmatch(r"(?:\w\.)+\w", word):
        # "Dr. Smith" continues; "in the U.S. The next day" ends a sentence.
        return next_word in _SENTENCE_STARTERS and word not in _TITLES
    return True


# Abbreviations that always precede a name, so never end a sentence.
_TITLES = frozenset(
    "mr mrs ms mx dr prof st mt rev hon pres gov sen rep gen col lt sgt capt cmdr adm maj".split()
)


def _unsafe_characters() -> dict[int, str | None]:
    """What ``safe_text`` does with each character no text from outside may carry."""
    table: dict[int, str | None] = dict.fromkeys(
        [
            *range(0x00, 0x09),  # C0 controls but tab and line feed...
            *range(0x0E, 0x20),
            *range(0x7F, 0xA0),  # ...DEL and the C1 controls
            *range(0xD800, 0xE000),  # lone surrogates (a str from JSON or a bad decode)
            *range(0xFDD0, 0xFDF0),  # noncharacters
            *(plane + end for plane in range(0, 0x110000, 0x10000) for end in (0xFFFE, 0xFFFF)),
            0x200B, 0x2060, 0xFEFF,  # zero-width space, word joiner, byte-order mark
            0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A),  # bidi controls
        ]
    )  # fmt: skip
    # Line breaks of other kinds are line breaks.
    table.update(dict.fromkeys([0x0B, 0x0C, 0x0D, 0x85, 0x2028, 0x2029], "\n"))
    return table


_UNSAFE = _unsafe_characters()

# A quick test for the table's characters: the Basic Multilingual Plane's, then any
# character beyond it (whose noncharacters the table holds; emoji send text there too).
_MAY_BE_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff\u200b\u200e\u200f"
    "\u202a-\u202e\u2060\u2066-\u2069\ufeff\u2028\u2029\U00010000-\U0010ffff]"
)


def safe_text(text: str) -> str:
    """``text`` without the characters that corrupt a document or hide what it says.

    Controls, noncharacters and lone surrogates make an XML or MJML parser (and so the
    whole issue) fail; bidi overrides and zero-width characters make a headline read
    other than it is. Tab and line feed stay; other line breaks become line feeds.
    """
    if not _MAY_BE_UNSAFE.search(text):
        return text
    return text.replace("\r\n", "\n").translate(_UNSAFE)


def words(text: str) -> list[str]:
    """Words of ``text`` (letters, with inner apostrophes and hyphens); no numbers.

    Chinese and Japanese characters are a word each: without a dictionary nothing better
    can be had, and a character carries about as much as a short word.
    """
    found = _WORD.findall(text)
    if not _CJK.search(text):
        return found
    return [part for word in found for part in (_CJK.findall(word) or [word])]


def count_words(text: str) -> int:
    """How many words ``text`` has, each Chinese or Japanese character counting as one."""
    if not _CJK.search(text):
        return len(text.split())
    rest = _CJK.sub(" ", text).split()  # what is left but punctuation: Latin words, numbers
    return len(_CJK.findall(text)) + sum(any(c.isalnum() for c in token) for token in rest)


def is_cjk(text: str) -> bool:
    """Whether ``text`` is mostly Chinese or Japanese characters."""
    return len(_CJK.findall(text)) * 2 > len(text.replace(" ", ""))


# What may not stand in a mail header, before or after decoding: a tab may fold one.
HEADER_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def decoded_header(value: str) -> str:
    """``value`` as a mail program shows it in a header: RFC 2047 encoded words
    (``=?utf-8?b?...?=``) decoded. ValueError when one cannot be decoded."""
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except (HeaderParseError, LookupError, UnicodeDecodeError) as exc:
        raise ValueError(f"{type(exc).__name__}: {exc}") from exc
