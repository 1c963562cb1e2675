"""`digest run` as cron runs it: a real process against a real SMTP server, killed and
run again, run twice at once."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.smtp_server import PASSWORD

ROOT = Path(__file__).parents[1]
RECIPIENTS = [f"reader{n:02d}@example.com" for n in range(1, 11)]


@pytest.fixture
def site(tmp_path, articles_dir):
    """A working directory with a configuration that sends the fixture articles."""
    (tmp_path / "digest.toml").write_text(
        '[digest]\ntitle = "The Weekly"\nunsubscribe_url = "https://news.example.org/unsub"\n'
        f'[[sources]]\npath = "{articles_dir}"\n'
        # One connection: the tests below stop the server at the Nth message.
        "[send]\nrate = 0\nretry_delay = 0.01\ntimeout = 10\nconnections = 1\n",
        encoding="utf-8",
    )
    return tmp_path


def start_run(site: Path, server, *args: str, **env: str) -> subprocess.Popen[str]:
    """`digest run ARGS` (or the command in COMMAND) in ``site``, sending to ``server``."""
    command = env.pop("COMMAND", "run").split()
    environment = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(site),
        **server.env(),
        "DIGEST_FROM": "news@example.org",
        "DIGEST_TO": ",".join(RECIPIENTS),
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "digest", *command, *args],
        cwd=site,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


def statuses(site: Path) -> dict[str, str]:
    db = sqlite3.connect(site / ".digest-state" / "state.sqlite3")
    rows = dict(db.execute("SELECT recipient, status FROM deliveries"))
    db.close()
    return rows


def test_a_run_is_quiet_on_success_and_a_second_run_sends_nothing(site, smtp):
    code, out, err = finish(start_run(site, smtp))
    assert (code, out, err) == (0, "", "")
    assert smtp.mailbox.by_recipient() == dict.fromkeys(RECIPIENTS, 1)
    code, out, err = finish(start_run(site, smtp, "-v"))
    assert code == 0 and "Nothing new" in out
    assert smtp.mailbox.by_recipient() == dict.fromkeys(RECIPIENTS, 1)


def test_local_files_go_out_once_and_a_new_file_goes_out_alone(site, smtp, articles_dir):
    content = copy_articles(site, articles_dir)
    assert finish(start_run(site, smtp))[0] == 0
    assert len(smtp.mailbox.received) == len(RECIPIENTS)
    # The same files again: nothing new, nothing sent.
    assert finish(start_run(site, smtp))[0] == 0
    assert len(smtp.mailbox.received) == len(RECIPIENTS)
    (content / "late.md").write_text(
        "# Harbour crane returns to service\n\nThe old harbour crane lifted its first load "
        "in ten years on Monday after a restoration by volunteers.\n"
    )
    assert finish(start_run(site, smtp))[0] == 0
    assert len(smtp.mailbox.received) == 2 * len(RECIPIENTS)
    latest = smtp.mailbox.received[-1].message.get_body(("plain",)).get_content()
    assert "Harbour crane" in latest and "Island ferry" not in latest


def copy_articles(site: Path, articles_dir: Path) -> Path:
    """The fixture articles in ``site/content``, which the configuration then reads."""
    content = site / "content"
    content.mkdir()
    for article in articles_dir.iterdir():
        (content / article.name).write_bytes(article.read_bytes())
    config = (site / "digest.toml").read_text().replace(str(articles_dir), "content")
    (site / "digest.toml").write_text(config)
    return content


def test_a_story_that_fails_its_check_is_left_out_and_the_others_go_out(site, smtp, articles_dir):
    content = copy_articles(site, articles_dir)
    ad = "http://ads.example.net/serve?slot=7"
    # Every sentence carries the ad server's address, so the brief does too: its text part
    # would hold a link the HTML part lacks.
    (content / "ad-riddled.txt").write_text(
        "Ferry timetable changes announced\n\n"
        + " ".join(
            f"The ferry company said on Tuesday that crossing {n} would move ({ad}) to "
            f"a later slot because of the tides and the harbour works."
            for n in range(1, 6)
        )
        + "\n"
    )
    code, out, err = finish(start_run(site, smtp))
    assert code == 0 and out == "", err
    warnings = err.splitlines()
    assert len(warnings) == 1 and "left out" in warnings[0] and "ad-riddled.txt" in warnings[0]
    assert smtp.mailbox.by_recipient() == dict.fromkeys(RECIPIENTS, 1)
    text = smtp.mailbox.received[0].message.get_body(("plain",)).get_content()
    assert ad not in text and "Island ferry" in text


def test_building_twice_then_running_sends_those_stories(site, smtp):
    for _ in range(2):
        built = subprocess.run(
            [sys.executable, "-m", "digest", "build"], cwd=site, capture_output=True, text=True
        )
        assert built.returncode == 0 and built.stdout.startswith("Built 3 stories"), built.stderr
    assert not (site / ".digest-state").exists()  # building is free
    code, _, err = finish(start_run(site, smtp))
    assert code == 0, err
    assert smtp.mailbox.by_recipient() == dict.fromkeys(RECIPIENTS, 1)
    text = smtp.mailbox.received[0].message.get_body(("plain",)).get_content()
    assert "Island ferry" in text


def test_run_no_send_marks_the_stories_used_and_sends_nothing(site, smtp):
    code, out, err = finish(start_run(site, smtp, "--no-send"))
    assert code == 0 and out == "Marked 3 stories as used; nothing sent\n", err
    assert smtp.mailbox.received == []
    code, out, _ = finish(start_run(site, smtp, "-v"))
    assert code == 0 and "Nothing new" in out and smtp.mailbox.received == []


def test_a_run_killed_mid_send_is_completed_by_the_next_with_no_duplicate(site, smtp):
    smtp.mailbox.block_rcpt_after = 4  # the fifth message waits at RCPT TO
    first = start_run(site, smtp)
    assert smtp.mailbox.blocked.wait(60), first.communicate()
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert len(smtp.mailbox.received) == 4
    smtp.mailbox.block_rcpt_after = None
    smtp.mailbox.release.set()
    assert list(statuses(site).values()).count("sent") == 4
    code, _, err = finish(start_run(site, smtp))
    assert code == 0, err
    assert smtp.mailbox.by_recipient() == dict.fromkeys(RECIPIENTS, 1)
    assert set(statuses(site).values()) == {"sent"}


SECRET = "k7Qp2xWv9LmZr4Tb8NcYd3Hf6Js1Ga5Ue0"  # DIGEST_UNSUBSCRIBE_SECRET


def test_a_resumed_issue_goes_out_in_the_envelope_it_was_built_with(site, smtp):
    from digest.unsubscribe import unsubscribe_token

    config = site / "digest.toml"
    built_with = "https://news.example.org/unsub?e={email}&t={token}"
    config.write_text(config.read_text().replace("https://news.example.org/unsub", built_with))
    sender = "The Weekly <news@example.org>"
    smtp.mailbox.block_rcpt_after = 4  # the fifth message waits at RCPT TO
    first = start_run(site, smtp, DIGEST_FROM=sender, DIGEST_UNSUBSCRIBE_SECRET=SECRET)
    assert smtp.mailbox.blocked.wait(60), first.communicate()
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    smtp.mailbox.block_rcpt_after = None
    smtp.mailbox.release.set()
    # Meanwhile the operator moves the newsletter: another sender, List-Id and link.
    config.write_text(
        config.read_text().replace(built_with, "https://leave.example.net/{token}")
        + 'list_id = "moved.example.net"\n'
    )
    code, _, err = finish(
        start_run(
            site,
            smtp,
            DIGEST_FROM="Someone Else <else@example.net>",
            DIGEST_UNSUBSCRIBE_MAILTO="leave@example.net",
            DIGEST_UNSUBSCRIBE_SECRET=SECRET,
        )
    )
    assert code == 0, err
    assert smtp.mailbox.by_recipient() == dict.fromkeys(RECIPIENTS, 1)
    messages = [m.message for m in smtp.mailbox.received]
    for name in ("From", "Subject", "List-Id", "List-Unsubscribe-Post"):
        assert len({m[name] for m in messages}) == 1, name
    assert messages[0]["From"] == sender
    assert messages[0]["List-Id"] == "The Weekly <the-weekly.example.org>"
    for received, message in zip(smtp.mailbox.received, messages, strict=True):
        (reader,) = received.rcpt_tos
        own = built_with.format(
            email=reader.replace("@", "%40"), token=unsubscribe_token(SECRET, reader)
        )
        assert message["List-Unsubscribe"] == f"<{own}>"
        html = message.get_body(("html",)).get_content()
        text = message.get_body(("plain",)).get_content()
        assert own.replace("&", "&amp;") in html and own in text
        for part in (html, text, str(message["List-Unsubscribe"])):
            assert "{email}" not in part and "{token}" not in part


def test_a_send_after_the_configuration_changed_sends_the_issue_as_built(site, smtp):
    code, _, err = finish(start_run(site, smtp, COMMAND="build"))
    assert code == 0, err
    config = site / "digest.toml"
    config.write_text(config.read_text().replace("news.example.org/unsub", "other.example/x"))
    code, _, err = finish(
        start_run(site, smtp, COMMAND="send", DIGEST_FROM="Someone Else <else@example.net>")
    )
    assert code == 0, err  # its own unsubscribe link passes lint: the one it goes out with
    assert smtp.mailbox.by_recipient() == dict.fromkeys(RECIPIENTS, 1)
    for received in smtp.mailbox.received:
        assert received.message["From"] == "news@example.org"
        assert received.message["List-Unsubscribe"] == "<https://news.example.org/unsub>"


def test_an_issue_an_older_digest_kept_goes_out_with_the_configured_envelope(site, smtp):
    from datetime import date

    from digest.models import Issue
    from digest.state import open_store

    # Half sent by an older digest, which kept no envelope with it.
    html = '<p>Old news</p><a href="https://news.example.org/unsub">Unsubscribe</a>'
    old = Issue("1" * 32, "The Weekly", date(2026, 12, 6), "Old issue", html, "Old news", 1)
    with open_store(site / ".digest-state") as store:
        store.add_issue(old)
    code, _, err = finish(start_run(site, smtp))
    assert code == 0, err
    assert smtp.mailbox.by_recipient() == dict.fromkeys(RECIPIENTS, 1)  # it alone
    for received in smtp.mailbox.received:
        assert received.message["Subject"] == "Old issue"
        assert received.message["From"] == "news@example.org"
        assert received.message["List-Unsubscribe"] == "<https://news.example.org/unsub>"
    # An out/ an older digest wrote: no envelope in digest.json either.
    code, _, err = finish(start_run(site, smtp, COMMAND="build"))
    assert code == 0, err
    data = json.loads((site / "out" / "digest.json").read_text())
    del data["envelope"]
    (site / "out" / "digest.json").write_text(json.dumps(data))
    code, _, err = finish(start_run(site, smtp, COMMAND="send", DIGEST_FROM="new@example.org"))
    assert code == 0, err
    assert smtp.mailbox.by_recipient() == dict.fromkeys(RECIPIENTS, 2)
    assert smtp.mailbox.received[-1].message["From"] == "new@example.org"


def test_a_run_after_a_failed_send_finishes_that_issue_and_makes_no_second(site, smtp):
    config = site / "digest.toml"
    # Three stories, two to an issue: the third waits for the next issue.
    config.write_text(config.read_text().replace("[digest]\n", "[digest]\nmax_items = 2\n"))
    code, _, err = finish(start_run(site, smtp, "--date", "2026-12-07", SMTP_PASSWORD="wrong"))
    assert code == 9 and smtp.mailbox.received == [], err
    assert [finished for _, finished in issue_rows(site)] == [None]
    code, _, err = finish(start_run(site, smtp, "--date", "2026-12-07"))
    assert code == 0, err
    assert smtp.mailbox.by_recipient() == dict.fromkeys(RECIPIENTS, 1)
    assert len(issue_rows(site)) == 1 and all(finished for _, finished in issue_rows(site))
    # The next run sends the story left over, under a subject of its own.
    code, _, err = finish(start_run(site, smtp, "--date", "2026-12-07"))
    assert code == 0, err
    assert smtp.mailbox.by_recipient() == dict.fromkeys(RECIPIENTS, 2)
    subjects = [m.message["Subject"] for m in smtp.mailbox.received]
    assert sorted(set(subjects)) == [
        "The Weekly · Monday, 7 December 2026",
        "The Weekly · Monday, 7 December 2026 (2)",
    ]


def test_a_run_killed_while_the_server_holds_the_last_reply_resends_only_that_one(site, smtp):
    # The server has the whole fifth message and has not answered when the sender dies:
    # the gap SMTP cannot close. The ledger says "sending"; the next run sends it again
    # with the same Message-ID, and nobody else gets a second copy.
    smtp.mailbox.block_data_after = 4
    first = start_run(site, smtp)
    assert smtp.mailbox.blocked.wait(60), first.communicate()
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    in_doubt = [r for r, s in statuses(site).items() if s == "sending"]
    assert len(in_doubt) == 1
    smtp.mailbox.block_data_after = None
    smtp.mailbox.release.set()  # the server accepts it after all
    code, _, err = finish(start_run(site, smtp))
    assert code == 0, err
    counts = smtp.mailbox.by_recipient()
    assert set(counts) == set(RECIPIENTS)
    assert {r for r, n in counts.items() if n > 1} <= set(in_doubt)
    copies = [m.message["Message-ID"] for m in smtp.mailbox.received if m.rcpt_tos == in_doubt]
    assert len(set(copies)) == 1


def test_two_concurrent_runs_send_once(site, smtp):
    smtp.mailbox.delay = 0.1  # long enough for the runs to overlap
    runs = [start_run(site, smtp), start_run(site, smtp)]
    results = sorted(finish(run) for run in runs)
    assert [code for code, _, _ in results] == [0, 8]
    _, out, err = results[1]
    assert out == "" and len(err.strip().splitlines()) == 1
    assert err.startswith("digest: error:") and "another digest run" in err
    assert smtp.mailbox.by_recipient() == dict.fromkeys(RECIPIENTS, 1)


def test_a_run_that_fails_lint_sends_nothing_and_exits_7(site, smtp):
    config = site / "digest.toml"
    config.write_text(
        config.read_text().replace('unsubscribe_url = "https://news.example.org/unsub"\n', "")
    )
    code, out, err = finish(start_run(site, smtp))
    assert code == 7 and "unsubscribe" in err and out == ""
    assert smtp.mailbox.received == []


def test_nothing_new_exits_0_and_sends_nothing(site, smtp, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    config = site / "digest.toml"
    config.write_text(
        config.read_text().split("[[sources]]")[0] + f'[[sources]]\npath = "{empty}"\n'
    )
    assert finish(start_run(site, smtp)) == (0, "", "")
    assert smtp.mailbox.received == []


def test_the_password_never_shows_in_output_even_verbose(site, smtp):
    wrong = PASSWORD + "-but-wrong"
    code, out, err = finish(start_run(site, smtp, "-v", SMTP_PASSWORD=wrong))
    assert code == 9 and "login refused" in err
    for secret in (wrong, PASSWORD):
        assert secret not in out + err
    assert set(statuses(site).values()) == {"pending"}
    code, _, _ = finish(start_run(site, smtp))  # the right password: everyone, once
    assert code == 0 and smtp.mailbox.by_recipient() == dict.fromkeys(RECIPIENTS, 1)


def test_send_dry_run_and_send_from_the_command_line(site, smtp):
    env = {
        **os.environ,
        **smtp.env(),
        "DIGEST_FROM": "news@example.org",
        "DIGEST_TO": "a@example.com",
    }
    env.pop("DIGEST_STATE_DIR", None)

    def digest(*args):
        return subprocess.run(
            [sys.executable, "-m", "digest", *args],
            cwd=site,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert digest("build").returncode == 0
    dry = digest("send", "--dry-run")
    assert dry.returncode == 0 and "Wrote 1 messages" in dry.stdout
    assert (site / "out" / "outbox" / "0001-a@example.com.eml").is_file()
    (site / "a-file").write_text("")
    bad = digest("send", "--dry-run", "--outbox", str(site / "a-file" / "x"))
    assert bad.returncode == 4 and "Traceback" not in bad.stderr
    assert bad.stderr.startswith("digest: error:") and "a-file/x: cannot write" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    assert smtp.mailbox.received == []
    sent = digest("send")
    assert sent.returncode == 0 and "to 1 of 1 recipients" in sent.stdout, sent.stderr
    assert smtp.mailbox.by_recipient() == {"a@example.com": 1}
    env["DIGEST_TO"] = "a@example.com, b@example.com"
    again = digest("send", "--json")
    assert again.returncode == 0, again.stderr
    (report,) = json.loads(again.stdout)["sends"]
    assert report["sent"] == ["b@example.com"] and report["before"] == 1
    assert report["recipients"] == 2 and report["failed"] == [] and report["stopped"] is None


def test_a_test_copy_after_a_refused_login_says_so_and_claims_nothing(site, smtp):
    env = {**smtp.env(), "SMTP_PASSWORD": "wrong"}
    code, _, err = finish(start_run(site, smtp, COMMAND="build"))
    assert code == 0, err
    code, out, err = finish(start_run(site, smtp, **env, COMMAND="send --to t@example.com"))
    assert code == 9 and out == "" and "nobody" not in err, err
    assert err.startswith("digest: error:") and smtp.mailbox.received == []


def test_an_issue_built_without_a_sender_is_not_sent_from_the_sender_set_later(site, smtp):
    # The issue carries its envelope from the build: it has no From to go out with, and
    # the one set since is not it.
    result = subprocess.run(
        [sys.executable, "-m", "digest", "build"],
        cwd=site,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(site)},
    )
    assert result.returncode == 0, result.stderr
    code, out, err = finish(start_run(site, smtp, COMMAND="send"))
    assert code == 3 and out == "" and smtp.mailbox.received == []
    assert "built without DIGEST_FROM" in err and "digest build" in err, err


def issue_rows(site: Path) -> list[tuple[str, str | None]]:
    db = sqlite3.connect(site / ".digest-state" / "state.sqlite3")
    rows = db.execute("SELECT subject, finished FROM issues").fetchall()
    db.close()
    return rows


def test_a_title_with_a_line_break_is_refused_when_the_configuration_loads(site, smtp):
    config = site / "digest.toml"
    config.write_text(config.read_text().replace('"The Weekly"', '"The Weekly\\n"'))
    code, out, err = finish(start_run(site, smtp))
    assert out == ""
    assert code == 3 and "digest.title" in err and "line break" in err
    assert not (site / ".digest-state" / "state.sqlite3").exists()
    config.write_text(config.read_text().replace('"The Weekly\\n"', '"The Weekly"'))
    assert finish(start_run(site, smtp))[0] == 0
    assert smtp.mailbox.by_recipient() == dict.fromkeys(RECIPIENTS, 1)


def test_a_header_that_cannot_be_composed_records_nothing_and_the_fix_sends(site, smtp):
    code, _, err = finish(start_run(site, smtp, DIGEST_UNSUBSCRIBE_MAILTO="not an address"))
    assert code == 3 and "DIGEST_UNSUBSCRIBE_MAILTO" in err
    assert issue_rows(site) == [] and smtp.mailbox.received == []
    code, _, err = finish(start_run(site, smtp))  # fixed: the same stories go out
    assert code == 0, err
    assert smtp.mailbox.by_recipient() == dict.fromkeys(RECIPIENTS, 1)


def test_an_issue_that_can_never_be_sent_is_abandoned_and_the_run_goes_on(site, smtp):
    from datetime import date

    from digest.models import Issue
    from digest.state import open_store

    # As an older digest left it: an issue kept with a line break in its subject.
    with open_store(site / ".digest-state") as store:
        store.add_issue(Issue("0" * 32, "Old", date(2024, 1, 1), "Old\nBcc: x@y.z", "<p>", "t", 1))
    code, out, err = finish(start_run(site, smtp))
    assert out == ""
    assert code == 0 and "abandoned" in err and "line break" in err, err
    assert smtp.mailbox.by_recipient() == dict.fromkeys(RECIPIENTS, 1)
    assert all(finished for _, finished in issue_rows(site))
    code, _, err = finish(start_run(site, smtp))  # reported once, not on every run
    assert (code, err) == (0, "")


def test_a_misspelled_source_directory_is_a_configuration_error_on_every_run(
    site, smtp, articles_dir
):
    config = site / "digest.toml"
    config.write_text(config.read_text().replace(str(articles_dir), str(site / "contnet")))
    for _ in range(2):
        code, out, err = finish(start_run(site, smtp))
        assert (code, out) == (3, "")
        assert err.splitlines()[-1].startswith("digest: error:") and "contnet" in err
        assert "not found" in err
    assert smtp.mailbox.received == []


def test_a_run_that_fails_lint_still_warns_of_the_skipped_sources(site, smtp):
    config = site / "digest.toml"
    text = config.read_text().replace('unsubscribe_url = "https://news.example.org/unsub"\n', "")
    config.write_text(text.replace("[send]", f'[[sources]]\npath = "{site / "gone"}"\n[send]'))
    code, _, err = finish(start_run(site, smtp))
    assert code == 7 and "unsubscribe" in err
    assert any("gone" in line and "not found" in line for line in err.splitlines())


def test_a_run_while_a_build_holds_the_store_exits_8_with_one_line(site, smtp):
    from digest.state import open_store

    with open_store(site / ".digest-state"):  # as any writer of the store does
        code, out, err = finish(start_run(site, smtp))
    assert (code, out) == (8, "") and len(err.strip().splitlines()) == 1
    assert err.startswith("digest: error:") and "another digest build" in err
    assert smtp.mailbox.received == []
