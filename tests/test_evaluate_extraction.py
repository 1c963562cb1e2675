"""`digest eval extraction`: the metric's arithmetic and the command on a tiny set."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from digest.cli import main
from digest.evaluate.extraction import (
    PageScore,
    Report,
    boilerplate_lines,
    evaluate,
    title_parts,
    token_scores,
)

STORY_A = [
    "The lighthouse on Gull Point will be automated next spring, the trust said on Monday.",
    "Its last keeper, who has tended the lamp for thirty years, will retire in April.",
    "Visitors will still be able to climb the tower on summer weekends.",
]
STORY_B = [
    "A storm brought down three old oaks in the town park overnight, the council said.",
    "No one was hurt, but the bandstand roof was damaged by a falling branch.",
    "The park will stay closed until the trees have been cleared.",
]


def _page(title: str, story: list[str]) -> str:
    return (
        f"<html><head><title>{title}</title></head><body>"
        "<nav><a href='/'>Home</a> | <a href='/n'>News</a> | <a href='/s'>Sport</a></nav>"
        f"<article><h1>{title}</h1>{''.join(f'<p>{p}</p>' for p in story)}"
        "<p>Sign up for our newsletter to get the news in your inbox.</p></article>"
        "<footer><p>© 2026 The Gull Point Gazette. All rights reserved.</p></footer>"
        "</body></html>"
    )


@pytest.fixture
def eval_set(tmp_path: Path) -> Path:
    """Two invented pages in the layout of the shared eval sets."""
    (tmp_path / "pages").mkdir()
    rows = []
    for name, title, story in (("a", "Lighthouse", STORY_A), ("b", "Storm", STORY_B)):
        (tmp_path / "pages" / f"{name}.html.gz").write_bytes(
            gzip.compress(_page(title, story).encode())
        )
        rows.append(
            {
                "id": name,
                "file": f"pages/{name}.html.gz",
                "url": f"https://gazette.example/{name}",
                "text": "\n".join(story),
                "title": title,
                "author": None,
                "date": None,
            }
        )
    (tmp_path / "expected.jsonl").write_text(
        "".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8"
    )
    return tmp_path


def test_token_scores_count_a_bag_of_tokens():
    assert token_scores("a b c", "a b d") == pytest.approx((2 / 3, 2 / 3, 2 / 3))
    # Repeats count as often as they occur on both sides, no more.
    precision, recall, f1 = token_scores("a a a b", "a b b")
    assert (precision, recall) == pytest.approx((2 / 4, 2 / 3))
    assert f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))


def test_token_scores_on_empty_texts():
    assert token_scores("", "") == (1.0, 1.0, 1.0)
    assert token_scores("", "some text") == (0.0, 0.0, 0.0)
    assert token_scores("some text", "") == (0.0, 0.0, 0.0)
    assert token_scores("x y", "a b") == (0.0, 0.0, 0.0)


def test_boilerplate_line_counts_only_when_not_in_the_expected_text():
    expected = "The trust runs a newsletter for members.\nThe lamp is lit at dusk."
    predicted = "\n".join(
        [
            "The trust runs a newsletter for members.",  # in the expected text
            "Sign up for our newsletter",
            "© 2026 Gull Point Gazette",
            "Updated 3 March 2026",
            "Photo: Ann Lee/Reuters",
            "The lamp is lit at dusk.",
        ]
    )
    assert boilerplate_lines(predicted, expected) == [
        "Sign up for our newsletter",
        "© 2026 Gull Point Gazette",
        "Updated 3 March 2026",
        "Photo: Ann Lee/Reuters",
    ]


def test_long_article_sentence_is_never_boilerplate():
    sentence = (
        "Readers who subscribe to the print edition were told on Monday that the newsletter"
        " would close, ending a run of forty years in which it had never once missed an issue."
    )
    assert boilerplate_lines(sentence, "") == []


def _page_score(id: str, f1: float, ms: float, boilerplate: tuple[str, ...] = ()) -> PageScore:
    return PageScore(
        id=id,
        precision=f1,
        recall=f1,
        f1=f1,
        boilerplate=boilerplate,
        ms=ms,
        extracted=None,
        expected={"title": "T", "author": None, "date": None},
        got={"title": "t", "author": None, "date": None},
    )


def test_report_averages_over_pages_and_takes_the_median_time():
    report = Report(
        set="s",
        extractor="digest",
        pages=(
            _page_score("a", 1.0, 10.0),
            _page_score("b", 0.5, 30.0, ("Advertisement",)),
            _page_score("c", 0.0, 1000.0),
        ),
    )
    scores = report.to_dict()
    assert scores["f1"] == 0.5
    assert scores["boilerplate_share"] == pytest.approx(0.3333, abs=1e-4)
    assert scores["median_ms"] == 30.0
    assert scores["title_match"] == 1.0  # case aside
    assert scores["author_match"] is None  # no page has one


def test_clean_pages_score_full_marks(eval_set):
    report = evaluate(eval_set)
    assert [page.id for page in report.pages] == ["a", "b"]
    assert report.f1 == pytest.approx(1.0)
    assert report.boilerplate_share == 0.0


def test_plain_trafilatura_is_scored_the_same_way(eval_set):
    report = evaluate(eval_set, extractor="trafilatura")
    assert report.extractor == "trafilatura"
    # It keeps the sign-up line: full recall, less precision, boilerplate on every page.
    assert report.recall == pytest.approx(1.0)
    assert report.precision < 1.0
    assert report.boilerplate_share == 1.0


def test_with_title_scores_the_headline_as_the_texts_first_line(eval_set):
    # Labels that hold the headline, as dragnet's do: text alone misses its tokens.
    index = eval_set / "expected.jsonl"
    rows = [json.loads(line) for line in index.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        row["text"] = f"{row['title']}\n{row['text']}"
    index.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    assert evaluate(eval_set).recall < 1.0
    report = evaluate(eval_set, with_title=True)
    assert report.f1 == pytest.approx(1.0)
    assert report.extractor == "digest (title + text)"


def test_eval_command_prints_json_and_writes_predictions(eval_set, tmp_path, capsys):
    predictions = tmp_path / "predictions.jsonl"
    code = main(["eval", "extraction", str(eval_set), "--json", "--predictions", str(predictions)])
    assert code == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["pages"] == 2 and scores["f1"] == 1.0
    rows = [json.loads(line) for line in predictions.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in rows] == ["a", "b"]
    assert rows[0]["text"] == "\n".join(STORY_A)
    assert set(rows[0]) == {"id", "text", "title", "author", "published"}


def test_eval_command_on_a_directory_without_a_set_is_a_clear_error(tmp_path, capsys):
    assert main(["eval", "extraction", str(tmp_path)]) == 4
    err = capsys.readouterr().err
    assert err.startswith("digest: error: ") and "expected.jsonl" in err


def test_title_parts_are_the_runs_between_separators():
    parts = title_parts("Dredging begins @ Harbour Notes :: Northport Blogs ::")
    assert "dredging begins" in parts
    assert "dredging begins @ harbour notes" in parts
    assert "harbour" not in parts
