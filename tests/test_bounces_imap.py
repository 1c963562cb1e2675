"""`digest bounces` against a real IMAP server (Dovecot on 127.0.0.1) and a real SMTP one."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from digest import runs, suppressions
from digest.cli import main
from digest.config import load_config
from digest.unsubscribe import unsubscribe_token
from tests.conftest import FIXTURES

pytestmark = pytest.mark.skipif(
    shutil.which("dovecot") is None and not Path("/usr/sbin/dovecot").exists(),
    reason="needs Dovecot (apt-get install dovecot-imapd)",
)

BOUNCES = FIXTURES / "bounces"
READERS = ("ann@example.com", "bob@example.net", "cy@example.org")
SECRET = "Zq8-vT3nLw0pXr5sKe7yHb2mUc9dJf4aGi6o"


@pytest.fixture
def imap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from tests.imap_server import start_imap

    server = start_imap(tmp_path / "dovecot")
    monkeypatch.setenv("SSL_CERT_FILE", str(server.cert))
    yield server
    server.stop()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, imap, articles_dir):
    """A digest configured with three readers and the Dovecot bounce mailbox."""
    from tests.imap_server import PASSWORD, USERNAME

    monkeypatch.chdir(tmp_path)
    toml = tmp_path / "digest.toml"
    toml.write_text(
        '[digest]\ntitle = "The Weekly"\nout_dir = "out"\n'
        'unsubscribe_url = "https://example.org/leave?e={email}&t={token}"\n'
        f'[[sources]]\npath = "{articles_dir}"\n[send]\nrate = 0\nretry_delay = 0.01\n',
        encoding="utf-8",
    )
    env = {
        "DIGEST_FROM": "The Weekly <news@example.org>",
        "DIGEST_TO": ", ".join(READERS),
        "DIGEST_UNSUBSCRIBE_SECRET": SECRET,
        "BOUNCE_IMAP_HOST": "127.0.0.1",
        "BOUNCE_IMAP_PORT": str(imap.tls_port),
        "BOUNCE_IMAP_USERNAME": USERNAME,
        "BOUNCE_IMAP_PASSWORD": PASSWORD,
        "BOUNCE_IMAP_SECURITY": "tls",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return toml


def bounces(toml: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    capsys.readouterr()
    assert main(["bounces", "--config", str(toml), *extra]) == 0, capsys.readouterr().err
    return capsys.readouterr().out


def suppressed(toml: Path) -> dict[str, str]:
    return {a: reason for a, (_, reason) in suppressions.suppressed(load_config(toml)).items()}


def fixture(name: str) -> bytes:
    return (BOUNCES / name).read_bytes()


def soft_bounce(days_ago: float, number: int) -> bytes:
    when = datetime.now(UTC) - timedelta(days=days_ago)
    text = fixture("soft-template.eml").decode()
    return (
        text.replace("{DATE}", format_datetime(when)).replace("{MSGID}", f"soft-{number}").encode()
    )


def test_hard_bounce_and_complaint_suppress_and_the_rest_stays_in_the_inbox(site, imap, capsys):
    for name in (
        "postfix-hard.eml",
        "arf-complaint.eml",
        "vacation.eml",
        "unrelated.eml",
        "spamhaus-block.eml",
    ):
        imap.deliver(fixture(name))
    out = bounces(site, capsys)
    assert suppressed(site) == {
        "ann@example.com": "hard bounce: unknown user (5.1.1)",
        "cy@example.org": "complaint (abuse)",
    }
    assert "blocked (fix the sending)\tbob@example.net" in out  # reported, never counted
    assert "bob@example.net" not in suppressed(site)
    # the vacation reply and the reader's letter were not recognised: untouched
    assert imap.subjects("INBOX") == [
        "Loved this week's issue",
        "Out of office: The Weekly, 7 December",
    ]
    assert sorted(imap.folder("INBOX")) == sorted(
        [fixture("vacation.eml"), fixture("unrelated.eml")]
    )
    assert len(imap.folder("digest-processed")) == 3
    assert "moved 3, left 2 untouched" in out

    # `digest unsubscribe --list` shows why and when; a second run changes nothing
    capsys.readouterr()
    assert main(["unsubscribe", "--list", "--config", str(site)]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].startswith("ann@example.com\t")
    assert listed[0].endswith("\thard bounce: unknown user (5.1.1)")
    before = (imap.folder("INBOX"), imap.folder("digest-processed"), suppressed(site))
    again = bounces(site, capsys)
    assert "suppressed 0 new reader(s); moved 0, left 2 untouched" in again
    assert (imap.folder("INBOX"), imap.folder("digest-processed"), suppressed(site)) == before


def test_the_next_send_skips_the_readers_a_bounce_suppressed(
    site, imap, smtp, capsys, monkeypatch, tmp_path
):
    for key, value in smtp.env().items():
        monkeypatch.setenv(key, value)
    both = tmp_path / "both-certs.pem"  # trust the IMAP and the SMTP server alike
    both.write_bytes(imap.cert.read_bytes() + smtp.cert.read_bytes())
    monkeypatch.setenv("SSL_CERT_FILE", str(both))
    imap.deliver(fixture("postfix-hard.eml"))
    bounces(site, capsys)
    config = load_config(site)
    runs.build(config, today=None)
    result, _ = runs.send(config)
    assert result.sent == ("bob@example.net", "cy@example.org")
    assert "ann@example.com" not in smtp.mailbox.by_recipient()
    # restored by hand, the reader gets the next issue
    assert main(["unsubscribe", "--remove", "ann@example.com", "--config", str(site)]) == 0
    again, _ = runs.send(config)
    assert again.sent == ("ann@example.com",)


def test_a_soft_bounce_suppresses_only_after_the_streak_over_enough_days(site, imap, capsys):
    imap.deliver(soft_bounce(9, 1))
    imap.deliver(soft_bounce(5, 2))
    out = bounces(site, capsys)
    assert "soft bounce\tcy@example.org\t2 in a row" in out
    assert suppressed(site) == {}
    imap.deliver(soft_bounce(0.5, 3))
    bounces(site, capsys)
    assert suppressed(site)["cy@example.org"].startswith("soft bounces: 3 in a row over 8 days")
    assert imap.folder("INBOX") == [] and len(imap.folder("digest-processed")) == 3


def test_three_soft_bounces_within_two_days_are_not_yet_enough(site, imap, capsys, monkeypatch):
    monkeypatch.setenv("BOUNCE_IMAP_SECURITY", "starttls")
    monkeypatch.setenv("BOUNCE_IMAP_PORT", str(imap.starttls_port))
    for number, days in enumerate((2, 1, 0.1)):
        imap.deliver(soft_bounce(days, number))
    out = bounces(site, capsys)
    assert "soft bounce\tcy@example.org\t3 in a row" in out
    assert suppressed(site) == {}


def test_a_verp_bounce_names_its_reader_when_the_report_names_someone_else(site, imap, capsys):
    token = unsubscribe_token(SECRET, "bob@example.net")
    imap.deliver(fixture("qmail-verp.eml").replace(b"{TOKEN}", token.encode()))
    bounces(site, capsys)
    assert list(suppressed(site)) == ["bob@example.net"]


def test_a_wrong_password_is_one_line_naming_the_mailbox(site, imap, capsys, monkeypatch):
    monkeypatch.setenv("BOUNCE_IMAP_PASSWORD", "wrong")
    imap.deliver(fixture("postfix-hard.eml"))
    assert main(["bounces", "--config", str(site)]) == 1
    err = capsys.readouterr().err
    assert f"bounce mailbox 127.0.0.1:{imap.tls_port}: cannot log in" in err
    assert len(err.strip().splitlines()) == 1
    assert len(imap.folder("INBOX")) == 1
