"""goldmine's Prefect flow ``goldmine``: the pipeline, with mining and drafting fanned out.
Imported only after :func:`flows.workspace.configure_prefect` (the nightly deployment that runs it
is ``flows/run/nightly_flow.py``).

The flow runs in the process that holds the warehouse. Mining and drafting fan out: each
repository (each slice of a large one) is mined, and each source's tasks are drafted, as Prefect
tasks on the flow's task runner —

- ``default``: a thread per task that hands the work to a pool of this machine's processes (so
  the work uses every core, while Prefect talks to its server from this process only);
- ``dask``: the tasks themselves run on a Dask cluster (a ``LocalCluster``, or the scheduler in
  ``[scale] dask_address``), whose workers report to the Prefect server directly; without
  ``PREFECT_API_URL`` goldmine starts one on 127.0.0.1 for the run, since they cannot reach
  Prefect's in-process ephemeral server.

Workers return rows and records; only the flow process writes the warehouse. Every run ends with
a Markdown artifact: what was new, accepted, rejected and why, and what it cost.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from typing import Any, TypeVar

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.events.worker import EventsWorker
from prefect.futures import as_completed
from prefect.logging.handlers import APILogWorker
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from flows.errors import ConfigError
from flows.run.artifact import artifact_markdown
from flows.run.fanout import PoolFanOut, call_guarded
from flows.run.prefect_server import LocalPrefectServer
from flows.run.shown_stages import run_stage_shown
from flows.run.stages import StageContext
from flows.settings import ScaleConfig
from flows.workspace import Workspace
from warehouse.runs import record_watermarks

T = TypeVar("T")
R = TypeVar("R")
FANNED_OUT_STAGES = ("mine", "draft")
_OPEN_RUNS: dict[str, StageContext] = {}
_POOLS: dict[str, PoolFanOut] = {}


def run_stage(name: str, run_id: str) -> dict[str, Any]:
    """One stage that runs whole in the flow process (assay, export)."""
    return run_stage_shown(name, _OPEN_RUNS[run_id])


def run_work(work: Callable[[T], R], item: T, pool_run_id: str | None) -> R:
    """One unit of mining or drafting: handed to the run's process pool, or run here (a Dask
    worker)."""
    if pool_run_id is not None:
        return _POOLS[pool_run_id].submit(work, item).result()
    return call_guarded(work, item)


class PrefectFanOut:
    """A fan-out whose items are Prefect tasks on the current flow's task runner."""

    def __init__(self, pool_run_id: str | None) -> None:
        self.pool_run_id = pool_run_id

    def each(
        self, work: Callable[[T], R], items: Iterable[T], label: Callable[[T], str]
    ) -> Iterator[R]:
        """Submit a task per item; yield the results as the tasks complete."""
        name = work.__name__.replace("_", " ")
        futures = [
            work_task.with_options(name=name, task_run_name=label(item)).submit(
                work, item, self.pool_run_id
            )
            for item in items
        ]
        for future in as_completed(futures):
            yield future.result()


def run_pipeline(run_id: str, stages: list[str]) -> dict[str, Any]:
    """The pipeline: mine and draft fanned out over the task runner, then assay and export."""
    context = _OPEN_RUNS[run_id]
    counts = {
        name: run_stage_shown(name, context)
        if name in FANNED_OUT_STAGES
        else stage_task(name, run_id)
        for name in stages
    }
    record_watermarks(context.warehouse, run_id)
    create_markdown_artifact(
        markdown=artifact_markdown(context.warehouse, run_id),
        key=artifact_key(context.workspace),
        description=f"goldmine run {run_id} in {context.workspace.root}",
    )
    return counts


# Tasks and flows wrap functions importable under their own names: Dask and Prefect's runner
# pickle them by reference, never by value with this module's state.
stage_task = task(name="stage", task_run_name="{name}", cache_policy=NO_CACHE)(run_stage)
work_task = task(name="work", cache_policy=NO_CACHE)(run_work)
goldmine_flow = flow(name="goldmine", flow_run_name="goldmine-{run_id}", validate_parameters=False)(
    run_pipeline
)


def run_flow(context: StageContext, stages: Sequence[str]) -> dict[str, Any]:
    """Run ``stages`` as the ``goldmine`` flow (a subflow when a flow is running already)."""
    scale = context.settings.scale
    run_id = context.run_id
    with ExitStack() as stack:
        if scale.runner == "default":
            _POOLS[run_id] = stack.enter_context(PoolFanOut(scale.workers))
            stack.callback(_POOLS.pop, run_id, None)
        fanout = PrefectFanOut(run_id if scale.runner == "default" else None)
        _OPEN_RUNS[run_id] = replace(context, fanout=fanout)
        stack.callback(_OPEN_RUNS.pop, run_id, None)
        if scale.runner == "dask":
            stack.enter_context(_server_for_workers(context.workspace, scale))
        configured = goldmine_flow.with_options(task_runner=task_runner(scale))
        result: dict[str, Any] = configured(run_id=run_id, stages=list(stages))
        return result


def task_runner(scale: ScaleConfig) -> TaskRunner[Any]:
    """The task runner ``[scale] runner`` asks for."""
    if scale.runner == "dask":
        # read on import; workers inherit it
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
        from prefect_dask.task_runners import DaskTaskRunner

        if scale.dask_address:
            return DaskTaskRunner(address=scale.dask_address)
        workers = scale.workers or os.cpu_count() or 1
        return DaskTaskRunner(
            cluster_kwargs={
                "n_workers": workers,
                "threads_per_worker": 1,
                "processes": True,
                "dashboard_address": ":0",
            }
        )
    # threads only wait for the pool's processes: a few per process keeps every core busy
    return ThreadPoolTaskRunner(max_workers=2 * (scale.workers or os.cpu_count() or 1))


@contextmanager
def _server_for_workers(workspace: Workspace, scale: ScaleConfig) -> Iterator[None]:
    """Make sure Dask workers can reach a Prefect server: the user's, or one started for the run."""
    if os.environ.get("PREFECT_API_URL") or PREFECT_API_URL.value():
        yield
        return
    if scale.dask_address:
        raise ConfigError(
            "a remote Dask cluster's workers report to a Prefect server: set PREFECT_API_URL to "
            "one they can reach"
        )
    with (
        LocalPrefectServer(workspace.prefect_home) as url,
        temporary_settings(updates={PREFECT_API_URL: url}),
    ):
        previous = os.environ.get("PREFECT_API_URL")
        os.environ["PREFECT_API_URL"] = url  # the LocalCluster's worker processes inherit it
        try:
            yield
        finally:
            flush_to_api()
            if previous is None:
                os.environ.pop("PREFECT_API_URL", None)
            else:
                os.environ["PREFECT_API_URL"] = previous


def flush_to_api() -> None:
    """Send the logs and events Prefect still holds, while the server that takes them is up."""
    APILogWorker.drain_all(timeout=5)
    EventsWorker.drain_all(timeout=5)


def artifact_key(workspace: Workspace) -> str:
    """The artifact key of a workspace's runs (Prefect keeps every version under one key)."""
    slug = re.sub(r"[^a-z0-9]+", "-", workspace.root.name.lower()).strip("-") or "workspace"
    return f"goldmine-{slug}"
