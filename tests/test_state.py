"""The state store: schema, atomic runs, locking, and what counts as new."""

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from digest.errors import AlreadyRunningError
from digest.ingest.dedup import merge_duplicates, similar_groups
from digest.ingest.fresh import Candidate, select_fresh, window_start
from digest.ingest.identity import canonical_url, item_id, stable_guids
from digest.models import Article, Item, ItemRecord
from digest.state import MIGRATIONS, RunRecord, StateError, open_store

NOW = datetime(2024, 5, 10, 12, tzinfo=UTC)


def test_a_new_store_is_at_the_latest_schema_version(tmp_path):
    with open_store(tmp_path) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_run_is_recorded_whole(tmp_path):
    with open_store(tmp_path) as store:
        store.record_run(
            RunRecord(
                NOW,
                NOW,
                "ok",
                seen=(Item("a", "f", "http://x/a"), Item("b", "f")),
                used=(Item("a", "f"),),
                feeds_ok=("f",),
            )
        )
    with open_store(tmp_path) as store:
        assert store.items(["a", "b"]) == {
            "a": ItemRecord(NOW, "used"),
            "b": ItemRecord(NOW, "new"),
        }
        assert store.used_urls(["http://x/a", "http://x/b"]) == {"http://x/a"}
        assert store.known_feeds() == {"f": NOW} and store.last_success() == NOW


def test_a_run_that_fails_midway_leaves_nothing_behind(tmp_path):
    with open_store(tmp_path) as store:
        store.db.execute(
            "CREATE TRIGGER boom AFTER UPDATE ON items BEGIN SELECT RAISE(ABORT, 'x'); END"
        )
        with pytest.raises(sqlite3.IntegrityError):
            store.record_run(
                RunRecord(
                    NOW, NOW, "ok", seen=(Item("a", "f"),), used=(Item("a", "f"),), feeds_ok=("f",)
                )
            )
        assert store.runs() == [] and store.items(["a"]) == {} and store.known_feeds() == {}


def test_two_builds_cannot_hold_the_store_at_once(tmp_path):
    with open_store(tmp_path), pytest.raises(AlreadyRunningError, match="another digest build"):
        open_store(tmp_path)


def test_a_preview_creates_nothing_and_cannot_write(tmp_path):
    with open_store(tmp_path / "state", preview=True) as store, pytest.raises(StateError):
        store.record_run(RunRecord(NOW, NOW, "ok"))
    assert not (tmp_path / "state").exists()


def test_a_store_from_a_newer_digest_is_refused(tmp_path):
    db = sqlite3.connect(tmp_path / "state.sqlite3")
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(StateError, match="newer"):
        open_store(tmp_path)


def test_windows():
    assert window_start(timedelta(hours=48), NOW, None) == NOW - timedelta(hours=48)
    assert window_start(timedelta(days=7), NOW, None) == NOW - timedelta(days=7)
    assert window_start(None, NOW, NOW - timedelta(days=1)) == NOW - timedelta(days=1)
    assert window_start(None, NOW, None) is None


def days_ago(n: float) -> datetime:
    return NOW - timedelta(days=n)


def test_selection_keeps_new_items_in_the_window_and_drops_used_ones():
    candidates = [
        Candidate("used", "f", "http://x/1", days_ago(0.5)),
        Candidate("old", "f", "http://x/2", days_ago(5)),
        Candidate("new", "f", "http://x/3", days_ago(0.5)),
        Candidate("same-url", "f", "http://x/1", days_ago(0.5)),  # used under another id
        Candidate("undated", "f", None, None),
        Candidate("left-over", "f", None, days_ago(3)),  # first seen in the last run, not used
    ]
    records = {
        "used": ItemRecord(days_ago(1), "used"),
        "left-over": ItemRecord(days_ago(1), "new"),
        "old": ItemRecord(days_ago(5), "new"),
    }
    fresh, skipped = select_fresh(
        candidates, records, {"http://x/1"}, {"f": days_ago(1)}, days_ago(1), 5, new_feed_start=None
    )
    assert [c.id for c in fresh] == ["new", "undated", "left-over"]
    assert skipped == []


def test_a_new_feed_gives_only_its_newest_items():
    candidates = [Candidate(f"i{n}", "new-feed", None, days_ago(n)) for n in range(10)]
    fresh, skipped = select_fresh(candidates, {}, set(), {}, None, 3, new_feed_start=None)
    assert [c.id for c in fresh] == ["i0", "i1", "i2"]
    assert skipped == [f"i{n}" for n in range(3, 10)]
    # Outside a fixed window ("36h") or not, the rest of a new feed is skipped for good.
    fresh, skipped = select_fresh(
        candidates, {}, set(), {}, days_ago(1.5), 3, new_feed_start=days_ago(1.5)
    )
    assert [c.id for c in fresh] == ["i0", "i1"]
    assert sorted(skipped) == [f"i{n}" for n in range(2, 10)]


def test_a_feed_added_after_many_runs_starts_with_its_newest_items():
    # "since-last-run": the last run was an hour ago, and every item of the feed added
    # since is older than that. The feed never had a last run: its newest items are new.
    candidates = [Candidate(f"i{n}", "added", None, days_ago(n + 1)) for n in range(10)]
    fresh, skipped = select_fresh(
        candidates, {}, set(), {"old": days_ago(0.04)}, days_ago(0.04), 3, new_feed_start=None
    )
    assert [c.id for c in fresh] == ["i0", "i1", "i2"]
    assert skipped == [f"i{n}" for n in range(3, 10)]


def test_a_known_feeds_never_seen_items_are_not_lost_to_the_window():
    # The last good run was a day ago; feed "f" was last read three days ago (down since).
    candidates = [
        Candidate("while-down", "f", None, days_ago(2)),  # posted while f could not be read
        *(Candidate(f"back{n}", "f", None, days_ago(10 + n)) for n in range(4)),  # back-dated
        Candidate("old-seen", "f", None, days_ago(2)),  # seen then, outside the window now
    ]
    records = {"old-seen": ItemRecord(days_ago(3), "new")}
    fresh, skipped = select_fresh(
        candidates, records, set(), {"f": days_ago(3)}, days_ago(1), 2, new_feed_start=None
    )
    assert [c.id for c in fresh] == ["while-down", "back0", "back1"]
    # The rest of the back-dated ones (a feed that changed every id) never come.
    assert skipped == ["back2", "back3"]


def test_canonical_url_drops_tracking_and_fragment():
    url = "HTTPS://Example.COM:443/a/b?utm_source=x&id=3&fbclid=y&gclid=z&mc_cid=1#part"
    assert canonical_url(url) == "https://example.com/a/b?id=3"
    assert canonical_url("http://example.com") == "http://example.com/"


def test_identity_prefers_a_stable_guid_then_the_url_then_a_hash():
    assert stable_guids(["a", "b", "a", None]) == {"b"}
    assert (
        item_id("http://f/", "g1", "http://x/?utm_medium=y", "T", "t", True) == "guid:http://f/ g1"
    )
    assert item_id("http://f/", "g1", "http://x/?utm_medium=y", "T", "t", False) == "url:http://x/"
    assert item_id("http://f/", None, None, "T", "Some text", False) == item_id(
        "http://g/", None, None, "t", "some   text", False
    )


STORY = (
    "The council agreed on Monday to keep the swimming pool open through the winter "
    "after a petition signed by four thousand residents, and it will raise the entry "
    "price by fifty pence to cover the cost of heating the water during the cold months. "
    "Lifeguards welcomed the decision and said early morning sessions would continue."
)


def test_a_syndicated_story_is_merged_and_lists_every_source():
    articles = [
        Article("Pool stays open", STORY, "a", url="http://a/pool", source="Courier", ids=("1",)),
        Article("Other news", "A completely different story about trains and bells.", "b"),
        Article(
            "Pool to stay open all winter",
            STORY.replace("Monday", "Monday evening") + " More later.",
            "c",
            url="http://c/pool",
            source="Wire",
            ids=("2",),
        ),
        Article("Pool", STORY, "d", url="http://a/pool?utm_source=x", source="Gazette", ids=("3",)),
    ]
    merged = merge_duplicates(articles)
    assert len(merged) == 2
    assert merged[0].sources == ("Courier", "Wire", "Gazette")
    assert (
        set(merged[0].ids) == {"1", "2", "3"} and merged[0].title == "Pool to stay open all winter"
    )
    assert similar_groups([STORY, "Completely unrelated words here about other matters."]) == []


def test_a_preview_reads_the_store_without_writing_to_it(tmp_path):
    with open_store(tmp_path) as store:
        store.record_run(RunRecord(NOW, NOW, "ok", seen=(Item("a", "f"),), used=(Item("a", "f"),)))
    db_file = tmp_path / "state.sqlite3"
    before = db_file.read_bytes()
    with open_store(tmp_path, preview=True) as store:
        assert store.items(["a"]) == {"a": ItemRecord(NOW, "used")}
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            store.db.execute("DELETE FROM items")
    assert db_file.read_bytes() == before


def test_a_preview_leaves_an_older_store_unmigrated_and_reads_it_as_empty(tmp_path):
    db = sqlite3.connect(tmp_path / "state.sqlite3")
    db.executescript(f"BEGIN; {MIGRATIONS[0]}; PRAGMA user_version = 1; COMMIT;")
    db.execute("INSERT INTO feeds VALUES ('f', 'x', NULL)")
    db.commit()
    db.close()
    with open_store(tmp_path, preview=True) as store:
        assert store.known_feeds() == {} and store.unfinished_issues() == []
    db = sqlite3.connect(tmp_path / "state.sqlite3")
    assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    assert db.execute("SELECT name FROM sqlite_master WHERE name = 'issues'").fetchone() is None
    db.close()
