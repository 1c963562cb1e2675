"""The story's title, chosen among the titles a page offers.

A page names its story several times: in ``og:title``, ``twitter:title``, a JSON-LD
``headline``, ``dc.title``, its ``<title>`` and its main ``<h1>``. Some carry the site's
name, sections and breadcrumbs ("Covic turns up heat on Schwarzer - Football - Sport"),
some are only the site's name ("Winona Daily News"). The story's title is the part the
candidates agree on, with the chrome around it stripped; a page whose candidates are all
chrome has no title (None), and the caller takes the headline from the lead.

Pure functions: :func:`title_candidates` reads a parsed page, :func:`choose_title`
works on plain strings.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from lxml import etree

from digest.text import DENSE_SCRIPT

# Between a story's title and the site's name or section: "Title - Site", "Site | Title",
# "Site :: Section :: Title", "Title_Section_Site", "Home > News > Title".
_STRONG = re.compile(
    r"\s+(?:[-–—|»›«‹>·•~/\\@:]|::)\s+|\s*(?:\||｜|_{1,2}|::)\s*|\s+\[(?=[^\]]+\]$)"
)
# "Site: Title" splits only where one side is the site's name or a section.
_WEAK = re.compile(r"(?<=\S):\s+")
# Markup or script in a title means the page's <title> was broken or stuffed.
_MARKUP = re.compile(
    r"</?[a-z][a-z0-9]*(?:\s[^<>]*)?/?>|</\w|<!--|\bfunction\s*\(|\bvar\s+\w+\s*=|[{};]\s*$"
    r"|\bwindow\.\w+\s*[.(=]|\bdocument\.\w+\s*[.(=]",
    re.IGNORECASE,
)
_CJK = DENSE_SCRIPT
_WORD = re.compile(r"\w+")
# A title longer than this is a page's paragraph or script, not a title.
MAX_TITLE_CHARS = 250
# Words that name a site's parts, not a story: a title made only of them is chrome.
SECTION_WORDS = frozenset(
    """
    a and the of in on at for to by from with your our my all more new latest top breaking
    home homepage index main page pages site web online welcome default untitled document
    news newsroom story stories article articles post posts blog blogs column columns
    world national international local regional uk us usa english europe asia africa
    politics business economy money markets finance tech technology science health
    sport sports football soccer cricket rugby tennis golf
    entertainment celeb celebs celebrity celebrities showbiz lifestyle life living style
    fashion food travel culture arts art books music film films movies tv television
    radio video videos photo photos pictures gallery galleries multimedia podcast podcasts
    opinion opinions comment comments views view editorial editorials letters analysis
    features feature reviews review interviews interview obituaries weather traffic
    related recent popular trending headlines edition daily weekly today live updates
    section category categories topic topics tag tags archive archives search results
    frontpage front cover press release releases media center centre resources
    information info help about contact us faq login register subscribe
    """.split()
)
# A date is no story's title: "November 7, 2012", "Tue 3rd Mar".
_DATE_WORD = re.compile(
    r"\d+(?:st|nd|rd|th)?|jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?"
    r"|aug(?:ust)?|sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|mon(?:day)?"
    r"|tue(?:s|sday)?|wed(?:nesday)?|thu(?:rs|rsday)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?"
)
# JSON-LD types whose headline or name is the story's title.
_ARTICLE_TYPES = re.compile(r"article|posting|report|newsarticle|blog|review|webpage", re.I)


@dataclass(frozen=True)
class Candidates:
    """The titles a page offers, most trusted first, and the names of its site."""

    titles: tuple[str, ...]  # metadata titles, then the <title>
    headings: tuple[str, ...]  # the main <h1>s, and the headings linking to the page itself
    sites: tuple[str, ...]  # og:site_name, application-name, publisher, host name
    # The page's other <h1>-<h3>, in order: a blog puts its post's title in one of them.
    subheads: tuple[str, ...] = ()


_META = etree.XPath(
    "//meta[@property or @name][@content]",
)
_JSON_LD = etree.XPath("//script[@type='application/ld+json']/text()")
_TITLE = etree.XPath("//title")
_H1 = etree.XPath("//h1")
_MAIN_H1 = etree.XPath("//article//h1 | //main//h1 | //*[@role='main']//h1")
_HEADINGS = etree.XPath(
    "(//h1 | //h2 | //h3)[not(ancestor::nav or ancestor::footer or ancestor::aside"
    " or ancestor::form or ancestor::li)]"
)
_CANONICAL = etree.XPath(
    "//link[contains(concat(' ', normalize-space(translate(@rel, 'CANONICAL', 'canonical')),"
    " ' '), ' canonical ')]/@href"
)
# The page's subheads looked at: the post's title comes early, the sidebars' after it.
MAX_SUBHEADS = 12

# Metadata titles in the order of trust (as readability's metadata reader has them).
_META_TITLES = (
    "dc:title",
    "dc.title",
    "dcterm:title",
    "dcterms:title",
    "dcterms.title",
    "og:title",
    "title",
    "twitter:title",
    "parsely-title",
    "sailthru.title",
)
_META_SITES = ("og:site_name", "twitter:site")
# Names a site gives itself that some sites fill with the story's title: trusted only
# where no title candidate is the same.
_META_APP_NAMES = ("application-name", "apple-mobile-web-app-title")


def title_candidates(tree: etree._Element, url: str | None = None) -> Candidates:
    """The title candidates and site names of the parsed page ``tree``."""
    meta: dict[str, str] = {}
    for element in _META(tree):
        key = (element.get("property") or element.get("name") or "").strip().lower()
        for name in key.split():
            meta.setdefault(name, element.get("content") or "")
    json_titles, json_sites = _json_ld(tree)
    titles = [*json_titles, *(meta[k] for k in _META_TITLES if meta.get(k))]
    for element in _TITLE(tree)[:1]:
        titles.append(element.text or "")
    addresses = [url] if url else []
    addresses.extend(str(a).strip() for a in _CANONICAL(tree) if str(a).strip())
    if meta.get("og:url"):
        addresses.append(meta["og:url"].strip())
    main = _MAIN_H1(tree) or _H1(tree)
    mastheads = [h for h in main[:2] if _is_masthead(h)]
    headings = [h for h in main[:2] if h not in mastheads]
    subheads: list[etree._Element] = []
    for heading in _HEADINGS(tree):
        if heading in main[:2] or _is_masthead(heading):
            continue
        if _links_to(heading, addresses):
            headings.append(heading)  # a post's heading links to the post: its permalink
        elif len(subheads) < MAX_SUBHEADS:
            subheads.append(heading)
    sites = [*json_sites, *(meta[k] for k in _META_SITES if meta.get(k))]
    sites.extend(_element_text(h) for h in mastheads)
    sites.extend(
        name
        for k in _META_APP_NAMES
        if (name := clean_title(meta.get(k, ""))) and name not in map(clean_title, titles)
    )
    for address in addresses:
        with contextlib.suppress(ValueError):
            if host := urlsplit(address).hostname:
                sites.append(host)
    return Candidates(
        titles=tuple(t for t in (clean_title(t) for t in titles) if t),
        headings=_cleaned(_element_text(h) for h in headings),
        sites=tuple(dict.fromkeys(s.strip().lstrip("@") for s in sites if s and s.strip())),
        subheads=_cleaned(_element_text(h) for h in subheads),
    )


def _cleaned(texts: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t for t in map(clean_title, texts) if t))


def _links_to(heading: etree._Element, addresses: Sequence[str]) -> bool:
    """Whether ``heading`` links to one of ``addresses``, the page's own (a post's permalink)."""
    own = {_address_key(a) for a in addresses} - {""}
    if not own:
        return False
    for link in heading.iter("a"):
        with contextlib.suppress(ValueError):
            if _address_key(urljoin(addresses[0], link.get("href") or "")) in own:
                return True
    return False


def _address_key(address: str) -> str:
    """``address`` without its scheme, query, fragment and final slash, for comparing."""
    try:
        parts = urlsplit(address.strip())
    except ValueError:
        return ""
    if not parts.hostname or parts.path in ("", "/"):
        return ""  # a link home, or a relative one, says nothing here
    return f"{parts.hostname.removeprefix('www.')}{parts.path.rstrip('/')}"


# The page's masthead: where a blog puts its name in an <h1>, above the post's own title.
_MASTHEAD = re.compile(
    r"^(?:header|site-?header|header-?(?:name|title|inner|content)|banner(?:-header)?|masthead|"
    r"logo|site-?logo|branding|site-?branding|site-?title|blog-?title|site-?name|blog-?name)$",
    re.IGNORECASE,
)


# Words after a site's name that still name the site: "Official Site", "Daily News".
SITE_SLOGAN_WORDS = 2
MASTHEAD_DEPTH = 3
MASTHEAD_CHARS = 500


def _is_masthead(heading: etree._Element) -> bool:
    """Whether the <h1> ``heading`` names the site: in its masthead, or a link to its home."""
    ancestors = list(heading.iterancestors())
    if any(a.tag in ("article", "main") or a.get("role") == "main" for a in ancestors):
        return False
    for depth, element in enumerate((heading, *ancestors)):
        if depth > MASTHEAD_DEPTH or len(element.text_content()) > MASTHEAD_CHARS:
            break  # a "header" holding the whole page is no masthead
        names = f"{element.get('id') or ''} {element.get('class') or ''}".split()
        if any(_MASTHEAD.match(name) for name in names):
            return True
    return any(_is_home(a.get("href") or "") for a in heading.iter("a"))


def _is_home(href: str) -> bool:
    """Whether ``href`` is a site's home page ("/"), not a post's ("/?p=123", "#comments")."""
    try:
        parts = urlsplit(href.strip())
    except ValueError:
        return False
    return bool(href.strip()) and parts.path in ("", "/") and not parts.query and not parts.fragment


def _element_text(element: etree._Element) -> str:
    text = "".join(element.itertext(tag=etree.Element))  # type: ignore[arg-type]
    return text.strip().rstrip(" ¶#§")  # a heading's anchor mark is no part of it


def _json_ld(tree: etree._Element) -> tuple[list[str], list[str]]:
    """Headlines of the JSON-LD articles in ``tree``, and the publishers' names."""
    titles: list[str] = []
    sites: list[str] = []
    for script in _JSON_LD(tree):
        try:
            data = json.loads(script)
        except (ValueError, RecursionError):
            continue
        for node in _nodes(data):
            kind = node.get("@type")
            kinds = " ".join(kind) if isinstance(kind, list) else str(kind or "")
            if _ARTICLE_TYPES.search(kinds) and "webpage" not in kinds.lower():
                headline = node.get("headline") or node.get("name")
                if isinstance(headline, str):
                    titles.append(headline)
            publisher = node.get("publisher")
            if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
                sites.append(publisher["name"])
            is_site = kinds.lower() in ("website", "organization", "newsmediaorganization")
            if is_site and isinstance(node.get("name"), str):
                sites.append(node["name"])
    return titles[:1], sites


def _nodes(data: object, depth: int = 0) -> Iterator[dict]:
    """Every JSON object in ``data`` that has a ``@type``, outermost first."""
    if depth > 4:
        return
    if isinstance(data, list):
        for item in data:
            yield from _nodes(item, depth + 1)
    elif isinstance(data, dict):
        if "@type" in data:
            yield data
        if "@graph" in data:
            yield from _nodes(data["@graph"], depth + 1)


def clean_title(text: str) -> str | None:
    """``text`` as one line, entities decoded; None when it is empty, markup or script."""
    text = " ".join(html.unescape(text).split())
    if not text or len(text) > MAX_TITLE_CHARS or _MARKUP.search(text):
        return None
    return text


def choose_title(candidates: Candidates, text: str = "") -> str | None:
    """The story's title among ``candidates``, without the site's chrome; None if none is.

    The most trusted candidate that is not all chrome gives the title, passing over one
    that no other candidate bears out and that shares few words with the story titles
    that are: a JSON-LD "headline" that is the page's category ("Wikimedia list article").
    Where another candidate, a subhead, or the article's first line, is a run of the chosen
    one's segments ("Story" in "Story - Section - Site"), that run is the story's title as
    both name it; otherwise the site's name, sections and short trailing segments are cut
    away. Where every candidate is the site's name, the heading nearest the start of the
    article's ``text`` is the title.
    """
    sites = site_keys(candidates.sites)
    everything = [*candidates.titles, *candidates.headings]
    mains = {_normal(t): t for t in everything}
    headings = {_normal(h) for h in candidates.headings}
    lead = _normal(text.split("\n", 1)[0]) if text else ""
    if lead:
        mains.setdefault(lead, text.split("\n", 1)[0])
    others = {**{_normal(t): t for t in candidates.subheads}, **mains}
    # The story titles that another candidate bears out, without their chrome. Subheads
    # bear out none: one may be a chapter's heading under the book's (the page's) title.
    borne_out = {
        candidate: stripped
        for i, candidate in enumerate(everything)
        if _borne_out(i, everything, lead) and (stripped := strip_chrome(candidate, sites))
    }
    for candidate in everything:
        if (
            borne_out
            and candidate not in borne_out
            and not any(_shares_words(candidate, other) for other in borne_out.values())
        ):
            continue
        whole = _normal(candidate)
        runs = _runs(candidate)
        # A subhead that is a part of a title is the story's title in it ("Blog name:
        # Story" over an <h2>Story</h2>), unless the page's heading or its article's first
        # line is that title whole: then the subhead is the story's subtitle.
        confirmed = whole == lead or whole in headings
        agreed = [
            title
            for key, title in (mains if confirmed else others).items()
            if key in runs and key != whole and not is_chrome(title, sites)
        ]
        if agreed:
            # Of two runs as long, the earlier one: titles put the story before the site.
            return max(agreed, key=lambda title: (len(title), -whole.find(_normal(title))))
        stripped = strip_chrome(candidate, sites)
        if stripped and not is_chrome(stripped, sites):
            return stripped
    return _nearest_heading(candidates, text, sites)


# How far into the article's text its heading is looked for (past a date, a byline).
HEADING_LINES = 8


def _nearest_heading(candidates: Candidates, text: str, sites: Sequence[str]) -> str | None:
    """The page's heading that comes first among the first lines of the article's ``text``.

    For a page whose every title names the site: a blog's post titled only by its <h2>.
    """
    headings = {_normal(h): h for h in (*candidates.headings, *candidates.subheads)}
    for line in text.splitlines()[:HEADING_LINES]:
        heading = headings.get(_normal(line))
        if heading and not is_chrome(heading, sites):
            return heading
    return None


def _borne_out(index: int, candidates: Sequence[str], lead: str) -> bool:
    """Whether another of ``candidates`` is, holds or is a run of candidate ``index``.

    The article's first line (``lead``, normalised) counts only as a run of it: the page's
    heading is often that first line, and would bear itself out.
    """
    key, runs = _normal(candidates[index]), _runs(candidates[index])
    if lead and lead != key and lead in runs:
        return True
    return any(
        j != index and (_normal(other) in runs or key in _runs(other))
        for j, other in enumerate(candidates)
    )


def _shares_words(text: str, other: str) -> bool:
    """Whether most of the words of ``text`` are in ``other``: two wordings of one headline."""
    words = set(_WORD.findall(text.casefold()))
    return len(words & set(_WORD.findall(other.casefold()))) * 2 >= len(words)


# A headline taken from the lead is cut at a word boundary around this length.
LEAD_TITLE_CHARS = 90


def lead_title(lead: str) -> str:
    """A title from the article's first paragraph, for a page that has none of its own."""
    lead = " ".join(lead.split())
    if len(lead) <= LEAD_TITLE_CHARS:
        return lead
    return lead[:LEAD_TITLE_CHARS].rsplit(" ", 1)[0] + "…"


def strip_chrome(title: str, sites: Sequence[str] = ()) -> str | None:
    """``title`` without the site's name, sections and breadcrumbs around the story's."""
    spans = _spans(title, _STRONG)

    def size(span: tuple[int, int]) -> int:
        return title_size(title[span[0] : span[1]])

    # The site's name and sections at either end go first, a name with a separator in it
    # ("Steven's Home_Blue Sky") as a whole.
    while k := _chrome_tail(title, spans, sites):
        spans = spans[:-k]
    while k := _chrome_head(title, spans, sites):
        spans = spans[k:]
    # A section between two parts parts the site's name from the story's title:
    # "Site :: Sport :: Story". The larger part is the story's.
    for k in range(1, len(spans) - 1):
        if is_chrome(title[slice(*spans[k])], sites):
            before, after = spans[:k], spans[k + 1 :]
            spans = max(before, after, key=lambda part: sum(size(s) for s in part))
            break
    # Short segments after the story are its author or section: "Story - Jo Bloggs - Arts".
    while len(spans) > 1 and all(size(s) <= 3 and 2 * size(s) < size(spans[0]) for s in spans[1:]):
        spans.pop()
    title = title[spans[0][0] : spans[-1][1]]
    weak = _spans(title, _WEAK)
    if len(weak) >= 2:
        if is_chrome(title[slice(*weak[0])], sites):  # "Site: Story: its subtitle"
            title = title[weak[1][0] :]
        elif len(weak) == 2 and is_chrome(title[slice(*weak[1])], sites):
            title = title[: weak[0][1]]
    return None if is_chrome(title, sites) else title


def _chrome_tail(title: str, spans: list[tuple[int, int]], sites: Sequence[str]) -> int:
    """How many segments at the end of ``spans`` together name the site or its sections."""
    for k in range(1, len(spans)):
        if is_chrome(title[spans[-k][0] : spans[-1][1]], sites):
            return k
    return 0


def _chrome_head(title: str, spans: list[tuple[int, int]], sites: Sequence[str]) -> int:
    """How many segments at the start of ``spans`` together name the site or its sections."""
    for k in range(1, len(spans)):
        if is_chrome(title[spans[0][0] : spans[k - 1][1]], sites):
            return k
    return 0


def is_chrome(text: str, sites: Sequence[str] = ()) -> bool:
    """Whether ``text`` names the site or its sections rather than a story."""
    key = _compact(text)
    if not key:
        return True
    for site in sites:
        if key == site or (len(site) >= 4 and key.startswith(site) and _is_site_phrase(text, site)):
            return True
        # The site's name without a short word after it: "Archive of Our Own" of "... beta".
        if len(key) >= 6 and site.startswith(key) and len(site) - len(key) <= 6:
            return True
    words = _WORD.findall(text.casefold())
    if words and all(w in SECTION_WORDS or _DATE_WORD.fullmatch(w) for w in words):
        return True
    # The site's name with one more word: "痞客邦 PIXNET", "BBC Sport".
    if title_size(text) <= 2 and any(_compact(w) in sites for w in words):
        return True
    # Breadcrumbs: "TV3 > News > National News > Story"
    segments = _split(text, _STRONG)
    return (
        len(segments) > 2
        and all(title_size(s) <= 3 for s in segments)
        and any(is_chrome(s, sites) for s in segments)
    )


def _is_site_phrase(text: str, site: str) -> bool:
    """Whether ``text``, beginning with the name ``site``, goes on as a slogan or a section.

    "Winona Daily News", "Nintendo Official Site", "SFGate: World Views" do; "Nintendo
    Download Highlights New Content for Nintendo Systems" is a story about the site.
    """
    parts = _split(text, _WEAK)
    if len(parts) == 1:
        words, covered = _WORD.findall(text.casefold()), 0
        while words and covered < len(site):
            covered += len(words.pop(0))
        return len(words) <= SITE_SLOGAN_WORDS or all(w in SECTION_WORDS for w in words)
    # "Site: anything" is the site's; "Site turns ten: a decade on the quay" a story about it.
    return (
        all(all(w in SECTION_WORDS for w in _WORD.findall(p.casefold())) for p in parts[1:])
        or _compact(parts[0]) == site
        or (_is_site_phrase(parts[0], site) and all(title_size(p) <= 4 for p in parts[1:]))
    )


def site_keys(sites: Iterable[str]) -> tuple[str, ...]:
    """The keys :func:`is_chrome` knows ``sites`` by: a host name also by its main label."""
    keys: list[str] = []
    for site in sites:
        if "." in site and " " not in site:  # a host name: www.sfgate.com -> sfgate
            labels = [
                p
                for p in site.lower().split(".")
                if p
                not in (
                    "www",
                    "m",
                    "en",
                    "com",
                    "org",
                    "net",
                    "co",
                    "uk",
                    "news",
                    "edu",
                    "gov",
                    "info",
                )
            ]
            keys.extend(_compact(label) for label in labels[:1])
        keys.append(_compact(site))
    return tuple(k for k in dict.fromkeys(keys) if k)


def strong_spans(title: str) -> list[tuple[int, int]]:
    """Where the segments of ``title`` between "Title - Site" separators start and end."""
    return _spans(title, _STRONG)


def weak_spans(title: str) -> list[tuple[int, int]]:
    """Where the parts of ``title`` around "Site: Title" colons start and end."""
    return _spans(title, _WEAK)


def name_key(text: str) -> str:
    """``text`` as a key for comparing names: its letters and digits, casefolded."""
    return _compact(text)


def _spans(text: str, separator: re.Pattern[str]) -> list[tuple[int, int]]:
    """Where the segments of ``text`` between ``separator``s start and end."""
    spans, start = [], 0
    for match in separator.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    spans = [(a, b) for a, b in spans if text[a:b].strip(" []")]
    return spans or [(0, len(text))]


def _split(text: str, separator: re.Pattern[str]) -> list[str]:
    parts = [p.strip(" []") for p in separator.split(text)]
    return [p for p in parts if p] or [text]


def _runs(title: str) -> set[str]:
    """Every run of consecutive segments of ``title``, normalised."""
    segments = _split(title, _STRONG)
    for part in list(segments):
        segments.extend(_split(part, _WEAK) if ":" in part else [])
    runs = {_normal(title)}
    strong = _split(title, _STRONG)
    for i in range(len(strong)):
        for j in range(i + 1, len(strong) + 1):
            runs.add(_normal(" - ".join(strong[i:j])))
    runs.update(_normal(s) for s in segments)
    return runs


def title_size(text: str) -> int:
    """Words, counting a CJK character as a third of one."""
    cjk = len(_CJK.findall(text))
    return len(_WORD.findall(_CJK.sub(" ", text))) + (cjk + 2) // 3


def _normal(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def _compact(text: str) -> str:
    return "".join(_WORD.findall(text.casefold())).replace("_", "")
