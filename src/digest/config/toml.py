"""digest.toml: its tables into the settings, each value checked where it is read."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from digest.config.checks import check_keys, is_web_url, no_control, scheduler_address, typed
from digest.config.settings import (
    ALGORITHMS,
    DEFAULT_STATE_DIR,
    DIGEST_KEYS,
    FILTER_KEYS,
    RANKINGS,
    SEND_KEYS,
    SOURCE_KEYS,
    SOURCE_KINDS,
    STORIES_KEYS,
    SUBJECT_FIELDS,
    TABLES,
    Config,
    SendConfig,
    Source,
    StoriesConfig,
    Workers,
)
from digest.errors import ConfigError
from digest.filters import Filters, Rule, RuleError, make_filters, parse_rule
from digest.headers import merge_headers, parse_headers
from digest.models import LedgerSync
from digest.unsubscribe import check_template
from digest.urls import LINK_PREFIXES, without_userinfo

WINDOW = re.compile(r"^\s*(\d+)\s*([hd])\s*$")


def _window(text: str, where: str) -> timedelta | None:
    """``digest.window``: "since-last-run" (None) or a span such as "48h" or "7d"."""
    if text.strip() == "since-last-run":
        return None
    match = WINDOW.match(text)
    if not match:
        raise ConfigError(
            f'{where}: digest.window {text!r} must be "since-last-run" or hours or '
            'days such as "48h" or "7d"'
        )
    amount, unit = int(match[1]), match[2]
    return timedelta(hours=amount) if unit == "h" else timedelta(days=amount)


def _parse_send(raw: Any, where: str) -> SendConfig:
    """The [send] table: subject, list_id, rate, connections, attempts, retry_delay,
    timeout, ledger_sync."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: [send] must be a table")
    check_keys(raw, SEND_KEYS, where)
    values: dict[str, Any] = {}
    if "subject" in raw:
        subject = typed(raw["subject"], str, f"{where}: send.subject")
        try:
            subject.format(**SUBJECT_FIELDS)
        except (KeyError, IndexError, ValueError, TypeError, AttributeError) as exc:
            raise ConfigError(
                f"{where}: send.subject {subject!r} is not a valid template ({exc}); "
                "placeholders: {title}, {date}, {iso_date}, {count}"
            ) from exc
        no_control(subject, f"{where}: send.subject")
        values["subject"] = subject
    if "list_id" in raw:
        list_id = typed(raw["list_id"], str, f"{where}: send.list_id").strip()
        if not re.fullmatch(
            r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)+", list_id
        ):
            raise ConfigError(
                f"{where}: send.list_id must look like a domain name (weekly.example.org), "
                f"not {list_id!r}"
            )
        values["list_id"] = list_id
    for name, low in (("rate", 0.0), ("retry_delay", 0.0), ("timeout", 0.1)):
        if name in raw:
            value = raw[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
                raise ConfigError(f"{where}: send.{name} must be a number of at least {low}")
            values[name] = float(value)
    for name in ("attempts", "connections"):
        if name in raw:
            number = typed(raw[name], int, f"{where}: send.{name}")
            if number < 1:
                raise ConfigError(f"{where}: send.{name} must be at least 1, not {number}")
            values[name] = number
    if "ledger_sync" in raw:
        sync = typed(raw["ledger_sync"], str, f"{where}: send.ledger_sync").strip().lower()
        try:
            values["ledger_sync"] = LedgerSync(sync)
        except ValueError:
            raise ConfigError(
                f'{where}: send.ledger_sync must be "normal" or "full", not {raw["ledger_sync"]!r}'
            ) from None
    if "bounce_address" in raw:
        bounce = typed(raw["bounce_address"], str, f"{where}: send.bounce_address").strip()
        if not re.fullmatch(
            r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+", bounce
        ):
            raise ConfigError(
                f"{where}: send.bounce_address must be a bare address such as "
                f"bounces@example.org, not {bounce!r}"
            )
        values["bounce_address"] = bounce
    if "verp" in raw:
        if not isinstance(raw["verp"], bool):
            raise ConfigError(f"{where}: send.verp must be true or false, not {raw['verp']!r}")
        values["verp"] = raw["verp"]
    if values.get("verp") and "+" in values.get("bounce_address", "").partition("@")[0]:
        raise ConfigError(
            f"{where}: send.bounce_address must not hold a + when verp is on: "
            "local+TOKEN@domain would be ambiguous"
        )
    return SendConfig(**values)


def parse_config(data: Mapping[str, Any], base: Path, origin: Path | None = None) -> Config:
    """A Config from parsed TOML; paths are resolved against ``base``."""
    where = str(origin or "configuration")
    check_keys(data, TABLES, where)
    settings = data.get("digest", {})
    if not isinstance(settings, dict):
        raise ConfigError(f"{where}: [digest] must be a table")
    check_keys(settings, DIGEST_KEYS, f"{where} [digest]")

    values: dict[str, Any] = {}
    for name in ("title", "intro", "language", "algorithm"):
        if name in settings:
            values[name] = typed(settings[name], str, f"{where}: digest.{name}")
    if "title" in values:
        no_control(values["title"], f"{where}: digest.title")
    for name in ("sentences", "max_items", "new_feed_items", "max_new_items"):
        if name in settings:
            number = typed(settings[name], int, f"{where}: digest.{name}")
            if number < 1:
                raise ConfigError(f"{where}: digest.{name} must be at least 1, not {number}")
            values[name] = number
    for name in ("out_dir", "templates_dir", "state_dir"):
        if name in settings:
            values[name] = base / typed(settings[name], str, f"{where}: digest.{name}")
    for name in ("web_url", "unsubscribe_url", "sender_name", "postal_address", "heartbeat_url"):
        if name in settings:
            values[name] = typed(settings[name], str, f"{where}: digest.{name}").strip() or None
    for name, schemes in (
        ("web_url", ("https://", "http://")),
        ("unsubscribe_url", LINK_PREFIXES),
        ("heartbeat_url", ("https://", "http://")),
    ):
        if values.get(name) and not values[name].startswith(schemes):
            raise ConfigError(
                f"{where}: digest.{name} must be an absolute URL starting with "
                + " or ".join(schemes)
                + f", not {values[name]!r}"
            )
    if values.get("unsubscribe_url"):
        check_template(values["unsubscribe_url"], f"{where}: digest.unsubscribe_url")
    if "sections" in settings:
        values["sections"] = _parse_sections(settings["sections"], f"{where}: digest.sections")
    values.setdefault("state_dir", base / DEFAULT_STATE_DIR)
    if "window" in settings:
        values["window"] = _window(typed(settings["window"], str, f"{where}: digest.window"), where)
    for name in ("fetch_private", "reading_time"):
        if name in settings:
            if not isinstance(settings[name], bool):
                raise ConfigError(
                    f"{where}: digest.{name} must be true or false, not {settings[name]!r}"
                )
            values[name] = settings[name]
    if "workers" in settings or "dask_scheduler" in settings:
        values["workers"] = _parse_workers(settings, where)
    if values.get("algorithm", "digest") not in ALGORITHMS:
        raise ConfigError(
            f"{where}: digest.algorithm {values['algorithm']!r} is not one of "
            + ", ".join(ALGORITHMS)
        )
    if "sources" in data:
        values["sources"] = _parse_sources(data["sources"], base, where)
    if "filters" in data:
        if not isinstance(data["filters"], dict):
            raise ConfigError(f"{where}: [filters] must be a table")
        check_keys(data["filters"], FILTER_KEYS, f"{where} [filters]")
        shared = _parse_filters(data["filters"], f"{where} [filters]")
        sources = values.get("sources", Config.sources)
        values["sources"] = tuple(replace(s, filters=shared.then(s.filters)) for s in sources)
        values["filters"] = shared
    if "headers" in data:
        shared_headers = parse_headers(data["headers"], f"{where} [headers]")
        sources = values.get("sources", Config.sources)
        values["sources"] = tuple(
            replace(s, headers=merge_headers(shared_headers, s.headers)) for s in sources
        )
        values["headers"] = shared_headers
    if "send" in data:
        values["send"] = _parse_send(data["send"], f"{where} [send]")
    if "stories" in data:
        values["stories"] = _parse_stories(data["stories"], f"{where} [stories]")
    config = Config(**values, path=origin)
    if "title" in values or "send" in data:
        # Together, as a reader's mail program sees them: an encoded word may be split
        # between the title and the subject template.
        subject = config.send.subject.format(**{**SUBJECT_FIELDS, "title": config.title})
        no_control(subject, f"{where}: the subject made of send.subject and digest.title")
    return config


def _parse_stories(raw: Any, where: str) -> StoriesConfig:
    """The [stories] table: threshold, window_hours, rank, half_life_hours, remember_days."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: [stories] must be a table")
    check_keys(raw, STORIES_KEYS, where)
    values: dict[str, Any] = {}
    for name in ("threshold", "window_hours", "half_life_hours", "remember_days"):
        if name in raw:
            value = raw[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ConfigError(f"{where}: stories.{name} must be a number above 0")
            values[name] = float(value)
    if "rank" in raw:
        rank = typed(raw["rank"], str, f"{where}: stories.rank")
        if rank not in RANKINGS:
            raise ConfigError(
                f"{where}: stories.rank {rank!r} must be one of {', '.join(RANKINGS)}"
            )
        values["rank"] = rank
    return StoriesConfig(**values)


def _parse_workers(settings: Mapping[str, Any], where: str) -> Workers:
    """[digest] workers (processes extracting pages) and dask_scheduler (a cluster's)."""
    count = None
    if "workers" in settings:
        count = typed(settings["workers"], int, f"{where}: digest.workers")
        if count < 1:
            raise ConfigError(f"{where}: digest.workers must be at least 1, not {count}")
    scheduler = None
    if "dask_scheduler" in settings:
        address = typed(settings["dask_scheduler"], str, f"{where}: digest.dask_scheduler")
        scheduler = scheduler_address(address.strip(), f"{where}: digest.dask_scheduler")
    return Workers(count, scheduler)


def _parse_sections(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(name, str) and name.strip() for name in raw):
        raise ConfigError(f"{where} must be a list of section names, not {raw!r}")
    return tuple(dict.fromkeys(name.strip() for name in raw))


def _parse_sources(raw: Any, base: Path, where: str) -> tuple[Source, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{where}: sources must be a non-empty list of [[sources]] tables")
    sources = []
    for i, entry in enumerate(raw, 1):
        label = f"{where} source {i}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{label}: must be a table")
        check_keys(entry, SOURCE_KEYS, label)
        kinds = [kind for kind in SOURCE_KINDS if kind in entry]
        if len(kinds) != 1:
            raise ConfigError(f"{label}: needs a path, feed, page or opml (exactly one)")
        kind = kinds[0]
        location = typed(entry[kind], str, f"{label}: {kind}")
        values: dict[str, Any] = {}
        if kind == "path" or (kind == "opml" and not is_web_url(location)):
            values[kind] = base / location
        else:
            if not is_web_url(location):
                raise ConfigError(f"{label}: {kind} must be an http or https URL, not {location!r}")
            values[kind] = location
        for key in ("name", "section"):
            if key in entry:
                values[key] = typed(entry[key], str, f"{label}: {key}")
        named = f"{label} ({values.get('name') or without_userinfo(location)})"
        values["filters"] = _parse_filters(entry, named)
        if "headers" in entry:
            values["headers"] = parse_headers(entry["headers"], named)
        if "max_items" in entry:
            number = typed(entry["max_items"], int, f"{label}: max_items")
            if number < 1:
                raise ConfigError(f"{label}: max_items must be at least 1, not {number}")
            values["max_items"] = number
        sources.append(Source(**values))
    return tuple(sources)


def _parse_filters(table: Mapping[str, Any], where: str) -> Filters:
    """The include and exclude rules of [filters] or of one [[sources]] table."""
    include, exclude = (_parse_rules(table, key, where) for key in ("include", "exclude"))
    return make_filters(include, exclude)


def _parse_rules(table: Mapping[str, Any], key: str, where: str) -> tuple[Rule, ...]:
    written = table.get(key, [])
    if isinstance(written, str):
        written = [written]
    if not isinstance(written, list) or not all(isinstance(w, str) for w in written):
        raise ConfigError(f"{where}: {key} must be a list of strings")
    rules = []
    for entry in written:
        if not entry.strip():
            continue
        try:
            rules.append(parse_rule(entry))
        except RuleError as exc:
            raise ConfigError(
                f"{where}: {key} {entry!r}: {exc}",
                hint="a word or phrase is written as it is, a regular expression between "
                'slashes (/pattern/); see docs/sources.md, "Filters"',
            ) from exc
    return tuple(rules)
