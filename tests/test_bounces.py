"""Bounce classification, provider events, and `digest bounces --events` / `digest eval bounces`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest import suppressions
from digest.bounces.classify import classify
from digest.bounces.events import parse_events
from digest.bounces.reasons import Kind, judge
from digest.cli import main
from digest.config import load_config
from digest.errors import InputError
from tests.conftest import FIXTURES

BOUNCES = FIXTURES / "bounces"
READERS = ("ann@example.com", "bob@example.net", "cy@example.org")


@pytest.mark.parametrize(
    ("name", "kind", "recipients"),
    [
        ("postfix-hard.eml", Kind.HARD, ("ann@example.com",)),
        ("exim-mailbox-full.eml", Kind.SOFT, ("bob@example.net",)),
        ("arf-complaint.eml", Kind.COMPLAINT, ("cy@example.org",)),
        ("spamhaus-block.eml", Kind.BLOCK, ("bob@example.net",)),
        ("vacation.eml", Kind.AUTO_REPLY, ()),
        ("unrelated.eml", Kind.NOT_BOUNCE, ()),
        ("qmail-verp.eml", Kind.HARD, ("old-alias@relay.example.net",)),
    ],
)
def test_each_shape_of_report_gets_its_kind_and_failed_recipients(name, kind, recipients):
    verdict = classify((BOUNCES / name).read_bytes())
    assert (verdict.kind, verdict.recipients) == (kind, recipients)


def test_a_dsn_marked_auto_replied_is_still_a_bounce_and_a_vacation_without_headers_is_not():
    # Postfix and Exim mark their bounces "Auto-Submitted: auto-replied" (RFC 3834 says
    # a responder should): the delivery-status part decides.
    assert b"Auto-Submitted: auto-replied" in (BOUNCES / "postfix-hard.eml").read_bytes()
    assert classify((BOUNCES / "postfix-hard.eml").read_bytes()).kind is Kind.HARD
    plain = b"From: ann@example.com\r\nSubject: Automatic reply: The Weekly\r\n\r\nAway.\r\n"
    assert classify(plain).kind is Kind.AUTO_REPLY


def test_verp_addresses_are_collected_from_the_envelope_and_the_returned_headers():
    raw = (BOUNCES / "qmail-verp.eml").read_bytes().replace(b"{TOKEN}", b"AbC123")
    assert "bounces+abc123@example.org" in classify(raw).addressed_to


@pytest.mark.parametrize(
    ("words", "status", "kind"),
    [
        ("550 5.1.1 <a@example.org>: Recipient address rejected: User unknown", "", Kind.HARD),
        ("553 5.1.8 Domain of sender address nobody@example.org does not exist", "", Kind.BLOCK),
        ("550 5.7.1 Client host rejected: cannot find your hostname", "", Kind.BLOCK),
        ("552 5.2.2 Mailbox full", "", Kind.SOFT),
        ("450 4.1.1 <a@example.org>: Recipient address rejected: User unknown", "", Kind.SOFT),
        ("550 Unrouteable address", "5.0.0", Kind.HARD),
        ("550 Host or domain name not found", "", Kind.HARD),
        ("554 Message rejected, see https://example.org/help/user-unknown-spam", "", Kind.BLOCK),
        ("", "5.1.1", Kind.HARD),
        ("", "4.4.7", Kind.SOFT),
        ("", "5.7.26", Kind.BLOCK),
        ("", "", Kind.UNKNOWN),
    ],
)
def test_the_words_outrank_the_status_and_the_sender_side_outranks_the_reader(words, status, kind):
    assert judge(words, status)[0] is kind


def test_a_delivered_dsn_action_is_not_a_failure():
    assert judge("250 2.0.0 OK", "2.0.0", "delivered")[0] is Kind.NOT_BOUNCE


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ses-sns-bounce.json", [("ann@example.com", Kind.HARD)]),
        ("ses-complaint.json", [("cy@example.org", Kind.COMPLAINT)]),
        ("ses-event-transient.json", [("bob@example.net", Kind.SOFT)]),
        (
            "sendgrid-events.json",
            [
                ("ann@example.com", Kind.HARD),
                ("bob@example.net", Kind.BLOCK),
                ("cy@example.org", Kind.COMPLAINT),
            ],
        ),
        (
            "postmark-webhooks.jsonl",
            [
                ("ann@example.com", Kind.HARD),
                ("cy@example.org", Kind.COMPLAINT),
                ("bob@example.net", Kind.SOFT),
            ],
        ),
        (
            "mailgun-webhooks.json",
            [
                ("ann@example.com", Kind.HARD),
                ("cy@example.org", Kind.COMPLAINT),
                ("bob@example.net", Kind.SOFT),
            ],
        ),
    ],
)
def test_each_providers_events_are_read_in_their_published_shape(name, expected):
    events = parse_events((BOUNCES / name).read_text(), name)
    assert [(e.address, e.kind) for e in events] == expected
    assert all(e.when is not None and e.ref for e in events)


def test_a_bad_event_file_is_one_error_naming_the_file_and_the_line():
    with pytest.raises(InputError, match=r"^events.jsonl:2: not JSON"):
        parse_events('{"RecordType": "Bounce"}\n{oops\n', "events.jsonl")
    with pytest.raises(InputError, match=r"^events.json: event 1: not a known provider's shape"):
        parse_events('[{"hello": "world"}]', "events.json")


# `digest bounces --events`, with a real state store


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    toml = tmp_path / "digest.toml"
    toml.write_text('[digest]\ntitle = "The Weekly"\n', encoding="utf-8")
    monkeypatch.setenv("DIGEST_TO", ", ".join(READERS))
    monkeypatch.setenv("DIGEST_FROM", "news@example.org")
    return toml


def events(toml: Path, path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(["bounces", "--events", str(path), "--config", str(toml)]) == 0
    return capsys.readouterr().out


def suppressed(toml: Path) -> dict[str, str]:
    return {a: reason for a, (_, reason) in suppressions.suppressed(load_config(toml)).items()}


def test_provider_events_suppress_hard_bounces_and_complaints_once(site, capsys):
    out = events(site, BOUNCES / "sendgrid-events.json", capsys)
    assert suppressed(site) == {
        "ann@example.com": "hard bounce: SendGrid bounce: 500 unknown recipient",
        "cy@example.org": "complaint (SendGrid spam report)",
    }
    assert "blocked (fix the sending)\tbob@example.net" in out
    again = events(site, BOUNCES / "sendgrid-events.json", capsys)
    assert "suppressed 0 new reader(s)" in again and "blocked" not in again
    assert len(suppressed(site)) == 2


def test_events_for_addresses_that_are_not_readers_change_nothing(site, capsys, tmp_path):
    stranger = tmp_path / "stranger.json"
    stranger.write_text(
        json.dumps(
            {"RecordType": "Bounce", "Type": "HardBounce", "ID": 1, "Email": "zed@example.com"}
        )
    )
    events(site, stranger, capsys)
    assert suppressed(site) == {}


def ses_transient(address: str, when: datetime, number: int) -> dict[str, object]:
    return {
        "eventType": "Bounce",
        "bounce": {
            "feedbackId": f"transient-{number}",
            "bounceType": "Transient",
            "bounceSubType": "MailboxFull",
            "bouncedRecipients": [{"emailAddress": address, "status": "4.2.2"}],
            "timestamp": when.isoformat(),
        },
        "mail": {"messageId": f"m-{number}"},
    }


def ses_delivery(address: str, when: datetime, number: int) -> dict[str, object]:
    return {
        "eventType": "Delivery",
        "delivery": {"recipients": [address], "timestamp": when.isoformat()},
        "mail": {"messageId": f"d-{number}"},
    }


def test_a_delivery_between_soft_bounces_restarts_the_streak(site, capsys, tmp_path):
    now = datetime.now(UTC)
    day = timedelta(days=1)
    rows = [
        ses_transient("bob@example.net", now - 12 * day, 1),
        ses_transient("bob@example.net", now - 10 * day, 2),
        ses_delivery("bob@example.net", now - 9 * day, 3),
        ses_transient("bob@example.net", now - 8 * day, 4),
        ses_transient("bob@example.net", now - 1 * day, 5),
    ]
    path = tmp_path / "ses.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    events(site, path, capsys)
    assert suppressed(site) == {}  # two since the delivery, though four in all
    path.write_text(json.dumps(ses_transient("bob@example.net", now, 6)) + "\n")
    events(site, path, capsys)
    assert suppressed(site)["bob@example.net"].startswith("soft bounces: 3 in a row over 8 days")


def test_the_soft_bounce_settings_come_from_the_environment(site, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("BOUNCE_SOFT_LIMIT", "1")
    monkeypatch.setenv("BOUNCE_SOFT_DAYS", "0")
    events(site, BOUNCES / "ses-event-transient.json", capsys)
    assert list(suppressed(site)) == ["bob@example.net"]
    monkeypatch.setenv("BOUNCE_SOFT_LIMIT", "many")
    assert main(["bounces", "--events", str(BOUNCES / "ses-event-transient.json")]) == 3
    assert "BOUNCE_SOFT_LIMIT: 'many' is not a number" in capsys.readouterr().err


def test_an_unconfigured_mailbox_is_a_configuration_error(site, capsys):
    assert main(["bounces", "--config", str(site)]) == 3
    assert "the bounce mailbox is not configured" in capsys.readouterr().err


# `digest eval bounces`


def test_eval_bounces_scores_a_labelled_set_and_writes_predictions(tmp_path, capsys):
    labelled = tmp_path / "set"
    (labelled / "messages").mkdir(parents=True)
    rows = [
        ("postfix-hard.eml", "hard", ["ann@example.com"]),
        ("exim-mailbox-full.eml", "soft", ["bob@example.net"]),
        ("vacation.eml", "auto-reply", []),
        ("spamhaus-block.eml", "hard", ["bob@example.net"]),  # labelled wrong on purpose
    ]
    for name, _, _ in rows:
        (labelled / "messages" / name).write_bytes((BOUNCES / name).read_bytes())
    (labelled / "expected.jsonl").write_text(
        "".join(json.dumps({"file": f, "kind": k, "recipients": r}) + "\n" for f, k, r in rows)
    )
    out = tmp_path / "predictions.jsonl"
    assert main(["eval", "bounces", str(labelled), "--json", "--predictions", str(out)]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["kind_accuracy"] == 0.75 and scores["missed_hard"] == 1
    assert scores["recipient_exact_match"] == 1.0 and scores["false_suppressions"] == 0
    predicted = [json.loads(line) for line in out.read_text().splitlines()]
    assert predicted[0] == {
        "file": "postfix-hard.eml",
        "kind": "hard",
        "recipients": ["ann@example.com"],
        "per_recipient": [{"address": "ann@example.com", "kind": "hard"}],
    }
    assert main(["eval", "bounces", str(tmp_path / "nowhere")]) == 4
    err = capsys.readouterr().err
    assert "nowhere/expected.jsonl: no such file" in err and len(err.splitlines()) == 1
