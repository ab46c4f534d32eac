"""Errors raised while reading a user's sources.

Every goldmine error derives from :class:`GoldmineError`; its message is one sentence that names
the problem and says what to do. The whole tree is drawn in ``flows/errors.py``.
"""

from __future__ import annotations


class GoldmineError(Exception):
    """Base of every error goldmine reports to the user as one line (exit status 1)."""


class SourceError(GoldmineError):
    """Raised when a source (repository, ticket export) cannot be read as asked."""


class NotAGitRepository(SourceError):
    """Raised when a path given as a repository is not inside a git work tree or bare repository."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"{path} is not a git repository: pass the path of a git clone (or a folder inside one)"
        )


class EmptyRepository(SourceError):
    """Raised when a repository has no commits yet, so there is no history to mine."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"{path} is an empty git repository (no commits yet): commit something, or point "
            "goldmine at a repository with history"
        )


class RepositoryMoved(SourceError):
    """Raised when a repository mined before is no longer where the workspace found it."""

    def __init__(self, git_dir: str) -> None:
        super().__init__(
            f"no git repository at {git_dir} any more: move it back, or mine it again from its "
            "new place with --repo"
        )


class GitCommandFailed(SourceError):
    """Raised when a git subprocess exits non-zero while goldmine reads history."""

    def __init__(self, command: str, detail: str) -> None:
        detail = detail.strip().splitlines()[-1] if detail.strip() else "no message"
        super().__init__(
            f"git failed ({command}): {detail}; check that git works in that repository"
        )


class TicketExportError(SourceError):
    """Raised when a ticket export cannot be read at all (missing, unknown shape, not parseable)."""


class MiningWorkerFailed(SourceError):
    """Raised when a process mining part of a large history fails; the message is its own error."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"a mining process failed: {detail}")


class FeedbackFileError(SourceError):
    """Raised when a feedback file cannot be read at all (missing, a folder, not UTF-8)."""
