"""Every error goldmine reports to its user, in one tree.

Each is printed as one line (``error: …``) naming the problem and what to do, and the command
exits with status 1. Anything else that escapes is a bug and shows a traceback. The sources'
errors are defined in ``miners/errors.py``, the warehouse's in ``warehouse/errors.py``, the
application's here: importing this module loads no stage.

::

    GoldmineError                 (miners/errors.py)
    ├── SourceError               a source cannot be read as asked
    │   ├── NotAGitRepository     a --repo path is not inside a git repository
    │   ├── EmptyRepository       the repository has no commits
    │   ├── GitCommandFailed      git exited non-zero while reading history
    │   ├── RepositoryMoved       a repository mined before is not where it was
    │   ├── MiningWorkerFailed    a process mining part of a large history failed
    │   ├── TicketExportError     a ticket export is missing, malformed or of unknown shape
    │   └── FeedbackFileError     a failures file is missing or not UTF-8
    │                             (a bad line is reported with its number; the rest is kept)
    ├── WarehouseError            (warehouse/errors.py) the DuckDB file cannot be used
    │   ├── WarehouseBusy         another process holds the warehouse
    │   │   └── WorkspaceBusy     another goldmine command holds the workspace (named: pid,
    │   │                         command, since when) and --wait ran out
    │   ├── QueryFailed           a user's SQL failed (DuckDB's message)
    │   └── EvalSetError          [assay] eval_set is missing or not JSON Lines
    ├── TokenizerError            (warehouse/export/tokens.py) [export] tokenizer is missing or
    │                             not a tokenizer goldmine can read
    ├── SeedFolderError           a seeds folder is missing or invalid
    ├── LLMEndpointError          the LLM endpoint is unreachable, refuses the key or lacks the
    │                             model
    ├── NothingToReview           no assayed candidate to sample
    ├── InvalidVerdict            a review verdict cannot be stored as given; the page shows it,
    │                             nothing is stored
    ├── WorkFailed                a unit of mining or drafting failed in a worker process; the
    │                             message is the worker's own error
    ├── PrefectServerError        the Prefect server goldmine starts or is pointed at cannot be
    │                             used (schedules need one; ephemeral mode cannot run them)
    └── ConfigError               goldmine.toml or a command-line value is invalid
"""

from __future__ import annotations

from miners.errors import (
    EmptyRepository,
    FeedbackFileError,
    GitCommandFailed,
    GoldmineError,
    MiningWorkerFailed,
    NotAGitRepository,
    RepositoryMoved,
    SourceError,
    TicketExportError,
)
from warehouse.errors import (
    EvalSetError,
    InvalidVerdict,
    NothingToReview,
    QueryFailed,
    SeedFolderError,
    WarehouseBusy,
    WarehouseError,
)


class ConfigError(GoldmineError):
    """Raised when ``goldmine.toml`` or a command-line value is invalid or missing."""


class LLMEndpointError(GoldmineError):
    """Raised when the configured LLM endpoint cannot be used at all (every request would fail)."""


class PrefectServerError(GoldmineError):
    """Raised when a Prefect server is needed (schedules, Dask workers) and none can be used."""


class WorkFailed(GoldmineError):
    """Raised when a unit of work failed in a worker; the message is the worker's own one-line
    error.

    goldmine's errors do not all survive pickling (their constructors take other arguments), so a
    worker hands back this one instead, with the same words.
    """


class WorkspaceBusy(WarehouseBusy):
    """Raised when another goldmine process holds the workspace (a run, a review) and waiting is
    not asked for or ran out; the message names the holder."""

    def __init__(
        self, message: str
    ) -> None:  # WarehouseBusy parses DuckDB's text; this one is ours
        Exception.__init__(self, message)


__all__ = [
    "ConfigError",
    "EmptyRepository",
    "EvalSetError",
    "FeedbackFileError",
    "GitCommandFailed",
    "GoldmineError",
    "InvalidVerdict",
    "LLMEndpointError",
    "MiningWorkerFailed",
    "NotAGitRepository",
    "NothingToReview",
    "PrefectServerError",
    "QueryFailed",
    "RepositoryMoved",
    "SeedFolderError",
    "SourceError",
    "TicketExportError",
    "WarehouseBusy",
    "WarehouseError",
    "WorkFailed",
    "WorkspaceBusy",
]
