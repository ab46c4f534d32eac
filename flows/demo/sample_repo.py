"""Build a real git repository from a history script (TOML), with fixed dates and identities.

The demo uses it when goldmine's own checkout has too little history, and the tests use it to
build the repositories they mine. A script is a list of ``[[commit]]`` tables::

    [[commit]]
    date = "2024-03-04T10:00:00+01:00"
    author = "Ana Lima <ana@example.com>"
    message = '''Fix rounding of totals (fixes #3)'''
    delete = ["old.py"]                 # optional
    [commit.files]
    "src/app.py" = '''...full new content...'''

Optional keys: ``branch`` (commit on this branch, created from the current one), ``checkout``
(switch to a branch first), ``merge`` (merge that branch with ``--no-ff``; ``message`` is used),
``tag`` (tag the commit). Same script, same dates → the same commit hashes on every machine.
"""

from __future__ import annotations

import os
import subprocess
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

DEMO_HISTORY = Path(__file__).parent / "fixtures" / "history.toml"
DEMO_TICKETS = Path(__file__).parent / "fixtures" / "tickets.json"
# The support desk's export: resolved questions and incidents that no commit fixed.
DEMO_SUPPORT_TICKETS = Path(__file__).parent / "fixtures" / "support_tickets.json"
_DEFAULT_AUTHOR = "Goldmine Tests <tests@example.com>"


def load_script(path: Path) -> list[dict[str, Any]]:
    """The ``[[commit]]`` tables of a history script."""
    with path.open("rb") as handle:
        return list(tomllib.load(handle).get("commit", []))


def build_repository(
    target: Path, commits: Sequence[Mapping[str, Any]], *, branch: str = "main"
) -> Path:
    """Create ``target`` as a git repository holding ``commits``; return its path."""
    target.mkdir(parents=True, exist_ok=True)
    _git(target, {}, "init", "-q", "-b", branch)
    for commit in commits:
        _apply(target, commit)
    return target


def _apply(root: Path, commit: Mapping[str, Any]) -> None:
    env = _identity(commit)
    if "checkout" in commit:
        _git(root, env, "checkout", "-q", commit["checkout"])
    if "branch" in commit:
        _git(root, env, "checkout", "-q", "-b", commit["branch"])
    if "merge" in commit:
        _git(root, env, "merge", "-q", "--no-ff", "-m", commit["message"], commit["merge"])
    else:
        _write_files(
            root, commit.get("files", {}), commit.get("binary", {}), commit.get("delete", [])
        )
        _git(root, env, "add", "-A")
        _git(root, env, "commit", "-q", "--allow-empty", "-F", "-", stdin=commit["message"])
    if "tag" in commit:
        _git(root, env, "tag", commit["tag"])


def _write_files(
    root: Path, files: Mapping[str, str], binary: Mapping[str, str], delete: Sequence[str]
) -> None:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    for relative, hex_content in binary.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(bytes.fromhex(hex_content))
    for relative in delete:
        (root / relative).unlink()


def _identity(commit: Mapping[str, Any]) -> dict[str, str]:
    name, _, email = str(commit.get("author", _DEFAULT_AUTHOR)).partition(" <")
    date = str(commit.get("date", "2024-01-01T12:00:00+00:00"))
    return {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email.rstrip(">"),
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email.rstrip(">"),
        "GIT_COMMITTER_DATE": date,
    }


def _git(root: Path, env: Mapping[str, str], *args: str, stdin: str | None = None) -> None:
    isolated = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "x",
        "GIT_AUTHOR_EMAIL": "x@example.com",
        "GIT_COMMITTER_NAME": "x",
        "GIT_COMMITTER_EMAIL": "x@example.com",
        **env,
    }
    subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "core.autocrlf=false", *args],
        cwd=root,
        env=isolated,
        input=stdin.encode("utf-8") if stdin is not None else None,
        check=True,
        capture_output=True,
    )
