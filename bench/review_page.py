"""How fast the review page answers: drawing a sample, serving each record's page over real HTTP.

    uv run python bench/review_page.py --workspace W [--sample 100] [--rounds 3]

W is a workspace that `goldmine run` filled (it is copied first: the benchmark never touches its
reviews). The server is the real one (uvicorn on 127.0.0.1). Baseline, in the same run: the same
server answering for its static stylesheet, i.e. the floor of one HTTP round trip here, so the
ratio says what reading the warehouse and rendering a record costs on top of the transport.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import uvicorn

from flows.review.app import ReviewSession, create_app
from flows.review.server import bind_loopback
from flows.workspace import Workspace
from warehouse.review.sample import PoolItem, draw, draw_sample

RESULTS = Path(__file__).resolve().parent / "results"


def _timed_get(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url) as response:  # our own server on 127.0.0.1
        response.read()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--sample", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "ws"
        shutil.copytree(args.workspace, copy, ignore=shutil.ignore_patterns("export", ".prefect"))
        space = Workspace.at(copy)
        with space.open_warehouse() as warehouse:
            pool = warehouse.scalar("SELECT count(*) FROM candidates WHERE status = 'accepted'")
            started = time.perf_counter()
            sample = draw_sample(warehouse, size=args.sample, seed=1)
            draw_seconds = time.perf_counter() - started
            assert sample is not None, "the workspace has no accepted candidate"
            session = ReviewSession(warehouse, sample, "bench", space.key())
            pages, static = _serve_and_measure(session, len(sample.items), args.rounds)
    synthetic = [
        PoolItem(f"c{n:06d}", f"instruction/t{n % 12}/{'en' if n % 3 else 'zh'}", "accepted")
        for n in range(100_000)
    ]
    started = time.perf_counter()
    draw(synthetic, args.sample, seed=1)
    draw_100k_seconds = time.perf_counter() - started
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}",
        "pool": pool,
        "sample": len(sample.items),
        "draw_ms": round(1000 * draw_seconds, 1),
        "draw_from_100k_ms": round(1000 * draw_100k_seconds, 1),
        "page_ms_median": round(1000 * statistics.median(pages), 1),
        "page_ms_p95": round(1000 * statistics.quantiles(pages, n=20)[-1], 1),
        "static_ms_median": round(1000 * statistics.median(static), 2),
        "ratio_page_to_static": round(statistics.median(pages) / statistics.median(static), 1),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "review_page.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


def _serve_and_measure(
    session: ReviewSession, size: int, rounds: int
) -> tuple[list[float], list[float]]:
    listener = bind_loopback(0)
    server = uvicorn.Server(
        uvicorn.Config(create_app(session), log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        pages = [
            _timed_get(f"{base}{session.base}/item/{n}")
            for _ in range(rounds)
            for n in range(1, size + 1)
        ]
        static = [_timed_get(f"{base}/static/review.css") for _ in range(rounds * size)]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
    return pages, static


if __name__ == "__main__":
    main()
