"""Text-level cleaning: drop the lines of a page that are not the article.

Pages scraped to text, and even good HTML extractors, leave lines a digest must never
show: site navigation, photo captions and credits, "Published / Updated" lines, bylines,
newsletter sign-up prompts, privacy and copyright lines, share prompts, advertisement
markers and related-links lines. Each kind is recognised by the shape such lines take
across sites, not by any one site's wording.

A *block* is one line of scraped text or one paragraph of Markdown or HTML text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import replace

from digest.models import Article
from digest.text import DENSE_SCRIPT, safe_text
from digest.text import count_words as count_spaced_words

_I = re.IGNORECASE

# Chinese and Japanese write no spaces between words: there a sentence is counted in
# characters, about two to a word.
_CJK = DENSE_SCRIPT


def count_words(block: str) -> int:
    """Words in ``block``: space-separated, plus one for every two CJK characters."""
    return count_spaced_words(block) + len(_CJK.findall(block)) // 2


_NAV_PHRASE = re.compile(
    r"^(skip to\b.*|(main |open |close )?menu|home|search|sign in|log ?in|log out|"
    r"back to top|toggle navigation|print|close|next|previous|more|sections|"
    r"\W*back to (the )?(story|article|post|top|home(page)?))\W*$",
    _I,
)
# Parts of a line a site's template joins: "Published: 30 Oct | Tags: ...".
_PARTS = re.compile(r"\s+[|•·]\s+")
# A slash or ">" separates menu items only with spaces around it: "18.2/km2" is not a menu.
_MENU_SEPARATOR = re.compile(r"\s*(?:\||•|·|›|»)\s*|\s+(?:/|>>?)\s+")
# Code, data and formulas share a menu's short pieces but not its plain words.
_CODE_CHARS = re.compile(r"[(){}\[\];=<>\"'`\\]|//")

_SOCIAL = (
    r"(facebook|twitter|x|linkedin|whatsapp|reddit|pinterest|email|e-mail|telegram|threads|"
    r"bluesky|copy link|print)"
)
_SHARE = re.compile(
    rf"^(share( this( article| story| page| post)?)?( on {_SOCIAL})?|tweet|"
    rf"follow us( on .*|\W+{_SOCIAL})?|follow @\w+.* on {_SOCIAL}|click to share.*|"
    rf"{_SOCIAL}(\W+{_SOCIAL})*)\W*$",
    _I,
)

_AD = re.compile(
    r"^(advertisement|advertising|ad|sponsored( content)?|paid (post|content)|promoted|"
    r"(story|article) continues (below|after).*|continue reading (below|the main story).*)\W*$",
    _I,
)

_AGENCY = (
    r"(AP|AFP|Reuters|Getty|Getty Images|EPA|EPA-EFE|Shutterstock|Alamy|Bloomberg|PA|"
    r"PA Wire|iStock|iStockphoto|Unsplash|Xinhua|ANI|Sipa|Corbis|NurPhoto|WireImage|"
    r"Associated Press|Anadolu|Pool|SOPA Images|ZUMA|Rex Features)"
)
_CREDIT_KEYWORD = re.compile(
    r"^\(?\s*(photo(graph)?s?|image|picture|illustration|video|graphic|credit|courtesy|"
    r"source|image source|photo credit)\b\s*[:,/]|"
    r"\b(photo|photograph|illustration|image) (by|courtesy of|credit)\b|"
    r"\bphoto(s)?\s*/|"
    rf"/\s*{_AGENCY}\b|\b{_AGENCY}\s*(photo|images?|/)",
    _I,
)
# "(Todd Rosenberg/NFL)": a photographer and the agency or team, opening a credit.
_CREDIT_NAME = re.compile(r"^\((?:[A-Z][\w.'’-]+\s+){1,3}[A-Z][\w.'’-]*\s*/\s*[^()/]{1,40}\)")
_AGENCY_ALONE = re.compile(rf"^\(?\s*({_AGENCY}(\s+via\s+{_AGENCY})?)\s*\)?$")

_CAPTION = re.compile(
    r"^(file\s*[-–—:]\s|image caption\b|media caption\b|caption\s*:|photo caption\b|"
    r"in this (undated |handout |file )*(photo|image|picture|frame grab|screenshot)\b|"
    r"this (undated |handout |file )*(photo|image|picture)\b)|"
    r"\b(file photo|photo taken (on|in)|\(pictured\)|pictured (above|below|here|left|right)|"
    r"poses for a (photo|picture|portrait))\b|"
    # A picture's text closed by its credit: "..., August 26, 1972. (AFP/Getty Images)"
    rf"\((?:[\w.' -]+/)*\s*{_AGENCY}(?:\s*/\s*{_AGENCY})*(?:\s+(?:photo|images?))?\)$",
    _I,
)
_CAPTION_VERB = re.compile(
    r"\b(speaks|gestures|arrives|attends|waves|looks on|poses|is seen|are seen|walks|"
    r"holds|stands|sits|listens|reacts|smiles|leaves|greets|delivers|addresses)\b",
    _I,
)

_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATELINE = re.compile(
    # "Published 3 March", "Updated: Tuesday", "Published Last updated", not "Published in 1851"
    r"^(published|updated|last updated|first published|posted|modified|last modified|"
    r"originally published)\b[\s:,–-]*(on\s+|at\s+)?"
    rf"($|\d|{_MONTH}\b|\w+day\b|last\b|updated\b|this\b|yesterday\b|today\b|by\b)|"
    r"\bthis (article|story|page|post) is (more than|over) \w+ (year|month|week|day)s? old\b|"
    r"^\d+\s*(min|mins|minute|minutes)\s*(read|listen)$",
    _I,
)
_BYLINE = re.compile(
    r"^(?i:by|written by|words by|reporting by)\s+[A-Z][\w.'’-]*(\s+[A-Z][\w.'’-]*){0,3}"
    r"(\s*(,|;|and|&|\||-|–)\s*.*)?$",
)
_DATE_ONLY = re.compile(
    rf"^(\w+day,?\s+)?({_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH},?\s+\d{{4}}|"
    r"\d{4}-\d{2}-\d{2})([\sT,]+[\d:]+\s*(am|pm|a\.m\.|p\.m\.)?\s*[A-Z]{0,4})?\W*$",
    _I,
)

_EMOJI_START = re.compile("^[\U0001f300-\U0001faff\u2600-\u27bf\u2709\u2b50]")
_PROMO = re.compile(
    r"\b(newsletters?|subscribe|subscription|sign[ -]?up|inbox|daily brief|briefing|"
    r"email address|e-mail address|delivered (daily|weekly|every|straight|to)|"
    r"get (our|the) \w+( \w+)? (email|newsletter|brief))\b",
    _I,
)
_SECOND_PERSON = re.compile(
    r"\b(you|your|yours|our)\b|^(sign|subscribe|get|join|enter|stay|don['’]t)\b|"
    r"\b(sign up|subscribe) (for|to)\b",
    _I,
)
# A heading over a sign-up form: "Crypto-Gram Newsletter", "FOR THE NEWSLETTER".
_PROMO_HEADING = re.compile(r"^[^.!?]{0,40}\bnewsletters?\W*$", _I)

_LEGAL = re.compile(
    r"\b(all rights reserved|you agree to|"
    r"by (providing|entering|submitting|signing up|clicking|continuing)\b)|"
    r"^(©|\(c\)\s*\d{4}|copyright\b)",
    _I,
)
# Articles about the web quote these too ("agreeing to the terms of service"); as a
# footer they come short or addressed to the reader.
_POLICY = re.compile(
    r"\b(privacy (policy|notice|statement)|terms (of|and) (use|service|conditions)|"
    r"cookie (policy|settings|preferences))\b",
    _I,
)
# A sentence this long that names a policy is prose about it, unless the site speaks in
# it ("We use cookies ... see our cookie policy").
_POLICY_PROSE = 20
_SITE = re.compile(r"\b(we|our|us)\b", _I)
_READER = re.compile(r"\b(you|your|our|read|see|view|manage)\b", _I)

_RELATED = re.compile(
    r"^(read more|related( videos?| articles?| stories| story| coverage| content| posts?| links)?|"
    r"see also|more on this( story)?|recommended( stories| reading)?|"
    r"most (read|popular|viewed)|more from .{1,40}|you (may|might) also like|"
    r"further reading|also read|read next|up next|(watch|listen|read)( now)?|"
    r"(posted|filed) (in|under)|categories|tags|tagged( with)?|(social media )?tags|labels|"
    r"view all posts by .*)\s*[:|»›–-]",
    _I,
)
_RELATED_ALONE = re.compile(
    r"^(related( articles| stories| coverage| content| topics| videos?| links| posts?)?|"
    r"more stories|(most )?(read|popular|viewed|shared)|read more|recommended|topics|tags|"
    r"trending( now)?|editor['’]s picks|more from [^.!?]{1,40}|view all posts by .{1,40})\W*$",
    _I,
)
# After a byline at most: "Adam Rank Tags: Monday Nightmare, Doug Martin".
_TAG_LIST = re.compile(
    r"^(?:[\w.'’-]+\s+){0,4}?(?:tags|tagged|labels|filed under|categories|topics)\s*:\s*(.+)$", _I
)
_COMMENTS = re.compile(
    r"^\W*(\d+\s+(comments?|responses?|replies)\b.{0,60}|comments( \(\d+\))?|"
    r"leave a (comment|reply)|join the conversation|(\d+ )?responses? to .{1,80}|"
    # A blog engine's footer: "This entry was posted on ... and is filed under ..."
    r"this entry was posted\b.*|you can (follow any responses|leave a response|skip to)\b.*|"
    # ... and its end alone, where its start was a link: "on Monday, ... at 9:14 am and is filed"
    r".{0,60}\d:\d\d\s*([ap]\.?m\.?)?\s+and is filed under\b.*|rss feed for comments\b.*|"
    r"no comments( yet)?|(make|add|post|write) a comment|trackback url\b.*|"
    r"sign in to comment|show comments|view comments|"
    r"join (our|the) (commenting forum|discussion|debate))\W*$",
    _I,
)

# "Jane Doe is a senior reporter for The Herald. Follow her on ..." closing a story.
_BIO = re.compile(
    r"^(?:[A-Z][\w.'’-]+\s){1,3}(?:is|was|has been) (?:a|an|the)\b[^.]{0,80}?"
    r"\b(?i:writer|reporter|editor|correspondent|journalist|columnist|contributor|"
    r"producer|critic|blogger|author|illustrator|designer|photographer|specialist)s?\b"
)
_BIO_DETAIL = re.compile(
    r"\b(for|at|with) (the )?[A-Z]|\b(follow|email|e-mail|tips|covers|covering|based in)\b|@"
)
# Blocks at the end of a text where an author's note can stand.
_TAIL_BLOCKS = 3

# A line of decoration between sections: "___", "* * *", "—".
_SEPARATOR = re.compile(r"^[\s_*=~#•·.–—-]+$")

# Sentences or paragraphs longer than this are article text whatever they contain.
_SHORT = 30


def _is_short(block: str, limit: int = _SHORT) -> bool:
    return count_words(block) <= limit


def _ends_sentence(block: str) -> bool:
    return block.rstrip("\"'”’)] 」』）").endswith((".", "!", "?", "…", "。", "！", "？"))


def _is_menu(block: str) -> bool:
    items = [item for item in _MENU_SEPARATOR.split(block) if item]
    return (
        len(items) >= 3
        and all(count_words(item) <= 3 and len(item) <= 30 for item in items)
        and not _ends_sentence(block)
        and not _CODE_CHARS.search(block)
    )


def _is_navigation(block: str) -> bool:
    return bool(_NAV_PHRASE.match(block)) or _is_menu(block)


def _is_credit(block: str) -> bool:
    if not _is_short(block, 12):
        return False
    if _AGENCY_ALONE.match(block) or _CREDIT_NAME.match(block):
        return True
    return bool(_CREDIT_KEYWORD.search(block)) and (
        not _ends_sentence(block) or block.lower().startswith(("photo", "credit", "image", "("))
    )


def _is_caption(block: str) -> bool:
    return bool(_CAPTION.search(block))


def _is_dateline(block: str) -> bool:
    return _is_short(block, 20) and bool(
        _DATELINE.search(block) or _BYLINE.match(block) or _DATE_ONLY.match(block)
    )


def _is_signup(block: str) -> bool:
    if not _is_short(block):
        return False
    if _EMOJI_START.match(block):  # "📬 Kick off each morning with the Daily Brief"
        return bool(_PROMO.search(block) or _SECOND_PERSON.search(block))
    if _PROMO_HEADING.match(block):
        return True
    return bool(_PROMO.search(block)) and bool(_SECOND_PERSON.search(block))


def _is_legal(block: str) -> bool:
    if not _is_short(block, 40):
        return False
    if _LEGAL.search(block):
        return True
    if _ends_sentence(block) and not _is_short(block, _POLICY_PROSE) and not _SITE.search(block):
        return False  # a sentence about someone's terms, in a story or a post, is no footer
    return bool(_POLICY.search(block)) and (_is_short(block, 12) or bool(_READER.search(block)))


def _is_related(block: str) -> bool:
    if _is_short(block, 20) and bool(_RELATED.match(block) or _RELATED_ALONE.match(block)):
        return True
    return _is_tag_list(block)


def _is_tag_list(block: str) -> bool:
    """ "Tags: Arizona Cardinals, Carolina Panthers, ...": a list of names, however long."""
    found = _TAG_LIST.match(block)
    if not found or not _is_short(block, 80):
        return False
    items = [item.strip() for item in found.group(1).split(",")]
    return all(0 < count_words(item) <= 4 for item in items) and not _ends_sentence(block)


RULES: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("separator", lambda block: bool(_SEPARATOR.match(block))),
    ("navigation", _is_navigation),
    ("share", lambda block: _is_short(block, 12) and bool(_SHARE.match(block))),
    ("advertisement", lambda block: bool(_AD.match(block))),
    ("credit", _is_credit),
    ("caption", _is_caption),
    ("dateline", _is_dateline),
    ("signup", _is_signup),
    ("legal", _is_legal),
    ("related", _is_related),
    ("comments", lambda block: _is_short(block, 40) and bool(_COMMENTS.match(block))),
)


def _is_bio(block: str) -> bool:
    return _is_short(block, 100) and bool(_BIO.match(block)) and bool(_BIO_DETAIL.search(block))


# The headings the readers' comments follow (not the links to them: "Leave a comment").
_COMMENTS_HEADING = re.compile(
    r"^\W*(\d+\s+(comments?|responses?|replies)\b.{0,60}|comments( \(\d+\))?|"
    r"(\d+ )?responses? to .{1,80}|leave a reply|no comments( yet)?|"
    r"join (our|the) (commenting forum|discussion|debate|conversation))\W*$",
    _I,
)
# Words of story, in sentences, above a comments heading for the comments to follow it.
_STORY_WORDS = 40

# A list of teasers (headline, one-line dek, headline ...) follows a related-links
# heading; a real paragraph is longer than any of them.
_TEASER_WORDS = 40


def classify_block(block: str) -> str | None:
    """The kind of boilerplate ``block`` is ("credit", "signup", ...), or None for text."""
    block = block.strip()
    for kind, test in RULES:
        if test(block):
            return kind
    # "Published: October 30th, 2012 | Tags: ...": a line of parts, each of them boilerplate.
    parts = [part for part in _PARTS.split(block) if part]
    if len(parts) > 1:
        kinds = [classify_block(part) for part in parts]
        if all(kinds):
            return kinds[0]
    return None


def is_boilerplate(block: str) -> bool:
    return classify_block(block) is not None


# A header of title, dek, picture, caption and credit ends with a dateline or byline
# within the first few blocks; what lies before it is not the article's text.
_HEADER_BLOCKS = 8


def clean_blocks(blocks: Iterable[str]) -> list[str]:
    """The blocks that are article text, in order, with boilerplate removed."""
    blocks = [" ".join(b.split()) for b in blocks]
    blocks = [b for b in blocks if b]
    kinds = [classify_block(b) for b in blocks]

    # A short block right before a credit, describing a picture, is its caption.
    for i in range(1, len(blocks)):
        prev = blocks[i - 1]
        if (
            kinds[i] == "credit"
            and kinds[i - 1] is None
            and _is_short(prev, 40)
            and (not _ends_sentence(prev) or _CAPTION_VERB.search(prev))
        ):
            kinds[i - 1] = "caption"

    header_end = next(
        (i for i, kind in enumerate(kinds[:_HEADER_BLOCKS]) if kind == "dateline"), None
    )
    if header_end is not None:
        # A header is short next to the story below it; a byline that closes a short
        # story ("Reporting by ...") is no header.
        before = sum(count_words(b) for b in blocks[:header_end])
        after = sum(count_words(b) for b in blocks[header_end + 1 :])
        if after < before:
            header_end = None
    # An author's note closes the story; the same words higher up are the story.
    for i in range(max(0, len(blocks) - _TAIL_BLOCKS), len(blocks)):
        if kinds[i] is None and _is_bio(blocks[i]):
            kinds[i] = "bio"

    # In the last third of the text, a related-links heading starts a list of teasers.
    total = sum(count_words(b) for b in blocks)
    seen = 0
    teasers = False
    for i, block in enumerate(blocks):
        if teasers and kinds[i] is None and count_words(block) < _TEASER_WORDS:
            kinds[i] = "related"
        elif kinds[i] is None:
            teasers = False
        if kinds[i] == "related" and _RELATED_ALONE.match(block) and seen >= 2 * total / 3:
            teasers = True
        seen += count_words(block)

    # Below a comments heading that follows the story come the readers' comments (often
    # longer than the story); above the story, the same heading is only a link to them.
    story = 0
    for i, block in enumerate(blocks):
        if kinds[i] == "comments" and story >= _STORY_WORDS and _COMMENTS_HEADING.match(block):
            kinds[i:] = ["comments"] * (len(blocks) - i)
            break
        if kinds[i] is None and has_article_text([block]):
            story += count_words(block)

    kept = []
    for i, (block, kind) in enumerate(zip(blocks, kinds, strict=True)):
        if kind is not None:
            continue
        if header_end is not None and i < header_end and _is_short(block):
            continue  # a dek or picture text above the byline
        kept.append(block)
    return kept


def clean_text(text: str) -> str:
    """``text`` with boilerplate lines removed; one paragraph per line becomes one block."""
    return "\n\n".join(clean_blocks(text.splitlines()))


def has_article_text(blocks: Iterable[str]) -> bool:
    """Whether some block holds a real sentence (four words or more, punctuated).

    In Chinese or Japanese, eight characters count as four words.
    """
    return any(_ends_sentence(b) and count_words(b) >= 4 for b in blocks)


def safe_article(article: Article) -> Article:
    """``article`` with every field made safe to show (``safe_text``); a one-line field
    (title, author, outlet, section, URL) also loses its line breaks and tabs."""

    def line(value: str) -> str:
        return " ".join(safe_text(value).split())

    def maybe(value: str | None) -> str | None:
        return (line(value) or None) if value is not None else None

    text = safe_text(article.text)
    if text != article.text:  # a paragraph may be left blank, or with a blank edge
        text = "\n\n".join(p.strip() for p in text.split("\n\n") if p.strip())
    return replace(
        article,
        title=line(article.title),
        text=text,
        origin=line(article.origin),
        url=maybe(article.url),
        source=maybe(article.source),
        author=maybe(article.author),
        image=(image := maybe(article.image)),
        image_size=article.image_size if image else None,
        section=maybe(article.section),
        sources=tuple(line(s) for s in article.sources),
        feed=maybe(article.feed),
    )
