"""`digest eval bounces DIR`: classify every message of a labelled bounce set and score it.

DIR holds ``expected.jsonl`` (rows ``{file, kind, recipients, aliases, ...}``) and
``messages/<file>``. The scoring follows the set's own ``score.py``: kind accuracy,
recipients exactly right on hard/soft/complaint rows, false suppressions (an auto-reply,
block, soft bounce or non-bounce taken for a hard bounce or complaint) and missed hard
bounces.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from digest.bounces.classify import classify
from digest.errors import InputError

SUPPRESS = {"hard", "complaint"}
NOT_SUPPRESSIBLE = {"auto-reply", "not-bounce", "block", "soft"}
RECIPIENT_KINDS = {"hard", "soft", "complaint"}


@dataclass(frozen=True)
class Prediction:
    file: str
    kind: str
    recipients: tuple[str, ...]
    per_recipient: tuple[tuple[str, str], ...]

    def row(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "kind": self.kind,
            "recipients": list(self.recipients),
            "per_recipient": [{"address": a, "kind": k} for a, k in self.per_recipient],
        }


def load_expected(directory: Path) -> list[dict[str, Any]]:
    path = directory / "expected.jsonl"
    if not path.is_file():
        raise InputError(
            str(path), "no such file (a bounce set holds expected.jsonl and messages/)"
        )
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            str(row["file"]), str(row["kind"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(
                f"{path}:{number}", f"not a row with 'file' and 'kind' ({exc})"
            ) from exc
        rows.append(row)
    return rows


def predict(directory: Path, rows: list[dict[str, Any]]) -> list[Prediction]:
    out = []
    for row in rows:
        path = directory / "messages" / row["file"]
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise InputError(str(path), f"cannot read ({exc.strerror})") from exc
        verdict = classify(raw)
        out.append(
            Prediction(
                row["file"],
                str(verdict.kind),
                verdict.recipients,
                tuple((f.address, str(f.kind)) for f in verdict.failures),
            )
        )
    return out


def _norm(address: str) -> str:
    return str(address).strip().strip("<>").strip().lower()


def score(rows: list[dict[str, Any]], predictions: list[Prediction]) -> dict[str, Any]:
    """The set's scores (kind accuracy, recipients, false suppressions, missed hard)."""
    by_file = {p.file: p for p in predictions}
    confusion: Counter[tuple[str, str]] = Counter()
    right = rcpt_rows = rcpt_ok = 0
    false_suppressions: list[str] = []
    missed_hard: list[str] = []
    for row in rows:
        p = by_file.get(row["file"])
        true, pred = row["kind"], p.kind if p else "not-bounce"
        confusion[true, pred] += 1
        right += true == pred
        canon = {}
        for r in row.get("recipients", []):
            canon[_norm(r)] = _norm(r)
            for alias in row.get("aliases", {}).get(r, []):
                canon.setdefault(_norm(alias), _norm(r))
        if true in RECIPIENT_KINDS:
            rcpt_rows += 1
            got = {canon.get(_norm(a), _norm(a)) for a in (p.recipients if p else ())}
            rcpt_ok += got == {_norm(a) for a in row.get("recipients", [])}
        if true in NOT_SUPPRESSIBLE and pred in SUPPRESS:
            false_suppressions.append(row["file"])
        if true == "hard" and pred != "hard":
            missed_hard.append(row["file"])
    n = len(rows)
    not_supp = sum(1 for r in rows if r["kind"] in NOT_SUPPRESSIBLE)
    hard = sum(1 for r in rows if r["kind"] == "hard")
    return {
        "messages": n,
        "kind_accuracy": round(right / n, 4) if n else None,
        "recipient_exact_match": round(rcpt_ok / rcpt_rows, 4) if rcpt_rows else None,
        "recipient_rows": rcpt_rows,
        "false_suppressions": len(false_suppressions),
        "false_suppression_rate": round(len(false_suppressions) / not_supp, 4)
        if not_supp
        else None,
        "not_suppressible": not_supp,
        "missed_hard": len(missed_hard),
        "missed_hard_rate": round(len(missed_hard) / hard, 4) if hard else None,
        "hard": hard,
        "confusion": {f"{t} -> {q}": c for (t, q), c in sorted(confusion.items())},
        "false_suppression_files": false_suppressions,
        "missed_hard_files": missed_hard,
    }


def report(s: dict[str, Any]) -> str:
    lines = [
        f"messages {s['messages']}   kind accuracy {s['kind_accuracy']}",
        f"recipients exactly right (hard/soft/complaint rows): {s['recipient_exact_match']} "
        f"of {s['recipient_rows']}",
        f"false suppressions: {s['false_suppressions']} of {s['not_suppressible']} "
        f"({s['false_suppression_rate']})",
        f"missed hard: {s['missed_hard']} of {s['hard']} ({s['missed_hard_rate']})",
        "",
        "confusion (true -> predicted):",
    ]
    lines += [f"  {k}: {v}" for k, v in s["confusion"].items()]
    return "\n".join(lines)
