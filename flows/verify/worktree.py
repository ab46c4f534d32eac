"""A detached git worktree of the user's repository in a temporary folder, for running tests.

The user's checkout is never touched: the worktree lives outside it, moves between commits with
``reset --hard`` and ``checkout --force``, and is removed (and pruned from the repository's
worktree list) when the work is done. Untracked files the setup makes there (a ``.venv``) stay
across commits.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

from miners.commit_kinds import is_test_path
from miners.errors import GitCommandFailed


class Worktree:
    """A worktree of ``repository`` at ``sha``, removed on exit."""

    def __init__(self, repository: str, sha: str) -> None:
        self.repository = repository
        self._folder = Path(tempfile.mkdtemp(prefix="goldmine-verify-"))
        self.root = self._folder / "tree"
        try:
            self._repo_git("worktree", "add", "--detach", "--quiet", str(self.root), sha)
        except BaseException:
            shutil.rmtree(self._folder, ignore_errors=True)
            raise

    def __enter__(self) -> Worktree:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.remove()

    def remove(self) -> None:
        """Delete the worktree and forget it in the repository."""
        subprocess.run(
            ["git", "-C", self.repository, "worktree", "remove", "--force", str(self.root)],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self._folder, ignore_errors=True)
        subprocess.run(
            ["git", "-C", self.repository, "worktree", "prune"], capture_output=True, check=False
        )

    def checkout(self, sha: str) -> None:
        """The tree exactly as at ``sha`` (files written by :meth:`apply_tests` are gone)."""
        self._git("reset", "--quiet", "--hard")
        self._git("checkout", "--quiet", "--force", "--detach", sha)

    def apply_tests(self, parent: str, sha: str) -> list[str]:
        """At ``parent``: write the test files as ``sha`` has them (a file the commit deleted is
        removed); return their paths."""
        listed = self._git("diff", "--no-renames", "--name-status", "-z", parent, sha)
        fields = listed.split("\0")
        changed = [(fields[n], fields[n + 1]) for n in range(0, len(fields) - 1, 2)]
        tests = [(status, path) for status, path in changed if is_test_path(path)]
        kept = [path for status, path in tests if status != "D"]
        gone = [path for status, path in tests if status == "D"]
        if kept:
            self._git("checkout", "--quiet", sha, "--", *kept)
        if gone:
            self._git("rm", "--quiet", "--force", "--ignore-unmatch", "--", *gone)
        return [path for _, path in tests]

    def _git(self, *args: str) -> str:
        return _git_output(["git", "-C", str(self.root), *args])

    def _repo_git(self, *args: str) -> str:
        return _git_output(["git", "-C", self.repository, *args])


def _git_output(arguments: list[str]) -> str:
    done = subprocess.run(arguments, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise GitCommandFailed(" ".join(arguments[1:5]), done.stderr)
    return done.stdout
