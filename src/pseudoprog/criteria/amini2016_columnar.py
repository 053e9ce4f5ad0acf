"""The Amini 2016 rules on whole columns: every lesion of a registry in a few array passes.

:func:`assess_columns` applies the rules of :func:`pseudoprog.criteria.amini2016.assess` (the
specification) to measurements held as columns sorted by lesion, sequence and date. Segmented
reductions over the rows of each (lesion, sequence) group give the baseline, the peak, the
enlarged studies, the return to baseline, the decline and a rebound; the rule that fires
follows from them with the same floating-point expressions, tolerances and tie-breaking as the
reference. The primary sequence then decides each lesion.

It judges lesions whose patient has no systemic-therapy or other-bone-lesion event (the
caller leaves the others to the reference engine); events of other kinds are not read by the
criteria.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from pseudoprog.criteria.amini2016 import _EPS, Amini2016Parameters, Rule
from pseudoprog.domain import ResponseCategory, Sequence

__all__ = [
    "CATEGORY_OF",
    "NO_STUDY",
    "ColumnarAssessment",
    "RuleCode",
    "assess_columns",
    "supports",
]

_SEQUENCES = tuple(Sequence)
_NSEQ = len(_SEQUENCES)
_EPOCH = date(1970, 1, 1)
_NONE = -1
#: ``last_day`` of a lesion with no study seen.
NO_STUDY = np.iinfo(np.int64).min
#: Largest window the integer comparisons accept (any realistic value is far below).
_MAX_WINDOW = 2**40


class RuleCode(IntEnum):
    """The rule that decided a (lesion, sequence) group; the last one of its reasons."""

    NO_BASELINE = 0
    NO_FOLLOW_UP = 1
    PARTIAL_RESPONSE = 2
    STABLE = 3
    GROWTH_PERSISTED = 4
    PEAK_BEYOND_WINDOW = 5
    AWAITING_FOLLOW_UP = 6
    DECLINE_TOO_SLOW = 7
    DECLINE_NOT_SUSTAINED = 8
    DECLINE = 9

    @property
    def rule(self) -> Rule:
        """The reference rule of this code."""
        return Rule[self.name]


#: Category of each rule code (``None``: the sequence cannot be judged).
CATEGORY_OF: tuple[ResponseCategory | None, ...] = (
    None,
    None,
    ResponseCategory.PR,
    ResponseCategory.SD,
    ResponseCategory.PD,
    ResponseCategory.PD,
    ResponseCategory.INDETERMINATE,
    ResponseCategory.PD,
    ResponseCategory.PD,
    ResponseCategory.OPP,
)


@dataclass(frozen=True)
class ColumnarAssessment:
    """Results of :func:`assess_columns`; row indices point into :attr:`day`/:attr:`size`.

    Attributes
    ----------
    day, size, row_lesion
        The measurements seen (cut at ``as_of``), sorted by lesion, sequence and date.
    group_lesion, group_sequence, group_start, group_end
        One entry per (lesion, sequence) group with at least one study: its lesion, its
        sequence position, and its rows ``start:end``.
    rule
        :class:`RuleCode` per group.
    base_row, peak_row, first_enlarged_row, back_row, decline_row, rebound_row
        Row indices per group (-1 when there is none).
    follow_ups, enlarged
        Number of follow-up studies and of enlarged ones, per group.
    deciding
        Per lesion, the group that decides it (-1: none can be judged).
    has_baseline, last_day
        Per lesion: whether some sequence has a baseline; the latest study seen as days since
        1970 (:data:`NO_STUDY` when none is seen).
    """

    day: npt.NDArray[np.int64]
    size: npt.NDArray[np.float64]
    row_lesion: npt.NDArray[np.int64]
    group_lesion: npt.NDArray[np.int64]
    group_sequence: npt.NDArray[np.int64]
    group_start: npt.NDArray[np.int64]
    group_end: npt.NDArray[np.int64]
    rule: npt.NDArray[np.int64]
    base_row: npt.NDArray[np.int64]
    peak_row: npt.NDArray[np.int64]
    first_enlarged_row: npt.NDArray[np.int64]
    back_row: npt.NDArray[np.int64]
    decline_row: npt.NDArray[np.int64]
    rebound_row: npt.NDArray[np.int64]
    follow_ups: npt.NDArray[np.int64]
    enlarged: npt.NDArray[np.int64]
    deciding: npt.NDArray[np.int64]
    has_baseline: npt.NDArray[np.bool_]
    last_day: npt.NDArray[np.int64]

    def part(self, first: int, stop: int) -> ColumnarAssessment:
        """The results of lesions ``first:stop``, with lesion, group and row indices local."""
        g0, g1 = np.searchsorted(self.group_lesion, [first, stop])
        r0 = int(self.group_start[g0]) if g0 < len(self.group_start) else len(self.day)
        r1 = int(self.group_end[g1 - 1]) if g1 > g0 else r0

        def rows(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
            part = values[g0:g1]
            return np.where(part >= 0, part - r0, _NONE)

        deciding = self.deciding[first:stop]
        return ColumnarAssessment(
            day=self.day[r0:r1],
            size=self.size[r0:r1],
            row_lesion=self.row_lesion[r0:r1] - first,
            group_lesion=self.group_lesion[g0:g1] - first,
            group_sequence=self.group_sequence[g0:g1],
            group_start=self.group_start[g0:g1] - r0,
            group_end=self.group_end[g0:g1] - r0,
            rule=self.rule[g0:g1],
            base_row=rows(self.base_row),
            peak_row=rows(self.peak_row),
            first_enlarged_row=rows(self.first_enlarged_row),
            back_row=rows(self.back_row),
            decline_row=rows(self.decline_row),
            rebound_row=rows(self.rebound_row),
            follow_ups=self.follow_ups[g0:g1],
            enlarged=self.enlarged[g0:g1],
            deciding=np.where(deciding >= 0, deciding - g0, _NONE),
            has_baseline=self.has_baseline[first:stop],
            last_day=self.last_day[first:stop],
        )


def supports(params: Amini2016Parameters) -> bool:
    """Whether the column engine reproduces the reference for these parameters."""
    window = params.decline_window_days
    return (
        isinstance(window, int)
        and 1 <= window < _MAX_WINDOW
        and isinstance(params.error_mm, float | int)
        and isinstance(params.opp_peak_window_weeks, float | int)
        and isinstance(params.min_follow_up_months, int)
        and abs(params.min_follow_up_months) < 12 * 10_000
    )


def _first(mask: npt.NDArray[np.bool_], starts: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Per group, the first row index where ``mask`` holds (-1 when it never does)."""
    n = len(mask)
    if not len(starts):
        return np.empty(0, dtype=np.int64)
    found = np.minimum.reduceat(np.where(mask, np.arange(n), n), starts)
    return np.where(found < n, found, _NONE).astype(np.int64)


def assess_columns(
    *,
    lesion: npt.NDArray[np.int64],
    sequence: npt.NDArray[np.int64],
    day: npt.NDArray[np.int64],
    size_mm: npt.NDArray[np.float64],
    treated: npt.NDArray[np.int64],
    as_of: date | None = None,
    params: Amini2016Parameters,
) -> ColumnarAssessment:
    """Classify every lesion from sorted measurement columns.

    Parameters
    ----------
    lesion, sequence, day, size_mm
        One entry per measurement, sorted by lesion, sequence position and date (days since
        1970), with no repeated (lesion, sequence, date).
    treated
        Treatment date of each lesion, as days since 1970.
    as_of
        Only studies on or before this date are seen.
    params
        Criteria parameters (see :func:`supports`).

    Returns
    -------
    ColumnarAssessment
        Per group and per lesion results.
    """
    if as_of is not None:
        keep = day <= (as_of - _EPOCH).days
        lesion, sequence, day, size_mm = lesion[keep], sequence[keep], day[keep], size_mm[keep]
    n_rows = len(day)
    key = lesion * _NSEQ + sequence
    starts = np.flatnonzero(np.concatenate(([n_rows > 0], key[1:] != key[:-1]))).astype(np.int64)
    ends = np.append(starts[1:], n_rows)[: len(starts)].astype(np.int64)
    lengths = ends - starts
    n_groups = len(starts)
    row_group = np.repeat(np.arange(n_groups), lengths)
    position = np.arange(n_rows) - starts[row_group]

    before = day <= treated[lesion]
    k = np.add.reduceat(before.astype(np.int64), starts) if n_groups else starts.copy()
    has_base = k > 0
    base_row = np.where(has_base, starts + k - 1, _NONE)
    follow_ups = lengths - k
    follow = position >= k[row_group]
    base_size = size_mm[np.maximum(base_row, 0)]
    delta = size_mm - base_size[row_group]

    e = params.error_mm
    peak_size = (
        np.maximum.reduceat(np.where(follow, size_mm, -np.inf), starts) if n_groups else delta[:0]
    )
    peak_row = _first(follow & (size_mm == peak_size[row_group]), starts)
    grew = follow & (delta >= e - _EPS)
    enlarged = np.add.reduceat(grew.astype(np.int64), starts) if n_groups else starts.copy()
    first_enlarged = _first(grew, starts)
    after_peak = follow & (np.arange(n_rows) > peak_row[row_group]) & (peak_row[row_group] >= 0)
    back_row = _first(after_peak & (delta < e - _EPS), starts)
    threshold = peak_size[row_group] - e
    decline_row = _first(after_peak & (size_mm <= threshold + _EPS), starts)
    after_decline = (np.arange(n_rows) > decline_row[row_group]) & (decline_row[row_group] >= 0)
    rebound_row = _first(after_decline & (size_mm > threshold + _EPS), starts)

    last = ends - 1
    last_change = size_mm[last] - base_size
    safe_peak = np.maximum(peak_row, 0)
    safe_decline = np.maximum(decline_row, 0)
    window = params.decline_window_days
    since_peak = day[last] - day[safe_peak]
    peak_days = day[safe_peak] - treated[lesion[starts]]
    drop = peak_size - size_mm[safe_decline]
    days = day[safe_decline] - day[safe_peak]
    too_slow = drop * float(window) < e * days - _EPS

    rule = np.select(
        [
            ~has_base,
            follow_ups == 0,
            (enlarged == 0) & (last_change <= -e + _EPS),
            enlarged == 0,
            (decline_row < 0) & (since_peak > window),
            (decline_row < 0) & (enlarged >= 2) & (peak_days > params.opp_peak_window_weeks * 7),
            decline_row < 0,
            too_slow,
            rebound_row >= 0,
        ],
        [int(c) for c in RuleCode][:9],
        default=int(RuleCode.DECLINE),
    ).astype(np.int64)
    judged = rule >= RuleCode.PARTIAL_RESPONSE
    growing = rule >= RuleCode.GROWTH_PERSISTED

    n_lesions = len(treated)
    group_lesion = lesion[starts]
    group_sequence = sequence[starts]
    slot = np.full((n_lesions, _NSEQ), _NONE, dtype=np.int64)
    slot[group_lesion, group_sequence] = np.arange(n_groups)
    primary = _SEQUENCES.index(params.primary_sequence)
    order = [primary, *(i for i in range(_NSEQ) if i != primary)]
    deciding = np.full(n_lesions, _NONE, dtype=np.int64)
    for s in reversed(order):
        g = slot[:, s]
        ok = g >= 0
        ok[ok] = judged[g[ok]]
        deciding = np.where(ok, g, deciding)
    has_baseline = np.zeros(n_lesions, dtype=bool)
    has_baseline[group_lesion[has_base]] = True
    last_day = np.full(n_lesions, NO_STUDY, dtype=np.int64)
    if n_groups:
        np.maximum.at(last_day, group_lesion, day[last])

    def where(mask: npt.NDArray[np.bool_], rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        return np.where(mask, rows, _NONE).astype(np.int64)

    in_decline = rule >= RuleCode.DECLINE_TOO_SLOW
    return ColumnarAssessment(
        day=day,
        size=size_mm,
        row_lesion=lesion,
        group_lesion=group_lesion,
        group_sequence=group_sequence,
        group_start=starts,
        group_end=ends,
        rule=rule,
        base_row=base_row.astype(np.int64),
        peak_row=where(judged, peak_row),
        first_enlarged_row=where(growing, first_enlarged),
        back_row=where(growing, back_row),
        decline_row=where(in_decline, decline_row),
        rebound_row=where(rule == RuleCode.DECLINE_NOT_SUSTAINED, rebound_row),
        follow_ups=follow_ups.astype(np.int64),
        enlarged=enlarged.astype(np.int64),
        deciding=deciding,
        has_baseline=has_baseline,
        last_day=last_day,
    )
