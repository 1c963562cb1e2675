"""Delivery to a real SMTP server (aiosmtpd on 127.0.0.1 with STARTTLS and AUTH)."""

import base64
import re
import sqlite3
import time
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest

from digest import suppressions
from digest.cli import main
from digest.config import load_config
from digest.deliver import (
    FIRST_SETTLE,
    Composer,
    Letter,
    _Gate,
    check_address,
    deliver,
    read_recipients,
)
from digest.errors import ConfigError, LintError
from digest.outputs import load_issue
from digest.runs import build, dry_run, send, send_test
from digest.state import open_store
from digest.unsubscribe import unsubscribe_token, verify_token
from tests.smtp_server import PASSWORD, USERNAME, Mailbox, start

RECIPIENTS = ("ann@example.com", "bob@example.net", "cy@example.org")
UNSUBSCRIBE = "https://news.example.org/unsubscribe?list=weekly"


@pytest.fixture
def config_for(tmp_path, articles_dir):
    """A configuration that sends the fixture articles through ``server``."""

    def make(server, recipients=RECIPIENTS, *, unsubscribe=UNSUBSCRIBE, env=None, **send):
        toml = tmp_path / "digest.toml"
        settings = "".join(
            f"{k} = {v!r}\n"
            for k, v in {"rate": 0, "retry_delay": 0.01, "timeout": 5, **send}.items()
        )
        toml.write_text(
            f'[digest]\ntitle = "The Weekly"\nout_dir = "out"\nunsubscribe_url = "{unsubscribe}"\n'
            f'[[sources]]\npath = "{articles_dir}"\n[send]\n{settings}',
            encoding="utf-8",
        )
        environment = {
            **server.env(),
            "DIGEST_FROM": "The Weekly <news@example.org>",
            "DIGEST_TO": ", ".join(recipients),
            "DIGEST_UNSUBSCRIBE_MAILTO": "leave@example.org",
            **(env or {}),
        }
        config = load_config(toml, environment)
        build(config, today=None)
        return config

    return make


def ledger(config) -> dict[str, tuple[str, int, str | None]]:
    db = sqlite3.connect(config.state_dir / "state.sqlite3")
    rows = db.execute("SELECT recipient, status, attempts, last_error FROM deliveries").fetchall()
    db.close()
    return {r: (s, a, e) for r, s, a, e in rows}


def test_each_recipient_gets_one_message_that_carries_the_headers_a_sender_needs(smtp, config_for):
    config = config_for(smtp)
    result, problems = send(config)
    assert result.sent == RECIPIENTS and not problems and result.complete
    assert smtp.mailbox.by_recipient() == dict.fromkeys(RECIPIENTS, 1)
    assert len({m.peer for m in smtp.mailbox.received}) == min(3, config.send.connections)
    issue = load_issue(config.out_dir)
    ids = set()
    for received in smtp.mailbox.received:
        message = received.message
        assert received.mail_from == "news@example.org"
        assert message["To"] == received.rcpt_tos[0]  # only the recipient, never a list
        assert message["From"] == "The Weekly <news@example.org>"
        assert message["Subject"] == issue.subject and message["Subject"].startswith(
            "The Weekly · "
        )
        assert message["Date"] and message["Message-ID"].endswith("@example.org>")
        assert message["List-Id"] == "The Weekly <the-weekly.example.org>"
        assert message["List-Unsubscribe"] == (
            f"<{UNSUBSCRIBE}>, <mailto:leave@example.org?subject=unsubscribe>"
        )
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.get_content_type() == "multipart/alternative"
        text, html = message.iter_parts()
        assert text.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
        assert html["Content-Transfer-Encoding"] == "quoted-printable"
        assert _lines(html.get_content()) == _lines(issue.html)
        assert _lines(text.get_content()) == _lines(issue.text)
        assert max(len(line) for line in received.data.split(b"\r\n")) <= 998
        ids.add(message["Message-ID"])
    assert len(ids) == len(RECIPIENTS)
    assert {s for s, _, _ in ledger(config).values()} == {"sent"}


def _lines(content: str) -> list[str]:
    return content.replace("\r\n", "\n").rstrip("\n").split("\n")


def test_sending_again_sends_nothing_twice_but_reaches_a_new_recipient(smtp, config_for):
    config = config_for(smtp)
    send(config)
    more = replace(config, send=replace(config.send, to=(*RECIPIENTS, "dee@example.com")))
    result, _ = send(more)
    assert result.sent == ("dee@example.com",) and result.before == 3
    assert smtp.mailbox.by_recipient() == dict.fromkeys([*RECIPIENTS, "dee@example.com"], 1)


def test_a_server_that_answers_4xx_then_accepts_delivers_once(smtp, config_for):
    smtp.mailbox.rcpt_replies["bob@example.net"] = ["451 4.7.1 Greylisted, try again"]
    smtp.mailbox.data_replies["cy@example.org"] = ["452 4.3.1 Insufficient storage"] * 2
    config = config_for(smtp)
    result, _ = send(config)
    assert result.sent == RECIPIENTS and result.complete
    assert smtp.mailbox.by_recipient() == dict.fromkeys(RECIPIENTS, 1)
    rows = ledger(config)
    assert rows["ann@example.com"][:2] == ("sent", 1)
    assert rows["bob@example.net"][:2] == ("sent", 2)
    assert rows["cy@example.org"][:2] == ("sent", 3)


def test_a_recipient_refused_with_5xx_is_reported_while_the_others_get_theirs(smtp, config_for):
    smtp.mailbox.rcpt_replies["bob@example.net"] = ["550 5.1.1 No such user here"]
    config = config_for(smtp)
    result, _ = send(config)
    assert result.sent == ("ann@example.com", "cy@example.org")
    [failed] = result.failed
    assert failed.recipient == "bob@example.net" and "550 5.1.1 No such user" in failed.error
    assert smtp.mailbox.by_recipient() == {"ann@example.com": 1, "cy@example.org": 1}
    assert ledger(config)["bob@example.net"][0] == "failed"
    again, _ = send(config)  # a permanent failure is not tried again for this issue
    assert again.sent == () and again.failed == ()


def test_a_dropped_connection_is_opened_again_and_nothing_is_sent_twice(smtp, config_for):
    smtp.mailbox.drop_at = {2}
    config = config_for(smtp, connections=1)
    result, _ = send(config)
    assert result.sent == RECIPIENTS
    assert smtp.mailbox.by_recipient() == dict.fromkeys(RECIPIENTS, 1)
    assert len({m.peer for m in smtp.mailbox.received}) == 2


def test_temporary_failures_past_the_attempts_leave_the_recipient_for_the_next_run(
    smtp, config_for
):
    smtp.mailbox.rcpt_replies["bob@example.net"] = ["450 4.2.1 Mailbox busy"] * 3
    config = config_for(smtp, attempts=2)
    result, _ = send(config)
    assert [o.recipient for o in result.deferred] == ["bob@example.net"]
    assert not result.complete
    assert ledger(config)["bob@example.net"][:2] == ("pending", 2)
    again, _ = send(config)
    assert again.sent == ("bob@example.net",) and again.before == 2
    assert smtp.mailbox.by_recipient() == dict.fromkeys(RECIPIENTS, 1)


def test_the_rate_limit_spaces_the_messages(smtp, config_for):
    config = config_for(smtp, rate=20)
    started = time.monotonic()
    send(config)
    assert time.monotonic() - started >= 2 / 20  # three messages: two gaps of 1/20 s


# aiosmtpd cannot tell that an implicit-TLS session is encrypted, so it warns here.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_on_its_own_port(tmp_path, config_for, monkeypatch):
    server = start(tmp_path, Mailbox(), implicit_tls=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(server.cert))
    try:
        config = config_for(server)
        config = replace(config, send=replace(config.send, security="ssl"))
        result, _ = send(config)
        assert result.sent == RECIPIENTS, result.stopped
    finally:
        server.stop()


def test_an_untrusted_certificate_stops_sending_with_a_hint(smtp, config_for, monkeypatch):
    config = config_for(smtp)
    monkeypatch.delenv("SSL_CERT_FILE")
    result, _ = send(config)
    assert result.sent == () and "certificate is not trusted" in result.stopped
    assert "point SSL_CERT_FILE at its certificate" in result.stopped
    assert {s for s, _, _ in ledger(config).values()} == {"pending"}


def test_a_wrong_password_is_never_shown(smtp, config_for):
    config = config_for(smtp)
    config = replace(config, send=replace(config.send, password=PASSWORD + "-wrong"))
    result, _ = send(config)
    assert "login refused" in result.stopped and USERNAME in result.stopped
    secret = config.send.password
    for text in (result.stopped, repr(config), repr(config.send)):
        assert secret not in text and PASSWORD not in text
        assert base64.b64encode(secret.encode()).decode() not in text


def test_dry_run_writes_eml_files_and_sends_and_records_nothing(smtp, config_for, tmp_path):
    config = config_for(smtp)
    files, _, _ = dry_run(config)
    assert [f.name for f in files] == [
        "0001-ann@example.com.eml",
        "0002-bob@example.net.eml",
        "0003-cy@example.org.eml",
    ]
    assert smtp.mailbox.received == [] and not (config.state_dir / "state.sqlite3").exists()
    again, _, _ = dry_run(config, outbox=tmp_path / "again")
    # The Message-ID is the same every time it is made: a resend carries the same one.
    for first, second in zip(files, again, strict=True):
        header = [ln for ln in first.read_bytes().splitlines() if ln.startswith(b"Message-ID")]
        assert header and header[0] in second.read_bytes()


def test_dry_run_leaves_out_the_unsubscribed_as_the_real_send_does(smtp, config_for):
    config = config_for(smtp)
    suppressions.unsubscribe(config, ["Bob@example.net"])
    files, _, _ = dry_run(config)
    assert [f.name for f in files] == ["0001-ann@example.com.eml", "0002-cy@example.org.eml"]
    assert smtp.mailbox.received == []
    real, _ = send(config)
    assert real.sent == ("ann@example.com", "cy@example.org")


def test_a_failed_test_copy_promises_no_retry(tmp_path, articles_dir, monkeypatch, capsys):
    from tests.smtp_server import free_port

    monkeypatch.chdir(tmp_path)
    (tmp_path / "digest.toml").write_text(
        f'[digest]\ntitle = "The Weekly"\nunsubscribe_url = "{UNSUBSCRIBE}"\n'
        f'[[sources]]\npath = "{articles_dir}"\n[send]\nattempts = 1\ntimeout = 2\n'
    )
    (tmp_path / ".env").write_text(
        f"SMTP_HOST=127.0.0.1\nSMTP_PORT={free_port()}\nSMTP_SECURITY=none\n"
        "DIGEST_FROM=news@example.org\n"
    )
    for name in ("SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY", "DIGEST_FROM", "DIGEST_CONFIG"):
        monkeypatch.setenv(name, "")  # so that what main() takes from .env is undone after
        monkeypatch.delenv(name)
    assert main(["build"]) == 0
    capsys.readouterr()
    assert main(["send", "--to", "tester@example.com"]) == 9  # nothing listens there
    err = capsys.readouterr().err
    assert "sending a test copy of 'The Weekly" in err and "cannot connect" in err
    assert "retr" not in err.replace("run the same command again", "")
    assert "nothing was recorded" in err
    assert main(["send", "--to", "not-an-address"]) == 2
    assert "configuration" not in capsys.readouterr().err


def test_a_test_copy_goes_to_one_address_and_records_nothing(smtp, config_for):
    config = config_for(smtp)
    result = send_test(config, "tester@example.com")
    assert result.sent == ("tester@example.com",)
    assert smtp.mailbox.by_recipient() == {"tester@example.com": 1}
    assert not (config.state_dir / "state.sqlite3").exists()
    real, _ = send(config)  # the real send afterwards still reaches everyone
    assert real.sent == RECIPIENTS


def test_addresses_are_validated_and_line_breaks_refused(tmp_path):
    assert check_address("The Weekly <news@Example.ORG>", "DIGEST_FROM") == "news@example.org"
    with pytest.raises(ConfigError, match="line break"):
        check_address("x@example.com\r\nRCPT TO:<other@example.com>", "DIGEST_TO")
    listed = tmp_path / "list.txt"
    listed.write_text(
        "# readers\nann@example.com\nnot an address\nANN@example.com\nbob@example.net\n"
    )
    config = load_config(
        None,
        {
            "DIGEST_TO": "x@example.com\nRCPT TO:<y@example.com>",
            "DIGEST_RECIPIENTS_FILE": str(listed),
        },
    )
    found, problems = read_recipients(config.send)
    assert found == ("ann@example.com", "bob@example.net")
    assert [p.origin for p in problems] == ["DIGEST_TO", f"{listed}:3"]


def test_a_subject_with_a_line_break_is_refused(smtp, config_for):
    config = config_for(smtp)
    issue = replace(load_issue(config.out_dir), subject="The Weekly\nBcc: everyone@example.com")
    with pytest.raises(ConfigError, match="line break"):
        Composer(Letter(issue, "news@example.org"))


def test_an_internationalised_domain_is_sent_to_in_its_ascii_form(smtp, config_for):
    config = config_for(smtp, recipients=("ann@example.com", "user@bücher.de", "cy@example.org"))
    result, problems = send(config)
    assert not problems and result.complete
    assert result.sent == ("ann@example.com", "user@xn--bcher-kva.de", "cy@example.org")
    assert smtp.mailbox.by_recipient() == dict.fromkeys(result.sent, 1)
    assert {s for s, _, _ in ledger(config).values()} == {"sent"}


def test_an_address_smtp_cannot_encode_fails_alone_and_the_others_go_on(smtp, config_for):
    config = config_for(smtp)
    issue = load_issue(config.out_dir)
    composer = Composer(Letter(issue, "news@example.org"))
    todo = [(a, f"<{n}@example.org>") for n, a in enumerate(["ann@example.com", "ü@bücher.de"])]
    todo.append(("cy@example.org", "<3@example.org>"))
    report = deliver(composer, todo, config.send)
    assert [(o.recipient, o.status) for o in report.outcomes] == [
        ("ann@example.com", "sent"),
        ("ü@bücher.de", "failed"),
        ("cy@example.org", "sent"),
    ]
    assert "not an ASCII address" in (report.outcomes[1].error or "")
    assert smtp.mailbox.by_recipient() == {"ann@example.com": 1, "cy@example.org": 1}


def test_send_and_a_test_copy_refuse_a_digest_that_fails_lint(smtp, config_for):
    config = config_for(smtp)
    (config.out_dir / "digest.txt").write_text("Nothing like the HTML part.\n")
    for attempt in (lambda: send(config), lambda: send_test(config, "t@example.com")):
        with pytest.raises(LintError) as caught:
            attempt()
        assert caught.value.findings
    assert smtp.mailbox.received == []
    assert not (config.state_dir / "state.sqlite3").exists()


def test_editing_the_subject_between_two_sends_sends_nobody_twice(smtp, config_for):
    config = config_for(smtp, recipients=RECIPIENTS[:2])
    first, _ = send(config)
    edited = replace(config, send=replace(config.send, subject="New subject {date}", to=RECIPIENTS))
    again, _ = send(edited)
    # The issue in out/ is sent as it was built, subject and all; only the new reader gets it.
    assert again.sent == RECIPIENTS[2:] and again.before == 2
    assert smtp.mailbox.by_recipient() == dict.fromkeys(RECIPIENTS, 1)
    assert {r.message["Subject"] for r in smtp.mailbox.received} == {first.issue.subject}


def test_a_change_of_case_in_the_recipient_list_does_not_send_twice(smtp, config_for):
    config = config_for(smtp, recipients=("Ann@Example.com",))
    first, _ = send(config)
    again, _ = send(replace(config, send=replace(config.send, to=("ann@example.COM",))))
    assert first.sent == ("ann@example.com",) and again.sent == () and again.before == 1
    assert smtp.mailbox.by_recipient() == {"ann@example.com": 1}


# Parallel connections, per-reader unsubscribe, suppressions

MANY = tuple(f"reader{n:02d}@example.com" for n in range(40))
PERSONAL = "https://news.example.org/unsubscribe?list=weekly&email={email}&token={token}"
SECRET = {"DIGEST_UNSUBSCRIBE_SECRET": "a-long-random-secret-for-the-tests"}


def test_parallel_connections_deliver_each_recipient_once(smtp, config_for):
    smtp.mailbox.delay = 0.005  # long enough for the connections to overlap
    config = config_for(smtp, MANY, connections=4)
    result, _ = send(config)
    assert result.sent == MANY and result.complete  # in the order of the list
    assert smtp.mailbox.by_recipient() == dict.fromkeys(MANY, 1)
    assert 1 < len({m.peer for m in smtp.mailbox.received}) <= 4
    assert len({m.message["Message-ID"] for m in smtp.mailbox.received}) == len(MANY)
    assert {s for s, _, _ in ledger(config).values()} == {"sent"}


@pytest.mark.parametrize(("reply_after", "overlap"), [(0.002, False), (0.03, True)])
def test_connections_wait_for_a_distant_servers_replies_side_by_side(
    smtp, config_for, reply_after, overlap
):
    # A near server's replies come one at a time: at most one message is ever between
    # its dot and its record. A distant one's would allow only one message a reply.
    smtp.mailbox.delay = reply_after
    config = config_for(smtp, MANY[:16], connections=4)
    result, _ = send(config)
    assert result.sent == MANY[:16]
    assert (smtp.mailbox.most_accepting > 1) is overlap


def test_the_first_dots_wait_long_then_the_wait_learns_how_fast_the_server_reads():
    # A dot that comes before the server has read the body waits for it there, between
    # dot and record, where a kill makes a duplicate; a fresh run knows nothing yet.
    gate, reading, answer = _Gate(), 0.002, 0.0003
    assert gate.settle == FIRST_SETTLE > 2 * reading
    waits = []
    for _ in range(400):
        held = gate.settle
        gate.learn(held, answer + max(0.0, reading - held))
        waits.append(gate.settle)
    assert waits[0] < FIRST_SETTLE and waits == sorted(waits, reverse=True)
    assert 0.8 * reading <= waits[-1] <= reading


def test_a_permanent_failure_on_one_connection_leaves_the_others_going(smtp, config_for):
    smtp.mailbox.rcpt_replies["reader07@example.com"] = ["550 5.1.1 No such user"]
    config = config_for(smtp, MANY, connections=3)
    result, _ = send(config)
    assert [o.recipient for o in result.failed] == ["reader07@example.com"]
    assert len(result.sent) == len(MANY) - 1
    assert ledger(config)["reader07@example.com"][0] == "failed"


def test_each_reader_gets_their_own_unsubscribe_link_that_the_endpoint_can_verify(smtp, config_for):
    config = config_for(smtp, unsubscribe=PERSONAL, env=SECRET)
    result, _ = send(config)  # lint accepts the template in the built issue
    assert result.sent == RECIPIENTS
    secret = SECRET["DIGEST_UNSUBSCRIBE_SECRET"]
    tokens = set()
    for received in smtp.mailbox.received:
        message = received.message
        reader = received.rcpt_tos[0]
        header = message["List-Unsubscribe"]
        url = header.split(",")[0].strip().strip("<>")
        query = parse_qs(urlsplit(url).query)
        assert query["email"] == [reader] and query["list"] == ["weekly"]
        token = query["token"][0]
        assert verify_token(secret, reader, token) and len(token) == 22
        assert not verify_token(secret, "someone@example.com", token)
        assert not verify_token("another-secret", reader, token)
        tokens.add(token)
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "mailto:leave@example.org" in header
        text, html = message.iter_parts()
        assert f"Unsubscribe: {url}\n" in text.get_content().replace("\r\n", "\n")
        page = html.get_content()
        assert f'href="{url.replace("&", "&amp;")}"' in page
        assert "{token}" not in page and "{email}" not in text.get_content()
        assert max(len(line) for line in received.data.split(b"\r\n")) <= 998
    assert len(tokens) == len(RECIPIENTS)


def test_a_token_template_without_a_secret_is_a_configuration_error(smtp, config_for):
    config = config_for(smtp, unsubscribe=PERSONAL)
    with pytest.raises(ConfigError, match="DIGEST_UNSUBSCRIBE_SECRET is not set") as caught:
        send(config)
    assert caught.value.exit_code == 3 and "secrets.token_urlsafe" in (caught.value.hint or "")
    assert smtp.mailbox.received == []


def test_an_unknown_placeholder_in_the_unsubscribe_url_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown placeholder \{id\}"):
        load_config(None, {"DIGEST_UNSUBSCRIBE_URL": "https://example.org/u?id={id}"})


def test_tokens_are_stable_case_blind_and_url_safe():
    token = unsubscribe_token("k", "Ann@Example.com")
    assert (
        token
        == unsubscribe_token("k", "ann@example.com")
        != unsubscribe_token("j", "ann@example.com")
    )
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", token)
    assert verify_token("k", "ANN@example.com", token) and not verify_token(
        "k", "ann@example.com", "x"
    )


def test_unsubscribed_readers_are_skipped_until_removed(smtp, config_for, capsys):
    config = config_for(smtp)
    assert suppressions.unsubscribe(config, ["Bob@Example.net"]) == ["bob@example.net"]
    assert suppressions.unsubscribe(config, ["bob@example.net"]) == []  # already there
    result, _ = send(config)
    assert result.sent == ("ann@example.com", "cy@example.org")
    assert "bob@example.net" not in smtp.mailbox.by_recipient()
    assert list(suppressions.suppressed(config)) == ["bob@example.net"]
    assert suppressions.resubscribe(config, ["bob@example.net"]) == ["bob@example.net"]
    again, _ = send(config)
    assert again.sent == ("bob@example.net",)
    assert smtp.mailbox.by_recipient() == dict.fromkeys(RECIPIENTS, 1)


def test_the_unsubscribe_command_records_lists_and_removes(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "digest.toml").write_text('[digest]\ntitle = "The Weekly"\n')
    assert main(["unsubscribe", "ann@example.com", "BOB@example.net"]) == 0
    assert "Unsubscribed 2 new" in capsys.readouterr().out
    assert main(["unsubscribe", "--list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in listed] == ["ann@example.com", "bob@example.net"]
    assert main(["unsubscribe", "--remove", "ann@example.com"]) == 0
    assert main(["unsubscribe", "--list"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("bob@example.net\t")
    assert main(["unsubscribe", "not-an-address"]) == 2  # the address is wrong, not the config
    err = capsys.readouterr().err
    assert "unsubscribe: 'not-an-address' is not a valid email address" in err
    assert "configuration" not in err and "digest.toml" not in err
    assert main(["unsubscribe"]) == 2


def test_readers_can_unsubscribe_while_a_run_holds_the_store(tmp_path, capsys):
    (tmp_path / "digest.toml").write_text('[digest]\ntitle = "The Weekly"\n')
    config = load_config(tmp_path / "digest.toml")
    with open_store(config.state_dir) as running:  # what `digest run` holds while it sends
        assert (
            main(["unsubscribe", "--config", str(tmp_path / "digest.toml"), "a@example.com"]) == 0
        )
        assert "Unsubscribed 1 new" in capsys.readouterr().out
        assert list(running.suppressions()) == ["a@example.com"]
        assert suppressions.resubscribe(config, ["a@example.com"]) == ["a@example.com"]
        assert running.suppressions() == {}
