"""Mining a repository's new commits into row batches, in one process or, for a large history,
in one process per core.

A large history's commit list is split into contiguous slices, one per worker process; each
worker streams its slice with its own ``git log`` (so there is one git process per core), makes
the rows — symbols, redaction and all — and sends them back in chunks. The calling process stays
the warehouse's only writer (DuckDB allows one) and inserts them as they arrive. Rows have
deterministic ids, so the order in which workers deliver them changes nothing stored.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import tempfile
from collections.abc import Iterator, Sequence
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

from miners.errors import GoldmineError, MiningWorkerFailed
from miners.git_history import RepositoryInfo, iter_commits
from miners.git_objects import BlobReader
from warehouse.landing.commit_rows import CommitRowMaker, LandingOptions, RowBatch
from warehouse.store import in_chunks

_POLL_SECONDS = 0.5
Message = tuple[str, Any]


def mine_rows(
    info: RepositoryInfo,
    shas: Sequence[str],
    source_id: str,
    run_id: str,
    options: LandingOptions,
    chunk: int,
) -> Iterator[RowBatch]:
    """Row batches for ``shas`` (about ``chunk`` commits each), mined in as many processes as
    the options and the history's size call for."""
    jobs = worker_count(options, len(shas))
    if jobs <= 1:
        yield from mine_slice(info, shas, source_id, run_id, options, chunk)
    else:
        yield from _in_workers(info, split_evenly(shas, jobs), source_id, run_id, options, chunk)


def worker_count(options: LandingOptions, commits: int) -> int:
    """How many processes mine ``commits`` new commits: one unless the history is large."""
    if commits < max(options.parallel_min_commits, 2):
        return 1
    wanted = options.jobs if options.jobs > 0 else (os.cpu_count() or 1)
    return max(1, min(wanted, commits))


def split_evenly(items: Sequence[str], parts: int) -> list[Sequence[str]]:
    """``items`` cut into ``parts`` contiguous slices whose sizes differ by at most one."""
    size, extra = divmod(len(items), parts)
    slices, start = [], 0
    for part in range(parts):
        end = start + size + (1 if part < extra else 0)
        slices.append(items[start:end])
        start = end
    return slices


def mine_slice(
    info: RepositoryInfo,
    shas: Sequence[str],
    source_id: str,
    run_id: str,
    options: LandingOptions,
    chunk: int,
) -> Iterator[RowBatch]:
    """Row batches for ``shas``, mined in this process with one ``git log``."""
    with BlobReader(info.git_dir) as blobs:
        maker = CommitRowMaker(source_id, run_id, options, blobs)
        commits = iter_commits(info, shas=shas, max_diff_bytes=options.max_diff_bytes)
        for commits_chunk in in_chunks(commits, chunk):
            yield maker.rows(commits_chunk)


def _in_workers(
    info: RepositoryInfo,
    slices: list[Sequence[str]],
    source_id: str,
    run_id: str,
    options: LandingOptions,
    chunk: int,
) -> Iterator[RowBatch]:
    # spawn, not fork: the caller may run threads (Prefect does), and forking those is unsafe
    context = multiprocessing.get_context("spawn")
    results: Queue[Message] = context.Queue(maxsize=2 * len(slices))
    with tempfile.TemporaryDirectory(prefix="goldmine-mine-") as folder:
        # each worker reads its shas from a file: its start-up message stays small
        lists = [Path(folder) / f"slice{n}.txt" for n in range(len(slices))]
        for path, part in zip(lists, slices, strict=True):
            path.write_text("\n".join(part), encoding="ascii")
        workers = [
            context.Process(
                target=_work,
                args=(info, path, source_id, run_id, options, chunk, results),
                daemon=True,
            )
            for path in lists
        ]
        for worker in workers:
            worker.start()
        try:
            running = len(workers)
            while running:
                kind, payload = _next_message(results, workers)
                if kind == "rows":
                    yield payload
                elif kind == "done":
                    running -= 1
                else:
                    raise MiningWorkerFailed(str(payload))
        finally:
            _stop(workers, results)


def _next_message(results: Queue[Message], workers: Sequence[BaseProcess]) -> Message:
    while True:
        try:
            return results.get(timeout=_POLL_SECONDS)
        except queue.Empty:
            dead = [w for w in workers if w.exitcode not in (None, 0)]
            if dead:
                raise MiningWorkerFailed(
                    f"process {dead[0].pid} exited with status {dead[0].exitcode} (its own error "
                    "is printed above)"
                ) from None


def _stop(workers: Sequence[BaseProcess], results: Queue[Message]) -> None:
    for worker in workers:
        if worker.is_alive():
            worker.terminate()
    for worker in workers:
        worker.join()
    results.close()
    results.join_thread()


def _work(
    info: RepositoryInfo,
    shas_file: Path,
    source_id: str,
    run_id: str,
    options: LandingOptions,
    chunk: int,
    results: Queue[Message],
) -> None:
    """A worker process: mine one slice and send its row batches, then ``done`` (or the error)."""
    try:
        shas = shas_file.read_text(encoding="ascii").split()
        for batch in mine_slice(info, shas, source_id, run_id, options, chunk):
            results.put(("rows", batch))
    except GoldmineError as error:
        results.put(("error", str(error)))
        return
    results.put(("done", None))
