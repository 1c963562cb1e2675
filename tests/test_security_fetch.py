"""Hostile sources over real HTTP: redirects inward, credentials in feed URLs, script links.

Every fixture is served from 127.0.0.1. Where a test needs a *public* server that sends
the fetcher inward, the fetcher's resolver seam (``FetchOptions.resolve``) reports the
fixture server's 127.0.0.1 as a public address, and the inward target is spelled
another way (``localhost``, or an IPv6 form that embeds 127.0.0.1).
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote

import pytest

from digest.archive import Entry, Headline, atom_feed, dump_manifest, entry_of
from digest.config import Config, Source
from digest.errors import AllSourcesFailedError
from digest.ingest.fetch import (
    FetchOptions,
    Request,
    fetch_all,
    is_public,
    resolve_host,
)
from digest.ingest.web import read_sources
from digest.models import Brief, Digest, Issue, Response
from digest.runs import build
from digest.urls import credentials, join_url, web_url, without_userinfo
from tests.conftest import run_digest

NOW = datetime(2024, 5, 10, 12, tzinfo=UTC)
PASSWORD = "FeedPass999"
# Distinct invented events, so that no two items merge into one story.
EVENTS = [
    (
        "Ferry timetable",
        "The harbour ferry will sail every forty minutes from Monday",
        "Commuters from Wrenmouth petitioned the operator for a year.",
        "Two retired skippers will crew the extra evening crossings.",
        "Tickets bought before the change stay valid until August.",
    ),
    (
        "Library hours",
        "The tidal library will open late on Thursdays through the summer",
        "Volunteers wheel the shelves up a ramp whenever the tide rises.",
        "The librarian hopes students revising for exams will use the quiet room.",
        "A reading group for sailors meets on the mezzanine after nine.",
    ),
    (
        "Bridge repairs",
        "Engineers will close the swing bridge for two nights of repairs",
        "Corroded bolts were found in the counterweight during an inspection.",
        "Lorries must use the ring road, which adds twenty minutes to the trip.",
        "Pedestrians can cross on a free shuttle boat until dawn.",
    ),
    (
        "Market stalls",
        "Twelve new stalls are opening in the covered fish market",
        "Cheese makers and a bakery from the valley have taken six of them.",
        "Rents were capped at half the commercial rate for two years.",
        "The market manager expects the extra trade to fill the car park.",
    ),
    (
        "Choir concert",
        "The lifeboat choir will sing on the quay on Saturday evening",
        "Collections will pay for a new inshore boat and its engine.",
        "The program mixes sea shanties with hymns written by local fishermen.",
        "Folding chairs are provided, but the organisers suggest warm coats.",
    ),
]


def paragraphs(event: tuple[str, ...]) -> str:
    _, lead, *more = event
    return f"<p>{lead}, the organisers said on Tuesday.</p>" + "".join(f"<p>{m}</p>" for m in more)


def rss(title: str, items: list[str]) -> str:
    return (
        '<?xml version="1.0"?><rss version="2.0"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:media="http://search.yahoo.com/mrss/">'
        f"<channel><title>{title}</title>{''.join(items)}</channel></rss>"
    )


def item(n: int, link: str, extra: str = "") -> str:
    headline = EVENTS[n][0]
    when = format_datetime(NOW - timedelta(hours=n + 1))
    return (
        f"<item><title>{headline}</title><link>{link}</link><guid>event-{n}</guid>"
        f"<pubDate>{when}</pubDate>{extra}"
        f"<content:encoded><![CDATA[{paragraphs(EVENTS[n])}]]></content:encoded></item>"
    )


@pytest.fixture
def internal(tmp_path: Path):
    """A second server on 127.0.0.1: the internal service nobody outside may read."""
    from tests.web_server import start

    root = tmp_path / "internal-root"
    root.mkdir()
    (root / "internal-feed.xml").write_text(rss("Internal", [item(4, "/payroll")]))
    (root / "internal.opml").write_text(
        '<opml version="2.0"><body><outline xmlUrl="http://news.example/rss"/></body></opml>'
    )
    (root / "internal.html").write_text(
        f"<html><head><title>Choir concert</title></head><body><article><h1>Choir concert</h1>"
        f"{paragraphs(EVENTS[4])}</article></body></html>"
    )
    state, server = start(root)
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def public_feed(web) -> str:
    """A well-behaved feed on the fixture server, so that a build has something to show."""
    (web.root / "public.xml").write_text(rss("Harbour News", [item(0, "/ferry")]))
    return web.url("public.xml")


async def seen_from_outside(host: str) -> list[str]:
    """The fixture server's 127.0.0.1 as if it were a public address; others as they are."""
    if host == "127.0.0.1":
        return ["93.184.216.34"]
    return await resolve_host(host)


FAST = FetchOptions(timeout=2.0, max_bytes=1024 * 1024)
OUTSIDE = replace(FAST, resolve=seen_from_outside)


def redirect_to(web, target: str) -> str:
    return web.url("redirect-to?url=" + quote(target, safe=""))


def localhost(server, path: str) -> str:
    """``server``'s URL spelled with ``localhost``: inward, even when 127.0.0.1 poses as public."""
    return server.url(path).replace("127.0.0.1", "localhost")


def config_for(tmp_path: Path, *sources: Source, **settings) -> Config:
    return Config(
        sources=sources, state_dir=tmp_path / "state", out_dir=tmp_path / "out", **settings
    )


def published(tmp_path: Path) -> str:
    """Everything a build published: the email's parts, digest.json and the web archive."""
    out = tmp_path / "out"
    return "\n".join(p.read_text() for p in sorted(out.rglob("*")) if p.is_file())


# 2. Server-side request forgery


def test_a_configured_feed_redirecting_to_an_internal_address_is_refused(
    web, internal, public_feed, tmp_path
):
    inward = redirect_to(web, internal.url("internal-feed.xml"))
    config = config_for(tmp_path, Source(feed=public_feed), Source(feed=inward))
    result = build(config, now=NOW, fetch_options=FAST)
    assert internal.hits("internal-feed.xml") == 0
    assert result.failed == (inward,)
    (problem,) = result.problems
    assert "127.0.0.1 is a non-public address" in problem.message
    assert "set fetch_private = true" in problem.message
    shown = published(tmp_path)
    assert "Ferry timetable" in shown and "Choir concert" not in shown
    for name in ("feed.xml", "index.html", "issues.json"):
        assert "Ferry timetable" in (tmp_path / "out" / "web" / name).read_text()


def test_fetch_private_lets_a_configured_feed_redirect_inward(web, internal, tmp_path):
    inward = redirect_to(web, internal.url("internal-feed.xml"))
    config = config_for(tmp_path, Source(feed=inward), fetch_private=True)
    result = build(config, now=NOW, fetch_options=FAST)
    assert internal.hits("internal-feed.xml") == 1 and result.problems == ()
    assert "Choir concert" in (tmp_path / "out" / "web" / "feed.xml").read_text()


def test_a_configured_source_on_a_private_host_is_still_read_with_its_own_redirects(
    web, public_feed, tmp_path
):
    # The user named 127.0.0.1: it is theirs, and so is a redirect that stays on it.
    config = config_for(tmp_path, Source(feed=web.url("redirect/2/public.xml")))
    assert build(config, now=NOW, fetch_options=FAST).problems == ()


def test_a_configured_page_redirecting_inward_is_refused(web, internal, tmp_path):
    inward = redirect_to(web, internal.url("internal.html"))
    config = config_for(tmp_path, Source(page=inward))
    with pytest.raises(AllSourcesFailedError) as caught:
        build(config, now=NOW, fetch_options=FAST)
    assert "set fetch_private = true" in caught.value.problems[0].message
    assert internal.hits("internal.html") == 0


def test_an_opml_url_redirecting_inward_is_refused(web, internal, tmp_path):
    inward = redirect_to(web, internal.url("internal.opml"))
    result = read_sources([Source(opml=inward)], options=replace(FAST, private=False))
    assert result.failed == (inward,) and "non-public" in result.problems[0].message
    assert internal.hits("internal.opml") == 0


def test_the_feeds_an_opml_url_lists_are_held_to_fetch_private(web, internal, public_feed):
    # A list fetched from a URL is whoever serves it: its feeds are not the user's choice.
    (web.root / "list.opml").write_text(
        '<opml version="2.0"><body>'
        f'<outline xmlUrl="{public_feed}"/>'
        f'<outline xmlUrl="{localhost(internal, "internal-feed.xml")}"/>'
        f'<outline xmlUrl="{redirect_to(web, localhost(internal, "internal-feed.xml"))}"/>'
        "</body></opml>"
    )
    result = read_sources(
        [Source(opml=web.url("list.opml"))], options=replace(OUTSIDE, private=False)
    )
    assert result.ok == (public_feed,)
    assert len(result.failed) == 2 and internal.hits("internal-feed.xml") == 0
    assert all("localhost resolves to" in p.message for p in result.problems)
    assert [i.article.title for i in result.items] == ["Ferry timetable"]


def test_the_feeds_a_local_opml_file_lists_are_the_users_own(web, public_feed, tmp_path):
    opml = tmp_path / "mine.opml"
    opml.write_text(f'<opml><body><outline xmlUrl="{public_feed}"/></body></opml>')
    result = read_sources([Source(opml=opml)], options=replace(FAST, private=False))
    assert result.ok == (public_feed,) and result.problems == ()


@pytest.mark.parametrize(
    "host", ["[::127.0.0.1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::]", "[::ffff:127.0.0.1]"]
)
def test_a_public_feed_redirecting_to_ipv6_that_embeds_loopback_is_refused(web, host):
    target = f"http://{host}:9/internal-feed.xml"
    for trusted in (False, True):
        request = Request(redirect_to(web, target), trusted=trusted)
        (failure,) = fetch_all([request], replace(OUTSIDE, private=False))
        assert not isinstance(failure, Response)
        assert "non-public address (set fetch_private = true" in failure.reason, failure.reason


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("::127.0.0.1", False),  # IPv4-compatible
        ("::ffff:127.0.0.1", False),  # IPv4-mapped
        ("64:ff9b::7f00:1", False),  # NAT64
        ("64:ff9b:1::a00:1", False),  # local-use NAT64, 10.0.0.1
        ("2002:7f00:1::", False),  # 6to4
        ("2002:a9fe:a9fe::1", False),  # 6to4 of 169.254.169.254
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo
        ("::1", False),
        ("169.254.169.254", False),
        ("93.184.216.34", True),
        ("2606:4700:4700::1111", True),
        ("64:ff9b::5db8:d822", True),  # NAT64 of a public address
        ("2002:5db8:d822::1", True),  # 6to4 of a public address
    ],
)
def test_an_ipv6_address_is_judged_by_the_ipv4_address_it_embeds(address, public):
    assert is_public(ipaddress.ip_address(address)) is public


def test_a_redirect_seen_as_public_is_followed_when_the_policy_allows(web, public_feed):
    (outcome,) = fetch_all(
        [Request(redirect_to(web, public_feed))], replace(OUTSIDE, private=False)
    )
    assert isinstance(outcome, Response) and outcome.final_url == public_feed


# 3. Credentials in a feed's URL


def test_feed_credentials_are_sent_to_the_feed_and_shown_nowhere(web, tmp_path):
    (web.root / "relative.xml").write_text(
        rss(
            "Members",
            [
                item(0, "/posts/ferry.html", '<enclosure url="/img/a.jpg" type="image/jpeg"/>'),
                item(
                    1,
                    # A feed's own links may carry credentials too: dropped, never shown.
                    "https://member:LinkPass111@news.example/library",
                    '<media:content url="https://member:LinkPass111@img.example/b.jpg"'
                    ' medium="image" width="800" height="450"/>',
                ),
            ],
        )
    )
    secret = web.url("relative.xml").replace("//", f"//reader:{PASSWORD}@", 1)
    missing = web.url("status/404").replace("//", f"//reader:{PASSWORD}@", 1)
    (tmp_path / "digest.toml").write_text(
        f'[digest]\nweb_url = "https://digest.example/{{slug}}.html"\n\n'
        f'[[sources]]\nfeed = "{secret}"\n\n[[sources]]\nfeed = "{missing}"\n'
    )
    result = run_digest("-vv", "build", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    token = base64.b64encode(f"reader:{PASSWORD}".encode()).decode()
    (asked,) = [r for r in web.requests if r.path == "/relative.xml"]
    assert asked.headers.get("Authorization") == f"Basic {token}"
    report = json.loads(result.stdout)
    assert report["failed"] == [web.url("status/404")]
    assert report["problems"] == [
        {"origin": web.url("status/404"), "message": "HTTP 404 Not Found"}
    ]
    assert "HTTP Request: GET " + web.url("relative.xml") in result.stderr  # -vv logs HTTP
    # Relative links resolve against the feed without its user information.
    email = (tmp_path / "out" / "digest.html").read_text()
    assert f'href="{web.url("posts/ferry.html")}"' in email
    assert 'href="https://news.example/library"' in email
    assert 'src="https://img.example/b.jpg"' in email
    (page,) = (tmp_path / "out" / "web").glob("2*-*-*-*.html")
    assert 'src="https://img.example/b.jpg"' in page.read_text()
    assert web.url("posts/ferry.html") in (tmp_path / "out" / "digest.txt").read_text()
    # A run records the feed in the store; `digest sources` lists it.
    recorded = run_digest("-vv", "run", "--no-send", "--json", cwd=tmp_path)
    listed = run_digest("sources", cwd=tmp_path)
    assert recorded.returncode == 0 and listed.returncode == 0, recorded.stderr + listed.stderr
    assert web.url("relative.xml") in listed.stdout
    state = tmp_path / ".digest-state"
    stored = b"".join(p.read_bytes() for p in state.rglob("*") if p.is_file())
    assert stored and PASSWORD.encode() not in stored and b"reader@" not in stored
    shown = published(tmp_path)
    for said in (result, recorded, listed):
        for text in (said.stdout, said.stderr, shown):
            assert PASSWORD not in text and "reader@" not in text
            assert "LinkPass111" not in text and "member@" not in text


def test_a_relative_image_resolves_without_the_feeds_credentials(web):
    (web.root / "relative.xml").write_text(
        rss(
            "Members",
            [item(0, "/posts/ferry.html", '<enclosure url="/img/a.jpg" type="image/jpeg"/>')],
        )
    )
    secret = web.url("relative.xml").replace("//", f"//reader:{PASSWORD}@", 1)
    result = read_sources([Source(feed=secret)], options=FAST)
    (found,) = result.items
    assert found.article.image == web.url("img/a.jpg")
    assert found.article.url == web.url("posts/ferry.html")
    assert found.location == web.url("relative.xml") and result.ok == (web.url("relative.xml"),)
    assert all(PASSWORD not in key and "reader" not in key for key in found.article.ids)


def test_credentials_do_not_follow_a_redirect_to_another_origin(web, internal):
    request = Request(
        redirect_to(web, internal.url("internal-feed.xml")), auth=("reader", PASSWORD), trusted=True
    )
    (outcome,) = fetch_all([request], FAST)
    assert isinstance(outcome, Response)
    assert web.requests[-1].headers.get("Authorization", "").startswith("Basic ")
    assert "Authorization" not in internal.requests[-1].headers
    assert PASSWORD not in repr(request)


def test_user_information_is_split_from_a_url():
    url = "https://reader:Feed%40Pass@feeds.example:8443/members.xml?x=1"
    assert without_userinfo(url) == "https://feeds.example:8443/members.xml?x=1"
    assert credentials(url) == ("reader", "Feed@Pass")
    assert credentials("https://feeds.example/x") is None
    assert join_url(url, "/img/a.jpg") == "https://feeds.example:8443/img/a.jpg"
    assert web_url("https://bank.example@evil.example/login") == "https://evil.example/login"


# 4. Script links


@pytest.mark.parametrize(
    "href",
    [
        "JavaScript:alert(1)",
        "vbscript:alert(1)",
        "Data:text/html,<script>alert(1)</script>",
        "java\tscript:alert(1)",
        " javascript:alert(1)",
        "\x01javascript:alert(1)",
        "javascript&#58;alert(1)",
    ],
)
def test_no_url_but_an_absolute_http_one_passes(href):
    # The HTML parser has already turned "&#58;" into ":" by the time a URL is checked.
    assert web_url(href.replace("&#58;", ":")) is None
    assert join_url("https://news.example/a", href.replace("&#58;", ":")) is None


def test_a_url_passes_cleaned_of_what_a_browser_would_drop():
    assert web_url(" HTTPS://News.example/a\tb\n") == "https://News.example/ab"
    assert web_url("mailto:leave@example.org") is None
    assert web_url("https:alert(1)") is None  # no host: only a relative link, resolved
    assert join_url("https://news.example/a", "https:alert(1)") == "https://news.example/alert(1)"
    assert web_url("http://[oops/") is None and web_url("https://x:port/") is None


@pytest.mark.parametrize(
    "href",
    [
        "JavaScript:alert(1)",
        "vbscript:alert(1)",
        "Data:text/html,alert(1)",
        "java&#9;script:alert(1)",
    ],
)
def test_a_local_page_with_a_script_canonical_link_never_reaches_the_archive(href, tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    (content / "concert.html").write_text(
        f'<html><head><title>Choir concert</title><link rel="canonical" href="{href}">'
        f'<meta property="og:url" content="{href}"></head><body><article>'
        f"<h1>Choir concert</h1>{paragraphs(EVENTS[4])}</article></body></html>"
    )
    config = config_for(tmp_path, Source(content), web_url="https://digest.example/{slug}.html")
    result = build(config, now=NOW)
    assert [b.url for b in result.issue.digest.briefs] == [None]
    shown = published(tmp_path)
    assert "Choir concert" in shown
    assert "alert(" not in shown and not re.search(r"(?i)script:|data:", shown)
    manifest = json.loads((tmp_path / "out" / "web" / "issues.json").read_text())
    assert manifest["issues"][0]["headlines"][0]["url"] is None


@pytest.mark.parametrize("href", ["JavaScript:alert(1)", "vbscript:alert(1)", "Data:,alert(1)"])
def test_the_archive_feed_and_manifest_hold_no_script_link(href):
    # The archive's own guard: whatever a brief says, its feed and manifest link only http(s).
    good = Brief("Ferry timetable", "Ferry timetable", ("It sails.",), url="https://x.example/f")
    bad = Brief("Choir concert", "Choir concert", ("It sings.",), url=href)
    digest = Digest("Digest", NOW.date(), (good, bad))
    issue = Issue("0" * 32, "Digest", NOW.date(), "Digest", "", "", 2, digest=digest)
    entry = entry_of(issue, "2024-05-10-00000000", NOW)
    for text in (atom_feed([entry]), dump_manifest([entry])):
        assert "https://x.example/f" in text and "Choir concert" in text
        assert "alert(" not in text


def test_an_archive_written_before_the_check_loses_its_script_links(tmp_path):
    web_dir = tmp_path / "out" / "web"
    web_dir.mkdir(parents=True)
    old = Entry(
        slug="2024-05-01-00000000",
        id="0" * 32,
        date=NOW.date() - timedelta(days=9),
        title="Digest",
        subject="Digest · 1 May",
        headlines=(Headline("Old story", "JavaScript:alert(1)"),),
        published=NOW - timedelta(days=9),
        updated=NOW - timedelta(days=9),
    )
    (web_dir / "issues.json").write_text(dump_manifest([old]))
    content = tmp_path / "content"
    content.mkdir()
    (content / "ferry.md").write_text(
        f"# Ferry timetable\n\n{EVENTS[0][1]}, the council said on Tuesday. "
        "Passengers asked for the change for years, and the operator has agreed to it.\n"
    )
    build(config_for(tmp_path, Source(content)), now=NOW)
    for name in ("feed.xml", "issues.json"):
        text = (web_dir / name).read_text()
        assert "Old story" in text and "alert(" not in text
