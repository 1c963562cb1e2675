"""Where pages are extracted: in this process, in a pool of processes, or on a Dask cluster.

One seam, a ``concurrent.futures.Executor``: ``run_each`` maps a function over jobs on
whichever executor ``Workers`` names (the only module that imports ``distributed``). It
streams: a job is taken from its iterator only when a worker is about to be free, and
each result comes back as soon as it is done, so a long run holds only a few jobs at once.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, TypeVar

from digest.config import Workers
from digest.errors import ConfigError

# Fewer jobs than this run in this process: a pool would cost more than it saves.
POOL_MIN_JOBS = 16
DASK_CONNECT_TIMEOUT = "10s"

A = TypeVar("A")
K = TypeVar("K")
R = TypeVar("R")

log = logging.getLogger(__name__)


class WorkerDied(Exception):
    """The process running a job died (a crash in a C library, or out of memory)."""


def cores() -> int:
    """The CPU cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def run_each(
    fn: Callable[[A], R], jobs: Iterable[tuple[K, A]], workers: Workers, expected: int
) -> Iterator[tuple[K, Future[R]]]:
    """``fn(arg)`` for each ``(key, arg)`` of ``jobs``; yields ``(key, done future)``.

    Results come in the order they finish; ``expected`` (the number of jobs, roughly)
    decides whether a pool is worth starting. ``fn`` and its argument and result must
    pickle, and ``fn`` must be importable by the workers. A job whose worker process
    dies gets a future holding ``WorkerDied``; the other jobs go on.
    """
    with _open(workers, expected) as runner:
        yield from runner.run(fn, jobs)


class _Here(Executor):
    """Each call run at once, in this process: no pool to start for a few jobs."""

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future[R]:
        future: Future[R] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future


class _Runner:
    """An executor and how many jobs to keep in it: enough that no worker waits."""

    def __init__(self, start: Callable[[], Executor], ahead: int) -> None:
        self._start = start
        self.executor = start()
        self.ahead = ahead

    def run(
        self, fn: Callable[[A], R], jobs: Iterable[tuple[K, A]]
    ) -> Iterator[tuple[K, Future[R]]]:
        running: dict[Future[R], tuple[K, A]] = {}  # the argument is kept for a retry
        for key, arg in jobs:
            while len(running) >= self.ahead:
                yield from self._collect(fn, running)
            try:
                running[self.executor.submit(fn, arg)] = (key, arg)
            except BrokenProcessPool:  # it broke since the last look
                yield from self._recover(fn, running)
                running[self.executor.submit(fn, arg)] = (key, arg)
        while running:
            yield from self._collect(fn, running)

    def _collect(
        self, fn: Callable[[A], R], running: dict[Future[R], tuple[K, A]]
    ) -> Iterator[tuple[K, Future[R]]]:
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        if any(isinstance(f.exception(), BrokenProcessPool) for f in done):
            yield from self._recover(fn, running)
            return
        for future in done:
            yield running.pop(future)[0], future

    def _recover(
        self, fn: Callable[[A], R], running: dict[Future[R], tuple[K, A]]
    ) -> Iterator[tuple[K, Future[R]]]:
        """A worker died: find which job killed it by running each suspect alone."""
        wait(running)  # a broken pool fails all its futures at once
        suspects = []
        for future, (key, arg) in running.items():
            if isinstance(future.exception(), BrokenProcessPool):
                suspects.append((key, arg))
            else:
                yield key, future
        running.clear()
        self._restart()
        log.info("a worker process died; retrying its %d jobs one at a time", len(suspects))
        for key, arg in suspects:
            future = self.executor.submit(fn, arg)
            if isinstance(future.exception(), BrokenProcessPool):
                self._restart()
                future = Future()
                future.set_exception(
                    WorkerDied("the process extracting it died (a crash, or out of memory)")
                )
            yield key, future

    def _restart(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.executor = self._start()


@contextmanager
def _open(workers: Workers, expected: int) -> Iterator[_Runner]:
    if workers.dask_scheduler and expected:
        with _dask(workers.dask_scheduler) as runner:
            yield runner
        return
    count = min(workers.count or cores(), expected)
    runner = _Runner(_Here, 1)
    if count >= 2 and expected >= POOL_MIN_JOBS:
        runner = _Runner(lambda: _processes(count), 2 * count)
    try:
        yield runner
    finally:
        runner.executor.shutdown(wait=True, cancel_futures=True)


def _processes(count: int) -> ProcessPoolExecutor:
    """A pool of ``count`` worker processes, started now.

    On Linux they are forked: a fork starts at once, shares the extractors this process
    has imported, and never re-runs the main script. Forking a process that runs threads
    can deadlock the child, so they are forked here, before the fetching thread starts.
    Elsewhere, the platform's default start method.
    """
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else None)
    executor = ProcessPoolExecutor(count, mp_context=context)
    executor.submit(int).result()  # with fork, this starts every worker
    return executor


@contextmanager
def _dask(address: str) -> Iterator[_Runner]:
    try:
        from distributed import Client
    except ImportError as exc:
        raise ConfigError(
            f"dask_scheduler is set ({address}) but Dask is not installed",
            hint="pip install 'digest[dask]', or unset dask_scheduler and DIGEST_DASK_SCHEDULER",
        ) from exc
    try:
        client = Client(address, timeout=DASK_CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ConfigError(
            f"the Dask scheduler at {address} cannot be reached: {exc}",
            hint="start the scheduler, or unset dask_scheduler and DIGEST_DASK_SCHEDULER",
        ) from exc
    with client:
        threads = sum(client.nthreads().values())
        # More jobs in flight than threads: the scheduler hides the network's latency.
        yield _Runner(lambda: client.get_executor(pure=False), max(8, 4 * threads))
