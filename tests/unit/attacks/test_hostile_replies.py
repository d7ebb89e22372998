"""An attacker's reply is untrusted text: reading it is bounded in time and never crashes."""

from __future__ import annotations

import time

import pytest

from accord.attacks._prompts import Garbage, read_move


@pytest.mark.parametrize(
    "reply",
    [
        '{"a":' * 200_000,  # nesting past the decoder's recursion limit
        "{" * 1_000_000,  # a megabyte of openings
        "[{" * 50_000,
        'noise {"prompt": ' + '"x' * 100_000,  # an unterminated string
    ],
)
def test_garbage_replies_are_garbage_quickly(reply: str) -> None:
    started = time.perf_counter()
    with pytest.raises(Garbage):
        read_move(reply)
    assert time.perf_counter() - started < 1.0


def test_a_move_after_prose_is_still_found() -> None:
    move = read_move('Here you go: {"improvement": "shorter", "prompt": "attempt-2"}')
    assert move.prompt == "attempt-2"
