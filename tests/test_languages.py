"""A story in another language than the issue's has its own lang (and dir); with
language = "auto" the issue's lang is that of most of its stories."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from digest.config import Config
from digest.langs import main_language, script_language, text_direction
from digest.models import Article
from digest.pipeline import make_issue

TODAY = date(2026, 3, 3)

ENGLISH = (
    "The council voted on Monday to rebuild the old harbour wall before the winter storms. "
    "It will cost more than the town had planned, and the work starts in May. "
    "Residents said they had waited for the repairs for ten years."
)
ENGLISH_2 = (
    "The library will open on Sundays from April after a petition signed by two thousand "
    "people. The extra hours are paid for by a grant from the county. "
    "Staff said that families had asked for it for a long time."
)
CHINESE = (
    "市政府周一宣布，新的地铁线路将于明年开通。这条线路连接城市东部和机场，全长二十公里。"
    "官员表示，工程已经完成了八成，票价将与现有线路相同。"
)
ARABIC = (
    "أعلنت البلدية يوم الاثنين أن السوق القديم سيعاد افتتاحه في الصيف بعد ترميمه. "
    "وقال المسؤولون إن العمل أنجز بنسبة ثمانين في المئة. "
    "ويضم السوق الجديد ثلاثين متجرا ومطبخا للجميع."
)
HEBREW = (
    "בית הספר החדש בשכונה ייפתח בספטמבר ויקלוט שש מאות תלמידים. "
    "ראש העירייה אמר כי הבנייה הסתיימה לפני המועד. "
    "ההורים ביקשו את בית הספר במשך שנים רבות."
)
GERMAN = (
    "Der Stadtrat hat am Montag beschlossen, dass die neue Brücke über den Fluss im Sommer "
    "gebaut wird. Die Kosten sind höher als geplant, aber die Bürger haben sich für das "
    "Projekt ausgesprochen. Nach Angaben der Stadt soll die Brücke im nächsten Jahr fertig sein."
)
GERMAN_2 = (
    "Die Bibliothek wird ab April auch am Sonntag geöffnet sein, weil sich viele Familien "
    "das gewünscht haben. Das Geld dafür kommt von dem Land. Die Mitarbeiter sind mit der "
    "Lösung zufrieden und freuen sich auf die neuen Besucher."
)


def article(n: int, title: str, text: str) -> Article:
    url = f"https://news{n}.example.org/story"
    return Article(
        title=title,
        text=text,
        origin=url,
        url=url,
        source=f"Outlet {n}",
        published=datetime(2026, 3, 3, tzinfo=UTC) - timedelta(hours=n),
        ids=(f"url:{url}",),
    )


def story_cells(html: str) -> dict[str, str]:
    """Each story's opening <td> tag, by a word of its text."""
    cells = re.findall(r'(<td class="p s[^>]*>)(.*?)</td>', html, re.S)
    return {body: tag for tag, body in cells}


def cell_of(html: str, word: str) -> str:
    found = [tag for body, tag in story_cells(html).items() if word in body]
    assert len(found) == 1, f"{word!r} is in {len(found)} stories"
    return found[0]


@pytest.fixture(scope="module")
def mixed_issue() -> str:
    articles = [
        article(1, "Harbour wall to be rebuilt", ENGLISH),
        article(2, "新地铁线路明年开通", CHINESE),
        article(3, "إعادة افتتاح السوق القديم", ARABIC),
        article(4, "בית ספר חדש בשכונה", HEBREW),
        article(5, "Library opens on Sundays", ENGLISH_2),
    ]
    return make_issue(Config(language="english"), articles, TODAY).html


def test_a_chinese_story_in_an_english_issue_has_its_own_lang(mixed_issue):
    assert re.search(r'<html lang="en" dir="ltr"', mixed_issue)
    tag = cell_of(mixed_issue, "地铁")
    assert ' lang="zh"' in tag and " dir=" not in tag


@pytest.mark.parametrize(("word", "lang"), [("السوق", "ar"), ("הספר", "he")])
def test_arabic_and_hebrew_stories_run_right_to_left(mixed_issue, word, lang):
    tag = cell_of(mixed_issue, word)
    assert f' lang="{lang}" dir="rtl"' in tag


def test_stories_in_the_issues_language_have_no_lang_of_their_own(mixed_issue):
    for word in ("harbour", "library"):
        tag = cell_of(mixed_issue, word)
        assert " lang=" not in tag and " dir=" not in tag


def test_the_contents_list_marks_each_headline_in_its_own_language(mixed_issue):
    contents = mixed_issue.split("In this issue", 1)[1].split("</ol>", 1)[0]
    entries = re.findall(r"<a href=\"#story-\d+\"([^>]*)>([^<]+)</a>", contents)
    assert len(entries) == 5
    attributes = {text[:2]: attributes for attributes, text in entries}
    assert attributes["新地"].startswith(' lang="zh" style')
    assert attributes["إع"].startswith(' lang="ar" dir="rtl" style')
    assert attributes["Ha"].startswith(" style")


def test_an_auto_issue_takes_the_language_of_most_of_its_stories():
    articles = [
        article(1, "Neue Brücke über den Fluss", GERMAN),
        article(2, "Harbour wall to be rebuilt", ENGLISH),
        article(3, "Bibliothek am Sonntag geöffnet", GERMAN_2),
    ]
    html = make_issue(Config(language="auto"), articles, TODAY).html
    assert re.search(r'<html lang="de" dir="ltr"', html)
    assert ' lang="en"' in cell_of(html, "harbour")
    assert " lang=" not in cell_of(html, "Brücke")


def test_an_auto_issue_of_arabic_stories_runs_right_to_left_throughout():
    html = make_issue(Config(language="auto"), [article(1, "السوق", ARABIC)], TODAY).html
    assert re.search(r'<html lang="ar" dir="rtl"', html)
    assert " lang=" not in cell_of(html, "السوق")


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (CHINESE, "zh"),
        ("東京の新しい駅は来年に開業する予定です。", "ja"),
        ("서울시는 새로운 지하철 노선을 발표했다.", "ko"),
        (ARABIC, "ar"),
        (HEBREW, "he"),
        ("Η νέα γέφυρα θα ανοίξει το καλοκαίρι.", "el"),
        (ENGLISH, None),
        ("Новый мост откроется летом.", None),  # Cyrillic: several languages share it
        ("", None),
        ("2026 — 42 %", None),
    ],
)
def test_the_script_says_the_language_where_one_language_writes_it(text, lang):
    assert script_language(text) == lang


def test_direction_and_main_language():
    assert text_direction("ar") == text_direction("he-IL") == "rtl"
    assert text_direction("zh") == text_direction(None) == "ltr"
    assert main_language(["de", "en", "de", None], "en") == "de"
    assert main_language(["en", "de"], "fr") == "en"  # the first of equals
    assert main_language([None], "fr") == "fr"
