"""A large synthetic git history, built in seconds with ``git fast-import``.

Each commit changes one function in one or two of a few hundred Python modules (and now and then
adds a function), so every commit has a diff and changed symbols, like a real project's. The same
arguments always give the same history. Branches ``h<N>`` mark the first N commits, so one build
serves several history sizes.

    uv run python bench/synthetic_history.py /tmp/synthetic 50000 5000 20000
"""

from __future__ import annotations

import random
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import IO

MODULES = 300
START = 1_600_000_000  # a fixed epoch: the same history, the same hashes


def _render(functions: list[tuple[str, int]]) -> bytes:
    lines = [
        '"""A synthetic module."""',
        "import logging",
        "",
        "logger = logging.getLogger(__name__)",
        "",
    ]
    for name, constant in functions:
        lines += [
            "",
            f"def {name}(value):",
            f'    """Scale value ({name})."""',
            "    if value is None:",
            f'        logger.warning("{name}: no value")',
            "        return 0",
            f"    return value * {constant}",
        ]
    return ("\n".join(lines) + "\n").encode()


def _data(out: IO[bytes], payload: bytes) -> None:
    out.write(b"data %d\n" % len(payload))
    out.write(payload)
    out.write(b"\n")


def write_stream(out: IO[bytes], commits: int, marks: Iterable[int], seed: int = 3) -> None:
    """Write a fast-import stream of ``commits`` commits on main, with a branch h<N> per mark."""
    rng = random.Random(seed)
    modules = {
        f"pkg/mod_{n:03d}.py": [(f"f{n}_{k}", k + 1) for k in range(6)] for n in range(MODULES)
    }
    wanted = set(marks)
    for number in range(1, commits + 1):
        changed = (
            modules
            if number == 1
            else {p: modules[p] for p in rng.sample(sorted(modules), rng.randint(1, 2))}
        )
        for functions in changed.values():
            at = rng.randrange(len(functions))
            functions[at] = (functions[at][0], rng.randint(2, 999))
            if rng.random() < 0.05:
                functions.append((f"g{number}", number))
        when = START + number * 60
        out.write(b"commit refs/heads/main\nmark :%d\n" % number)
        out.write(b"author Synthetic Dev <dev@synthetic.example> %d +0000\n" % when)
        out.write(b"committer Synthetic Dev <dev@synthetic.example> %d +0000\n" % when)
        _data(out, f"Change {', '.join(sorted(changed))[:60]} ({number})\n".encode())
        if number > 1:
            out.write(b"from :%d\n" % (number - 1))
        for path, functions in changed.items():
            out.write(f"M 100644 inline {path}\n".encode())
            _data(out, _render(functions))
        out.write(b"\n")
        if number in wanted:
            out.write(b"reset refs/heads/h%d\nfrom :%d\n\n" % (number, number))


def build(target: Path, commits: int, marks: Iterable[int] = ()) -> Path:
    """Create ``target`` (a bare repository) holding the synthetic history; return it."""
    subprocess.run(["git", "init", "-q", "--bare", str(target)], check=True)
    process = subprocess.Popen(
        ["git", "--git-dir", str(target), "fast-import", "--quiet"], stdin=subprocess.PIPE
    )
    assert process.stdin is not None
    write_stream(process.stdin, commits, marks)
    process.stdin.close()
    if process.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(
        ["git", "--git-dir", str(target), "symbolic-ref", "HEAD", "refs/heads/main"], check=True
    )
    return target


if __name__ == "__main__":
    build(Path(sys.argv[1]), int(sys.argv[2]), [int(n) for n in sys.argv[3:]])
