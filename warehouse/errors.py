"""Errors raised by the warehouse (drawn with the rest in ``flows/errors.py``)."""

from __future__ import annotations

from miners.errors import GoldmineError


class WarehouseError(GoldmineError):
    """Raised when the DuckDB warehouse cannot be opened or queried as asked."""


class WarehouseBusy(WarehouseError):
    """Raised when another process holds the warehouse file (DuckDB allows one writer)."""

    def __init__(self, path: str, detail: str) -> None:
        holder = detail.split("Conflicting lock is held in", 1)[-1].split(". See", 1)[0].strip()
        super().__init__(
            f"{path} is in use by another process ({holder}); wait for that goldmine run to "
            "finish, or use a different --workspace"
        )


class QueryFailed(WarehouseError):
    """Raised when a user's SQL query fails; the message is DuckDB's own first line."""


class EvalSetError(WarehouseError):
    """Raised when the eval set given for contamination checks is missing or is not JSON Lines."""


class NothingToReview(GoldmineError):
    """Raised when a review is asked for but the warehouse holds no assayed candidate to draw
    from."""


class InvalidVerdict(GoldmineError):
    """Raised when a verdict cannot be stored as given (no reason for a rejection, an edit that
    is not a record)."""


class SeedFolderError(GoldmineError):
    """Raised when a seeds folder is missing or holds invalid records or tools."""
