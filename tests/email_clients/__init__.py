"""What an email's HTML uses, named as Can I email names its features.

``features_of(html)`` lists the HTML elements, attributes, CSS properties, at-rules,
selectors and units in the HTML; each maps to a Can I email slug (``html-lists``,
``css-margin``) or, where Can I email has no page, to a name of its own that
``basic.tsv`` beside this file lists with its reason.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

HERE = Path(__file__).parent
SUPPORT = HERE / "support.tsv"
BASIC = HERE / "basic.tsv"
FALLBACKS = HERE / "fallbacks.tsv"

ELEMENTS = {
    **dict.fromkeys(["h1", "h2", "h3", "h4", "h5", "h6"], "html-h1-h6"),
    **dict.fromkeys(["ol", "ul", "li"], "html-lists"),
    **dict.fromkeys(["table", "tbody", "thead", "tr", "td", "th"], "html-table"),
    **dict.fromkeys(["main", "nav", "article", "section", "header", "footer"], "html-semantics"),
}
ATTRIBUTES = {
    "lang": "html-lang",
    "dir": "html-dir",
    "role": "html-role",
    "width": "html-width",
    "height": "html-height",
    "align": "html-align",
    "valign": "html-valign",
    "cellpadding": "html-cellpadding",
    "cellspacing": "html-cellspacing",
    "target": "html-target",
    "srcset": "html-srcset",
    "loading": "html-loading-attribute",
    "background": "html-background",
    "hidden": "html-hidden",
}
# CSS properties named after a shorthand's page in Can I email.
SHORTHANDS = {
    "border-top": "css-border",
    "border-top-color": "css-border",
    "border-bottom": "css-border",
    "border-left": "css-border",
    "border-right": "css-border",
    "border-color": "css-border",
    "border-width": "css-border",
    "border-style": "css-border",
    "margin-top": "css-margin",
    "margin-bottom": "css-margin",
    "margin-left": "css-margin",
    "margin-right": "css-margin",
    "padding-top": "css-padding",
    "padding-bottom": "css-padding",
    "padding-left": "css-padding",
    "padding-right": "css-padding",
    "supported-color-schemes": "css-color-scheme",
}
UNITS = {"px": "css-unit-px", "%": "css-unit-percent", "em": "css-unit-em", "rem": "css-unit-rem"}
UNIT = re.compile(r"(?<![\w#-])-?\d*\.?\d+(px|%|em|rem|vh|vw|pt)\b|(?<![\w#-])-?\d*\.?\d+(%)")
COMMENT = re.compile(r"/\*.*?\*/", re.S)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.features: set[str] = set()
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.features.add(ELEMENTS.get(tag, f"html-{tag}"))
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("aria-"):
                self.features.add(f"html-{name}")
            elif name == "style" and value:
                self.features |= declarations(value)
            else:
                self.features.add(ATTRIBUTES.get(name, f"attribute-{name}"))
        href = values.get("href") or ""
        if tag == "a" and href.startswith("#"):
            self.features.add("html-anchor-links")
        if tag == "a" and href.startswith("mailto:"):
            self.features.add("html-mailto-links")
        if tag == "meta" and values.get("name") == "color-scheme":
            self.features.add("html-meta-color-scheme")
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.features |= stylesheet(data)

    def handle_comment(self, data: str) -> None:
        # Outlook's conditional comments hold HTML of their own, read as such.
        if data.startswith("[if"):
            self.features.add("html-conditional-comments")
            self.features |= features_of(data.split("]>", 1)[-1].rsplit("<![endif]", 1)[0])
        else:
            self.features.add("html-comments")

    def handle_decl(self, decl: str) -> None:
        self.features.add("html-doctype")


def features_of(html: str) -> set[str]:
    """Every feature ``html`` uses."""
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.features


def declarations(css: str) -> set[str]:
    """The features of a list of declarations (``color: red; margin: 0 !important``)."""
    found: set[str] = set()
    for declaration in css.split(";"):
        name, _, value = declaration.partition(":")
        name = name.strip().lower()
        if not name:
            continue
        if name.startswith(("mso-", "-webkit-", "-ms-", "-moz-")):
            found.add(f"css-vendor-{name.lstrip('-').split('-')[0]}")
        else:
            found.add(SHORTHANDS.get(name, f"css-{name}"))
        if "!important" in value:
            found.add("css-important")
        if name == "display" and value.split("!")[0].strip() == "none":
            found.add("css-display-none")
        for match in UNIT.finditer(value):
            unit = match.group(1) or match.group(2)
            found.add(UNITS.get(unit, f"css-unit-{unit}"))
        if "rgb(" in value:
            found.add("css-rgb")
        if "rgba(" in value:
            found.add("css-rgba")
    return found


def stylesheet(css: str) -> set[str]:
    """The features of a style sheet: at-rules, selectors and declarations."""
    found: set[str] = set()
    css = COMMENT.sub("", css)
    for media in re.findall(r"@media([^{]*)\{", css):
        found.add("css-at-media")
        if "prefers-color-scheme" in media:
            found.add("css-at-media-prefers-color-scheme")
    css = re.sub(r"@media[^{]*\{", "", css)
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        found |= selector_features(selectors)
        found |= declarations(body)
    return found


def selector_features(selectors: str) -> set[str]:
    """The features of a selector list (``.a > b, u + #body a``)."""
    found: set[str] = set()
    if "," in selectors:
        found.add("css-selector-grouping")
    for selector in selectors.split(","):
        selector = selector.strip()
        for pseudo in re.findall(r":([\w-]+)", selector):
            found.add(f"css-pseudo-class-{pseudo}")
        if "[" in selector:
            found.add("css-selector-attribute")
        if ">" in selector:
            found.add("css-selector-child")
        if "+" in selector:
            found.add("css-selector-adjacent-sibling")
        if "~" in selector:
            found.add("css-selector-general-sibling")
        parts = re.sub(r"\s*[>+~]\s*", " ", selector).split()
        if len(parts) > 1:
            found.add("css-selector-descendant")
        for part in parts:
            simple = re.findall(r"[.#]?[\w-]+|\[[^\]]*\]|\*|:[\w-]+", part)
            kinds = [s for s in simple if not s.startswith((":", "["))]
            if len(kinds) > 1:
                found.add("css-selector-chaining")
            for s in kinds:
                if s.startswith("."):
                    found.add("css-selector-class")
                elif s.startswith("#"):
                    found.add("css-selector-id")
                elif s == "*":
                    found.add("css-selector-universal")
                else:
                    found.add("css-selector-type")
    return found


def read_table(path: Path) -> dict[str, list[str]]:
    """A tab-separated file's rows by their first column, without comments and header."""
    rows: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            first, *rest = line.split("\t")
            rows[first] = rest
    return rows
