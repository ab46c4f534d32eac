"""The ``goldmine-nightly`` flow that ``goldmine serve`` deploys on a schedule.

Each scheduled run reads the workspace's ``goldmine.toml`` afresh and runs the whole pipeline
(the ``goldmine`` flow of ``flows/run/prefect_flows.py``, as a subflow). Imported only after
:func:`flows.workspace.configure_prefect`.
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from flows.run.pipeline import pipeline_stages, run_stages
from flows.run.prefect_flows import artifact_key
from flows.workspace import Workspace


def run_nightly(workspace: str) -> dict[str, Any]:
    """A scheduled run of the whole pipeline over the workspace's configured sources.

    Reads ``goldmine.toml`` afresh each time; waits up to ``[nightly] wait_seconds`` for another
    goldmine command to release the workspace.
    """
    space = Workspace.at(workspace)
    settings = space.settings()
    run_id, counts = run_stages(
        space,
        settings,
        pipeline_stages(settings),
        command="nightly",
        use_prefect=True,
        wait=settings.nightly.wait_seconds,
    )
    return {"run_id": run_id, **counts}


# A flow wraps a function importable under its own name: Prefect's runner pickles it by reference.
nightly = flow(name="goldmine-nightly", validate_parameters=False)(run_nightly)


def deployment_name(workspace: Workspace) -> str:
    """``goldmine-nightly/<workspace folder>``: how Prefect names the served deployment."""
    return f"goldmine-nightly/{artifact_key(workspace).removeprefix('goldmine-')}"


def serve_nightly(workspace: Workspace, cron: str, timezone: str) -> None:
    """Register the nightly deployment of ``workspace`` and run its scheduled runs until interrupted
    (its schedule is paused when serving stops, so no run waits for a runner that is gone)."""
    from prefect.schedules import Cron

    nightly.serve(
        name=deployment_name(workspace).split("/", 1)[1],
        schedules=[Cron(cron, timezone=timezone)],
        parameters={"workspace": str(workspace.root)},
        description=f"goldmine: mine, draft, assay and export {workspace.root} (its "
        "goldmine.toml's sources)",
        pause_on_shutdown=True,
        print_starting_message=False,
        limit=1,
    )
