"""The intake service's guards against too much at once: token-bucket rate limits per address and per unit, and a
budget of request bytes held in memory."""

from __future__ import annotations

import time
from dataclasses import dataclass

# How long a client may go at its full rate before the bucket is empty: a district's outbox sending its backlog,
# or a bench of concurrent clients, passes; a flood is cut after a few seconds.
BURST_SECONDS = 5
MAX_KEYS = 10_000


@dataclass
class _Bucket:
    tokens: float
    last: float


class RateLimiter:
    """At most ``rate`` requests a second per key on average, in bursts of up to ``rate × BURST_SECONDS``.

    ``rate`` 0 means no limit. Per process: with several workers each keeps its own count.
    """

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate * BURST_SECONDS)
        self._buckets: dict[str, _Bucket] = {}

    def allow(self, key: str) -> float:
        """0 if a request by ``key`` may go now (and count it), else the seconds until it may."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_KEYS:
                self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(self.capacity, now)
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.last) * self.rate)
        bucket.last = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        """Drop the keys whose bucket has filled up again (they are as good as new), or all if none has."""
        full = [k for k, b in self._buckets.items() if b.tokens + (now - b.last) * self.rate >= self.capacity]
        for key in full or list(self._buckets):
            del self._buckets[key]


class ByteBudget:
    """Request bodies held in memory at once, in bytes: a request that would exceed it is turned away (503)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def take(self, amount: int) -> bool:
        if self.used + amount > self.limit:
            return False
        self.used += amount
        return True

    def give(self, amount: int) -> None:
        self.used = max(0, self.used - amount)
