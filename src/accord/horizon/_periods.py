"""Forecast periods: calendar quarters, clipped to the forecast window (pure)."""

from __future__ import annotations

import datetime as dt


def add_months(d: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (clamped to the month's last day)."""
    m = d.month - 1 + months
    y, m = d.year + m // 12, m % 12 + 1
    for day in (d.day, 30, 29, 28):
        try:
            return dt.date(y, m, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def quarters(start: dt.date, months: int = 24, end: dt.date | None = None) -> list[tuple[dt.date, dt.date]]:
    """Half-open ``[begin, end)`` calendar quarters covering ``[start, start + months)`` (or ``[start, end)``).

    The first and last are partial when ``start`` is not a quarter's first day, so the
    periods add up to exactly the window and a backtest can score any as-of date.
    """
    end = end or add_months(start, months)
    if end <= start:
        raise ValueError(f"the forecast window is empty ({start} .. {end})")
    cuts = [start]
    q = dt.date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
    while True:
        q = add_months(q, 3)
        if q >= end:
            break
        cuts.append(q)
    cuts.append(end)
    return list(zip(cuts[:-1], cuts[1:], strict=True))


def quarter_label(begin: dt.date, end: dt.date) -> str:
    """``2025Q2``, with the days when the period is only part of the quarter."""
    q = f"{begin.year}Q{(begin.month - 1) // 3 + 1}"
    full = begin.day == 1 and begin.month % 3 == 1 and end == add_months(begin, 3)
    return q if full else f"{q} ({begin.isoformat()}..{(end - dt.timedelta(days=1)).isoformat()})"
