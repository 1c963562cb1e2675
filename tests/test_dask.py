"""`digest build` extracting its pages on a Dask cluster (two worker processes, 127.0.0.1)."""

import json

import pytest

from digest.config import Source, Workers
from digest.errors import ConfigError
from digest.ingest.web import complete_items, read_sources
from tests.conftest import run_digest
from tests.test_pool import FAST, PAGES, write_site

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        yield cluster


def test_a_build_extracts_its_pages_on_a_dask_cluster(web, tmp_path, cluster):
    write_site(web.root, missing=(2,))
    (tmp_path / "digest.toml").write_text(
        f"[digest]\nmax_items = {PAGES}\nnew_feed_items = {PAGES}\nfetch_private = true\n"
        f'dask_scheduler = "{cluster.scheduler_address}"\n'
        f'[[sources]]\nfeed = "{web.url("stories.xml")}"\n'
    )
    extracted = Extracted()
    cluster.scheduler.add_plugin(extracted, name="extracted")
    done = run_digest("build", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    items = json.loads((tmp_path / "out" / "digest.json").read_text())["items"]
    assert sorted(item["title"] for item in items) == sorted(f"Story {n}" for n in range(PAGES))
    # Every page but the missing one was extracted in full, and on the cluster.
    full = [item for item in items if "met in story" in " ".join(item.get("sentences", []))]
    assert len(full) == PAGES - 1
    assert extracted.count == PAGES - 1
    assert web.url("story/2.html") in done.stderr and "HTTP 404" in done.stderr


class Extracted(distributed.diagnostics.plugin.SchedulerPlugin):
    """Counts the pages the cluster's workers extracted (tasks that finished)."""

    def __init__(self) -> None:
        self.count = 0

    def transition(self, key, start, finish, *args, **kwargs) -> None:
        if finish == "memory" and str(key).startswith("_read_page-"):
            self.count += 1


def test_the_cluster_gives_the_articles_this_machine_gives(web, cluster):
    write_site(web.root)
    items = read_sources([Source(feed=web.url("stories.xml"))], options=FAST).items
    here = complete_items(items, FAST, workers=Workers(1))
    assert (
        complete_items(items, FAST, workers=Workers(dask_scheduler=cluster.scheduler_address))
        == here
    )


def test_an_unreachable_scheduler_is_a_configuration_error(web, monkeypatch):
    monkeypatch.setattr("digest.ingest.pool.DASK_CONNECT_TIMEOUT", "1s")
    write_site(web.root)
    items = read_sources([Source(feed=web.url("stories.xml"))], options=FAST).items
    with pytest.raises(ConfigError, match=r"Dask scheduler at tcp://127\.0\.0\.1:9 cannot be"):
        complete_items(items, FAST, workers=Workers(dask_scheduler="tcp://127.0.0.1:9"))
