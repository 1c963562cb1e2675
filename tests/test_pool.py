"""Pages extracted in worker processes as they arrive, over a real HTTP server on 127.0.0.1."""

import os
import random
import sys
import time
from pathlib import Path

import pytest

import digest.ingest.web as web_module
from digest.config import Config, Source, Workers, load_config
from digest.errors import ConfigError
from digest.ingest.fetch import FetchOptions, Request, fetch_each
from digest.ingest.pool import POOL_MIN_JOBS, WorkerDied, run_each
from digest.ingest.web import complete_items, read_sources

FAST = FetchOptions(timeout=2.0, max_bytes=1024 * 1024)
PAGES = POOL_MIN_JOBS + 4  # enough for a pool
WORDS = (
    "river bridge council market baker orchard ferry school library harvest mill lantern "
    "meadow quarry chapel square fountain tram station clock tower festival choir bakery"
).split()
forking = pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux only")


def write_site(root: Path, pages: int = PAGES, missing: tuple[int, ...] = ()) -> None:
    """A feed of ``pages`` teasers, each linking to a page of its own invented story."""
    items = []
    for n in range(pages):
        rng = random.Random(n)
        paragraphs = "".join(
            "<p>The " + " ".join(rng.choice(WORDS) for _ in range(14)) + f" met in story {n}.</p>"
            for _ in range(8)
        )
        if n not in missing:
            (root / "story").mkdir(exist_ok=True)
            (root / "story" / f"{n}.html").write_text(
                f"<html><head><title>Story {n}</title></head><body><nav>Home | News</nav>"
                f"<article><h1>Story {n}</h1>{paragraphs}</article></body></html>"
            )
        items.append(
            f"<item><title>Story {n}</title><link>{{{{BASE}}}}/story/{n}.html</link>"
            f"<description>The start of story {n}...</description></item>"
        )
    (root / "stories.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Stories</title>'
        + "".join(items)
        + "</channel></rss>"
    )


def teasers(web):
    result = read_sources([Source(feed=web.url("stories.xml"))], options=FAST)
    assert result.problems == () and all(item.teaser for item in result.items)
    return result.items


def test_pages_extracted_by_a_pool_are_those_extracted_here_in_the_same_order(web):
    write_site(web.root, missing=(3,))
    items = teasers(web)
    here = complete_items(items, FAST, workers=Workers(1))
    pooled = complete_items(items, FAST, workers=Workers(2))
    assert pooled == here
    articles, problems = pooled
    assert [a.title for a in articles] == [f"Story {n}" for n in range(PAGES)]
    assert all(f"met in story {n}." in a.text for n, a in enumerate(articles) if n != 3)
    assert [p.origin for p in problems] == [web.url("story/3.html")]
    assert "HTTP 404" in problems[0].message and "teaser is used" in problems[0].message
    assert all(web.hits(f"story/{n}.html") == 2 for n in range(PAGES))  # once a run


def _fatal_on_story_7(page, *args, **kwargs):
    if b"met in story 7." in page:
        os._exit(70)  # as a crash in a C library would end the process
    return _real_extract(page, *args, **kwargs)


_real_extract = web_module.extract_html


@forking
def test_a_page_that_kills_its_worker_is_one_problem_and_the_rest_go_on(web, monkeypatch):
    write_site(web.root)
    items = teasers(web)
    monkeypatch.setattr(web_module, "extract_html", _fatal_on_story_7)  # the forks inherit it
    articles, problems = complete_items(items, FAST, workers=Workers(2))
    assert len(articles) == PAGES  # the teaser stays for story 7
    assert [p.origin for p in problems] == [web.url("story/7.html")]
    assert "died" in problems[0].message and "teaser is used" in problems[0].message
    assert "\n" not in problems[0].message
    assert articles[7].text == items[7].article.text  # the feed's teaser, as read
    assert all(f"met in story {n}." in a.text for n, a in enumerate(articles) if n != 7)


def _square_or_die(n: int) -> int:
    if n == 5:
        os._exit(1)
    return n * n


@forking
def test_every_job_but_the_fatal_one_gets_its_result():
    jobs = ((n, n) for n in range(POOL_MIN_JOBS))
    done = dict(run_each(_square_or_die, jobs, Workers(2), POOL_MIN_JOBS))
    assert sorted(done) == list(range(POOL_MIN_JOBS))
    assert isinstance(done[5].exception(), WorkerDied)
    assert all(done[n].result() == n * n for n in done if n != 5)


def test_fetching_pauses_while_the_caller_is_busy(web):
    write_site(web.root, pages=12)
    requests = [Request(web.url(f"story/{n}.html")) for n in range(12)]
    stream = fetch_each(requests, FAST, ahead=2)
    first = next(stream)
    time.sleep(0.3)  # time enough to fetch them all, were fetching not held back
    # The caller holds one outcome; at most two more wait for it, and fetching waits.
    assert len([r for r in web.requests if r.path.startswith("/story/")]) <= 3
    rest = list(stream)
    assert sorted(i for i, _ in [first, *rest]) == list(range(12))


def test_leaving_the_stream_early_stops_fetching(web):
    write_site(web.root, pages=12)
    requests = [Request(web.url(f"story/{n}.html")) for n in range(12)]
    for _ in fetch_each(requests, FAST, ahead=1):
        time.sleep(0.3)
        break
    assert len([r for r in web.requests if r.path.startswith("/story/")]) <= 2


def test_workers_come_from_the_file_and_the_environment_wins(tmp_path):
    path = tmp_path / "digest.toml"
    path.write_text('[digest]\nworkers = 3\ndask_scheduler = "tcp://10.0.0.5:8786"\n')
    assert load_config(path, env={}).workers == Workers(3, "tcp://10.0.0.5:8786")
    env = {"DIGEST_WORKERS": "6", "DIGEST_DASK_SCHEDULER": " tls://dask.example.org:8786 "}
    assert load_config(path, env=env).workers == Workers(6, "tls://dask.example.org:8786")
    assert load_config(tmp_path / "digest.toml", env={"DIGEST_WORKERS": ""}).workers.count == 3
    assert Config().workers == Workers(None, None)  # every core, on this machine


@pytest.mark.parametrize(
    ("toml", "env", "message"),
    [
        ("workers = 0", {}, "digest.workers must be at least 1, not 0"),
        ('workers = "all"', {}, "digest.workers must be a whole number"),
        ('dask_scheduler = "tcp://a host"', {}, "must be a Dask scheduler address"),
        ("", {"DIGEST_WORKERS": "two"}, "DIGEST_WORKERS must be a whole number"),
        ("", {"DIGEST_DASK_SCHEDULER": "http://x/y"}, "DIGEST_DASK_SCHEDULER must be a Dask"),
    ],
)
def test_bad_worker_settings_are_one_clear_error(tmp_path, toml, env, message):
    path = tmp_path / "digest.toml"
    path.write_text(f"[digest]\n{toml}\n")
    with pytest.raises(ConfigError, match=message):
        load_config(path, env=env)
