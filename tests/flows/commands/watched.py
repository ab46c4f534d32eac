"""Running the real ``goldmine`` in a fresh process, and seeing which modules it imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# The command, with a sentinel: at exit the process writes which heavy modules it imported.
_WATCHED = """
import atexit, json, sys
SENTINEL = sys.argv[1]
def _report():
    with open(SENTINEL, "w") as out:
        json.dump(sorted(m for m in sys.modules if "." not in m), out)
atexit.register(_report)
sys.argv = ["goldmine", *sys.argv[2:]]
from flows.commands.cli import main
main()
"""


def goldmine_watched(
    tmp_path: Path, *args: str | Path, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run goldmine in a fresh process; its result and the top-level modules it imported."""
    sentinel = tmp_path / "imported.json"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GOLDMINE_"))}
    done = subprocess.run(
        [sys.executable, "-c", _WATCHED, str(sentinel), *map(str, args)],
        cwd=tmp_path,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done, set(json.loads(sentinel.read_text()))
