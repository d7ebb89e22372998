"""Pure pieces of the runner: backoff, the rate limiter's spacing, cache keys, run ids."""

from __future__ import annotations

import random
import re

import pytest

from accord.records import Message
from accord.runner import backoff_delay, new_run_id
from accord.runner._cache import cache_key, params_for_key
from accord.runner._limiter import RateLimiter
from accord.targets import GenParams


def test_backoff_is_full_jitter_under_an_exponential_ceiling() -> None:
    rng = random.Random(1)
    for attempt in range(1, 8):
        ceiling = min(30.0, 0.5 * 2 ** (attempt - 1))
        draws = [backoff_delay(attempt, rng=rng) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in draws)
        assert max(draws) > 0.8 * ceiling  # spread across the whole range, not a fixed wait
        assert min(draws) < 0.2 * ceiling


def test_retry_after_is_a_floor() -> None:
    rng = random.Random(2)
    assert all(backoff_delay(1, retry_after_s=5.0, rng=rng) == 5.0 for _ in range(50))
    assert backoff_delay(1, base_s=0.0, retry_after_s=0.0, rng=rng) == 0.0
    with pytest.raises(ValueError):
        backoff_delay(0)


def test_limiter_spaces_requests_evenly() -> None:
    limiter = RateLimiter(rpm=120)  # one every 0.5 s
    waits = [limiter.reserve(now=10.0) for _ in range(4)]
    assert waits == [0.0, 0.5, 1.0, 1.5]
    assert limiter.reserve(now=100.0) == 0.0  # idle time is not banked as a burst
    assert limiter.reserve(now=100.1) == pytest.approx(0.4)


def test_cache_key_covers_digest_messages_params_and_epoch() -> None:
    msgs = [Message(role="user", content="hi")]
    params = params_for_key(GenParams())
    base = cache_key("t1", msgs, params, 0)
    assert re.fullmatch(r"[0-9a-f]{64}", base)
    assert cache_key("t1", list(msgs), dict(params), 0) == base
    assert cache_key("t2", msgs, params, 0) != base
    assert cache_key("t1", [Message(role="user", content="hi!")], params, 0) != base
    assert cache_key("t1", [Message(role="system", content="hi")], params, 0) != base
    assert cache_key("t1", msgs, params_for_key(GenParams(temperature=0.7)), 0) != base
    assert cache_key("t1", msgs, params, 1) != base
    # the time-out bounds waiting, not what the model says
    assert cache_key("t1", msgs, params_for_key(GenParams(timeout_s=5)), 0) == base


def test_run_ids_are_readable_and_distinct() -> None:
    ids = {new_run_id() for _ in range(50)}
    assert len(ids) > 40
    assert all(re.fullmatch(r"\d{8}-\d{6}-[a-z]+-[a-z]+", i) for i in ids)


def test_writes_use_a_few_fixed_statement_shapes() -> None:
    from accord.runner._writer import fixed_sizes

    shapes: set[int] = set()
    for n in range(0, 1200):
        rows = list(range(n))
        parts = list(fixed_sizes(rows, 200))
        assert [x for _, p in parts for x in p] == rows  # every row once, in order
        assert all(rows[off : off + len(p)] == p for off, p in parts)
        shapes |= {len(p) for _, p in parts}
    assert shapes == {200, 128, 64, 32, 16, 8, 4, 2, 1}


def test_adaptive_limit_halves_once_per_generation_and_grows_back() -> None:
    import asyncio

    from accord.runner._limiter import AdaptiveLimit

    async def scenario() -> None:
        lim = AdaptiveLimit(8)
        gens = [await lim.acquire() for _ in range(8)]
        assert lim.in_use == 8 and set(gens) == {0}
        for g in gens:  # a burst of time-outs from one over-full window: one halving
            lim.congestion(g)
            lim.release()
        assert (lim.limit, lim.decreases, lim.in_use) == (4, 1, 0)
        lim.congestion(lim.generation, cap=1)  # the measured throughput sustains 1
        assert lim.limit == 1 and lim.lowest == 1
        first = await lim.acquire()
        waiter = asyncio.ensure_future(lim.acquire())
        await asyncio.sleep(0)
        assert not waiter.done()  # the limit binds
        lim.release()
        await asyncio.sleep(0)
        assert waiter.done() and lim.in_use == 1
        lim.release()
        for _ in range(1 + 2 + 3):  # +1 per window of `limit` successes
            lim.success()
        assert lim.limit == 4
        for _ in range(100):
            lim.success()
        assert lim.limit == 8  # never above the ceiling
        assert first == 2

    asyncio.run(scenario())


def test_adaptive_limit_gives_back_a_slot_handed_to_a_cancelled_waiter() -> None:
    import asyncio

    from accord.runner._limiter import AdaptiveLimit

    async def scenario() -> None:
        lim = AdaptiveLimit(1)
        await lim.acquire()
        waiter = asyncio.ensure_future(lim.acquire())
        await asyncio.sleep(0)
        lim.release()  # hands the slot to the waiter...
        waiter.cancel()  # ...which is cancelled before it runs
        await asyncio.gather(waiter, return_exceptions=True)
        assert lim.in_use == 0
        await asyncio.wait_for(lim.acquire(), 1)

    asyncio.run(scenario())
