"""The heartbeat after `digest run`: the monitor (a real HTTP server) hears how each run ended."""

import subprocess
import sys
from pathlib import Path

import pytest

from digest.heartbeat import ping, ping_url

RECIPIENTS = ["ann@example.com", "bob@example.net"]


@pytest.fixture
def site(tmp_path, articles_dir):
    (tmp_path / "digest.toml").write_text(
        '[digest]\ntitle = "The Weekly"\nunsubscribe_url = "https://news.example.org/unsub"\n'
        f'[[sources]]\npath = "{articles_dir}"\n[send]\nrate = 0\n',
        encoding="utf-8",
    )
    return tmp_path


def run(site: Path, smtp, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(site),
        **smtp.env(),
        "DIGEST_FROM": "news@example.org",
        "DIGEST_TO": ",".join(RECIPIENTS),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "digest", "run", *args],
        cwd=site,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def pings(web) -> list[str]:
    return [r.path for r in web.requests if r.path.startswith("/hc/")]


def test_a_run_that_succeeds_pings_the_url_and_one_that_fails_pings_its_exit_code(site, smtp, web):
    env = {"DIGEST_HEARTBEAT_URL": web.url("hc/check-1")}
    result = run(site, smtp, **env)
    assert (result.returncode, result.stderr) == (0, "")
    assert pings(web) == ["/hc/check-1"]
    heard = next(r for r in web.requests if r.path == "/hc/check-1")
    assert heard.headers["User-Agent"].startswith("digest/")
    # Every source failing is exit 6: the monitor hears /6, and the run's error is unchanged.
    (site / "digest.toml").write_text(
        f'[[sources]]\nfeed = "{web.url("status/500")}"\n', encoding="utf-8"
    )
    result = run(site, smtp, **env)
    assert result.returncode == 6, result.stderr
    assert pings(web) == ["/hc/check-1", "/hc/check-1/6"]
    assert "heartbeat" not in result.stderr


def test_the_heartbeat_url_in_digest_toml_is_pinged_after_a_run_with_nothing_new(site, smtp, web):
    config = site / "digest.toml"
    config.write_text(
        config.read_text().replace("[digest]\n", f'[digest]\nheartbeat_url = "{web.url("hc/t")}"\n')
    )
    assert run(site, smtp).returncode == 0
    assert run(site, smtp).returncode == 0  # nothing new is a success too
    assert pings(web) == ["/hc/t", "/hc/t"]


def test_a_ping_that_fails_is_one_warning_and_never_fails_the_run(site, smtp, web):
    # A port nothing listens on, then a monitor that answers 404.
    for url, said in (("http://127.0.0.1:9/ping/abc", "failed"), (web.url("nope"), "HTTP 404")):
        result = run(site, smtp, "--no-send", DIGEST_HEARTBEAT_URL=url)
        assert result.returncode == 0, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("digest: warning: heartbeat to 127.0.0.1")
        assert said in lines[0]
        assert "/ping/abc" not in result.stderr and "nope" not in result.stderr  # the key


def test_a_run_that_found_the_lock_held_does_not_ping_the_one_holding_it_will():
    assert ping_url("https://hc-ping.com/abc", 0) == "https://hc-ping.com/abc"
    assert ping_url("https://hc-ping.com/abc/", 9) == "https://hc-ping.com/abc/9"
    assert ping_url("https://hc-ping.com/abc", 8) is None
    assert ping(None, 0) is None


def test_a_heartbeat_url_that_is_not_http_is_a_configuration_error(site, smtp):
    result = run(site, smtp, DIGEST_HEARTBEAT_URL="ftp://example.org/ping")
    assert result.returncode == 3
    assert "DIGEST_HEARTBEAT_URL must be an absolute URL" in result.stderr
