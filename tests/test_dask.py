"""A build whose pages are extracted on a Dask cluster (two worker processes, 127.0.0.1)."""

import json
from datetime import UTC, datetime

import pytest

from digest.config import Config, Source, Workers
from digest.errors import ConfigError
from digest.ingest.fetch import FetchOptions
from digest.pipeline import build
from tests.test_pool import PAGES, write_site

distributed = pytest.importorskip("distributed")

FAST = FetchOptions(timeout=2.0, max_bytes=1024 * 1024)


def config_for(tmp_path, web, workers: Workers) -> Config:
    return Config(
        sources=(Source(feed=web.url("stories.xml")),),
        state_dir=tmp_path / "state",
        out_dir=tmp_path / "out",
        fetch_private=True,  # every page is served from 127.0.0.1
        new_feed_items=PAGES,
        max_items=PAGES,
        workers=workers,
    )


def test_a_build_extracts_its_pages_on_a_dask_cluster(web, tmp_path):
    write_site(web.root, missing=(2,))
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        config = config_for(tmp_path, web, Workers(dask_scheduler=cluster.scheduler_address))
        result = build(config, now=datetime.now(UTC), fetch_options=FAST)
        extracted = cluster.scheduler.task_prefixes["read_page"].state_counts["memory"]
    items = json.loads((tmp_path / "out" / "digest.json").read_text())["items"]
    assert sorted(item["title"] for item in items) == sorted(f"Story {n}" for n in range(PAGES))
    # Every page but the missing one was fetched and extracted in full on the cluster.
    full = [item for item in items if "met in story" in " ".join(item.get("sentences", []))]
    assert len(full) == PAGES - 1
    assert [p.origin for p in result.problems] == [web.url("story/2.html")]
    assert extracted == PAGES - 1  # tasks that ran on the cluster


def test_an_unreachable_scheduler_is_a_configuration_error(web, tmp_path, monkeypatch):
    monkeypatch.setattr("digest.ingest.pool.DASK_CONNECT_TIMEOUT", "1s")
    write_site(web.root)
    config = config_for(tmp_path, web, Workers(dask_scheduler="tcp://127.0.0.1:9"))
    with pytest.raises(ConfigError, match=r"Dask scheduler at tcp://127\.0\.0\.1:9 cannot be"):
        build(config, now=datetime.now(UTC), fetch_options=FAST)
