"""Write tests/email_clients/support.tsv from the Can I email data (features.json).

    python scripts/caniemail_table.py PATH/TO/features.json [FEATURE ...]

The table keeps the features already in it and adds the FEATUREs named (Can I email's
slugs: css-margin, html-lang, ...). For each of the major mail clients it gives the
support of the latest version tested on each of the client's platforms, the worst of
them: y (yes), a (partial), n (no), u (not tested).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

TABLE = Path(__file__).parents[1] / "tests" / "email_clients" / "support.tsv"
SOURCE = "github.com/hteumeuleu/caniemail (_features/*.md)"
# Each client as readers meet it, and the Can I email platforms it stands for.
CLIENTS = {
    "gmail-web": ("gmail", ("desktop-webmail",)),  # not its rare basic mobile site
    "gmail-apps": ("gmail", ("ios", "android")),
    "outlook-windows": ("outlook", ("windows",)),
    "outlook-com": ("outlook", ("outlook-com",)),
    "outlook-apps": ("outlook", ("ios", "android", "macos")),
    "apple-mail": ("apple-mail", ("macos", "ios")),
    "yahoo": ("yahoo", ("desktop-webmail", "ios", "android")),
    "samsung-email": ("samsung-email", ("android",)),
}
WORST = "nuay"  # the order in which one platform's answer outweighs another's


def support(stats: dict[str, dict[str, dict[str, str]]], client: str) -> str:
    """One client's support of one feature: the worst over its platforms' latest versions."""
    name, platforms = CLIENTS[client]
    answers = []
    for platform in platforms:
        versions = stats.get(name, {}).get(platform)
        if versions:
            answers.append(list(versions.values())[-1].split()[0])
    if not answers:
        return "u"
    return min(answers, key=WORST.index)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    source = Path(argv[0])
    features = json.loads(source.read_text(encoding="utf-8"))
    kept = [
        line.split("\t")[0]
        for line in TABLE.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith(("#", "feature\t"))
    ]
    slugs = sorted({*kept, *argv[1:]})
    unknown = [slug for slug in slugs if slug not in features]
    if unknown:
        print(f"{source}: no such features: {', '.join(unknown)}", file=sys.stderr)
        return 1
    tested = max(features[slug].get("last_test_date") or "" for slug in slugs)
    header = [
        "# Support of the features the email uses, in the major mail clients.",
        f"# Derived from Can I email, {SOURCE}, data as of {tested}, by",
        "# scripts/caniemail_table.py. y: supported, a: partly, n: not, u: not tested.",
        "# The data is MIT licensed: Copyright (c) 2019 Rémi Parmentier. Permission is",
        "# granted under the MIT License (https://opensource.org/license/mit), which",
        "# requires this notice in copies; the data is provided as is, without warranty.",
        "\t".join(["feature", *CLIENTS]),
    ]
    rows = [
        "\t".join([slug, *(support(features[slug]["stats"], c) for c in CLIENTS)]) for slug in slugs
    ]
    TABLE.write_text("\n".join([*header, *rows]) + "\n", encoding="utf-8")
    print(f"{TABLE}: {len(rows)} features")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
