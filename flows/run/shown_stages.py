"""One stage run with its line on the terminal: the stage's name and elapsed time while it runs
longer than a second, its counted work (``flows/progress.py``) beneath. The in-process run and the
Prefect flow both run their stages through it."""

from __future__ import annotations

from typing import Any

from flows.progress import progress_bar
from flows.run.stages import STAGES, StageContext


def run_stage_shown(name: str, context: StageContext) -> dict[str, Any]:
    """Run the stage ``name`` (``flows/run/stages.py``), shown while it runs."""
    with progress_bar(name, None):
        return STAGES[name](context)
