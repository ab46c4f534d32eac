"""Running stages: in this process, or as a Prefect flow (``goldmine run --prefect``, every run
when a Prefect API is configured, the nightly deployment).

Every run is checked before anything is touched (:func:`check_ready`: sources, options, the
Prefect API), then holds the workspace lock for its whole length (``flows/workspace_lock.py``) and
is one ``runs`` row with its parameters, counts, outcome and the watermarks it moved. A run left
``running`` by a process that died is marked ``interrupted`` by the next one.

In this process or in Prefect, the same stage functions run over the same units of work: mining
units and drafting batches go to a pool of this machine's processes when there are several
(:class:`InProcessFanOut`, the default runner's pool without Prefect's server), so both give the
same dataset. Prefect is imported only when a flow runs, after
:func:`flows.workspace.configure_prefect` has pointed it at the workspace
(``flows/run/prefect_flows.py``).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from flows.errors import ConfigError, PrefectServerError
from miners.errors import EmptyRepository, GoldmineError, NotAGitRepository

if TYPE_CHECKING:  # a run imports its stages after it is checked: a bad path costs no import
    from flows.run.fanout import Label, PoolFanOut
    from flows.run.stages import StageContext
    from flows.settings import Settings
    from flows.workspace import Workspace

PIPELINE = ("mine", "draft", "assay", "export")
VERIFIED_PIPELINE = ("mine", "verify", "draft", "assay", "export")
SOURCE_STAGES = ("mine",)
HOW_TO_SEE_RUNS = (
    "ran in this process (no Prefect API configured); to see runs in Prefect's UI, set "
    "PREFECT_API_URL or [prefect] api_url, or pass --prefect"
)
Body = Callable[["StageContext"], dict[str, Any]]
T = TypeVar("T")
R = TypeVar("R")
# runs this process has open: a nested run (a flow inside a flow) must not call them interrupted
_OPEN_RUN_IDS: set[str] = set()


def pipeline_stages(settings: Settings) -> tuple[str, ...]:
    """The whole pipeline; with a ``[verify] command``, tasks are verified before drafting."""
    return VERIFIED_PIPELINE if settings.verify.command else PIPELINE


def prefect_api_url(settings: Settings) -> str:
    """The Prefect API runs report to: ``PREFECT_API_URL``, else ``[prefect] api_url``, else
    none (``""``)."""
    return os.environ.get("PREFECT_API_URL") or settings.prefect.api_url


def wants_prefect(settings: Settings, use_prefect: bool | None) -> bool:
    """Whether a run is a Prefect flow: as asked (``--prefect``/``--inline``), else when a Prefect
    API is configured or the Dask runner is chosen (Dask runs Prefect's tasks)."""
    if use_prefect is not None:
        return use_prefect
    return bool(prefect_api_url(settings)) or settings.scale.runner == "dask"


def check_ready(settings: Settings, stages: Sequence[str], *, use_prefect: bool) -> None:
    """Every source, option and configured service a run needs, checked before any stage, lock
    or Prefect is touched; raise the first problem as one line."""
    if any(stage in SOURCE_STAGES for stage in stages):
        check_sources(settings)
    if use_prefect:
        check_prefect_api(settings)
    elif settings.scale.runner == "dask":
        raise ConfigError(
            "the dask runner runs a Prefect flow's tasks: drop --inline, or choose "
            '[scale] runner = "default"'
        )


def check_sources(settings: Settings) -> None:
    """Each repository is a git repository with commits; each ticket export reads."""
    sources = settings.sources
    if not sources.repos and not sources.tickets:
        raise ConfigError(
            "nothing to mine: pass --repo PATH or --tickets FILE, or list sources in goldmine.toml"
        )
    for repo in sources.repos:
        check_repository(repo)
    if sources.tickets:
        from miners.tickets import TicketMapping, read_ticket_export

        tickets = settings.tickets
        mapping = TicketMapping(
            dict(tickets.mapping), tickets.source, tickets.key_prefix, tickets.list_separator
        )
        for export in sources.tickets:
            read_ticket_export(export, mapping)


def check_repository(path: str) -> None:
    """``path`` is inside a git repository that has a commit (git itself, without loading
    GitPython; mining opens it with ``miners.git_history.open_repository``)."""
    if not Path(path).is_dir():
        raise NotAGitRepository(path)
    if _git(path, "rev-parse", "--git-dir") is None:
        raise NotAGitRepository(path)
    if not _git(path, "rev-parse", "--verify", "--quiet", "HEAD^{commit}"):
        raise EmptyRepository(path)


def _git(path: str, *args: str) -> str | None:
    done = subprocess.run(
        ["git", "-C", path, *args], capture_output=True, text=True, check=False, timeout=60
    )
    return done.stdout.strip() if done.returncode == 0 else None


def check_prefect_api(settings: Settings) -> None:
    """A configured Prefect API answers (an unreachable one would fail the run after minutes)."""
    url = prefect_api_url(settings)
    if not url:
        return
    from flows.run.prefect_server import is_healthy

    if not is_healthy(url):
        raise PrefectServerError(
            f"no Prefect server answers at {url} (PREFECT_API_URL or [prefect] api_url): start "
            "it (`prefect server start`), or unset it to run in this process"
        )


def run_stages(
    workspace: Workspace,
    settings: Settings,
    stages: Sequence[str] = PIPELINE,
    *,
    command: str = "run",
    use_prefect: bool | None = False,
    verbose: bool = False,
    wait: float = 0.0,
    say: Callable[[str], None] | None = None,
) -> tuple[str, dict[str, Any]]:
    """Run ``stages`` in order inside one ``runs`` row; return the run id and each stage's counts.

    ``use_prefect``: True runs a Prefect flow, False runs in this process, None chooses (a flow
    when a Prefect API is configured; ``say`` then tells once how to see runs in Prefect when it
    chose this process). Waits up to ``wait`` seconds for another goldmine process to release the
    workspace.
    """
    in_prefect = wants_prefect(settings, use_prefect)
    check_ready(settings, stages, use_prefect=in_prefect)

    def body(context: StageContext) -> dict[str, Any]:
        if in_prefect:
            return _in_prefect(context, stages, verbose)
        return _in_process(context, stages)

    result = run_recorded(workspace, settings, stages, body, command=command, wait=wait)
    if use_prefect is None and not in_prefect and say is not None:
        say(HOW_TO_SEE_RUNS)
    return result


def run_recorded(
    workspace: Workspace,
    settings: Settings,
    stages: Sequence[str],
    body: Body,
    *,
    command: str,
    wait: float,
) -> tuple[str, dict[str, Any]]:
    """Hold the workspace, open the warehouse and run ``body`` inside one ``runs`` row."""
    from flows.run.compiler_warnings import counted_compiler_warnings
    from flows.run.stages import StageContext
    from warehouse.runs import (
        mark_interrupted,
        record_watermarks,
        start_run,
        watermark_positions,
    )

    workspace.ensure()
    with workspace.open_warehouse(wait=wait, command=command) as warehouse:
        mark_interrupted(warehouse, keep=_OPEN_RUN_IDS)
        run_id = start_run(warehouse, command, {"stages": list(stages), **settings.model_dump()})
        _OPEN_RUN_IDS.add(run_id)
        record_watermarks(warehouse, run_id, watermark_positions(warehouse))
        context = StageContext(workspace, warehouse, settings, run_id)
        try:
            with counted_compiler_warnings() as warned:
                counts = body(context)
            if warned.count:
                counts["compiler_warnings"] = warned.summary()
        except GoldmineError as error:
            _finish(context, {}, str(error))
            raise
        except BaseException as error:
            _finish(context, {}, f"{type(error).__name__}: {error}")
            raise
        finally:
            _OPEN_RUN_IDS.discard(run_id)
        _finish(context, counts, None)
    return run_id, counts


def _finish(context: StageContext, counts: dict[str, Any], error: str | None) -> None:
    from warehouse.runs import finish_run, record_watermarks

    record_watermarks(context.warehouse, context.run_id)
    finish_run(context.warehouse, context.run_id, counts, error=error)


def _in_process(context: StageContext, stages: Sequence[str]) -> dict[str, Any]:
    """The stages here, their mining units and drafting batches on this machine's cores."""
    from flows.run.fanout import PoolFanOut
    from flows.run.shown_stages import run_stage_shown

    with ExitStack() as stack:
        pool = stack.enter_context(PoolFanOut(context.settings.scale.workers))
        here = replace(context, fanout=InProcessFanOut(pool))
        return {name: run_stage_shown(name, here) for name in stages}


class InProcessFanOut:
    """A run without Prefect: a single item runs in this process (a small repository costs no
    worker start-up); several go to a pool of this machine's processes, as the Prefect run's
    default runner sends them — the same units of work either way."""

    def __init__(self, pool: PoolFanOut) -> None:
        self.pool = pool

    def each(self, work: Callable[[T], R], items: Iterable[T], label: Label[T]) -> Iterator[R]:
        """Apply ``work`` to each item: here when there is one, else on the pool."""
        from flows.run.fanout import call_guarded

        listed = list(items)
        if len(listed) <= 1:
            yield from (call_guarded(work, item) for item in listed)
            return
        yield from self.pool.each(work, listed, label)


def _in_prefect(context: StageContext, stages: Sequence[str], verbose: bool) -> dict[str, Any]:
    from flows.workspace import configure_prefect

    url = context.settings.prefect.api_url
    if url and not os.environ.get("PREFECT_API_URL"):
        os.environ["PREFECT_API_URL"] = url  # before Prefect is imported, which reads it once
    if not verbose:  # a failed flow's traceback stays out of the terminal (and in Prefect's UI)
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_DEBUG_LEVEL", "CRITICAL")
    configure_prefect(context.workspace, verbose)
    from flows.run.prefect_flows import run_flow

    return run_flow(context, stages)
