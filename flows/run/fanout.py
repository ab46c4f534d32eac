"""Independent pieces of work — mining units, drafting batches — run side by side.

A :class:`FanOut` takes a module-level function and the items to apply it to, runs them where it
runs things, and yields the results as they complete, in the calling thread: the caller (the flow
process, the warehouse's only writer) stores each one as it arrives. Three places to run them:

- :class:`SerialFanOut`: one after another in this process (tests, tiny workspaces);
- :class:`PoolFanOut`: a pool of spawned processes on this machine's cores (the default
  runner's workers; spawn, because the flow process runs threads);
- ``flows.run.prefect_flows.PrefectFanOut``: one Prefect task per item, on the flow's task runner —
  threads that hand the work to a :class:`PoolFanOut`, or Dask workers that run it themselves.

Work functions take one picklable item and return a picklable, compact result (Arrow tables,
records); they never touch the warehouse.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import Protocol, TypeVar

from flows.errors import WorkFailed
from flows.run.compiler_warnings import quiet_compiler_warnings
from miners.errors import GoldmineError

T = TypeVar("T")
R = TypeVar("R")
Label = Callable[[T], str]


def call_guarded(work: Callable[[T], R], item: T) -> R:
    """``work(item)`` in a worker, its goldmine error turned into a :class:`WorkFailed`."""
    try:
        return work(item)
    except GoldmineError as error:
        raise WorkFailed(str(error)) from None


class FanOut(Protocol):
    """Runs ``work`` on every item somewhere, yielding results as they complete."""

    def each(self, work: Callable[[T], R], items: Iterable[T], label: Label[T]) -> Iterator[R]:
        """Apply ``work`` to each item (``label`` names the item in logs and task names)."""
        ...


class SerialFanOut:
    """Runs every item in this process, in order."""

    def each(self, work: Callable[[T], R], items: Iterable[T], label: Label[T]) -> Iterator[R]:
        """Apply ``work`` to each item here, one after another."""
        for item in items:
            yield work(item)


class PoolFanOut:
    """Runs items in a pool of spawned processes (one per core unless told), started on first
    use."""

    def __init__(self, workers: int = 0) -> None:
        self.workers = workers if workers > 0 else (os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, work: Callable[[T], R], item: T) -> Future[R]:
        """Start ``work(item)`` in a worker process."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=quiet_compiler_warnings,  # historic code's, on the terminal's stderr
            )
        return self._pool.submit(call_guarded, work, item)

    def each(self, work: Callable[[T], R], items: Iterable[T], label: Label[T]) -> Iterator[R]:
        """Submit every item, then yield results as workers finish them."""
        futures = [self.submit(work, item) for item in items]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        """Stop the worker processes (waiting for work in progress)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> PoolFanOut:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
