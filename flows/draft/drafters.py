"""Which drafter the settings ask for: the extractive drafters (no network) or an LLM's.

Each record kind has its drafter: ``instruction`` records from
``flows/draft/extractive_instruction.py`` or ``flows/draft/llm_instruction.py``, ``agent``
trajectories from ``flows/draft/extractive_agent.py`` or ``flows/draft/llm_agent.py``.
"""

from __future__ import annotations

from flows.draft import extractive_instruction
from flows.draft.drafting import ByKind, Drafter
from flows.draft.extractive_agent import TrajectoryDrafter
from flows.draft.project_tests import command_runner
from flows.errors import ConfigError
from flows.settings import Settings, catalog_of
from warehouse.store import Warehouse


def choose_drafter(settings: Settings, warehouse: Warehouse, run_id: str, key: bytes) -> Drafter:
    """The drafter the settings ask for: extractive (no network) or an LLM endpoint."""
    if settings.draft.drafter == "llm":
        from flows.draft.llm_instruction import llm_drafter  # the LLM client loads with it

        return llm_drafter(settings, warehouse, run_id, key)
    if settings.draft.dry_run:
        raise ConfigError(
            "--dry-run counts the requests of the llm drafter: use it with --drafter llm"
        )
    return extractive_drafters(settings, key)


def extractive_drafters(settings: Settings, key: bytes) -> ByKind:
    """The extractive drafter of each record kind, from the settings and the workspace key alone
    (all a worker process has)."""
    agent = settings.agent
    runner = (
        command_runner(agent.test_command, agent.test_timeout_seconds)
        if agent.test_command
        else None
    )
    trajectories = TrajectoryDrafter(catalog_of(settings), key, runner)
    instructions = extractive_instruction.ExtractiveDrafter()
    return ByKind(
        extractive_instruction.DRAFTER, {"instruction": instructions, "agent": trajectories}
    )
