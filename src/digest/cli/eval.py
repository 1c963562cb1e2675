"""`digest eval STAGE`: the commands that score a stage on a labelled set.

Each imports its stage and the scorer when it runs, as every command does.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from digest.cli.args import add_command, add_config, positive
from digest.config import ALGORITHMS, load_config
from digest.errors import InputError, UsageError

if TYPE_CHECKING:
    from digest.models import Article, Brief


def add_eval_commands(commands: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The ``digest eval`` group; each stage adds its own ``digest eval STAGE`` here."""
    group = add_command(
        commands,
        "eval",
        help="score a stage of the pipeline on a labelled set",
        description="Score a stage of the pipeline on a labelled evaluation set.",
    )
    stages = group.add_subparsers(
        title="stages", required=True, metavar="STAGE", help="the stage to score"
    )

    p = add_command(
        stages,
        "extraction",
        help="score the HTML extractor on a set of pages",
        description=(
            "Score the HTML extractor on DIR (expected.jsonl plus gzipped pages): token "
            "precision, recall and F1 averaged over pages, the share of pages whose text "
            "keeps a boilerplate line, and the median milliseconds per page."
        ),
    )
    p.add_argument("directory", type=Path, metavar="DIR", help="the set's directory")
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    p.add_argument(
        "--predictions",
        type=Path,
        metavar="FILE",
        help="write one JSON line per page: id, text, title, author, published",
    )
    p.add_argument(
        "--extractor",
        choices=["digest", "trafilatura"],
        default="digest",
        help="digest's extractor (default) or plain trafilatura, for comparison",
    )
    p.add_argument(
        "--with-title",
        action="store_true",
        help="score the title as the text's first line, for sets whose labelled text "
        "includes the headline (dragnet)",
    )
    p.set_defaults(command=run_eval_extraction)
    _add_summary_evals(stages)
    _add_story_evals(stages)
    _add_bounce_eval(stages)
    return stages


def _add_bounce_eval(evaluations: argparse._SubParsersAction) -> None:
    p = add_command(
        evaluations,
        "bounces",
        help="classify a labelled set of bounce messages and score it",
        description="Classify every message of DIR (expected.jsonl plus messages/) as a hard "
        "or soft bounce, complaint, auto-reply, sender-side block or not a bounce, with its "
        "failed recipients; print kind accuracy, recipients exactly right, false "
        "suppressions and missed hard bounces.",
    )
    p.add_argument("directory", type=Path, metavar="DIR", help="the set's directory")
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    p.add_argument(
        "--predictions",
        type=Path,
        metavar="OUT",
        help="write one JSON line per message: file, kind, recipients, per_recipient",
    )
    p.set_defaults(command=run_eval_bounces)


def run_eval_bounces(args: argparse.Namespace) -> int:
    from digest.evaluate.bounces import load_expected, predict, report, score
    from digest.outputs import write_atomic

    rows = load_expected(args.directory)
    predictions = predict(args.directory, rows)
    if args.predictions:
        lines = [json.dumps(p.row(), ensure_ascii=False) + "\n" for p in predictions]
        try:
            write_atomic(args.predictions, "".join(lines))
        except OSError as exc:
            raise InputError(str(args.predictions), f"cannot be written: {exc}") from exc
    scores = score(rows, predictions)
    print(json.dumps(scores, indent=2) if args.json else report(scores))
    return 0


def _add_summary_evals(evaluations: argparse._SubParsersAction) -> None:
    for name, run, what, reference in (
        ("summaries", run_eval_summaries, "briefs", "reference"),
        ("headlines", run_eval_headlines, "headlines made from the article text", "headline"),
    ):
        p = add_command(
            evaluations,
            name,
            help=f"ROUGE of the {what} against the rows' {reference!r}",
            description=f"ROUGE F1 (rouge-score, stemmed) of the {what} against each row's "
            f"{reference!r}, beside simple baselines. FILE holds JSON lines with 'id', "
            f"'article' and {reference!r}.",
        )
        p.add_argument("file", type=Path, metavar="FILE", help="JSON-lines data set")
        p.add_argument("--limit", type=positive, metavar="N", help="score the first N rows")
        p.add_argument("--json", action="store_true", help="print the report as JSON")
        p.add_argument(
            "--predictions", type=Path, metavar="OUT", help="write one JSON line per row"
        )
        add_config(p)
        if name == "summaries":
            p.add_argument(
                "--algorithm", choices=ALGORITHMS, help="rank sentences with this algorithm"
            )
            p.add_argument(
                "--stock",
                action="store_true",
                help="score sumy's own three sentences, without the brief's rules "
                "(with a sumy --algorithm)",
            )
        p.set_defaults(command=run)


def run_eval_summaries(args: argparse.Namespace) -> int:
    from digest.evaluate.summaries import evaluate_summaries, load_rows  # rouge: eval only
    from digest.models import Brief
    from digest.summarize import stock_sentences, summarize

    config = load_config(args.config)
    algorithm = args.algorithm or config.algorithm
    if args.stock and algorithm == "digest":
        raise UsageError("--stock needs a sumy --algorithm (lexrank, lsa, textrank, ...)")
    rows = load_rows(args.file, "reference", args.limit)

    def brief(article: Article) -> Brief:
        if args.stock:
            chosen = stock_sentences(article.text, 3, algorithm=algorithm, language=config.language)
            return Brief(title="", headline="", sentences=tuple(chosen))
        return summarize(
            article, sentences=config.sentences, algorithm=algorithm, language=config.language
        )

    report = evaluate_summaries(rows, brief, args.predictions)
    report["algorithm"] = f"{algorithm} (stock sumy)" if args.stock else algorithm
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{args.file}: {report['rows']} articles, algorithm {report['algorithm']}")
    print(f"{'':12}{'R-1':>8}{'R-2':>8}{'R-Lsum':>8}")
    for name, label in (("digest", "briefs"), ("lead2", "Lead-2"), ("lead3", "Lead-3")):
        scores = report[name]
        print(
            f"{label:12}" + "".join(f"{scores[k]:8.2f}" for k in ("rouge1", "rouge2", "rougeLsum"))
        )
    timing = report["ms_per_article"]
    print(f"ms per article: median {timing['median']}, p95 {timing['p95']}, max {timing['max']}")
    return 0


def run_eval_headlines(args: argparse.Namespace) -> int:
    from digest.evaluate.summaries import evaluate_headlines, load_rows
    from digest.models import Article
    from digest.summarize import summarize

    config = load_config(args.config)
    rows = load_rows(args.file, "headline", args.limit)

    def headline(text: str) -> str:
        return summarize(Article(title="", text=text, origin=""), language=config.language).headline

    report = evaluate_headlines(rows, headline, args.predictions)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{args.file}: {report['rows']} articles")
    print(f"{'':16}{'R-1':>8}{'R-2':>8}{'R-L':>8}")
    for name, label in (("digest", "headlines"), ("first10words", "first 10 words")):
        scores = report[name]
        print(f"{label:16}" + "".join(f"{scores[k]:8.2f}" for k in ("rouge1", "rouge2", "rougeL")))
    print(f"mean headline length: {report['mean_characters']} characters")
    return 0


def run_eval_extraction(args: argparse.Namespace) -> int:
    from digest.evaluate.extraction import evaluate, prediction_row
    from digest.outputs import write_atomic

    report = evaluate(args.directory, extractor=args.extractor, with_title=args.with_title)
    if args.predictions:
        lines = [json.dumps(prediction_row(page), ensure_ascii=False) for page in report.pages]
        try:
            write_atomic(args.predictions, "".join(line + "\n" for line in lines))
        except OSError as exc:
            raise InputError(str(args.predictions), f"cannot be written: {exc}") from exc
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        scores = report.to_dict()
        print(f"{scores['set']}: {scores['pages']} pages, extractor {scores['extractor']}")
        for key in ("precision", "recall", "f1", "boilerplate_share", "median_ms"):
            print(f"  {key:18} {scores[key]}")
        for key in ("title_match", "title_core_match", "author_match", "date_match"):
            if scores[key] is not None:
                print(f"  {key:18} {scores[key]}")
    return 0


# --- digest eval clusters | stories ------------------------------------------------


def _add_story_evals(evaluations: argparse._SubParsersAction) -> None:
    p = add_command(
        evaluations,
        "clusters",
        help="group articles into stories and score against labelled stories",
        description="Group FILE's articles (JSON lines: id, title, text, published, source, "
        "url) into stories as one pool, with the digest's own grouping; when every row has "
        "a 'cluster' label, print BCubed and pairwise precision, recall and F1.",
    )
    p.add_argument("file", type=Path, metavar="FILE", help="JSON-lines data set")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--predictions", type=Path, metavar="OUT", help="write one JSON line per row: id, cluster"
    )
    p.add_argument(
        "--threshold",
        type=float,
        metavar="T",
        help="least mean cosine for two groups to merge (default: the digest's)",
    )
    p.add_argument(
        "--window-hours",
        type=float,
        metavar="H",
        help="dated articles further apart are never one story (default: the digest's; "
        "inf: dates never keep articles apart)",
    )
    p.set_defaults(command=run_eval_clusters)

    p = add_command(
        evaluations,
        "stories",
        help="ROUGE of one brief per story against the rows' 'reference' and 'headline'",
        description="Make one brief per story of FILE (JSON lines: cluster_id, articles "
        "[{title, text, source, url}], reference?, headline?) and print ROUGE F1 of the "
        "briefs and of the first article's lead against 'reference', and of the headlines "
        "and the first article's title against 'headline'.",
    )
    p.add_argument("file", type=Path, metavar="FILE", help="JSON-lines data set")
    p.add_argument(
        "--sentences", type=positive, default=3, metavar="N", help="sentences a brief (default: 3)"
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--predictions",
        type=Path,
        metavar="OUT",
        help="write one JSON line per story: cluster_id, headline, sentences",
    )
    p.set_defaults(command=run_eval_stories)


def run_eval_clusters(args: argparse.Namespace) -> int:
    from functools import partial

    from digest.evaluate.clusters import evaluate_clusters, load_rows
    from digest.stories import group_stories

    given = {"threshold": args.threshold, "window_hours": args.window_hours}
    group = partial(group_stories, **{k: v for k, v in given.items() if v is not None})
    report = evaluate_clusters(load_rows(args.file), group, args.predictions)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    labelled = f" ({report['gold_stories']} labelled)" if "bcubed" in report else ""
    print(
        f"{args.file}: {report['articles']} articles -> {report['stories']} stories{labelled}, "
        f"grouped in {report['cpu_seconds']} s CPU"
    )
    if "bcubed" in report:
        print(f"{'':10}{'P':>8}{'R':>8}{'F1':>8}")
        for name in ("bcubed", "pairwise"):
            scores = report[name]
            print(
                f"{name:10}" + "".join(f"{scores[k]:8.2f}" for k in ("precision", "recall", "f1"))
            )
    return 0


def run_eval_stories(args: argparse.Namespace) -> int:
    from functools import partial

    from digest.evaluate.stories import evaluate_stories, load_rows
    from digest.summarize import summarize_story

    summarize_one = partial(summarize_story, sentences=args.sentences)
    report = evaluate_stories(load_rows(args.file), summarize_one, args.sentences, args.predictions)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(
        f"{args.file}: {report['stories']} stories, {report['articles']} articles, "
        f"{report['cpu_ms_per_story']} ms CPU a story"
    )
    for systems, keys, header in (
        (("briefs", "lead"), ("rouge1", "rouge2", "rougeLsum"), "R-Lsum"),
        (("headlines", "first_title"), ("rouge1", "rouge2", "rougeL"), "R-L"),
    ):
        if systems[0] not in report:
            continue
        print(f"{'':20}{'R-1':>8}{'R-2':>8}{header:>8}")
        for name in systems:
            label = {"lead": f"first lead-{args.sentences}", "first_title": "first title"}
            scores = report[name]
            print(f"{label.get(name, name):20}" + "".join(f"{scores[k]:8.2f}" for k in keys))
    return 0
