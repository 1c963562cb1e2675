"""Fetching over real HTTP from 127.0.0.1: bounds, redirects, conditional GET, failures."""

import time

import pytest

from digest.ingest import fetch as fetch_module
from digest.ingest.fetch import (
    USER_AGENT,
    Failure,
    FetchOptions,
    Request,
    fetch_all,
    fetch_each,
)
from digest.models import Response

FAST = FetchOptions(timeout=1.0, max_bytes=1024 * 1024, max_redirects=3)


def fetch(request: Request | str, options: FetchOptions = FAST) -> Response | Failure:
    if isinstance(request, str):
        request = Request(request)
    return fetch_all([request], options)[0]


def test_fetch_sends_an_honest_user_agent_and_returns_the_body(web):
    response = fetch(web.url("rss20.xml"))
    assert isinstance(response, Response) and response.status == 200
    assert response.body.startswith(b"<?xml") and response.content_type == "application/xml"
    assert web.requests[-1].headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("digest/")


def test_conditional_get_gets_304_and_no_body_again(web):
    first = fetch(web.url("rss20.xml"))
    assert isinstance(first, Response) and first.etag and first.last_modified
    second = fetch(Request(web.url("rss20.xml"), first.etag, first.last_modified))
    assert isinstance(second, Response) and second.not_modified and second.body == b""
    assert web.requests[-1].headers["If-None-Match"] == first.etag
    assert web.requests[-1].headers["If-Modified-Since"] == first.last_modified


def test_redirects_are_followed_up_to_the_cap(web):
    response = fetch(web.url("redirect/3/rss20.xml"))
    assert isinstance(response, Response) and response.final_url == web.url("rss20.xml")
    assert response.url == web.url("redirect/3/rss20.xml")


def test_one_redirect_too_many_is_an_error(web):
    failure = fetch(web.url("redirect/4/rss20.xml"))
    assert isinstance(failure, Failure) and "more than 3 redirects" in failure.reason


@pytest.mark.parametrize("target", ["file:///etc/passwd", "javascript:alert(1)", "data:,hi"])
def test_redirect_to_another_scheme_is_refused(web, target):
    failure = fetch(web.url(f"redirect-to?url={target}"))
    assert isinstance(failure, Failure)
    assert "not http or https" in failure.reason or "invalid URL" in failure.reason


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "javascript:alert(1)", "data:,x", "ftp://x/"]
)
def test_only_http_and_https_urls_are_fetched(url):
    failure = fetch(url)
    assert isinstance(failure, Failure) and failure.reason == "not an http or https URL"


def test_a_server_that_dribbles_is_cut_off_at_the_deadline(web):
    started = time.monotonic()
    failure = fetch(web.url("slow"))
    assert isinstance(failure, Failure) and "timed out" in failure.reason
    assert time.monotonic() - started < 3


def test_a_gzip_bomb_is_stopped_at_the_size_cap_after_decompression(web):
    failure = fetch(web.url("bomb"))
    assert isinstance(failure, Failure)
    assert "larger than 1 MB (after decompression)" in failure.reason
    assert web.requests[-1].headers["Accept-Encoding"] == "gzip, deflate"


def test_a_declared_length_over_the_cap_is_refused_before_reading(web):
    failure = fetch(web.url("rss20.xml"), FetchOptions(timeout=1.0, max_bytes=100))
    assert isinstance(failure, Failure) and "larger than" in failure.reason


@pytest.mark.parametrize("code", [404, 410, 500])
def test_http_errors_are_failures_that_say_the_status(web, code):
    failure = fetch(web.url(f"status/{code}"))
    assert isinstance(failure, Failure) and failure.reason.startswith(f"HTTP {code}")


def test_non_public_addresses_are_refused_when_asked(web):
    assert isinstance(fetch(web.url("rss20.xml")), Response)
    for url in (web.url("rss20.xml"), "http://[::ffff:127.0.0.1]:9/", "http://169.254.169.254/"):
        failure = fetch(url, FetchOptions(timeout=1.0, private=False))
        assert isinstance(failure, Failure) and "non-public address" in failure.reason, url
    assert web.hits("rss20.xml") == 1


def test_an_unknown_host_is_a_failure_not_an_exception():
    failure = fetch("http://feeds.example.invalid/rss.xml")
    assert isinstance(failure, Failure) and failure.reason


def test_many_fetches_keep_their_order_and_one_failure_does_not_stop_the_rest(web):
    urls = [web.url("rss20.xml"), web.url("status/500"), web.url("atom.xml")] * 5
    outcomes = fetch_all([Request(u) for u in urls], FetchOptions(timeout=2, per_host=2))
    assert [o.url for o in outcomes] == urls
    assert [isinstance(o, Response) for o in outcomes] == [True, False, True] * 5


def test_waiting_for_a_connection_slot_does_not_count_against_the_deadline(web):
    # Two at a time to one host, each answer takes 0.5 s: the third pair starts at 1.0 s
    # and is done at 1.5 s, past the 1.2 s deadline, yet each request took only 0.5 s.
    urls = [web.url(f"delay/0.5/rss20.xml?{i}") for i in range(6)]
    outcomes = fetch_all([Request(u) for u in urls], FetchOptions(timeout=1.2, per_host=2))
    assert [o.reason for o in outcomes if isinstance(o, Failure)] == []
    assert all(isinstance(o, Response) and o.body.startswith(b"<?xml") for o in outcomes)


def test_the_deadline_still_covers_every_redirect_hop(web):
    # Each hop of the chain answers in 0.4 s: three hops are past a 1 s deadline.
    chain = "delay/0.4/redirect/1/delay/0.4/redirect/1/delay/0.4/rss20.xml"
    assert isinstance(fetch(web.url(chain), FetchOptions(timeout=2.0)), Response)
    started = time.monotonic()
    failure = fetch(web.url(chain), FetchOptions(timeout=1.0))
    assert isinstance(failure, Failure) and "timed out" in failure.reason
    assert time.monotonic() - started < 2


def test_a_gzip_body_is_inflated_and_a_truncated_one_refused(web):
    whole = fetch(web.url("gzip/rss20.xml"))
    assert isinstance(whole, Response) and whole.body == (web.root / "rss20.xml").read_bytes()
    cut = fetch(web.url("gzip-cut/rss20.xml"))
    assert isinstance(cut, Failure) and cut.reason == "truncated compressed body"


def test_fetching_waits_for_a_slow_caller_and_holds_only_a_few_bodies(web):
    urls = [web.url(f"rss20.xml?n={n}") for n in range(12)]
    arrived = fetch_each([Request(u) for u in urls], FAST, ahead=2)

    def asked() -> int:
        return sum(1 for r in web.requests if r.path.startswith("/rss20.xml?n="))

    first = next(arrived)
    time.sleep(0.3)  # a slow caller: fetching must not run ahead of it
    assert asked() <= 3  # the two slots, and the one freed by taking `first`
    rest = list(arrived)
    assert sorted(i for i, _ in [first, *rest]) == list(range(12))
    assert asked() == 12


def test_a_bug_while_fetching_reaches_the_caller_as_itself(web, monkeypatch):
    async def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(fetch_module, "_fetch", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        fetch_all([Request(web.url("rss20.xml"))] * 3, FAST)
