"""The checks every setting goes through, and the one-line errors they give."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Set
from typing import Any

from digest.errors import ConfigError
from digest.text import HEADER_CONTROL, decoded_header


def check_url(where: str, url: str, schemes: tuple[str, ...]) -> None:
    if not url.startswith(schemes):
        raise ConfigError(
            f"{where} must be an absolute URL starting with "
            + " or ".join(schemes)
            + f", not {url!r}"
        )


def no_control(value: str, where: str) -> None:
    """Refuse control characters: the value goes into a mail header (Subject, List-Id),
    where a mail program decodes RFC 2047 encoded words (=?utf-8?b?...?=) before showing it."""
    try:
        shown = decoded_header(value)
    except ValueError as exc:
        raise ConfigError(
            f"{where} {value!r} holds an encoded word that cannot be decoded"
        ) from exc
    for text in (value, shown):
        if HEADER_CONTROL.search(text):
            decoded = f" (decoded: {shown!r})" if text is shown and shown != value else ""
            raise ConfigError(
                f"{where} {value!r} must not contain a line break or control character{decoded}"
            )


def is_web_url(value: str) -> bool:
    return bool(re.match(r"^https?://[^/\s]+", value, re.IGNORECASE))


def check_keys(table: Mapping[str, Any], known: Set[str], where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(
            f"{where}: unknown setting {unknown[0]!r} ({did_you_mean(unknown[0], known)})"
        )


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """The known name closest to ``name``, as a question, or the list of known names."""
    known = sorted(known)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known)}"


_KIND_NAMES = {str: "a string", int: "a whole number"}


def typed(value: Any, kind: type, where: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ConfigError(f"{where} must be {_KIND_NAMES[kind]}, not {value!r}")
    return value


def scheduler_address(address: str, where: str) -> str:
    """A Dask scheduler address such as tcp://host:8786 (a bare host:port means tcp)."""
    if not re.fullmatch(r"(\w+://)?[^\s/]+", address):
        raise ConfigError(
            f"{where} must be a Dask scheduler address such as tcp://10.0.0.5:8786, not {address!r}"
        )
    return address
