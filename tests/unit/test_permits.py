"""The cluster-wide permit bank and a worker's client of it, without Ray: the limits hold,
a dead holder's permits come back, and a busy worker reuses permits instead of asking."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from accord.errors import InputError
from accord.pipeline._executor import parse_executor
from accord.pipeline._permits import PermitBank, RemotePermits


def test_concurrency_is_never_exceeded_and_every_waiter_is_served() -> None:
    async def go() -> tuple[int, int]:
        bank = PermitBank(3)
        busy = peak = 0

        async def one() -> None:
            nonlocal busy, peak
            permit, _ = await bank.acquire()
            busy += 1
            peak = max(peak, busy)
            await asyncio.sleep(0.002)
            busy -= 1
            bank.release(permit)

        await asyncio.wait_for(asyncio.gather(*(one() for _ in range(200))), timeout=10)
        return peak, bank.granted

    peak, granted = asyncio.run(go())
    assert peak == 3 and granted == 200


def test_rpm_spaces_grants_evenly() -> None:
    async def go() -> list[float]:
        bank = PermitBank(100, rpm=600)  # one every 0.1 s
        delays = []
        for _ in range(5):
            permit, delay = await bank.acquire()
            delays.append(delay)
            bank.release(permit)
        return delays

    delays = asyncio.run(go())
    assert delays[0] == pytest.approx(0.0, abs=0.01)
    assert [round(b - a, 2) for a, b in zip(delays, delays[1:])] == [0.1] * 4


def test_a_dead_holder_s_permits_expire() -> None:
    async def go() -> float:
        bank = PermitBank(2, hold_s=0.2)
        await bank.acquire()
        await bank.acquire()  # both held by a "worker" that never returns them
        started = time.monotonic()
        await asyncio.wait_for(bank.acquire(), timeout=5)
        assert bank.expired >= 1
        return time.monotonic() - started

    waited = asyncio.run(go())
    assert 0.1 < waited < 2


class _Ref:
    def __init__(self, coro: Any) -> None:
        self.coro = coro

    def __await__(self) -> Any:
        return self.coro.__await__()


class _Method:
    def __init__(self, fn: Any, calls: list[str], name: str) -> None:
        self.fn, self.calls, self.name = fn, calls, name

    def remote(self, *args: Any) -> Any:
        self.calls.append(self.name)
        result = self.fn(*args)
        return _Ref(result) if asyncio.iscoroutine(result) else result


class FakeHandle:
    """A ``PermitBank`` behind ``.method.remote(...)``, as a Ray actor handle is called."""

    def __init__(self, bank: PermitBank) -> None:
        self.calls: list[str] = []
        self.acquire = _Method(bank.acquire, self.calls, "acquire")
        self.acquire_many = _Method(bank.acquire_many, self.calls, "acquire_many")
        self.release = _Method(bank.release, self.calls, "release")
        self.share = _Method(bank.share, self.calls, "share")


def test_two_workers_share_the_limit_and_a_busy_worker_rarely_asks() -> None:
    async def go() -> tuple[int, PermitBank, list[RemotePermits], FakeHandle]:
        bank = PermitBank(4)
        handle = FakeHandle(bank)
        gates = [RemotePermits(handle), RemotePermits(handle)]
        busy = peak = 0

        async def one(gate: RemotePermits) -> None:
            nonlocal busy, peak
            permit = await gate.acquire()
            busy += 1
            peak = max(peak, busy)
            await asyncio.sleep(0.001)
            busy -= 1
            gate.release(permit)

        await asyncio.wait_for(asyncio.gather(*(one(gates[i % 2]) for i in range(400))), timeout=20)
        return peak, bank, gates, handle

    peak, bank, gates, handle = asyncio.run(go())
    assert peak <= 4
    assert all(g.held == 0 for g in gates)
    assert bank.stats()["held"] == 0  # every permit went back: none kept idle
    asks = handle.calls.count("acquire_many")
    assert asks < 100, f"{asks} round trips for 400 requests: permits were not reused"


def test_executor_strings() -> None:
    assert parse_executor(None).kind == "local" and not parse_executor("local").is_ray
    assert parse_executor("ray").is_ray and parse_executor("ray").address is None
    assert parse_executor("ray:10.0.0.1:6379").address == "10.0.0.1:6379"
    assert parse_executor("ray:ray://head:10001").address == "ray://head:10001"
    for bad in ("dask", "ray:", "Ray"):
        with pytest.raises(InputError):
            parse_executor(bad)


def test_a_permit_past_its_keep_time_goes_back_to_the_bank() -> None:
    """The bank takes a permit back ``hold_s`` after granting it, so a worker must not hand an
    old one on to a new request (that request could outlive it and break the cap)."""

    async def go(max_keep_s: float) -> int:
        bank = PermitBank(1)
        handle = FakeHandle(bank)
        gate = RemotePermits(handle, max_keep_s=max_keep_s)

        async def one() -> None:
            permit = await gate.acquire()
            await asyncio.sleep(0.001)
            gate.release(permit)

        await asyncio.wait_for(asyncio.gather(*(one() for _ in range(20))), timeout=10)
        return handle.calls.count("acquire_many")

    assert asyncio.run(go(60.0)) <= 2  # one grant handed on (and one ask left pending till the end)
    assert asyncio.run(go(0.0)) >= 19  # every request asked the bank


class _GoneMethod:
    """``.remote(...)`` of an actor that died for good: every call fails."""

    def __init__(self, calls: list[str]) -> None:
        self.calls = calls

    async def remote(self, *args: Any) -> Any:
        self.calls.append("gone")
        raise RuntimeError("actor died")


def test_a_bank_gone_for_good_fails_the_waiters_in_bounded_time() -> None:
    """A bank that never answers again (its driver exited) fails the waiting requests after
    ``give_up_s`` instead of leaving the worker asking for ever."""

    async def go() -> tuple[float, list[BaseException | int]]:
        bank = PermitBank(2)
        handle = FakeHandle(bank)
        calls: list[str] = []
        handle.acquire_many = _GoneMethod(calls)  # type: ignore[assignment]
        gate = RemotePermits(handle, poll_s=0.01, give_up_s=0.3)
        started = time.monotonic()
        got = await asyncio.wait_for(asyncio.gather(gate.acquire(), gate.acquire(), return_exceptions=True), timeout=10)
        assert len(calls) > 3  # it did retry while the bank might have been restarting
        return time.monotonic() - started, list(got)

    took, got = asyncio.run(go())
    assert 0.3 <= took < 5
    assert all(isinstance(g, Exception) and "permit bank has not answered" in str(g) for g in got), got
