"""What goes on the wire: each copy reaches a real server exactly as it was composed."""

from datetime import date
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from digest.config import SendConfig
from digest.deliver import Composer, Letter, deliver
from digest.models import Issue, OutcomeStatus
from tests.smtp_server import PASSWORD, USERNAME

PERSONAL = "https://news.example.org/u?email={email}&token={token}"
SECRET = "dotty-test-secret-0123456789-abcdefgh"


def dotty_issue() -> Issue:
    """Lines that begin with a dot, in the text and (through soft line breaks) the HTML."""
    text = ".starts with a dot\n..two dots\na dot . inside\n.\n" * 3
    html = "<p>" + ".x" * 400 + "</p><p>.y</p>"
    return Issue("dotty0issue", "The Weekly", date(2026, 11, 30), "Dots", html, text)


@pytest.mark.parametrize("unsubscribe", [PERSONAL, "https://news.example.org/unsubscribe"])
def test_lines_that_begin_with_a_dot_reach_the_server_as_composed(smtp, unsubscribe):
    letter = Letter(dotty_issue(), "news@example.org", unsubscribe_url=unsubscribe)
    composer = Composer(Letter(**{**letter.__dict__, "unsubscribe_secret": SECRET}))
    readers = [("ann@example.com", "<a.1@example.org>"), (".bob.@example.net", "<b.2@example.org>")]
    config = SendConfig(
        host="127.0.0.1", port=smtp.port, username=USERNAME, password=PASSWORD, rate=0
    )

    report = deliver(composer, readers, config)

    assert [o.status for o in report.outcomes] == [OutcomeStatus.SENT] * 2
    received = {r.rcpt_tos[0]: r.data for r in smtp.mailbox.received}
    for reader, msgid in readers:
        assert received[reader] == composer.compose(reader, msgid)
    assert b"\n.x" in composer.compose(*readers[0])  # the case this test is about


@pytest.mark.parametrize(
    ("address", "msgid"),
    [
        ("ann@example.com", "<dotty0issue.0123456789abcdef@example.org>"),
        ("o'hara+news@example.co.uk", "<a..b@example.org>"),
        (".bob.@example.net", "<1.2.3@example.org>"),
        ('"ann smith"@example.com', "<dotty0issue.0123456789abcdef@example.org>"),
    ],
)
def test_a_copy_names_its_reader_and_message_id_as_the_email_package_does(address, msgid):
    composer = Composer(Letter(dotty_issue(), "news@example.org"))
    own = EmailMessage(policy=SMTP)
    own["To"] = address
    own["Message-ID"] = msgid

    assert composer.compose(address, msgid).startswith(own.as_bytes()[:-2])
