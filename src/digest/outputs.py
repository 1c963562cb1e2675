"""The output directory: an issue written whole, and read back for sending exactly as built.

``digest.html`` and ``digest.txt`` are the email's parts; ``digest.json`` is the digest as
data plus what sending needs (the issue's id, subject and envelope, the items it uses). The web
version goes to ``web/``, the archive: the issue's own page, ``YYYY-MM-DD-xxxxxxxx.html``;
``YYYY-MM-DD.html``, which sends the browser on to that day's latest issue; ``index.html``,
``feed.xml`` (Atom) and ``issues.json``, the archive's manifest (see ``digest.archive``).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import tempfile
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from digest import archive
from digest.errors import DigestError, InputError
from digest.models import Envelope, Issue, Item, SentStory
from digest.render import render_archive

log = logging.getLogger(__name__)

PARTS = ("digest.json", "digest.html", "digest.txt")


def write_issue(issue: Issue, out_dir: Path) -> tuple[Path, ...]:
    """Write the issue's parts, its data and its web version to ``out_dir``.

    Each file appears whole or not at all, and all are written before any replaces its
    old version, so a failure leaves the last issue as it was.
    """
    outputs = {}
    shown: list[str] = []  # what the user is told of: the parts, the page, index and feed
    if issue.web_html is not None and issue.digest is not None:
        # First: new paths, the likeliest to fail.
        web = archive_files(issue, out_dir / "web", datetime.now(UTC))
        outputs.update({f"web/{name}": content for name, content in web.items()})
        shown = [f"web/{name}" for name in (next(iter(web)), archive.INDEX, archive.FEED)]
    outputs["digest.html"] = issue.html
    outputs["digest.txt"] = issue.text
    outputs["digest.json"] = json.dumps(issue_data(issue), ensure_ascii=False, indent=2) + "\n"
    for name in outputs:  # some names come from issues.json, a file anyone may edit
        if os.path.isabs(name) or os.path.normpath(name).startswith(".."):
            raise DigestError(f"{out_dir / name}: would be written outside {out_dir}")
    try:
        for name in outputs:
            (out_dir / name).parent.mkdir(parents=True, exist_ok=True)
        write_atomic_all({out_dir / name: content for name, content in outputs.items()})
    except OSError as exc:
        raise DigestError(f"{out_dir}: cannot write the digest: {exc.strerror or exc}") from exc
    return tuple(out_dir / name for name in ("digest.html", "digest.txt", "digest.json", *shown))


def archive_files(issue: Issue, web_dir: Path, now: datetime) -> dict[str, str]:
    """The files of ``web_dir`` that ``issue`` adds or changes: its page, its day's page, the
    pages before and after it (their next/previous links), the index, the feed, the manifest.

    The issue's own page comes first. ``issue.digest`` must be set. Writing the same issue
    again changes nothing.
    """
    assert issue.digest is not None and issue.web_html is not None
    slug = archive.issue_slug(issue.digest.date, issue.digest.briefs)
    entries, broken = _read_manifest(web_dir)
    entries = archive.add_entry(entries, archive.entry_of(issue, slug, now))
    files = {
        archive.page_name(slug): archive.set_navigation(
            issue.web_html, *archive.neighbours(entries, slug)
        ),
        **broken,
    }
    for neighbour in archive.neighbours(entries, slug):
        if neighbour is None:
            continue
        try:
            page = (web_dir / neighbour.page).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # removed by hand: the archive lists it, its page is the user's to restore
        linked = archive.set_navigation(page, *archive.neighbours(entries, neighbour.slug))
        if linked != page:
            files[neighbour.page] = linked
    found = re.search(r'<html lang="([\w-]+)"', issue.web_html)
    lang = found.group(1) if found else "en"
    files[f"{issue.date.isoformat()}.html"] = archive.redirect_page(
        archive.page_name(slug), issue.subject, lang
    )
    files[archive.INDEX] = render_archive(entries, lang)
    files[archive.FEED] = archive.atom_feed(entries)
    files[archive.MANIFEST] = archive.dump_manifest(entries)
    return files


def _read_manifest(web_dir: Path) -> tuple[list[archive.Entry], dict[str, str]]:
    """The archive's entries, and a file to keep aside when the manifest is broken."""
    path = web_dir / archive.MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [], {}
    except (OSError, UnicodeDecodeError) as exc:
        raise DigestError(f"{path}: cannot be read: {exc}") from exc
    try:
        return archive.load_manifest(text), {}
    except ValueError as exc:
        # The issue still goes out; the old manifest is kept for the user to mend.
        log.warning("%s: not an archive manifest (%s); kept as %s.broken", path, exc, path.name)
        return [], {f"{archive.MANIFEST}.broken": text}


def issue_data(issue: Issue) -> dict[str, Any]:
    """digest.json: the digest's own data, then what sending needs."""
    data = issue.digest.to_dict() if issue.digest else {"title": issue.title}
    return {
        **data,
        "date": issue.date.isoformat(),
        "id": issue.id,
        "subject": issue.subject,
        **({"envelope": issue.envelope.to_dict()} if issue.envelope else {}),
        "used": [_item_data(item) for item in issue.items],
    }


def load_issue(out_dir: Path) -> Issue:
    """The issue built in ``out_dir``, exactly as built: its id, subject, parts and items."""
    parts = {}
    for name in PARTS:
        try:
            parts[name] = (out_dir / name).read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise InputError(str(out_dir / name), "not found; run `digest build` first") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(str(out_dir / name), f"cannot be read: {exc}") from exc
    where = str(out_dir / "digest.json")
    try:
        data = json.loads(parts["digest.json"])
        return Issue(
            id=str(data["id"]),
            title=str(data["title"]),
            date=date.fromisoformat(data["date"]),
            subject=str(data["subject"]),
            html=parts["digest.html"],
            text=parts["digest.txt"],
            stories=len(data.get("items") or ()),
            items=tuple(_item(row) for row in data.get("used") or ()),
            sent_stories=tuple(_story(row) for row in data.get("items") or () if row.get("story")),
            # No envelope: written by an older digest, sent as that digest would have.
            envelope=Envelope.from_dict(data["envelope"]) if "envelope" in data else None,
        )
    except KeyError as exc:
        raise InputError(where, f"no {exc} in it; run `digest build` again") from exc
    except (ValueError, TypeError, AttributeError) as exc:
        raise InputError(where, f"not a digest: {exc}") from exc


def _item_data(item: Item) -> dict[str, Any]:
    return {
        "id": item.id,
        "feed": item.feed,
        "url": item.url,
        "title": item.title,
        "published": item.published.isoformat() if item.published else None,
    }


def _item(row: Mapping[str, Any]) -> Item:
    return Item(
        id=str(row["id"]),
        feed=str(row["feed"]),
        url=row.get("url"),
        title=str(row.get("title") or ""),
        published=_moment(row.get("published")),
    )


def _story(row: Mapping[str, Any]) -> SentStory:
    """A story of a built issue as the store remembers it once sent (see pipeline.remembered)."""
    return SentStory(
        key=str(row["story"]),
        headline=str(row["headline"]),
        text=" ".join(str(s) for s in row.get("sentences") or ()),
        published=_moment(row.get("published")),
    )


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def write_atomic(path: Path, content: str) -> None:
    """Write to a temporary file beside ``path``, flush it to disk, then rename it over."""
    write_atomic_all({path: content})


def write_atomic_all(files: Mapping[Path, str]) -> None:
    """Write every file to a temporary beside it, flushed to disk; then rename them all.

    Nothing is replaced until everything is written: the renames are the only window
    in which old and new files stand side by side.
    """
    staged: dict[Path, str] = {}
    try:
        for path, content in files.items():
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            staged[path] = tmp
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                os.fchmod(file.fileno(), 0o666 & ~_UMASK)  # mkstemp makes files private
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
        for path in staged:  # the one way a rename fails here: checked before any is done
            if path.is_dir():
                raise IsADirectoryError(errno.EISDIR, "a directory is in the way", str(path))
        for path, tmp in staged.items():
            os.replace(tmp, path)
    except BaseException:
        for tmp in staged.values():
            Path(tmp).unlink(missing_ok=True)
        raise


def _read_umask() -> int:
    # Setting the umask is the only way to read it; done once, at import, before any
    # thread (the preview server's) can create files meanwhile.
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _read_umask()
