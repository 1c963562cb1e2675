"""An image's size read from its own first bytes, fetched over real HTTP from 127.0.0.1,
for the images an issue shows whose pages declared no size."""

from __future__ import annotations

import functools
import re
import shutil
import ssl
import struct
import time
import zlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from digest.config import Config
from digest.ingest.fetch import FetchOptions
from digest.ingest.image_size import HEAD_BYTES, header_size, measure_images
from digest.models import Article
from digest.pipeline import make_issue

FAST = FetchOptions(timeout=1.0, connect_timeout=1.0)


def png(width: int, height: int) -> bytes:
    """A whole, valid PNG of one grey row repeated."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress((b"\0" + b"\x80" * width) * height)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def gif(width: int, height: int) -> bytes:
    """A whole, valid one-colour GIF."""
    screen = struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
    image = b"," + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x02\x02\x44\x01\x00"
    return b"GIF89a" + screen + image + b";"


def jpeg(width: int, height: int, exif: int = 0, frame: int = 0xC0) -> bytes:
    """The head of a JPEG as cameras write it: JFIF, an EXIF block of ``exif`` bytes (where
    a thumbnail goes), a quantization table, then the frame that gives the size."""

    def segment(marker: int, data: bytes) -> bytes:
        return bytes([0xFF, marker]) + struct.pack(">H", len(data) + 2) + data

    parts = [b"\xff\xd8", segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0")]
    while exif > 0:
        size = min(exif, 65_000)
        parts.append(segment(0xE1, b"Exif\0\0" + b"\0" * size))
        exif -= size
    parts.append(segment(0xDB, b"\0" + bytes(range(64))))
    parts.append(segment(frame, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\0"))
    return b"".join(parts) + b"\xff\xd9"


def webp(kind: bytes, width: int, height: int) -> bytes:
    """The head of a WebP file, lossy (VP8), lossless (VP8L) or extended (VP8X)."""
    if kind == b"VP8 ":
        data = b"\0\0\0" + b"\x9d\x01\x2a" + struct.pack("<HH", width, height)
    elif kind == b"VP8L":
        data = b"\x2f" + struct.pack("<I", (width - 1) | (height - 1) << 14)
    else:
        data = b"\0" * 4 + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    body = b"WEBP" + kind + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


@pytest.mark.parametrize(
    ("data", "size"),
    [
        (png(640, 360), (640, 360)),
        (gif(120, 90), (120, 90)),
        (jpeg(1200, 675), (1200, 675)),
        (jpeg(800, 1000, frame=0xC2), (800, 1000)),  # progressive
        (jpeg(1024, 768, exif=30_000), (1024, 768)),  # the size after a long EXIF block
        (webp(b"VP8 ", 333, 211), (333, 211)),
        (webp(b"VP8L", 16, 4000), (16, 4000)),
        (webp(b"VP8X", 3000, 2000), (3000, 2000)),
    ],
)
def test_the_size_is_read_from_png_gif_jpeg_and_webp_headers(data, size):
    assert header_size(data) == size


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<!doctype html><html>not an image</html>",
        png(640, 360)[:20],  # cut before the size
        jpeg(1024, 768, exif=90_000)[:HEAD_BYTES],  # the size lies past the bytes read
        png(0, 10)[:24],  # a side of nothing
        struct.pack(">8sI4sII", b"\x89PNG\r\n\x1a\n", 13, b"IHDR", 90_000, 10),  # absurd
        b"\xff\xd8\x00\x00garbage",
    ],
)
def test_no_size_from_what_is_no_image_or_ends_too_soon(data):
    assert header_size(data) is None


def test_sizes_are_measured_over_http_from_the_first_bytes_only(web):
    images = web.root / "img"
    images.mkdir()
    files = {
        "a.png": (png(640, 360), (640, 360)),
        "b.gif": (gif(120, 90), (120, 90)),
        "c.jpg": (jpeg(1200, 675, exif=20_000) + b"\0" * 3_000_000, (1200, 675)),
        "d.webp": (webp(b"VP8X", 3000, 2000), (3000, 2000)),
    }
    for name, (data, _) in files.items():
        (images / name).write_bytes(data)
    urls = [web.url(f"img/{name}") for name in files]
    missing = [web.url("status/404"), web.url("pages/not-an-image.html"), web.url("slow")]
    started = time.monotonic()
    sizes = measure_images([*urls, *missing, urls[0]], FAST)
    assert sizes == {url: size for url, (_, size) in zip(urls, files.values(), strict=True)}
    # One request an image, asking for its head only; a server that sends the whole
    # 3 MB file anyway is cut off at the cap instead of refused (a page's cap is 5 MB).
    assert web.hits("img/a.png") == 1
    ranges = {r.headers.get("Range") for r in web.requests if r.path.startswith("/img/")}
    assert ranges == {f"bytes=0-{HEAD_BYTES - 1}"}
    # The slow server is given up on at the deadline, and the others do not wait for it.
    assert time.monotonic() - started < 3


def test_images_on_hosts_the_fetch_policy_refuses_are_not_measured(web):
    (web.root / "a.png").write_bytes(png(10, 10))
    assert measure_images([web.url("a.png")], FetchOptions(private=False)) == {}
    assert web.hits("a.png") == 0


@pytest.fixture
def https_web(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from tests.conftest import FIXTURES
    from tests.smtp_server import make_certificate
    from tests.web_server import start

    cert, key = make_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    shutil.copytree(FIXTURES / "web", tmp_path / "root")
    state, server = start(tmp_path / "root", tls=context)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    yield state
    server.shutdown()
    server.server_close()


def story(n: int, image: str, feed: str) -> Article:
    title, text = [
        ("Harbour wall rebuilt", "The council rebuilds the harbour wall before the storms."),
        ("Library opens Sundays", "Families asked for Sunday hours at the library for years."),
        ("Market hall reopens", "Thirty food stalls fill the old market hall from May."),
    ][n]
    return Article(
        title=title,
        text=text,
        origin=f"https://news.example/{n}",
        url=f"https://news.example/{n}",
        published=datetime(2026, 3, 3, tzinfo=UTC),
        image=image,
        image_size=(800, 600) if n == 2 else None,
        feed=feed,
        ids=(f"url:https://news.example/{n}",),
    )


def test_an_issue_shows_web_images_of_undeclared_size_at_their_own_shape(https_web):
    for name, data in (("wide.png", png(1200, 400)), ("local.png", png(50, 50))):
        (https_web.root / name).write_bytes(data)
    (https_web.root / "declared.png").write_bytes(png(10, 10))
    articles = [
        story(0, https_web.url("wide.png"), https_web.url("rss20.xml")),
        story(1, https_web.url("local.png"), "/home/me/articles"),  # a local file's
        story(2, https_web.url("declared.png"), https_web.url("rss20.xml")),
    ]
    measure = functools.partial(measure_images, options=FAST)
    html = make_issue(Config(), articles, date(2026, 3, 3), measure=measure).html
    images = {
        src.rsplit("/", 1)[1]: tag for tag, src in re.findall(r'(<img src="([^"]+)"[^>]*>)', html)
    }
    # The top story's slot is 536 px wide: 1200 x 400 is shown at 536 x 179.
    assert 'width="536" height="179"' in images["wide.png"]
    # A local article's image is not fetched; a declared size is not fetched again.
    assert https_web.hits("local.png") == 0 and "height=" not in images["local.png"]
    assert https_web.hits("declared.png") == 0 and 'height="135"' in images["declared.png"]
    assert https_web.hits("wide.png") == 1
