"""The whole issue on labelled newsroom worlds: serve, `digest build`, score.

Run with `make bench-newsroom` (or `python benchmarks/newsroom.py [--seeds 7 11 13]`).
For each seed, `../shared/bench/newsroom.py` serves a world of outlets (gold stories
covered by several outlets, one-article stories, feed titles with the outlet's and
section's names, pages with navigation and related-story boxes) on 127.0.0.1; `digest
build` makes an issue of it from a fresh state directory, and the bench's scorer judges
the issue card by card. One more world carries control characters (`--control-chars`).
Prints each world's metrics and the pooled rates, and writes each world's
folder (truth, digest.json, build log, score) under `--keep` when given.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
METRICS = (
    "false_merge",
    "foreign_sentence",
    "headline_chrome",
    "brief_too_long",
    "outlets_miscounted",
    "headline_cut",
    "split",
    "empty_card",
)


def serve(bench: Path, eval_dir: Path, seed: int, args: argparse.Namespace, truth: Path,
          control: bool) -> subprocess.Popen[str]:  # fmt: skip
    command = [
        sys.executable, str(bench / "newsroom.py"), "serve",
        "--clusters",
        f"{eval_dir}/clusters/allsides-dev.jsonl,{eval_dir}/clusters/ecbplus-dev.jsonl",
        "--singles", f"{eval_dir}/extraction/readability,{bench}/singles/bbc-dev",
        "--seed", str(seed), "--stories", str(args.stories), "--singletons", str(args.singletons),
        "--date", args.date, "--truth", str(truth),
    ]  # fmt: skip
    if control:
        command.append("--control-chars")
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def build_world(bench: Path, eval_dir: Path, seed: int, control: bool,
                args: argparse.Namespace, work: Path) -> dict[str, object]:  # fmt: skip
    """Serve one world, build an issue of it, and return the scorer's JSON."""
    work.mkdir(parents=True, exist_ok=True)
    truth = work / "truth.json"
    server = serve(bench, eval_dir, seed, args, truth, control)
    try:
        assert server.stdout is not None
        server.stdout.readline()  # the address: the truth file is written by then
        feeds = json.loads(truth.read_text())["feeds"]
        sources = "".join(f'[[sources]]\nfeed = "{url}"\n\n' for url in feeds)
        (work / "digest.toml").write_text(
            "[digest]\nmax_items = 40\nfetch_private = true\nnew_feed_items = 1000\n"
            'window = "since-last-run"\nstate_dir = "state"\nout_dir = "out"\n\n' + sources,
            encoding="utf-8",
        )
        command = [sys.executable, "-m", "digest", "build", "--config", "digest.toml",
                   "--out", "out", "--date", args.date]  # fmt: skip
        with (work / "build.log").open("w") as log:
            built = subprocess.run(command, cwd=work, stdout=log, stderr=subprocess.STDOUT)
        code = built.returncode
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    digest_json = work / "out" / "digest.json"
    if code != 0 or not digest_json.exists():
        return {"exit": code}
    scored = subprocess.run(
        [sys.executable, str(bench / "newsroom.py"), "score", "--truth", str(truth),
         "--digest", str(digest_json), "--json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    (work / "score.json").write_text(scored.stdout)
    report: dict[str, object] = json.loads(scored.stdout)
    report["exit"] = code
    return report


def metric(report: dict[str, object], name: str) -> tuple[int, int]:
    value = report.get("metrics", {}).get(name, {})  # type: ignore[union-attr]
    return int(value.get("num", 0)), int(value.get("den", 0))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 11, 13])
    parser.add_argument("--control-seed", type=int, default=5)
    parser.add_argument("--stories", type=int, default=25)
    parser.add_argument("--singletons", type=int, default=60)
    parser.add_argument("--date", default="2026-11-20")
    parser.add_argument("--shared", type=Path, default=SHARED, help="the shared folder")
    parser.add_argument("--keep", type=Path, help="keep each world's folder here")
    args = parser.parse_args()
    bench, eval_dir = args.shared / "bench", args.shared / "eval"
    if not (bench / "newsroom.py").exists():
        print(f"newsroom: {bench / 'newsroom.py'} not found (needs ../shared)", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="newsroom-"))
    keep = args.keep or scratch
    worlds = [(seed, False) for seed in args.seeds] + [(args.control_seed, True)]
    totals = {name: [0, 0] for name in METRICS}
    failures = 0
    print(f"{'world':<14}" + "".join(f"{name:>19}" for name in METRICS) + "  control")
    for seed, control in worlds:
        name = f"seed{seed}" + ("-control" if control else "")
        report = build_world(bench, eval_dir, seed, control, args, keep / name)
        if report.get("exit") != 0 or "metrics" not in report:
            failures += 1
            print(f"{name:<14} build exited {report.get('exit')}: see {keep / name / 'build.log'}")
            continue
        cells = []
        for metric_name in METRICS:
            n, d = metric(report, metric_name)
            totals[metric_name][0] += n
            totals[metric_name][1] += d
            cells.append(f"{n:>4}/{d:<4}{100 * n / d if d else 0:>6.1f}%  ".rjust(19))
        found = report["control_chars"]
        print(f"{name:<14}" + "".join(cells) + f"  {found['count']}")  # type: ignore[index]
    cells = [
        f"{n:>4}/{d:<4}{100 * n / d if d else 0:>6.1f}%  ".rjust(19) for n, d in totals.values()
    ]
    print(f"{'pooled':<14}" + "".join(cells))
    print(f"builds failed: {failures} of {len(worlds)}; worlds in {keep}")
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
