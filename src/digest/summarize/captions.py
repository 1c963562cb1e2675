"""Photo captions and page furniture run into sentences by flattened page text."""

from __future__ import annotations

import re

DAY = r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
MONTH_NAME = (
    r"(January|February|March|April|May|June|July|August|September|October|November|December)"
)
# Page text flattened without its line breaks runs a photo caption, which has no full stop,
# into the next sentence: "... at a Polish animal shelter Veterinarian Lucyna ...". The join
# shows as a sentence opener after a lower-case word: "... at the club on Friday The manager
# said ...", "... on Friday 'I'd be over the moon', said ...". A title keeps its capitals
# ("in The Great Escape starring"), and a quotation after "said" is no join.
_RUN_ON = re.compile(
    r" (?:[‘'\"“](?:I|We|They|He|She|It|The)|The|He|She|It|They|His|Her|Their|This|These|"
    r"Those|When|Now|But|As|After|Like|If|We|Its|There|Here)(?= [a-z])"
)
# The word before the join: lower case, a number, a day or month ("on Friday The"), or a
# closing bracket ("(pictured) The").
_JOINED_WORD = re.compile(rf"[a-z][a-z'’-]*|\d+|.*[a-z]\)|{DAY}|{MONTH_NAME}")
# Words that introduce a quotation or a title rather than end a caption: "said 'I ...",
# "phrases like "I love you"", "a place of 'I want ...'".
_INTRODUCES = frozenset(
    "said says say saying states stated told asked added adding wrote reads read called "
    "captioned titled entitled shouted that and or like with of as is was are were be from to "
    "in on at by for about".split()
)
# More openers that only a join puts after a lower-case word: "... the festival Although
# the kite ...", "... $5,000 In her lawsuit ...", "... the curriculum However, Tory ...".
_RUN_ON_MORE = re.compile(
    r" (?:In|Although|While|During|Despite|Following|Speaking|According|However|Meanwhile|"
    r"Since|Before|Once|Some|Many|One|Two|Three|Police|Officers)(?=,? [a-z])"
)
# A sentence opener after a capitalised word: "... the Bahrain Grand Prix It was ...".
_RUN_ON_AFTER_NAME = re.compile(r"(?<=[a-z]) (?:It|He|She|They|The|His|Her|Their|We) (?=[a-z])")
_SPEECH = (
    r"(said|says|say|added|adds|told|tells|explained|wrote|writes|tweeted|stated|insisted|"
    r"claimed|replied|asked|warned|admitted|revealed|declared|continued|concluded|recalled)"
)
# A caption's label after a lower-case word: "... the apartment block Slow response: People
# ...". Not a speaker ("The PM added: "), a clause ("only Lee can answer: Will ...") or a
# time ("held Sunday evening: The coffin ...").
_CAPTION_LABEL = re.compile(
    rf"(?<=[a-z0-9)’'] )(?!{DAY}|{MONTH_NAME})[A-Z][a-z][\w'’-]*(?: [a-z][\w'’-]*){{0,2}}: "
    r"(?=[A-Z][a-z])"
)
_NOT_LABEL = re.compile(rf"\b({_SPEECH}|can|could|will|would|may|might|must|should)\b")
_DETERMINERS = frozenset("the a an this that these those our their his her its my your".split())
_FURNITURE = re.compile(r"\bScroll down for video\b", re.IGNORECASE)


def _caption_joins(sentence: str) -> list[tuple[int, bool]]:
    """Where a caption or page furniture runs into the text after it, in order, each with
    whether a caption starts there (rather than the sentence it ran into)."""
    joins: list[tuple[int, bool]] = []
    for pattern in (_RUN_ON, _RUN_ON_MORE):
        for join in pattern.finditer(sentence):
            before = sentence[: join.start()].rsplit(" ", 1)[-1]
            if _JOINED_WORD.fullmatch(before) and before.rstrip("'’") not in _INTRODUCES:
                joins.append((join.start(), False))
    for join in _RUN_ON_AFTER_NAME.finditer(sentence):
        before = sentence[: join.start()].rsplit(" ", 1)[-1]
        if before[:1].isupper() and " " in sentence[: join.start()]:
            joins.append((join.start(), False))
    for label in _CAPTION_LABEL.finditer(sentence) if ": " in sentence else ():
        before = sentence[: label.start() - 1].rsplit(" ", 1)[-1]
        if (
            not _NOT_LABEL.search(label.group())
            and _JOINED_WORD.fullmatch(before)
            and before not in _INTRODUCES
            and before not in _DETERMINERS
            and not before[:1].isupper()
        ):
            joins.append((label.start() - 1, True))
    return sorted(joins)


def is_run_on(sentence: str) -> bool:
    """Whether ``sentence`` is a caption or page furniture run into a sentence."""
    return bool(_FURNITURE.search(sentence) or _caption_joins(sentence))


def drop_captions(sentence: str) -> str:
    """The sentence that captions or page furniture ran into, without them ("" if none).

    Flattened page text runs a caption, which has no full stop, into the sentence after it;
    the sentence is worth having, the caption reads as garbled.
    """
    joins = _caption_joins(sentence)
    if not joins:
        return sentence
    start, caption = joins[-1]
    return "" if caption else sentence[start + 1 :]


def is_dangling_quote(sentence: str) -> bool:
    """Whether a quotation opens or closes in ``sentence`` without its other half."""
    if sentence.count('"') % 2:
        return True
    if sentence.count("“") != sentence.count("”"):
        return True
    return sentence.count("(") != sentence.count(")")
