"""The runner drives attack variants: transforms while feeding, rewrites and strategies as
per-unit coroutines whose every call goes through the engine (retries, counting, trace).

Toy attacks registered through the ``accord_attacks`` hook keep these tests about the runner,
not about any built-in attack (those have their own tests under tests/unit/attacks).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, ConfigDict, Field

from accord import plugins
from accord.attacks import AttackContext, AttackFailed, Rewrite, Strategy, StrategyResult, Transform, plan_attacks
from accord.errors import InputError
from accord.records import AttackJudge, ErrorKind, Item, JudgeScore, Message, variant_id
from accord.runner import EngineConfig, ItemsSource, RunPlan, execute, scan_suites
from accord.store import Store
from accord.targets import Completion, GenParams, RequestContext, TargetError, TargetSpec
from tests.unit.runner._helpers import ScriptedTarget, make_items


class UpperParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    times: int = Field(default=1, ge=1, description="how many copies")


class Upper(Transform):
    name: ClassVar[str] = "toy-upper"
    summary: ClassVar[str] = "upper-case the request"
    Params = UpperParams
    primary: ClassVar[str | None] = "times"

    def apply(self, text: str, params: dict[str, Any], item: Item) -> str:
        if "boom" in text:
            raise ValueError("cannot upper-case this")
        return " ".join([text.upper()] * params["times"])


class Reverse(Rewrite):
    name: ClassVar[str] = "toy-reverse"
    summary: ClassVar[str] = "the attacker reverses the request"
    needs = frozenset({"attacker"})

    async def rewrite(self, text: str, params: dict[str, Any], ctx: AttackContext) -> str:
        reply = await ctx.send("attacker", [Message(role="user", content=text)])
        if not reply.text:
            raise AttackFailed("attacker returned nothing")
        return reply.text


class Nag(Strategy):
    name: ClassVar[str] = "toy-nag"
    summary: ClassVar[str] = "ask again until the judge says yes, at most three turns"
    needs = frozenset({"judge"})

    async def run(self, objective: str, params: dict[str, Any], ctx: AttackContext) -> StrategyResult:
        history: list[Message] = []
        completion = None
        for turn in range(3):
            history.append(Message(role="user", content=f"{objective} (please x{turn})"))
            completion = await ctx.send("target", history)
            history.append(Message(role="assistant", content=completion.text or ""))
            score = await ctx.rate(objective, completion.text or "")
            if score.success:
                ctx.trace.stop = "success"
                break
        else:
            ctx.trace.stop = "budget"
        assert completion is not None
        ctx.trace.turns = turn + 1
        return StrategyResult(tuple(history[:-1]), completion, ctx.trace.stop == "success")


class Toys:
    @plugins.hookimpl
    def accord_attacks(self) -> list[plugins.AttackRegistration]:
        return [plugins.AttackRegistration(c.name, c, c.summary) for c in (Upper, Reverse, Nag)]


@pytest.fixture(autouse=True)
def toys() -> Iterator[None]:
    import accord.attacks  # noqa: F401 - declares the built-ins first

    plugins.register(Toys(), "toys")
    yield
    plugins.unregister("toys")


class Echo:
    """A helper target answering the reversed request (``attacker``), or failing on cue."""

    def __init__(self, *, fail: bool = False, empty: bool = False) -> None:
        self.spec = TargetSpec(provider="scripted", model="attacker", raw="scripted:attacker")
        self.fail = fail
        self.empty = empty
        self.calls = 0

    async def generate(self, messages: list[Message], params: GenParams, *, context: RequestContext | None = None) -> Completion:
        self.calls += 1
        if self.fail:
            raise TargetError(ErrorKind.server_error, "attacker down", retryable=True)
        return Completion(text="" if self.empty else messages[-1].content[::-1])

    def digest(self) -> str:
        return "scripted:attacker"

    async def aclose(self) -> None:
        pass


class ThirdTimeJudge:
    """Says yes once the reply mentions 'x2' (the third turn of ``toy-nag``)."""

    judge_id = "third-time"

    async def rate(self, objective: str, response: str) -> JudgeScore:
        return JudgeScore(1.0, True) if "x2" in response else JudgeScore(0.0, False)


def _run(tmp_path: Any, target: Any, attacks: list[str], *, helpers: dict[str, Any] | None = None, judge: AttackJudge | None = None, n: int = 3, run_id: str = "r1") -> Any:
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    sources = [ItemsSource("s", make_items(n))]
    plan = RunPlan(
        target=target,
        sources=sources,
        suites=scan_suites(sources),
        config=EngineConfig(concurrency=4, backoff_base_s=0.0, backoff_cap_s=0.0, max_retries=1),
        run_id=run_id,
        attacks=plan_attacks(attacks),
        helpers=helpers or {},
        attack_judge=judge,
    )
    summary = execute(store, plan)
    return store, summary


def test_transform_variants_are_sent_beside_the_plain_item(tmp_path: Any) -> None:
    target = ScriptedTarget()
    store, summary = _run(tmp_path, target, ["toy-upper", "toy-upper:2"])
    assert summary.variants == 2 and summary.expected == 9 and summary.responses == 9 and summary.complete
    vid1, vid2 = variant_id("toy-upper", {"times": 1}), variant_id("toy-upper", {"times": 2})
    by_key = {(r.item_id, r.variant_id): r for r in store.iter_responses("r1")}
    assert by_key[("i0", "none")].output == "echo: prompt s 0"
    assert by_key[("i0", vid1)].output == "echo: PROMPT S 0"
    assert by_key[("i0", vid1)].messages[-1].content == "PROMPT S 0"
    assert by_key[("i0", vid2)].output == "echo: PROMPT S 0 PROMPT S 0"
    assert by_key[("i0", vid1)].attack is None  # a transform's spec is in the run row, not per response
    assert store.get_run("r1").params["attacks"]["variants"][vid2]["attack"] == "toy-upper:2"


def test_a_transform_that_fails_stores_an_error_not_a_skip(tmp_path: Any) -> None:
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    items = [Item(suite_id="s", item_id="b", messages=(Message(role="user", content="boom"),)), *make_items(1)]
    sources = [ItemsSource("s", items)]
    plan = RunPlan(target=ScriptedTarget(), sources=sources, suites=scan_suites(sources), run_id="r1", attacks=plan_attacks(["toy-upper"]))
    summary = execute(store, plan)
    bad = [r for r in store.iter_responses("r1") if r.error_kind is not None]
    assert summary.responses == 4 and len(bad) == 1
    assert bad[0].item_id == "b" and bad[0].error_kind is ErrorKind.internal and "cannot upper-case" in (bad[0].error or "")


def test_rewrite_calls_the_attacker_through_the_engine(tmp_path: Any) -> None:
    attacker = Echo()
    store, summary = _run(tmp_path, ScriptedTarget(), ["toy-reverse"], helpers={"attacker": attacker})
    vid = variant_id("toy-reverse", {})
    rows = [r for r in store.iter_responses("r1") if r.variant_id == vid]
    assert len(rows) == 3 and attacker.calls == 3 and summary.helper_requests == {"attacker": 3}
    r0 = next(r for r in rows if r.item_id == "i0")
    assert r0.output == "echo: 0 s tpmorp" and r0.attack is not None
    assert r0.attack["queries"] == {"attacker": 1, "target": 1}
    assert [s["role"] for s in r0.attack["steps"]] == ["attacker", "target"]


def test_a_failing_attacker_is_an_error_with_the_reason_after_retries(tmp_path: Any) -> None:
    attacker = Echo(fail=True)
    store, summary = _run(tmp_path, ScriptedTarget(), ["toy-reverse"], helpers={"attacker": attacker}, n=2)
    rows = [r for r in store.iter_responses("r1") if r.variant_id != "none"]
    assert len(rows) == 2 and all(r.error_kind is ErrorKind.server_error for r in rows)
    assert all((r.error or "").startswith("attacker: attacker down") for r in rows)
    assert attacker.calls == 4  # one retry each (max_retries=1)
    assert summary.helper_requests == {"attacker": 4} and summary.requests == 2  # only the plain items reached the target


def test_garbage_from_the_attacker_is_unassessed_with_the_reason(tmp_path: Any) -> None:
    store, _ = _run(tmp_path, ScriptedTarget(), ["toy-reverse"], helpers={"attacker": Echo(empty=True)}, n=1)
    (row,) = [r for r in store.iter_responses("r1") if r.variant_id != "none"]
    assert row.error_kind is ErrorKind.bad_response and "attacker returned nothing" in (row.error or "")


def test_strategy_turns_and_judge_scores_are_stored(tmp_path: Any) -> None:
    target = ScriptedTarget()
    store, summary = _run(tmp_path, target, ["toy-nag"], judge=ThirdTimeJudge(), n=2)
    vid = variant_id("toy-nag", {})
    (r0,) = [r for r in store.iter_responses("r1") if r.variant_id == vid and r.item_id == "i0"]
    assert r0.output == "echo: prompt s 0 (please x2)"
    assert [m.role for m in r0.messages] == ["user", "assistant", "user", "assistant", "user"]
    assert r0.attack is not None and r0.attack["stop"] == "success" and r0.attack["turns"] == 3
    assert r0.attack["queries"] == {"judge": 3, "target": 3}
    assert [s["role"] for s in r0.attack["steps"]] == ["target", "judge"] * 3
    assert summary.requests == 2 + 2 * 3


def test_resume_redoes_only_unfinished_units(tmp_path: Any) -> None:
    target = ScriptedTarget()
    store, _ = _run(tmp_path, target, ["toy-upper"], n=3)
    vid = variant_id("toy-upper", {"times": 1})
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM responses WHERE item_id = 'i1' AND variant_id = ?", (vid,))
    store.set_run_status("r1", "interrupted")
    target2 = ScriptedTarget()
    store2, summary = _run(tmp_path, target2, ["toy-upper"], n=3)
    assert summary.resumed and summary.responses == 6 and summary.sent == 1
    assert summary.cached == 1 and sum(target2.calls.values()) == 0  # the run's own cached answer, by its messages


def test_resume_with_other_attacks_is_refused(tmp_path: Any) -> None:
    from accord.errors import StoreError

    _run(tmp_path, ScriptedTarget(), ["toy-upper"], n=1)
    with pytest.raises(StoreError, match="other attacks"):
        _run(tmp_path, ScriptedTarget(), ["toy-upper:2"], n=1)


def test_bad_attack_input_is_refused_before_anything_runs() -> None:
    from accord.errors import UnknownNameError

    with pytest.raises(UnknownNameError):
        plan_attacks(["no-such-attack"])
    with pytest.raises(InputError, match="times"):
        plan_attacks(["toy-upper:times=zero"])
    with pytest.raises(InputError, match="runs alone"):
        plan_attacks(["toy-nag+toy-upper"])
    with pytest.raises(InputError, match="make the same variant"):
        plan_attacks(["toy-upper", "toy-upper:times=1"])


def test_chain_variant_ids_name_every_step() -> None:
    plan = plan_attacks(["toy-upper+toy-reverse"])
    (v,) = plan.variants
    assert v.variant_id.startswith("toy-upper_toy-reverse-") and plan.needs == {"attacker"}
    assert not v.local


def test_concurrency_bounds_strategy_units(tmp_path: Any) -> None:
    target = ScriptedTarget(delay_s=0.01)
    _run(tmp_path, target, ["toy-nag"], judge=ThirdTimeJudge(), n=12)
    assert target.max_in_flight <= 4


def test_plain_run_is_unchanged_without_attacks(tmp_path: Any) -> None:
    store, summary = _run(tmp_path, ScriptedTarget(), [], n=2)
    assert summary.variants == 0 and summary.expected == 2 and "attacks" not in store.get_run("r1").params
    assert asyncio.iscoroutinefunction(ScriptedTarget().generate)


class FlakyJudge:
    """Fails ``fail`` times with a retryable error (or hangs), then says yes."""

    judge_id = "flaky"

    def __init__(self, fail: int, *, hang: bool = False, retryable: bool = True) -> None:
        self.fail = fail
        self.hang = hang
        self.retryable = retryable
        self.calls = 0

    async def rate(self, objective: str, response: str) -> JudgeScore:
        self.calls += 1
        if self.calls <= self.fail:
            if self.hang:
                await asyncio.sleep(30)
            raise TargetError(ErrorKind.server_error, "judge down", retryable=self.retryable)
        return JudgeScore(1.0, True)


def _judge_run(tmp_path: Any, judge: Any, **config: Any) -> tuple[Any, Any]:
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    sources = [ItemsSource("s", make_items(1))]
    plan = RunPlan(
        target=ScriptedTarget(),
        sources=sources,
        suites=scan_suites(sources),
        params=GenParams(timeout_s=0.2),
        config=EngineConfig(concurrency=2, backoff_base_s=0.0, backoff_cap_s=0.0, timeout_grace_s=0.0, **config),
        run_id="r1",
        attacks=plan_attacks(["toy-nag"]),
        attack_judge=judge,
    )
    summary = execute(store, plan)
    (row,) = [r for r in store.iter_responses("r1") if r.variant_id != "none"]
    return row, summary


def test_judge_calls_get_the_runs_retries_and_time_out(tmp_path: Any) -> None:
    judge = FlakyJudge(2, hang=True)
    row, summary = _judge_run(tmp_path, judge, max_retries=2)
    assert row.error_kind is None and row.attack is not None and row.attack["stop"] == "success"
    assert judge.calls == 3 and summary.helper_requests == {"judge": 3}


def test_a_judge_that_keeps_failing_is_an_error_naming_the_judge(tmp_path: Any) -> None:
    row, _ = _judge_run(tmp_path, FlakyJudge(99), max_retries=1)
    assert row.error_kind is ErrorKind.server_error and (row.error or "").startswith("judge: judge down")
    assert row.attack is not None and row.attack["steps"][-1]["role"] == "judge" and "error" in row.attack["steps"][-1]


def test_resume_with_another_attacker_is_refused(tmp_path: Any) -> None:
    from accord.errors import StoreError

    class Other(Echo):
        def __init__(self) -> None:
            super().__init__()
            self.spec = TargetSpec(provider="scripted", model="other", raw="scripted:other")

    _run(tmp_path, ScriptedTarget(), ["toy-reverse"], helpers={"attacker": Echo()}, n=1)
    with pytest.raises(StoreError, match="another attacker"):
        _run(tmp_path, ScriptedTarget(), ["toy-reverse"], helpers={"attacker": Other()}, n=1)


def test_a_units_trace_is_bounded(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from accord.runner import _attacking

    monkeypatch.setattr(_attacking, "MAX_TRACE_TOTAL", 40)
    store, _ = _run(tmp_path, ScriptedTarget(), ["toy-nag"], judge=ThirdTimeJudge(), n=1)
    (row,) = [r for r in store.iter_responses("r1") if r.variant_id != "none"]
    assert row.attack is not None
    steps = row.attack["steps"]
    assert any(s.get("trace_full") for s in steps)
    texts = [s for s in steps if s["role"] == "target"]
    assert texts[0]["reply"] and texts[-1]["reply"] is None and len(texts) == 3  # still recorded, without text
