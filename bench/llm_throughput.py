"""LLM client throughput: requests per second versus concurrency, on a fixed-latency local server.

    uv run python bench/llm_throughput.py [--latency 0.2] [--requests 200] \
        [--concurrency 1,2,4,8,16,32]

Each row sends the same number of distinct requests through goldmine's ChatClient (the real
openai client, the adaptive limit, redaction, and one ``llm_calls`` row per call in a fresh
DuckDB file) to the scripted loopback server of the tests, which answers every request after a
fixed delay. The baseline, run side by side, is concurrency 1; "of ideal" compares with
concurrency / latency, what a client with no overhead would reach. The adaptive limit starts at
4 and doubles per window of successes up to the configured maximum, so the ramp-up is included.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flows.llm.client import Budget, ChatClient, ChatRequest, Endpoint  # noqa: E402
from flows.settings import LLMConfig  # noqa: E402
from tests.llm_server import FakeLLMServer, Reply  # noqa: E402
from warehouse.record_drafts import draft_json_schema  # noqa: E402
from warehouse.store import Warehouse  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def measure(concurrency: int, requests: int, latency: float, folder: Path) -> tuple[float, int]:
    """Seconds to get ``requests`` replies at ``concurrency``, and the most requests the server
    saw at once."""
    with (
        FakeLLMServer(lambda body, n: Reply(content="{}", delay=latency), "bench-model") as server,
        Warehouse(folder / f"c{concurrency}.duckdb") as warehouse,
    ):
        settings = LLMConfig(max_concurrency=concurrency, timeout_seconds=60)
        endpoint = Endpoint(server.url, "bench-model", "EMPTY", settings)
        client = ChatClient(endpoint, warehouse, "bench", b"k" * 32, Budget(0, endpoint))
        schema = draft_json_schema("instruction")

        asks = [
            ChatRequest(({"role": "user", "content": f"ask {n}"},), "record", schema)
            for n in range(requests)
        ]

        async def send_all() -> float:
            # opening the HTTP client is not timed: it happens once per run
            async with client.session():
                started = time.perf_counter()
                await asyncio.gather(*(client.chat(ask) for ask in asks))
                return time.perf_counter() - started

        elapsed = asyncio.run(send_all())
        assert client.sent == requests and warehouse.count("llm_calls") == requests
        return elapsed, server.peak_in_flight


def main() -> None:
    """Run every concurrency level, print the table and write it to bench/results/."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--latency", type=float, default=0.2, help="server delay per request, seconds"
    )
    parser.add_argument("--requests", type=int, default=200, help="requests per concurrency level")
    parser.add_argument("--concurrency", default="1,2,4,8,16,32", help="comma-separated levels")
    args = parser.parse_args()
    levels = [int(level) for level in args.concurrency.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for level in levels:
            # the baseline is slow
            requests = args.requests if level > 1 else max(10, args.requests // 4)
            elapsed, peak = measure(level, requests, args.latency, Path(folder))
            rows.append((level, requests, elapsed, requests / elapsed, peak))
            print(
                f"concurrency {level:>3}: {requests / elapsed:7.1f} req/s (peak {peak} in flight)",
                file=sys.stderr,
            )
    baseline = rows[0][3]
    lines = [
        f"{datetime.now(UTC):%Y-%m-%d} · {platform.node()} · "
        f"{platform.processor() or platform.machine()} · "
        f"Python {platform.python_version()} · server latency {args.latency * 1000:.0f} ms",
        "",
        "| max concurrency | requests | seconds | requests/s | × concurrency 1 | of ideal | peak "
        "in flight |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for level, requests, elapsed, rate, peak in rows:
        ideal = level / args.latency
        lines.append(
            f"| {level} | {requests} | {elapsed:.2f} | {rate:.1f} | {rate / baseline:.1f}× | "
            f"{rate / ideal:.0%} | {peak} |"
        )
    table = "\n".join(lines)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "llm_throughput.md").write_text(table + "\n", encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
