"""Item filters: the include and exclude rules of ``[filters]`` and each ``[[sources]]``.

A rule is a word or phrase, matched as whole words and ignoring case, or a regular
expression between slashes (``/pattern/``), searched ignoring case. A ``title:``,
``text:`` or ``author:`` prefix looks only there; without one, a rule looks at the title
and the text. Pure: no configuration, no files, no network.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from digest.models import Article

T = TypeVar("T")
FIELDS = ("title", "text", "author")
_FIELD = re.compile(rf"^\s*({'|'.join(FIELDS)})\s*:", re.IGNORECASE)


class RuleError(ValueError):
    """A rule that cannot be used: an empty one, or a regular expression with an error."""


@dataclass(frozen=True)
class Rule:
    """One include or exclude entry, compiled."""

    written: str  # as the configuration has it: for messages and `digest sources`
    pattern: re.Pattern[str]
    field: str | None = None  # title, text or author; None: the title and the text

    def matches(self, article: Article) -> bool:
        if self.field is None:
            haystack = f"{article.title}\n{article.text}"
        else:
            haystack = getattr(article, self.field) or ""
        return self.pattern.search(haystack) is not None


def parse_rule(written: str) -> Rule:
    """The rule ``written`` stands for; RuleError when it is empty or a bad expression."""
    field = None
    body = written
    if prefix := _FIELD.match(written):
        field = prefix.group(1).lower()
        body = written[prefix.end() :]
    body = body.strip()
    if len(body) >= 2 and body.startswith("/") and body.endswith("/"):
        expression = body[1:-1]
        if not expression:
            raise RuleError("an empty regular expression")
        try:
            pattern = re.compile(expression, re.IGNORECASE)
        except re.error as exc:
            raise RuleError(f"not a valid regular expression: {exc}") from exc
    elif body:
        pattern = re.compile(rf"(?<!\w){re.escape(body)}(?!\w)", re.IGNORECASE)
    else:
        raise RuleError("nothing to match")
    return Rule(written.strip(), pattern, field)


@dataclass(frozen=True)
class Filters:
    """Include and exclude rules. An item stays when it matches a rule of every include
    list (``[filters]``'s and its source's: each one that is not empty) and no exclude rule.
    """

    includes: tuple[tuple[Rule, ...], ...] = ()  # one list per level; empty ones left out
    exclude: tuple[Rule, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.includes or self.exclude)

    def then(self, other: Filters) -> Filters:
        """These filters and ``other``'s: an item must pass both."""
        return Filters(self.includes + other.includes, self.exclude + other.exclude)

    def removed_by(self, article: Article) -> str | None:
        """Which rule removes ``article`` (as `digest sources` shows it), or None: it stays.

        An item that several rules would remove counts for the first: includes, then
        excludes, each in the order written, ``[filters]`` before the source's own.
        """
        for rules in self.includes:
            if not any(rule.matches(article) for rule in rules):
                return "include " + ", ".join(rule.written for rule in rules)
        for rule in self.exclude:
            if rule.matches(article):
                return f"exclude {rule.written}"
        return None


NO_FILTERS = Filters()


def make_filters(include: Iterable[Rule] = (), exclude: Iterable[Rule] = ()) -> Filters:
    """One level's filters: an empty include list lets everything through."""
    include = tuple(include)
    return Filters((include,) if include else (), tuple(exclude))


def apply_filters(
    items: Iterable[T], article: Callable[[T], Article], filters: Filters
) -> tuple[list[T], dict[str, int]]:
    """The items ``filters`` keep, in order, and how many items each rule removed."""
    kept: list[T] = []
    removed: dict[str, int] = {}
    for item in items:
        rule = filters.removed_by(article(item)) if filters else None
        if rule is None:
            kept.append(item)
        else:
            removed[rule] = removed.get(rule, 0) + 1
    return kept, removed
