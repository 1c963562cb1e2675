"""Score an HTML extractor on a labelled set of pages.

A set is a directory holding ``expected.jsonl`` (one row per page: ``id``, ``file``,
``url``, ``text``, ``title``, ``author``, ``date``) and the gzipped pages it names.

Metrics, per page and then averaged over pages:

* token precision, recall and F1: the extracted and the expected text as bags
  (multisets) of whitespace-separated tokens, compared as they are (no case folding);
* boilerplate: whether some line of the extracted text is boilerplate (see
  :func:`boilerplate_lines`); the score is the share of pages with at least one;
* milliseconds: the CPU time the extractor takes on the page's bytes (the median is
  reported; CPU, not wall time, so that other work on the machine does not count);
* metadata: the share of pages whose title, author or date (its first ten characters)
  matches the expected one, case and spacing aside, over the pages that have one;
* title_core_match: the share of titled pages whose title is the expected one or a run
  of its parts between separators (" - ", " | ", "_", ": " ...): labels often keep the
  site's name ("Story - Site"), which digest strips on purpose.
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from digest.errors import InputError
from digest.ingest.extract import Extracted, extract_html, extract_trafilatura

Extractor = Callable[[bytes, str | None], Extracted | None]

EXTRACTORS: dict[str, Extractor] = {
    "digest": extract_html,
    "trafilatura": extract_trafilatura,
}


@dataclass(frozen=True)
class Case:
    """One labelled page."""

    id: str
    path: Path
    url: str | None
    text: str
    title: str | None = None
    author: str | None = None
    date: str | None = None


@dataclass(frozen=True)
class PageScore:
    id: str
    precision: float
    recall: float
    f1: float
    boilerplate: tuple[str, ...]
    ms: float
    extracted: Extracted | None
    expected: dict[str, str | None]  # title, author, date of the set
    got: dict[str, str | None]  # the same fields as extracted


@dataclass(frozen=True)
class Report:
    """The scores of one extractor on one set."""

    set: str
    extractor: str
    pages: tuple[PageScore, ...]

    @property
    def precision(self) -> float:
        return _mean(p.precision for p in self.pages)

    @property
    def recall(self) -> float:
        return _mean(p.recall for p in self.pages)

    @property
    def f1(self) -> float:
        return _mean(p.f1 for p in self.pages)

    @property
    def boilerplate_share(self) -> float:
        return _mean(1.0 if p.boilerplate else 0.0 for p in self.pages)

    @property
    def median_ms(self) -> float:
        return statistics.median(p.ms for p in self.pages) if self.pages else 0.0

    def _match(self, field: str) -> float | None:
        pairs = [(p.expected[field], p.got[field]) for p in self.pages if p.expected[field]]
        if not pairs:
            return None
        return _mean(1.0 if _same(field, want, got) else 0.0 for want, got in pairs)

    def _core_titles(self) -> float | None:
        pairs = [(p.expected["title"], p.got["title"]) for p in self.pages if p.expected["title"]]
        if not pairs:
            return None
        return _mean(
            1.0 if got and _normal(got) in title_parts(want) else 0.0 for want, got in pairs
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "set": self.set,
            "extractor": self.extractor,
            "pages": len(self.pages),
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "boilerplate_share": round(self.boilerplate_share, 4),
            "median_ms": round(self.median_ms, 1),
            **{
                f"{field}_match": None if (share := self._match(field)) is None else round(share, 4)
                for field in ("title", "author", "date")
            },
            "title_core_match": None if (core := self._core_titles()) is None else round(core, 4),
        }


def _same(field: str, want: str | None, got: str | None) -> bool:
    if not want or not got:
        return False
    if field == "date":
        return want[:10] == got[:10]
    return _normal(want) == _normal(got)


_TITLE_SEPARATOR = re.compile(r"\s+[-–—|·•»›>/:~@]+\s+|\s*(?:\||_|::)\s*|(?<=\S):\s+|\s+\[")


def title_parts(title: str) -> set[str]:
    """``title`` and every run of its parts between separators, normalised."""
    bounds = [0]
    for match in _TITLE_SEPARATOR.finditer(title):
        bounds.extend((match.start(), match.end()))
    bounds.append(len(title))
    spans = list(zip(bounds[::2], bounds[1::2], strict=True))
    return {
        _normal(title[start:end].strip(" []"))
        for i, (start, _) in enumerate(spans)
        for (_, end) in spans[i:]
    }


def _mean(values: Iterator[float] | Any) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def token_scores(predicted: str, expected: str) -> tuple[float, float, float]:
    """Precision, recall and F1 of ``predicted`` against ``expected`` as bags of tokens.

    Two empty texts agree fully; an empty text against a non-empty one scores zero.
    """
    got, want = Counter(predicted.split()), Counter(expected.split())
    if not got and not want:
        return 1.0, 1.0, 1.0
    if not got or not want:
        return 0.0, 0.0, 0.0
    common = sum((got & want).values())
    precision = common / sum(got.values())
    recall = common / sum(want.values())
    f1 = 2 * precision * recall / (precision + recall) if common else 0.0
    return precision, recall, f1


# The metric's own idea of boilerplate, written apart from digest.ingest.clean so the
# score does not simply repeat the cleaner's rules back to it: a line is boilerplate when
# it is short, matches one of these shapes, and is not part of the expected text.
_SOCIAL = r"(facebook|twitter|x|whatsapp|linkedin|pinterest|reddit|email|e-mail|print|copy link)"
_BOILERPLATE_SHAPES = [
    # sign-up prompts
    r"\b(sign up|signup|subscribe|newsletter|inbox)\b",
    # copyright and legal lines
    r"(©|\bcopyright\b|all rights reserved|privacy policy|terms of (use|service))",
    # share prompts: "Share on Facebook", "Tweet", "Facebook Twitter Email"
    rf"^(share|tweet|follow us)\b.{{0,40}}$|^{_SOCIAL}(\W+{_SOCIAL})+\W*$",
    # published / updated lines
    r"^(published|updated|last updated|posted|first published)\b",
    # related-links lines
    r"^(read more|related|see also|more from|recommended|most read|read next|also read|"
    r"more on this|you may also like|further reading)\b",
    # advertisement markers
    r"^(advertisement|advertising|sponsored|ad)\b",
    # photo captions and credits: "Photo: ...", "Image by ...", "Jane Doe/Getty Images"
    r"^(photo(graph)?|image|picture|credit|caption|illustration)s?\b\s*(:|by\b|,)|"
    r"\b(photo|image|photograph|illustration)s? (by|courtesy of)\b|getty images|"
    r"\w\s*/\s*(ap|afp|reuters|epa|shutterstock|alamy)\b|\((ap|afp|reuters) photo",
]
_BOILERPLATE = re.compile("|".join(f"(?:{shape})" for shape in _BOILERPLATE_SHAPES), re.I)
_BOILERPLATE_MAX_WORDS = 25


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def boilerplate_lines(predicted: str, expected: str) -> list[str]:
    """The lines of ``predicted`` the metric counts as boilerplate.

    A line counts when it has at most 25 words, matches one of the boilerplate shapes
    (sign-up, copyright/legal, share, published/updated, related links, advertisement,
    photo caption or credit), and does not occur in the expected text.
    """
    want = _normal(expected)
    found = []
    for line in predicted.splitlines():
        normal = _normal(line)
        if (
            normal
            and len(normal.split()) <= _BOILERPLATE_MAX_WORDS
            and _BOILERPLATE.search(normal)
            and normal not in want
        ):
            found.append(line.strip())
    return found


def load_cases(directory: Path) -> list[Case]:
    """The labelled pages of the set in ``directory``."""
    index = directory / "expected.jsonl"
    if not index.is_file():
        raise InputError(str(directory), "not an extraction set: no expected.jsonl in it")
    cases = []
    with index.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                case = Case(
                    id=str(row["id"]),
                    path=directory / row["file"],
                    url=row.get("url"),
                    text=row.get("text") or "",
                    title=row.get("title"),
                    author=row.get("author"),
                    date=row.get("date"),
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise InputError(f"{index}:{number}", f"not a valid row ({exc})") from exc
            cases.append(case)
    return cases


def read_page(path: Path) -> bytes:
    """The bytes of a page, gunzipped when its name ends in .gz."""
    try:
        data = path.read_bytes()
        return gzip.decompress(data) if path.suffix == ".gz" else data
    except (OSError, EOFError) as exc:
        raise InputError(str(path), f"cannot be read: {exc}") from exc


def score_page(case: Case, extractor: Extractor, with_title: bool = False) -> PageScore:
    """Score one page; ``with_title`` scores the title and text together (see evaluate)."""
    page = read_page(case.path)
    start = time.process_time()
    extracted = extractor(page, case.url)
    ms = (time.process_time() - start) * 1000
    text = extracted.text if extracted else ""
    if with_title and extracted and extracted.title:
        text = f"{extracted.title}\n{text}"
    precision, recall, f1 = token_scores(text, case.text)
    return PageScore(
        id=case.id,
        precision=precision,
        recall=recall,
        f1=f1,
        boilerplate=tuple(boilerplate_lines(text, case.text)),
        ms=ms,
        extracted=extracted,
        expected={"title": case.title, "author": case.author, "date": case.date},
        got={
            "title": extracted.title if extracted else None,
            "author": extracted.author if extracted else None,
            "date": extracted.published if extracted else None,
        },
    )


def evaluate(directory: Path, extractor: str = "digest", *, with_title: bool = False) -> Report:
    """Score ``extractor`` (a name in EXTRACTORS) on every page of the set in ``directory``.

    ``with_title`` is for sets whose labelled text is the page's whole content block,
    headline included (dragnet): the extractor's title is scored as the text's first line,
    so a missing headline costs recall and a site name for one costs precision.
    """
    function = EXTRACTORS[extractor]
    cases = load_cases(directory)
    pages = tuple(score_page(case, function, with_title) for case in cases)
    name = extractor + (" (title + text)" if with_title else "")
    return Report(set=directory.name, extractor=name, pages=pages)


def prediction_row(page: PageScore) -> dict[str, Any]:
    """One line of the --predictions file."""
    extracted = page.extracted
    return {
        "id": page.id,
        "text": extracted.text if extracted else "",
        "title": extracted.title if extracted else None,
        "author": extracted.author if extracted else None,
        "published": extracted.published if extracted else None,
    }
