"""The evaluation commands on a small data set of our own."""

import json
from pathlib import Path

import pytest

from digest.errors import InputError
from digest.evaluate.summaries import Row, evaluate_headlines, evaluate_summaries, load_rows
from digest.models import Article, Brief
from tests.conftest import run_digest as run

EVAL = Path(__file__).parent / "fixtures" / "eval"


def test_a_summary_equal_to_the_reference_scores_100_and_lead_is_scored_alike():
    row = Row("x", "One sentence here. Another one here. A third one here.", "One sentence here.")

    def perfect(article: Article) -> Brief:
        return Brief(title="", headline="", sentences=("One sentence here.",))

    report = evaluate_summaries([row], perfect)
    assert report["digest"] == {"rouge1": 100.0, "rouge2": 100.0, "rougeLsum": 100.0}
    # Lead-2 holds the reference and three more words: precision 3/6, recall 1.
    assert report["lead2"]["rouge1"] == pytest.approx(66.67, abs=0.01)
    assert report["rows"] == 1 and report["ms_per_article"]["median"] >= 0


def test_headline_scores_against_the_first_ten_words_baseline():
    row = Row("x", "Alpha beta gamma delta epsilon zeta eta theta iota kappa lambda.", "alpha beta")
    report = evaluate_headlines([row], lambda text: "alpha beta")
    assert report["digest"]["rouge1"] == 100.0
    assert report["first10words"]["rouge1"] == pytest.approx(
        100 * 2 * (2 / 10) / (1 + 2 / 10), abs=0.01
    )


def test_rows_that_lack_a_field_are_a_clear_error(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "article": "text"}\n')
    with pytest.raises(InputError, match=r"bad\.jsonl:1"):
        load_rows(bad, "reference")


def test_eval_summaries_command_reports_briefs_and_lead_baselines(tmp_path):
    predictions = tmp_path / "pred.jsonl"
    result = run(
        "eval",
        "summaries",
        str(EVAL / "summaries.jsonl"),
        "--json",
        "--predictions",
        str(predictions),
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["rows"] == 3
    for system in ("digest", "lead2", "lead3"):
        assert set(report[system]) == {"rouge1", "rouge2", "rougeLsum"}
        assert 0 < report[system]["rouge1"] <= 100
    lines = [json.loads(line) for line in predictions.read_text().splitlines()]
    assert [line["id"] for line in lines] == ["a1", "a2", "a3"]
    assert all(set(line) == {"id", "headline", "sentences"} and line["sentences"] for line in lines)


def test_eval_summaries_limit_and_stock_sumy():
    result = run(
        "eval",
        "summaries",
        str(EVAL / "summaries.jsonl"),
        "--limit",
        "2",
        "--algorithm",
        "lexrank",
        "--stock",
    )
    assert result.returncode == 0, result.stderr
    assert "2 articles, algorithm lexrank (stock sumy)" in result.stdout
    assert "Lead-3" in result.stdout


def test_stock_needs_a_sumy_algorithm():
    result = run(
        "eval", "summaries", str(EVAL / "summaries.jsonl"), "--stock", "--algorithm", "digest"
    )
    assert result.returncode == 2 and "--stock" in result.stderr


def test_eval_headlines_command(tmp_path):
    result = run("eval", "headlines", str(EVAL / "headlines.jsonl"), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["rows"] == 2 and report["digest"]["rouge1"] > 0


def test_eval_of_a_missing_file_exits_4():
    result = run("eval", "headlines", "/nonexistent.jsonl")
    assert result.returncode == 4 and result.stderr.startswith("digest: error:")


@pytest.mark.parametrize("line", ["[1, 2]", '{"article": 5, "headline": "x"}', "not json"])
def test_rows_that_are_not_articles_are_a_clear_error(tmp_path, line):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(line + "\n")
    with pytest.raises(InputError, match=r"bad\.jsonl:1"):
        load_rows(bad, "headline")


def test_predictions_that_cannot_be_written_exit_4(tmp_path):
    result = run(
        "eval",
        "headlines",
        str(EVAL / "headlines.jsonl"),
        "--predictions",
        str(tmp_path / "missing" / "out.jsonl"),
    )
    assert result.returncode == 4 and result.stderr.startswith("digest: error:")
