"""How many requests an endpoint gets at once: grown on success, halved on 429 (as TCP does).

A local vLLM takes many requests in parallel; a rate-limited API wants few. Rather than asking the
user to guess, the limit starts low and doubles with each window of successful requests (slow
start) until the endpoint first says "too many requests"; from then on it halves on every 429 and
grows by about one per window (additive increase, multiplicative decrease). It never exceeds the
configured maximum. A ``Retry-After`` pauses every request to that endpoint, not only the one
that received it.

One limit is kept per endpoint for the whole process (:func:`limit_for`), so drafters that share
an endpoint share its limit. Waiting uses asyncio primitives bound to the running event loop; a
limit outlives loops (each ``asyncio.run``) and rebuilds its condition when the loop changes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

_LIMITS: dict[str, AdaptiveLimit] = {}


class AdaptiveLimit:
    """An additive-increase, multiplicative-decrease bound on requests in flight."""

    def __init__(self, maximum: int, start: int = 4) -> None:
        self.maximum = max(1, maximum)
        self.limit = float(min(self.maximum, max(1, start)))
        self.in_flight = 0
        self.peak = 0
        self.slow_start = True
        self.resume_at = 0.0
        self._condition: asyncio.Condition | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the endpoint's request slots for the duration of the block."""
        condition = self._bound_condition()
        async with condition:
            await condition.wait_for(lambda: self.in_flight < int(self.limit))
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            await self._wait_for_pause()
            yield
        finally:
            async with condition:
                self.in_flight -= 1
                condition.notify_all()

    def succeeded(self) -> None:
        """A request went through: double per window before the first 429, else grow by one per
        window."""
        step = 1.0 if self.slow_start else 1.0 / self.limit
        self.limit = min(float(self.maximum), self.limit + step)

    def throttled(self, retry_after: float | None = None) -> None:
        """The endpoint said 429: halve the limit, and pause every request for ``retry_after``
        seconds."""
        self.slow_start = False
        self.limit = max(1.0, self.limit / 2)
        if retry_after:
            self.resume_at = max(self.resume_at, time.monotonic() + retry_after)

    async def _wait_for_pause(self) -> None:
        while (delay := self.resume_at - time.monotonic()) > 0:
            await asyncio.sleep(delay)

    def _bound_condition(self) -> asyncio.Condition:
        loop = asyncio.get_running_loop()
        if self._condition is None or self._loop is not loop:
            self._condition, self._loop = asyncio.Condition(), loop
            self.in_flight = 0  # requests of a finished loop hold no slot
        return self._condition


def limit_for(endpoint: str, maximum: int) -> AdaptiveLimit:
    """The process-wide limit of one endpoint (its maximum follows the latest configuration)."""
    limit = _LIMITS.get(endpoint)
    if limit is None:
        limit = _LIMITS[endpoint] = AdaptiveLimit(maximum)
    elif limit.maximum != max(1, maximum):
        limit.maximum = max(1, maximum)
        limit.limit = min(limit.limit, float(limit.maximum))
    return limit
