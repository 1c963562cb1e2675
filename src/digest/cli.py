"""Command line: a thin shell over the library.

Exit codes: 0 success, 1 error, 2 usage error, 3 configuration error, 4 unusable input
file, 5 no usable article; see README.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from digest import __version__
from digest.config import load_config
from digest.errors import DigestError, InputError
from digest.ingest import load_file
from digest.pipeline import build, write_atomic
from digest.summarize import summarize

log = logging.getLogger("digest")


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="digest: %(levelname)s: %(message)s",
    )
    try:
        return int(args.command(args) or 0)
    except DigestError as exc:
        if args.verbose:
            log.exception("details")
        hint = f" ({exc.hint})" if exc.hint else ""
        print(f"digest: error: {exc}{hint}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("digest: interrupted", file=sys.stderr)
        return 130


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digest", description="Turn articles into a newsletter digest email."
    )
    parser.add_argument("--version", action="version", version=f"digest {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="show details and tracebacks")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    p = commands.add_parser(
        "build",
        help="build the digest from the configured sources",
        description="Build digest.html, digest.txt and digest.json from the configured sources.",
    )
    p.add_argument(
        "--config", type=Path, metavar="FILE", help="configuration file (default: digest.toml)"
    )
    p.add_argument("--out", type=Path, metavar="DIR", help="output directory (default: out)")
    p.add_argument(
        "--date", type=date.fromisoformat, metavar="YYYY-MM-DD", help="issue date (default: today)"
    )
    p.set_defaults(command=run_build)

    p = commands.add_parser(
        "brief",
        help="print the brief of one article file",
        description="Print the headline and summary sentences of one .md, .html or .txt file.",
    )
    p.add_argument("path", type=Path, metavar="PATH", help="the article file")
    p.add_argument(
        "--sentences",
        type=_positive,
        default=None,
        metavar="N",
        help="sentences in the brief (default: 3)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--config", type=Path, metavar="FILE", help="configuration file (default: digest.toml)"
    )
    p.set_defaults(command=run_brief)

    add_eval_commands(commands)
    return parser


def add_eval_commands(commands: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The ``digest eval`` group; each stage adds its own ``digest eval STAGE`` here."""
    group = commands.add_parser(
        "eval",
        help="score a stage of the pipeline on a labelled set",
        description="Score a stage of the pipeline on a labelled evaluation set.",
    )
    stages = group.add_subparsers(
        title="stages", required=True, metavar="STAGE", help="the stage to score"
    )

    p = stages.add_parser(
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
    p.set_defaults(command=run_eval_extraction)
    return stages


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def run_build(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    result = build(config, today=args.date, out_dir=args.out)
    for problem in result.problems:
        print(f"digest: warning: {problem}", file=sys.stderr)
    skipped = f", {len(result.problems)} skipped" if result.problems else ""
    print(
        f"Built {len(result.digest.briefs)} stories{skipped}: "
        + ", ".join(str(path) for path in result.files)
    )
    return 0


def run_eval_extraction(args: argparse.Namespace) -> int:
    from digest.evaluate.extraction import evaluate, prediction_row

    report = evaluate(args.directory, extractor=args.extractor)
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
        for key in ("title_match", "author_match", "date_match"):
            if scores[key] is not None:
                print(f"  {key:18} {scores[key]}")
    return 0


def run_brief(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    article = load_file(args.path)
    brief = summarize(
        article,
        sentences=args.sentences or config.sentences,
        algorithm=config.algorithm,
        language=config.language,
    )
    if args.json:
        print(json.dumps(brief.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(brief.headline)
        print()
        for sentence in brief.sentences:
            print(sentence)
    return 0
