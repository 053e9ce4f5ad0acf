"""Building lesion histories for criteria tests in a few words."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from pseudoprog.domain import (
    Event,
    EventKind,
    Lesion,
    LesionHistory,
    Sequence,
    SizeSeries,
    Treatment,
)

TREATED = date(2010, 1, 4)


def day(week: float) -> date:
    """The date ``week`` weeks after treatment (whole days)."""
    return TREATED + timedelta(days=round(week * 7))


def series(sequence: Sequence, points: Iterable[tuple[float, float]]) -> SizeSeries:
    """A size series from (week, size) pairs."""
    ordered = sorted(points)
    return SizeSeries(sequence, tuple(day(w) for w, _ in ordered), tuple(s for _, s in ordered))


def history(
    t1: Iterable[tuple[float, float]] | None = None,
    *,
    t2fs: Iterable[tuple[float, float]] | None = None,
    t1c: Iterable[tuple[float, float]] | None = None,
    events: Iterable[tuple[float, EventKind]] = (),
    fractions: int = 1,
) -> LesionHistory:
    """A history of lesion ``L1`` of patient ``P1`` treated on :data:`TREATED`."""
    lesion = Lesion("P1", "L1", Treatment(TREATED, 24.0 if fractions == 1 else 27.0, fractions))
    given: Mapping[Sequence, Iterable[tuple[float, float]] | None] = {
        Sequence.T1: t1,
        Sequence.T2FS: t2fs,
        Sequence.T1C: t1c,
    }
    per = {s: series(s, pts) for s, pts in given.items() if pts is not None}
    evs = tuple(Event("P1", day(w), kind) for w, kind in sorted(events, key=lambda x: x[0]))
    return LesionHistory(lesion, per, evs, events_recorded=True)
