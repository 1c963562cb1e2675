"""Stories across outlets, end to end: feeds on a real HTTP server, issues sent through a
real SMTP server, runs on consecutive days."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from digest.config import load_config
from digest.ingest.fetch import FetchOptions
from digest.runs import run

FAST = FetchOptions(timeout=2.0, max_bytes=1024 * 1024)
DAY_ONE = datetime(2026, 3, 9, 7, tzinfo=UTC)
READERS = ("ann@example.com", "bob@example.net")

# One event (the Elm Street bridge closing), as three outlets wrote it.
BRIDGE = {
    "courier": (
        "Elm Street bridge closed after inspectors find cracks",
        "Harbor City closed the Elm Street bridge to all traffic on Monday after inspectors "
        "found cracks in two of its steel girders. The city engineer said the bridge would "
        "stay shut until a full structural survey is finished, which could take three "
        "weeks. Buses on routes 4 and 9 will cross the river at Mill Road instead, adding "
        "about ten minutes to each trip. The bridge, built in 1962, carries around 18,000 "
        "vehicles a day.",
    ),
    "gazette": (
        "Cracked girders shut Harbor City's Elm Street bridge",
        "Inspectors found cracks in two steel girders of the Elm Street bridge, and Harbor "
        "City shut the crossing to cars, bikes and pedestrians on Monday. A structural "
        "survey of the 1962 bridge will take up to three weeks, the city engineer told "
        "reporters. Routes 4 and 9 are diverted over Mill Road. Shop owners on Elm Street "
        "said they feared losing trade while the bridge, used by some 18,000 vehicles a "
        "day, stays closed.",
    ),
    "wire": (
        "Harbor City engineers close Elm Street bridge over girder cracks",
        "The Elm Street bridge in Harbor City was closed on Monday after an inspection "
        "turned up cracks in two girders, the city engineer said. The closure will last "
        "until a structural survey is complete, expected within three weeks. Traffic, "
        "including buses on routes 4 and 9, is being sent over the Mill Road bridge. "
        "Engineers will decide after the survey whether the girders can be repaired or "
        "must be replaced.",
    ),
}
# The same topic (a bridge and its repairs), another event in another town.
REOPENING = (
    "Riverton's Mill Lane footbridge reopens after repainting",
    "The Mill Lane footbridge in Riverton reopened to walkers and cyclists on Saturday "
    "after six weeks of repainting and new lighting. Volunteers from the Riverton "
    "Society planted bulbs along both approaches, and the mayor cut a ribbon at noon. "
    "The footbridge links the old town with the railway station and is used by about "
    "2,000 people a day, most of them commuters.",
)


def write_feed(root: Path, name: str, items: list[tuple[str, str]], when: datetime) -> str:
    """An RSS 2.0 feed of full-text items, one hour apart; returns its file name."""
    entries = "".join(
        f"<item><title>{title}</title><guid>{name}-{n}</guid>"
        f"<link>https://{name}.example.org/{n}</link>"
        f"<pubDate>{format_datetime(when - timedelta(hours=n))}</pubDate>"
        f"<content:encoded><![CDATA[<p>{text}</p>]]></content:encoded></item>"
        for n, (title, text) in enumerate(items)
    )
    (root / f"{name}.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>The {name.capitalize()}</title>{entries}</channel></rss>"
    )
    return f"{name}.xml"


def configure(tmp_path: Path, web, smtp, feeds: list[str]):
    toml = tmp_path / "digest.toml"
    toml.write_text(
        '[digest]\ntitle = "Harbor Brief"\nfetch_private = true\nout_dir = "out"\n'
        'unsubscribe_url = "https://brief.example.org/unsubscribe"\n'
        + "".join(f'[[sources]]\nfeed = "{web.url(feed)}"\n' for feed in feeds)
        + "[send]\nrate = 0\nretry_delay = 0.01\ntimeout = 10\n"
    )
    env = {**smtp.env(), "DIGEST_FROM": "brief@example.org", "DIGEST_TO": ", ".join(READERS)}
    return load_config(toml, env)


def sent_text(smtp, n: int) -> str:
    return smtp.mailbox.received[n].message.get_body(("plain",)).get_content()


def test_three_outlets_on_one_event_are_one_card_and_another_event_stays_apart(web, smtp, tmp_path):
    feeds = [write_feed(web.root, name, [story], DAY_ONE) for name, story in BRIDGE.items()]
    feeds.append(write_feed(web.root, "riverton", [REOPENING], DAY_ONE))
    config = configure(tmp_path, web, smtp, feeds)
    result = run(config, DAY_ONE.date(), now=DAY_ONE, fetch_options=FAST)
    assert result.issue is not None and result.issue.digest is not None
    briefs = result.issue.digest.briefs
    assert len(briefs) == 2  # the bridge closing, and the footbridge reopening
    bridge, footbridge = briefs  # three outlets outrank one
    assert sorted(name for name, _ in bridge.links) == ["The Courier", "The Gazette", "The Wire"]
    assert footbridge.links == () and "Riverton" in footbridge.headline
    text = sent_text(smtp, 0)
    assert "3 outlets:" in text
    for name in ("courier", "gazette", "wire"):
        assert f"https://{name}.example.org/0" in text
    html = smtp.mailbox.received[0].message.get_body(("html",)).get_content()
    assert "3 outlets:" in html and html.count('href="https://gazette.example.org/0"') == 1
    assert smtp.mailbox.by_recipient() == dict.fromkeys(READERS, 1)


def test_a_story_sent_yesterday_is_not_sent_again_and_returns_as_an_update(web, smtp, tmp_path):
    courier = write_feed(web.root, "courier", [BRIDGE["courier"]], DAY_ONE)
    gazette = write_feed(web.root, "gazette", [BRIDGE["gazette"]], DAY_ONE)
    wire = write_feed(web.root, "wire", [], DAY_ONE)
    config = configure(tmp_path, web, smtp, [courier, gazette, wire])
    first = run(config, DAY_ONE.date(), now=DAY_ONE, fetch_options=FAST)
    assert first.issue is not None and first.issue.stories == 1
    # The next morning, nothing new: the story is not sent again.
    day_two = DAY_ONE + timedelta(days=1)
    second = run(config, day_two.date(), now=day_two, fetch_options=FAST)
    assert second.nothing_new and len(smtp.mailbox.received) == len(READERS)
    # The day after, the wire reports it too: it comes back, marked as an update.
    day_three = DAY_ONE + timedelta(days=2)
    write_feed(web.root, "wire", [BRIDGE["wire"]], day_three - timedelta(hours=2))
    third = run(config, day_three.date(), now=day_three, fetch_options=FAST)
    assert third.issue is not None and third.issue.digest is not None
    (update,) = third.issue.digest.briefs
    assert update.update and "wire" in (update.url or "")
    text = sent_text(smtp, len(READERS))
    assert f"1. Update: {update.headline}" in text
    assert "courier.example.org" not in text  # what was sent is not sent again


def test_a_copy_of_a_story_sent_before_does_not_come_back_as_an_update(web, smtp, tmp_path):
    courier = write_feed(web.root, "courier", [BRIDGE["courier"]], DAY_ONE)
    wire = write_feed(web.root, "wire", [], DAY_ONE)
    config = configure(tmp_path, web, smtp, [courier, wire])
    first = run(config, DAY_ONE.date(), now=DAY_ONE, fetch_options=FAST)
    assert first.issue is not None and first.issue.stories == 1
    # The next day the wire runs the courier's story word for word, at its own address,
    # beside a story of its own: only that one goes out, and it is no update.
    day_two = DAY_ONE + timedelta(days=1)
    write_feed(web.root, "wire", [BRIDGE["courier"], REOPENING], day_two - timedelta(hours=2))
    second = run(config, day_two.date(), now=day_two, fetch_options=FAST)
    assert second.issue is not None and second.issue.digest is not None
    (brief,) = second.issue.digest.briefs
    assert "Riverton" in brief.headline and not brief.update
