"""Headlines: a title cut to a short headline at a phrase, or one made from the lead
sentence when an article has no title (English rules; who said a claim stays)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from digest.summarize.captions import DAY, MONTH_NAME
from digest.summarize.model import sumy_language
from digest.summarize.sentences import DATELINE, LEANS_BACK, is_candidate
from digest.text import count_words, words

HEADLINE_LIMIT = 90

_SITE_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]{1,40}$")
_LABEL_PREFIX = re.compile(r"^([^:]{1,40}):\s+(?=\S)")

_LEADING_CLAUSE = re.compile(
    r"^(As|While|After|Although|Though|When|Since|Despite|Amid|Because|If|Before|Following|"
    r"Earlier|Later|Meanwhile|However|In|On|At|During|Last|This|Next)\b[^,]{0,100},\s+"
)
_RELATIVE = re.compile(r",\s+(who|which|whose|where)\b[^,]*,")
_PAREN = re.compile(r"\s*\([^)]*\)")
_BREAK_WORDS = (
    "and but which who whom whose as while after amid on in at with for to that because when "
    "where from by over under after before during since despite"
).split()
_DANGLING = frozenset(
    """
    a an the of to and or but nor in on at for with by from as that which who whom whose
    is are was were be been being will would shall should can could may might must has have
    had do does did its their his her our your my this these those than then into onto over
    under about after before during amid against between among per via not no so if when
    while because says said told he she it they we whether where according
    """.split()
)


_WHEN = re.compile(
    rf"\s*\b(on {DAY}|{DAY}(?!['’])|(last|this|next|earlier this|later this) "
    rf"(week|month|year|weekend|season|{DAY})(?:['’]s)?|"  # "this year's" goes whole
    rf"in {MONTH_NAME}( \d{{4}})?|in (19|20)\d\d|"
    rf"yesterday|today|on \d+ {MONTH_NAME}|for the (three|six|nine|twelve) months to \w+|"
    r"a year earlier|year-earlier)\b,?"
)
# "X said (that) ...": the verbs that take a clause; the others only with "that".
_SAID_THAT = re.compile(
    r"^.{0,60}?\b((?:said|says|warned|claimed)(?: that)?|(?:announced|reported|revealed|"
    r"admitted|confirmed) that)\s+",
    re.IGNORECASE,
)
_SHOW = re.compile(
    r",?\s+(official figures|figures|data|analysts|experts|reports?|officials?|sources)"
    r"( have)? (show|shows|showed|suggest|suggests|said|say|says)\b.*$"
)
_APPOSITION_AFTER_NAME = re.compile(
    r"^([A-Z][\w'’.&-]*(?: [A-Z][\w'’.&-]*){0,3}), [^,]{3,90}, (?=\w)"
)
# The role before a name that opens a lead: "Newcastle boss Souness ..." -> "Souness ...".
_ROLE_BEFORE_NAME = re.compile(
    r"^((?:\S+ ){1,5}?)(boss|manager|chairman|chief|minister|secretary|president|leader|"
    r"star|singer|actor|actress|striker|captain|coach|director|executive|MP|party|group|firm|"
    r"giant|maker|company|champion|winger|midfielder|defender|keeper|player|chancellor|"
    r"spokesman|spokeswoman|governor|frontman|drugmaker|carmaker|retailer|airline|bank) "
    r"(?=[A-Z][\w'’-]*\b(?! [a-z]+ (of|for)\b))"
)
# Words that may describe a role ("troubled", "former"), though they end like verbs.
_ROLE_ADJECTIVES = frozenset("struggling troubled embattled leading acting ruling".split())


def _describes_role(words_before: str) -> bool:
    """Whether the words before a role only describe it: "UK advertising", "World 100m".

    A verb ("Norwich signed"), a preposition ("Shares in", "Revenues at") or an -ing form
    away from the role ("Lawyers defending former ... chief") means the role belongs to
    another subject, which must stay.
    """
    tokens = words_before.split()
    for position, token in enumerate(tokens):
        word = token.lower().strip(",")
        if token[:1].isupper() or any(c.isdigit() for c in token) or word in _ROLE_ADJECTIVES:
            continue
        if word.endswith("ing") and position == len(tokens) - 1:
            continue  # a trade, not a verb: "mining firm", "advertising giant"
        if word in _DANGLING or word.endswith(("ed", "ing")) or _VERB.fullmatch(word):
            return False
    return True


_APPOSITION = re.compile(r", (one of|part of|a |an |the |owner of|maker of|home to)[^,]{0,80},")
# Irregular past participles that are also the past tense, so "has won" may become "won";
# and those that are not ("has taken" cannot become "taken"), which only the passive drops.
_PAST_PARTICIPLES = (
    "won lost sold made got left hit cut set put led held run paid sent spent built bought "
    "brought kept found met shot stood struck told felt fought heard sought shut split taught "
    "said thought understood"
).split()
_PASSIVE_PARTICIPLES = (
    "taken given gone fallen risen grown begun broken chosen drawn withdrawn driven flown "
    "known spoken thrown written beaten seen shown done eaten forgotten frozen hidden stolen "
    "proven shaken sworn worn torn blown overtaken mistaken forbidden"
).split()
_PAST = r"(?:\w+ed|" + "|".join(_PAST_PARTICIPLES) + r")\b"
_PARTICIPLE = r"(?:\w+ed|" + "|".join(_PAST_PARTICIPLES + _PASSIVE_PARTICIPLES) + r")\b"
# Words headlines leave out: articles, possessives, and the auxiliary in "has raised",
# "has been named", "are investigating", "is to open", "is at".
_AFTER_NOUN = "".join(rf"(?<!\b{p} )" for p in "he she it we they i you".split())
_HEADLINESE = re.compile(
    r"\b(?:(?:the|a|an)\s+|(?:its|their|his)\s+(?=\w)|"
    rf"{_AFTER_NOUN}(?:has|have|had)\s+(?=(?:not\s+|also\s+)?{_PAST})|"
    rf"{_AFTER_NOUN}(?:has|have|had)\s+been\s+(?=\w+ing\b|{_PARTICIPLE})|"
    rf"{_AFTER_NOUN}(?:is|are|was|were)\s+(?=to\b|(?!willing|going)\w+ing\b|{_PARTICIPLE}|"
    r"(?:at|in|on|under|over|near|up|down|out|off|behind|ahead)\b))",
    re.IGNORECASE,
)
_WANTS_MORE = re.compile(
    r"(?<=\w(ed|ng))\s+(to|that|by|as|for|with|at|into)\b|"
    r"(?:"
    + "|".join(
        rf"(?<=\b{word})"
        for word in (
            "up due set able likely going here ready about plan plans aims hopes want wants need "
            "needs"
        ).split()
    )
    + r")\s+to\b|"
    # "as much | as 16%", "more | than", "according | to", "close | to", "just | before"
    + "|".join(rf"(?<=\b{word})" for word in "much more less according close just".split())
    + r"\s+(to|as|than|before|after)\b"
)
_PHRASE_END = re.compile(r"(?=,\s)|(?=\s(?:" + "|".join(_BREAK_WORDS) + r")\b)|$")


# A span's score: its recurring words (each counted up to _RECUR_CAP times) per word, plus
# _SHORT_PRIOR for six to ten words; tuned on the even rows of bbc-headlines-dev.
_RECUR_CAP = 5
_SPAN_SLACK = 4
_SHORT_PRIOR = 0.1
_SHORT_WORDS = (6, 10)


def headline_from_sentences(
    sentences: Sequence[str], limit: int = HEADLINE_LIMIT, language: str = "english"
) -> str:
    """A headline for an article without a title, from its lead sentence.

    The lead is stripped of what headlines leave out (time phrases, appositions,
    articles), then cut after the complete clause that packs the most of the article's
    recurring words per word. Who said a claim stays in the headline.
    """
    lead = next(
        (s for s in sentences if is_candidate(s) and not LEANS_BACK.match(s)),
        next((s for s in sentences if is_candidate(s)), sentences[0] if sentences else ""),
    )
    prefix, text, said_after = _split_attribution(_simplify(lead))
    if said_after:  # "..., the watchdog has warned" -> "Watchdog: ...", shorter and still fair
        speaker = _speaker(_SPEAKER_WORDS.sub("", said_after))
        prefix = "" if speaker.lower() in _SELF_SPEAKERS else speaker + ": "
    for pattern, replacement in (
        (_WHEN, ""),
        (_SHOW, ""),
        (_APPOSITION_AFTER_NAME, r"\1 "),
        (_APPOSITION, ""),
        (_HEADLINESE, ""),
    ):
        shorter = " ".join(pattern.sub(replacement, text).split()).strip(" ,")
        if count_words(shorter) >= 4:
            text = shorter
    # A name without its role keeps its first name: "Labour MP Ann Pound" -> "Ann Pound".
    role = _ROLE_BEFORE_NAME.match(text)
    named = ""
    if role and _describes_role(role.group(1)) and count_words(text[role.end() :]) >= 4:
        name = _TWO_NAMES.match(text, role.end())
        named, text = (name.group(0) if name else ""), text[role.end() :]
    said = _SAID_THAT.match(text)
    if (
        not prefix
        and not said_after
        and said
        and _is_subject(text[: said.start(1)])
        and _is_clause(claim := text[said.end() :])
        and not LEANS_BACK.match(claim.capitalize())
    ):
        # "X said that Y" becomes "X: Y", so that the claim keeps its speaker.
        prefix, text = _speaker(text[: said.start(1)]) + ": ", claim
    article = " ".join(sentences)
    prefix = _surnames(prefix, article)
    named = named if named and text.startswith(named) else ""
    text = named + _surnames(text[len(named) :], article)
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    room = limit - len(prefix)

    lang = sumy_language(language)

    def stems(part: str) -> list[str]:
        return [lang.stem(w.lower()) for w in words(part) if w.lower() not in lang.stop_words]

    recurring = Counter(stem for sentence in sentences for stem in set(stems(sentence)))

    def density(span: str) -> float:
        recurring_words = sum(min(recurring[s], _RECUR_CAP) for s in stems(span))
        # A small prior for six to ten words, the length a headline reads best at.
        fits = _SHORT_WORDS[0] <= count_words(span) <= _SHORT_WORDS[1]
        return recurring_words / (count_words(span) + _SPAN_SLACK) + (_SHORT_PRIOR if fits else 0.0)

    # A span must be a whole clause and may not stop on a word that wants what follows:
    # "workers believed | to be", "cars equipped | with".
    spans = [
        span
        for m in _PHRASE_END.finditer(text)
        if not _WANTS_MORE.match(text, m.start())
        and count_words(span := text[: m.start()].strip(" ,")) >= 4
        and len(span) <= room
        and _is_clause(span)
    ]
    return prefix + _fit(max(spans, key=density) if spans else text, room)


# Capitalised words that open a name but are not a first name: "New York", "Prime Minister".
_NOT_FIRST_NAMES = frozenset(
    "New United Prime North South East West Great Royal General Real Sir Lord Lady Saint St "
    "Mr Mrs Ms Dr Old Little Big Upper Lower Central Greater Red Blue Black White".split()
)
# Capitalised words that end the names of teams, places and things, not of people.
_NOT_SURNAMES = frozenset(
    "United City Town County Rovers Athletic Albion Wanderers Rangers Street Road Square Bank "
    "Group Party Council Court House Office Times News Post Prize Award Awards Festival Cup "
    "League Club Company Corporation Steel Life Idol Commission Union Kingdom States".split()
)
_TWO_NAMES = re.compile(r"\b([A-Z][a-z]+) ([A-Z][a-z]+(?:-[A-Z][a-z]+)?)\b(?! [A-Z])")


def _surnames(text: str, article: str) -> str:
    """``text`` naming people by surname, as headlines do, where the article does too."""

    def surname(match: re.Match[str]) -> str:
        first, last = match.groups()
        before = text[: match.start()].split()
        if (
            first in _NOT_FIRST_NAMES
            or last in _NOT_SURNAMES
            or (before and before[-1][:1].isupper() and not before[-1].isupper())
        ):
            return match.group(0)  # "Manic Street Preachers" is one name; "MP Ann Lee" two
        # The article calls them by surname too: "Mr Blair", "Blair said", "Blair's", or a
        # sentence opening "Blair, ..." or "Blair went ...".
        last_ = re.escape(last)
        alone = re.search(
            rf"\b(?:Mr|Mrs|Ms|Miss|Dr|Prof|Sir|Lord|Lady)\.? {last_}\b|(?<!{re.escape(first)} )"
            rf"\b{last_}(?:'s|’s| said| says| told| added| admitted| insisted| believes)\b|"
            rf"(?:^|[.!?] ){last_},? [a-z]",
            article,
        )
        return last if alone else match.group(0)

    return _TWO_NAMES.sub(surname, text)


def make_headline(text: str, limit: int = HEADLINE_LIMIT) -> str:
    """A short headline from a title or a sentence, in its own words, cut at a phrase.

    Who said a claim stays: "Cole: ...", "..., says Anelka".
    """
    prefix, claim, suffix = _split_attribution(_simplify(text))
    return prefix + _fit(claim, limit - len(prefix) - len(suffix)) + suffix


# Labels that name a section or a format, not a speaker: "Analysis:", "Live:".
_SECTION_LABELS = frozenset(
    """
    analysis opinion comment live watch video videos exclusive breaking update updated review
    explainer interview factbox q&a photos pictures podcast editorial obituary profile feature
    briefing quiz poll revealed pictured listen read more
    """.split()
)
# A label that reports a fact rather than a claim: "The White House confirms:".
_FACT_LABEL = re.compile(r"\b(confirms|confirmed|announces|announced)$", re.IGNORECASE)
# A claim's speaker at the end: "..., says Anelka", "..., police said".
_SPEAKER_AFTER = re.compile(
    r",\s*((?:says|said|claims|warns|insists|admits|according to)\s+[^,]{1,50}|"
    r"[^,]{1,50}?\s+(?:said|says|say|claimed|claims|warned|warns|told [\w ]{1,30}))$"
)
# A verb, so that a span is a clause: past forms, "to" + verb, auxiliaries, headline verbs.
_VERB = re.compile(
    r"\b(\w{2,}ed|to \w+|is|are|was|were|has|have|had|will|would|can|could|may|might|must|"
    r"should|does|did|do|says|said|won|wins|lost|loses|sold|sells|made|makes|took|takes|"
    r"gave|gives|got|gets|went|goes|came|comes|left|hit|hits|cut|cuts|set|sets|put|led|"
    r"leads|held|holds|fell|falls|rose|rises|ran|runs|grew|grows|paid|pays|sent|spent|"
    r"built|bought|buys|brought|kept|keeps|began|begins|broke|chose|drew|drove|flew|found|"
    r"finds|knew|met|meets|shot|spoke|stood|struck|threw|told|tells|wrote|beat|beats|became|"
    r"felt|fought|heard|hears|sought|seeks|shut|split|taught|tore|wins|backs|boost|boosts|"
    r"faces|face|plans|warns|calls|seen|shown|given|taken|known|done|gone|become|begun|"
    r"written|broken|chosen|driven|fallen|risen|stolen|sworn|thrown|worn|won)\b",
    re.IGNORECASE,
)
# Words that cannot end a clause: "readers are likely | to", "should be allowed | to".
_WANTS_COMPLEMENT = frozenset(
    "likely unlikely able unable allowed set expected willing due about ready going want wants "
    "whether if than because".split()
)
_AUXILIARY = frozenset(
    "is are was were be been has have had will would can could may might must should do does "
    "did to".split()
)


def _is_clause(span: str) -> bool:
    """Whether ``span`` has a verb and does not end on an auxiliary or "to"."""
    tokens = span.rstrip(" ,;:.").split()
    return (
        bool(tokens)
        and bool(_VERB.search(span))
        and tokens[-1].lower() not in _AUXILIARY
        and tokens[-1].lower() not in _WANTS_COMPLEMENT
        # "..., taking" or "... killed off marking": a participle that has lost its object
        and not (len(tokens) > 1 and tokens[-1].endswith("ing") and tokens[-2][-1] in ",")
    )


# Speakers not worth a name: the subject speaking of itself ("..., the firm said"), or
# figures that report rather than claim ("..., according to official figures").
_SELF_SPEAKERS = frozenset(
    "it,they,firm,company,group,bank,club,business,carmaker,retailer,airline,figures,data,"
    "statistics,official figures,government figures,government data,lending figures".split(",")
)
# What is left of an attribution once its speaker is taken out.
_SPEAKER_WORDS = re.compile(
    r"^,\s*|\b(according to|says|said|say|claims|claimed|warns|warned|insists|admits|"
    r"told [\w ]{1,30}|has|have|had|been|reportedly|its|their|his|her)\b",
    re.IGNORECASE,
)


def _is_subject(words_before: str) -> bool:
    """Whether the words before "said" are its subject, with no verb of their own.

    "Brown has made an appeal after reports claimed ..." is no claim by Brown; "A survey
    conducted by PC Pro revealed that ..." is one by the survey (a participle is no verb).
    """
    words_before = re.sub(r"\s+(has|have|had)$", "", words_before.strip())
    return all(
        _PARTICIPLE_PHRASE.match(words_before, m.start()) for m in _VERB.finditer(words_before)
    )


# A participle that describes a noun: "conducted by", "released on", "published last".
_PARTICIPLE_PHRASE = re.compile(
    r"\w+ed (by|in|on|at|for|from|with|last|this|earlier|yesterday|today)\b", re.IGNORECASE
)


def _speaker(subject: str) -> str:
    """The speaker in a subject, as a headline names them: "chairman Ann Lee" -> "Ann Lee"."""
    subject = _HEADLINESE.sub("", _WHEN.sub("", subject)).strip(" ,")
    # "a study released on Wednesday" -> "Study"
    subject = re.sub(r"\s+(has|have|had|reportedly|released|published|issued)$", "", subject)
    tokens = subject.split()
    if len(tokens) > 3:
        # The name at the end, with its inner "of" and "&": "Bank of England".
        name: list[str] = []
        for token in reversed(tokens):
            if token[:1].isupper() or (name and token.lower() in {"of", "&", "and", "for"}):
                name.insert(0, token)
            else:
                break
        while name and not name[0][:1].isupper():
            name.pop(0)
        # Without a name, the last three words and what they join: "trade and industry
        # secretary", not "and industry secretary".
        start = len(tokens) - 3
        while start > 0 and tokens[start].lower() in {"of", "&", "and", "for"}:
            start -= 1
        tokens = name or tokens[start:]
    text = " ".join(tokens)
    return text[:1].upper() + text[1:]


_SAYS = frozenset("says said say claims claimed warns warned".split())


def _split_attribution(text: str) -> tuple[str, str, str]:
    """``text`` as (speaker prefix, claim, speaker suffix); the speaker parts may be empty."""
    label = _LABEL_PREFIX.match(text)
    if label and count_words(label.group(1)) <= 4 and count_words(text[label.end() :]) >= 3:
        return label.group(0), text[label.end() :], ""
    after = _SPEAKER_AFTER.search(text)
    # The speaker is named, before or after the verb: ", said the" is a cut-off title.
    last = text.split()[-1].lower().strip(".,;:!?\"'") if after else ""
    named = last not in _DANGLING or last in _SAYS
    if after and named and count_words(text[: after.start()]) >= 3:
        return "", text[: after.start()], text[after.start() :]
    return "", text, ""


# "will" after a named subject, or after the subject saying it will: never "they to".
_WILL = re.compile(
    r"(?:\s+(?:has\s+)?(?:said|says|confirmed|announced)(?:\s+that)?\s+(?:it|they|he|she)|"
    + "".join(rf"(?<!\b{w})" for w in "i he it we you she they who that which there".split())
    + r"(?<=\w))\s+will\b(?!\s+not\b)",
    re.IGNORECASE,
)


def _simplify(text: str) -> str:
    """``text`` without site name, section label, dateline, asides or opening clause."""
    text = " ".join(text.split())
    text = _SITE_SUFFIX.sub("", text) if count_words(text) > 6 else text
    label = _LABEL_PREFIX.match(text)
    if (
        label
        and count_words(label.group(1)) <= 5
        and count_words(text[label.end() :]) >= 4
        and (label.group(1).lower() in _SECTION_LABELS or _FACT_LABEL.search(label.group(1)))
    ):
        text = text[label.end() :]  # "The White House confirms: ...", "Analysis: ..."
    text = DATELINE.sub("", text)
    for pattern in (_RELATIVE, _PAREN):
        shorter = pattern.sub("" if pattern is not _RELATIVE else ",", text).strip(" ,")
        if count_words(shorter) >= 4:
            text = shorter
    clause = _LEADING_CLAUSE.match(text)
    if clause and count_words(text[clause.end() :]) >= 5:
        rest = text[clause.end() :]
        text = rest[0].upper() + rest[1:]
    text = _WILL.sub(" to", text, count=1)  # headline style: "Apple (said it) will" -> "Apple to"
    return text.rstrip(" .;:,")


def _fit(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters before a clause or phrase, never mid-word."""
    if len(text) > limit:
        cut = text[: limit + 1]
        points = [m.start() for m in re.finditer(r",\s|;\s|\s[–—-]\s", cut)]
        points += [
            m.start() for m in re.finditer(r"\s(?=(" + "|".join(_BREAK_WORDS) + r")\b)", cut)
        ]
        # A cut keeps a whole clause where it can: a verb, not ending on an auxiliary.
        good = [
            p
            for p in points
            if count_words(text[:p]) >= 4
            and _is_clause(text[:p])
            and not _WANTS_MORE.match(text, p)
        ]
        # Else any phrase boundary but one that leaves a word wanting more ("wants | to").
        good = good or [
            p for p in points if count_words(text[:p]) >= 4 and not _WANTS_MORE.match(text, p)
        ]
        text = text[: max(good)] if good else cut.rsplit(" ", 1)[0]
    tokens = text.rstrip(" ,;:–—-").split()
    while len(tokens) > 3:
        last = tokens[-1].rstrip(",;:–—-")
        if last and last.lower().strip("\"'“”‘’") not in _DANGLING:
            tokens[-1] = last  # "despite the slowdown, | according" keeps "slowdown"
            break
        tokens.pop()
    return _balance(" ".join(tokens)).rstrip(" ,;:.")


def _balance(text: str) -> str:
    """Drop a quotation mark or bracket left open by the cut."""
    for opener, closer in (('"', '"'), ("“", "”"), ("(", ")")):
        if opener == closer and text.count(opener) % 2:
            text = text.replace(opener, "")
        elif opener != closer and text.count(opener) != text.count(closer):
            text = text.replace(opener, "").replace(closer, "")
    return text
