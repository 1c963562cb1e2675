"""Languages as HTML knows them: the one a text's script shows, and which way it runs.

A story in Chinese, Arabic or Hebrew in an English issue gets a ``lang`` (and ``dir``) of
its own in the email, so a screen reader speaks it in the right voice and the text runs
the right way. The script says the language for the scripts that only one language
among the common ones is written in; for the Latin and Cyrillic alphabets, which many
share, the summarizer's stop words decide (``digest.summarize.detect_language``).
"""

from __future__ import annotations

import unicodedata
from collections import Counter

# Languages written right to left, as HTML lang codes.
RTL = frozenset({"ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv"})
# The first word of a letter's Unicode name, and the language its script stands for.
_SCRIPTS = {
    "CJK": "zh",
    "HIRAGANA": "ja",
    "KATAKANA": "ja",
    "HANGUL": "ko",
    "ARABIC": "ar",
    "HEBREW": "he",
    "GREEK": "el",
    "THAI": "th",
    "DEVANAGARI": "hi",
    "BENGALI": "bn",
    "TAMIL": "ta",
    "GEORGIAN": "ka",
    "ARMENIAN": "hy",
}
_SAMPLE = 2000  # characters: enough to tell a script, and cheap


def script_language(text: str) -> str | None:
    """The language that ``text``'s script shows (``"zh"``, ``"ar"``, ...), when most of
    its letters are of a script that one common language is written in; else None.

    Japanese mixes kana with Chinese characters: any kana makes it ``"ja"``.
    """
    scripts: Counter[str] = Counter()
    letters = 0
    for char in text[:_SAMPLE]:
        if not char.isalpha():
            continue
        letters += 1
        name = unicodedata.name(char, "")
        script = name.split(" ", 1)[0]
        if script in _SCRIPTS:
            scripts[_SCRIPTS[script]] += 1
    if not letters:
        return None
    if scripts["ja"] and scripts["ja"] + scripts["zh"] > letters / 2:
        return "ja"
    found = scripts.most_common(1)
    if found and found[0][1] > letters / 2:
        return found[0][0]
    return None


def is_cyrillic(text: str) -> bool:
    """Whether most of ``text``'s letters are Cyrillic."""
    letters = [c for c in text[:_SAMPLE] if c.isalpha()]
    cyrillic = sum(unicodedata.name(c, "").startswith("CYRILLIC") for c in letters)
    return bool(letters) and cyrillic * 2 > len(letters)


def text_direction(lang: str | None) -> str:
    """``"rtl"`` for a language written right to left, else ``"ltr"``."""
    return "rtl" if lang and lang.split("-")[0].lower() in RTL else "ltr"


def main_language(langs: list[str | None], default: str) -> str:
    """The language most of ``langs`` are in (the first of equals); ``default`` if none."""
    counted = Counter(lang for lang in langs if lang)
    return counted.most_common(1)[0][0] if counted else default
