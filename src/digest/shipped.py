"""Files shipped with digest: inside the installed package, or in a source checkout.

A wheel carries the top-level ``templates/email/``, ``content/``, ``digest.example.toml``
and ``.env.example`` inside the package (pyproject.toml's force-include); an editable
install or a checkout reads them where they are in the repository.
"""

from __future__ import annotations

from pathlib import Path

# package-relative path -> where the same file or directory is in a checkout
_CHECKOUT = {
    "templates/email": "templates/email",
    "sample/content": "content",
    "sample/digest.example.toml": "digest.example.toml",
    "sample/env.example": ".env.example",
}


def shipped(name: str) -> Path:
    """The installed copy of ``name`` (a key of ``_CHECKOUT``), else the checkout's."""
    packaged = Path(__file__).parent / name
    if packaged.exists():
        return packaged
    return Path(__file__).resolve().parents[2] / _CHECKOUT[name]
