"""API throttling per user and per address (DRF's throttle interface).

Fixed one-minute windows counted in Redis: one round trip a request (INCR and EXPIRE of
the user's and the address's counters in one pipeline). DRF's own throttles keep a list
of every request's time per key, read and written whole on every request, which costs
more the higher the rate; a counter costs the same at any rate.

Limits: ``STAYWELL_API_RATE_USER`` requests a minute for one user (session or token) and
``STAYWELL_API_RATE_ADDRESS`` from one address (several users behind one office's
address). A refusal is DRF's 429 with ``Retry-After`` and a JSON ``detail``.
"""

from __future__ import annotations

import time
from functools import cache
from typing import Any

import redis
from django.conf import settings
from rest_framework.throttling import BaseThrottle

from staywell.signin import client_address

WINDOW = 60  # seconds


@cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


class UserAndAddressThrottle(BaseThrottle):
    """At most the user's and the address's rate of requests a minute."""

    def allow_request(self, request: Any, view: Any) -> bool:
        now = time.time()
        window = int(now // WINDOW)
        self.retry_after = WINDOW - int(now % WINDOW)
        address = client_address(request) or "unknown"
        keys = [(f"staywell:throttle:a:{address}:{window}", settings.STAYWELL_API_RATE_ADDRESS)]
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            keys.append(
                (f"staywell:throttle:u:{user.pk}:{window}", settings.STAYWELL_API_RATE_USER)
            )
        try:
            pipe = _redis(settings.REDIS_URL).pipeline(transaction=False)
            for key, _limit in keys:
                pipe.incr(key)
                pipe.expire(key, WINDOW * 2)
            counts = pipe.execute()[::2]
        except redis.RedisError:
            return True  # Redis down: serve (/healthz says so) rather than refuse everyone
        return all(count <= limit for count, (_key, limit) in zip(counts, keys, strict=True))

    def wait(self) -> float:
        return float(self.retry_after)
