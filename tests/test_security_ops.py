"""Operational security: one source cannot own a run, headers and secrets are checked,
the preview answers only its own name, the archive stays in out/web, and the files that
hold secrets and readers' addresses are private and never silently replaced."""

from __future__ import annotations

import http.client
import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from digest.config import load_config
from digest.errors import ConfigError
from digest.ingest.fetch import FetchOptions
from digest.preview import Previewer, make_server
from digest.runs import run as digest_run
from tests.conftest import run_digest
from tests.smtp_server import PASSWORD

FAST = FetchOptions(timeout=2.0, max_bytes=8 * 1024 * 1024)
NOW = datetime(2024, 5, 10, 12, tzinfo=UTC)
STRONG_SECRET = "Jx4q-9tVbL2mZr7KfW0sYp3HdNc8Ue6A"  # 32 characters, as token_urlsafe makes


def write_toml(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# 5. One feed cannot hold the run lock for hours


def flood_feed(root: Path, count: int, dated: bool = False) -> None:
    """A feed of ``count`` teaser items, undated unless ``dated``, each linking to a page
    the server does not have (so each one fetched is a request and a warning)."""
    items = []
    for n in range(count):
        when = f"<pubDate>{format_datetime(NOW - timedelta(hours=n))}</pubDate>" if dated else ""
        items.append(
            f"<item><title>Flood item {n}</title><guid>flood-{n}</guid>"
            f"<link>{{{{BASE}}}}/flood/{n}</link>{when}"
            f"<description>Item {n} of the flood, a teaser of a few words.</description></item>"
        )
    (root / "flood.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Flood</title>'
        + "".join(items)
        + "</channel></rss>",
        encoding="utf-8",
    )


def flood_pages(web) -> set[str]:
    return {r.path for r in web.requests if r.path.startswith("/flood/")}


def test_thousands_of_undated_items_of_a_known_feed_give_at_most_max_new_items(web, tmp_path):
    flood_feed(web.root, 1, dated=True)
    config = load_config(
        write_toml(
            tmp_path / "digest.toml",
            "[digest]\nfetch_private = true\nmax_new_items = 20\n"
            f'[[sources]]\nfeed = "{web.url("flood.xml")}"\n',
        ),
        env={},
    )
    digest_run(config, send=False, now=NOW, fetch_options=FAST)  # the feed is known now
    flood_feed(web.root, 3000)
    web.requests.clear()

    result = digest_run(config, send=False, now=NOW + timedelta(hours=1), fetch_options=FAST)

    fetched = flood_pages(web)
    assert 0 < len(fetched) <= 20
    capped = [p for p in result.problems if "max_new_items" in p.message]
    assert len(capped) == 1 and capped[0].origin == web.url("flood.xml")
    assert "2999 new items" in capped[0].message  # flood-0 was there before
    assert len(result.problems) <= 21  # not a warning line per item
    # The rest are skipped for good: the next run does not take the next twenty.
    web.requests.clear()
    digest_run(config, send=False, now=NOW + timedelta(hours=2), fetch_options=FAST)
    assert flood_pages(web) <= fetched


def test_max_new_items_defaults_to_100_and_must_be_at_least_1(tmp_path):
    assert load_config(write_toml(tmp_path / "a.toml", "[digest]\n"), env={}).max_new_items == 100
    with pytest.raises(ConfigError, match="max_new_items must be at least 1"):
        load_config(write_toml(tmp_path / "b.toml", "[digest]\nmax_new_items = 0\n"), env={})


def test_items_a_feed_stopped_listing_are_forgotten_and_used_ones_it_lists_are_not_resent(
    web, tmp_path
):
    def feed(numbers: list[int], newest: datetime) -> None:
        items = "".join(
            f"<item><title>Harbour story {n}</title><guid>h-{n}</guid>"
            f"<link>{{{{BASE}}}}/h/{n}</link>"
            f"<pubDate>{format_datetime(newest - timedelta(hours=i))}</pubDate>"
            f"<description>{story_text(n)}</description></item>"
            for i, n in enumerate(numbers)
        )
        (web.root / "h.xml").write_text(
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>h</title>{items}'
            "</channel></rss>",
            encoding="utf-8",
        )

    config = load_config(
        write_toml(
            tmp_path / "digest.toml",
            '[digest]\nfetch_private = true\nwindow = "7d"\n'
            f'[[sources]]\nfeed = "{web.url("h.xml")}"\n',
        ),
        env={},
    )
    feed([0, 1, 2], NOW - timedelta(hours=1))
    digest_run(config, send=False, now=NOW, fetch_options=FAST)
    later = NOW + timedelta(days=40)
    feed([3, 0], later - timedelta(hours=1))  # 1 and 2 dropped; 0 still listed

    result = digest_run(config, send=False, now=later, fetch_options=FAST)

    assert [b.title for b in result.issue.digest.briefs] == ["Harbour story 3"]
    db = sqlite3.connect(tmp_path / ".digest-state" / "state.sqlite3")
    kept = dict(db.execute("SELECT id, status FROM items"))
    db.close()
    assert sorted(kept.values()) == ["used", "used"]  # 0 (still listed) and 3; not 1 or 2
    assert len(kept) == 2


def story_text(n: int) -> str:
    words = ["alpha", "brook", "cedar", "delta", "ember", "fjord", "grove", "heath"]
    own = [f"{w}{n}x{i}" for i, w in enumerate(words)]
    return " ".join(f"The {w} report was discussed at length by the council." for w in own * 3)


# 6. Header injection from the configured title


ENCODED = "=?utf-8?b?DQpCY2M6IHhAZXZpbC5leGFtcGxl?= Weekly"  # "\r\nBcc: x@evil.example"


def test_an_encoded_title_that_decodes_to_a_line_break_is_a_configuration_error(
    tmp_path, articles_dir
):
    write_toml(
        tmp_path / "digest.toml",
        f'[digest]\ntitle = "{ENCODED}"\n[[sources]]\npath = "{articles_dir}"\n',
    )
    result = run_digest("build", cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    assert "digest.title" in result.stderr and "Bcc: x@evil.example" in result.stderr
    assert not (tmp_path / "out").exists()


def test_an_encoded_word_split_across_title_and_subject_is_caught_too(tmp_path):
    path = write_toml(
        tmp_path / "digest.toml",
        '[digest]\ntitle = "=?utf-8?b?DQpC"\n'
        '[send]\nsubject = "{title}Y2M6IHhAZXZpbC5leGFtcGxl?="\n',
    )
    with pytest.raises(ConfigError, match="line break or control character"):
        load_config(path, env={})


def test_an_encoded_line_break_put_into_a_built_subject_is_not_sent(tmp_path, articles_dir, smtp):
    write_toml(
        tmp_path / "digest.toml",
        '[digest]\nunsubscribe_url = "https://news.example.org/unsub"\n'
        f'[[sources]]\npath = "{articles_dir}"\n[send]\nattempts = 1\n',
    )
    # Built to be sent (the envelope a build fixes has a sender), then tampered with.
    (tmp_path / ".env").write_text("DIGEST_FROM=news@example.org\n")
    assert run_digest("build", cwd=tmp_path).returncode == 0
    built = tmp_path / "out" / "digest.json"
    data = json.loads(built.read_text(encoding="utf-8"))
    data["subject"] = ENCODED  # out/ is only files: anyone who can write them
    built.write_text(json.dumps(data), encoding="utf-8")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        **smtp.env(),
        "DIGEST_FROM": "news@example.org",
        "DIGEST_TO": "ann@example.com",
    }

    result = subprocess.run(
        [sys.executable, "-m", "digest", "send"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 3, result.stderr
    assert "line break or control character" in result.stderr
    assert smtp.mailbox.received == []


# 7. Weak unsubscribe secret


TOKEN_URL = "https://news.example.org/unsubscribe?email={email}&token={token}"


@pytest.mark.parametrize("secret", ["k7q", "x" * 40, "passwordpasswordpasswordpassword"])
def test_a_weak_unsubscribe_secret_is_refused_with_a_hint_to_make_one(tmp_path, secret):
    path = write_toml(tmp_path / "digest.toml", f'[digest]\nunsubscribe_url = "{TOKEN_URL}"\n')
    with pytest.raises(ConfigError, match="DIGEST_UNSUBSCRIBE_SECRET is too weak") as caught:
        load_config(path, env={"DIGEST_UNSUBSCRIBE_SECRET": secret})
    assert caught.value.exit_code == 3
    assert "secrets.token_urlsafe(32)" in (caught.value.hint or "")
    assert secret not in str(caught.value)  # a secret is never printed


def test_a_strong_unsubscribe_secret_is_accepted(tmp_path):
    path = write_toml(tmp_path / "digest.toml", f'[digest]\nunsubscribe_url = "{TOKEN_URL}"\n')
    config = load_config(path, env={"DIGEST_UNSUBSCRIBE_SECRET": STRONG_SECRET})
    assert config.send.unsubscribe_secret == STRONG_SECRET


def test_an_email_only_unsubscribe_url_is_warned_about(tmp_path, articles_dir):
    write_toml(
        tmp_path / "digest.toml",
        '[digest]\nunsubscribe_url = "https://news.example.org/u?email={email}"\n'
        f'[[sources]]\npath = "{articles_dir}"\n',
    )
    result = run_digest("build", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "holds {email} but no {token}" in result.stderr


# 8. The preview server


@pytest.fixture
def preview(tmp_path, articles_dir):
    """A real preview server on 127.0.0.1 (a free port), serving the fixture articles."""
    config = write_toml(tmp_path / "digest.toml", f'[[sources]]\npath = "{articles_dir}"\n')
    previewer = Previewer(config, None, tmp_path / "out")
    previewer.rebuild()
    server = make_server(previewer, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server.server_address[1]
    previewer.stop()
    server.shutdown()
    server.server_close()
    thread.join()


def get(port: int, path: str, host: str | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_host=host is not None)
        if host is not None:
            connection.putheader("Host", host)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_the_preview_refuses_a_host_that_is_not_its_own(preview):
    status, body = get(preview, "/digest.txt", host=f"rebind.evil.example:{preview}")
    assert status == 421 and len(body) < 1000
    assert get(preview, "/digest.txt", host=f"127.0.0.1:{preview}")[0] == 200
    assert get(preview, "/digest.txt", host=f"localhost:{preview}")[0] == 200
    assert get(preview, "/status")[0] == 200  # http.client's own Host header


@pytest.mark.parametrize("after", ["abc", "-1", "1e3", "%D9%A3"])
def test_the_preview_answers_a_bad_parameter_with_400(preview, after):
    status, _ = get(preview, f"/events?after={after}")
    assert status == 400
    assert get(preview, "/status")[0] == 200  # still serving


def test_the_preview_warns_when_it_listens_beyond_loopback(tmp_path, articles_dir):
    write_toml(tmp_path / "digest.toml", f'[[sources]]\npath = "{articles_dir}"\n')
    # 192.0.2.1 (TEST-NET-1) is on no interface here: the warning comes, then the bind fails,
    # and nothing ever listens beyond loopback.
    result = run_digest("preview", "--host", "192.0.2.1", "--port", "0", cwd=tmp_path)
    assert "not on this machine's loopback" in result.stderr
    assert result.returncode == 1 and "cannot listen on 192.0.2.1" in result.stderr


# 9. The archive from a tampered issues.json


def test_a_tampered_archive_slug_cannot_write_outside_out_web(tmp_path, articles_dir):
    write_toml(tmp_path / "digest.toml", f'[[sources]]\npath = "{articles_dir}"\n')
    assert run_digest("build", "--date", "2024-05-01", cwd=tmp_path).returncode == 0
    manifest = tmp_path / "out" / "web" / "issues.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["issues"][0]["slug"] = "../../victim"
    manifest.write_text(json.dumps(data), encoding="utf-8")
    victim = tmp_path / "victim.html"
    victim.write_text('<nav class="archive-nav">mine</nav>\n', encoding="utf-8")

    result = run_digest("build", "--date", "2024-05-08", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert victim.read_text(encoding="utf-8") == '<nav class="archive-nav">mine</nav>\n'
    assert "not an archive manifest" in result.stderr and "../../victim" in result.stderr
    assert (tmp_path / "out" / "web" / "issues.json.broken").is_file()


# 10. Files and store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_store_is_readable_by_its_owner_only(tmp_path, articles_dir):
    write_toml(tmp_path / "digest.toml", f'[[sources]]\npath = "{articles_dir}"\n')
    old = os.umask(0o022)
    try:
        assert run_digest("run", "--no-send", cwd=tmp_path).returncode == 0
    finally:
        os.umask(old)
    store = tmp_path / ".digest-state" / "state.sqlite3"
    assert mode(store) == 0o600
    assert mode(store.parent) == 0o700


def test_a_world_readable_store_and_env_are_flagged(tmp_path, articles_dir):
    write_toml(tmp_path / "digest.toml", f'[[sources]]\npath = "{articles_dir}"\n')
    assert run_digest("run", "--no-send", cwd=tmp_path).returncode == 0
    store = tmp_path / ".digest-state" / "state.sqlite3"
    store.chmod(0o644)
    env = tmp_path / ".env"
    env.write_text(f"SMTP_PASSWORD={PASSWORD}\n", encoding="utf-8")
    env.chmod(0o644)

    result = run_digest("unsubscribe", "--list", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert f"{store.relative_to(tmp_path)} holds readers' addresses" in result.stderr
    assert ".env holds SMTP_PASSWORD" in result.stderr and "chmod 600" in result.stderr
    assert PASSWORD not in result.stderr
    assert result.stderr.count(".env holds") == 1


def test_an_empty_store_is_an_error_that_keeps_the_file(tmp_path, articles_dir):
    write_toml(tmp_path / "digest.toml", f'[[sources]]\npath = "{articles_dir}"\n')
    store = tmp_path / ".digest-state" / "state.sqlite3"
    store.parent.mkdir()
    store.write_bytes(b"")

    for command in (["run", "--no-send"], ["unsubscribe", "--list"], ["build"]):
        result = run_digest(*command, cwd=tmp_path)
        assert result.returncode == 1, (command, result.stderr)
        assert "state.sqlite3: cannot use the state store: the file is empty" in result.stderr
        assert "internal error" not in result.stderr
        assert store.read_bytes() == b""


def test_a_corrupt_store_page_is_an_error_that_names_the_file(tmp_path, articles_dir):
    write_toml(tmp_path / "digest.toml", f'[[sources]]\npath = "{articles_dir}"\n')
    assert run_digest("run", "--no-send", cwd=tmp_path).returncode == 0
    store = tmp_path / ".digest-state" / "state.sqlite3"
    db = sqlite3.connect(store)
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'items'").fetchone()[0]
    db.close()
    data = bytearray(store.read_bytes())
    start = (root - 1) * page_size
    data[start : start + page_size] = b"\xa5" * page_size
    store.write_bytes(bytes(data))

    result = run_digest("run", "--no-send", cwd=tmp_path)

    assert result.returncode == 1, result.stderr
    assert "state.sqlite3: cannot use the state store" in result.stderr
    assert "internal error" not in result.stderr and "restore it from a backup" in result.stderr
    assert store.read_bytes() == bytes(data)


def test_a_login_without_encryption_to_another_machine_is_refused(tmp_path, articles_dir):
    write_toml(
        tmp_path / "digest.toml",
        '[digest]\nunsubscribe_url = "https://news.example.org/unsub"\n'
        f'[[sources]]\npath = "{articles_dir}"\n[send]\nattempts = 1\ntimeout = 2\n',
    )
    (tmp_path / ".env").write_text(
        "SMTP_HOST=mail.example.org\nSMTP_SECURITY=none\nSMTP_USERNAME=news\n"
        f"SMTP_PASSWORD={PASSWORD}\nDIGEST_FROM=news@example.org\nDIGEST_TO=ann@example.com\n",
        encoding="utf-8",
    )
    (tmp_path / ".env").chmod(0o600)

    result = run_digest("run", cwd=tmp_path)

    assert result.returncode == 3, result.stderr
    assert "unencrypted" in result.stderr and "SMTP_ALLOW_CLEARTEXT_LOGIN" in result.stderr
    assert PASSWORD not in result.stderr
    assert not (tmp_path / ".digest-state").exists()  # refused before anything was done


def test_a_login_without_encryption_is_allowed_on_loopback_or_when_said(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no digest.toml here
    base = {"SMTP_SECURITY": "none", "SMTP_USERNAME": "news", "SMTP_PASSWORD": "x"}
    for host in ("127.0.0.1", "localhost", "::1"):
        assert load_config(None, env={**base, "SMTP_HOST": host}).send.host == host
    allowed = {**base, "SMTP_HOST": "relay.lan", "SMTP_ALLOW_CLEARTEXT_LOGIN": "true"}
    assert load_config(None, env=allowed).send.allow_cleartext_login
    with pytest.raises(ConfigError, match="unencrypted"):
        load_config(None, env={**base, "SMTP_HOST": "relay.lan"})
