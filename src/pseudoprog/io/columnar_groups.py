"""Per-sequence (group) text of column-engine results, byte for byte as the reference writes it.

:class:`GroupText` holds one part of a registry with what its texts need of each lesion
(:class:`LesionColumns`), and builds per group (one sequence of one lesion) the reasons'
sentences of :mod:`pseudoprog.criteria.amini2016`, the group's warnings, its numeric and date
fields, and its member of the lesion's ``per_sequence`` JSON object.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from pseudoprog.criteria.amini2016 import Amini2016Parameters, Rule
from pseudoprog.criteria.amini2016_columnar import CATEGORY_OF, ColumnarAssessment, RuleCode
from pseudoprog.criteria.result import WarningKind
from pseudoprog.io.columnar_format import (
    _NSEQ,
    _SEQUENCES,
    _Format,
    _item,
    _number,
    _one,
    _rounded,
    _signed,
)
from pseudoprog.io.columnar_text import (
    choose,
    dates,
    floats,
    integers,
    join,
    join_lists,
    quoted,
    repeat,
    scatter,
    texts,
)

__all__ = ["GroupText", "LesionColumns"]


@dataclass(frozen=True)
class LesionColumns:
    """What the text needs of each lesion of a part (in the part's order)."""

    patient_id: pa.Array
    lesion_id: pa.Array
    treated: npt.NDArray[np.int64]
    in_vertebral_body: npt.NDArray[np.int8]
    body_involvement_pct: npt.NDArray[np.float64]
    fractions: npt.NDArray[np.int64]


class GroupText:
    """The per-sequence texts of one part of a registry.

    Parameters
    ----------
    results
        Column-engine results of the part.
    lesions
        The part's lesions.
    params
        Criteria parameters.
    events_recorded
        Whether an events table was given (none of these lesions has an event the criteria
        read).
    """

    def __init__(
        self,
        results: ColumnarAssessment,
        lesions: LesionColumns,
        *,
        params: Amini2016Parameters,
        events_recorded: bool,
    ) -> None:
        self.a = results
        self.lesions = lesions
        self.params = params
        self.events_recorded = events_recorded
        self.n = len(lesions.treated)
        self.e = _one(params.error_mm)
        self.w = str(params.decline_window_days)
        self.pw = _one(params.opp_peak_window_weeks)
        a = results
        self.base_size = a.size[np.maximum(a.base_row, 0)] if len(a.size) else a.size
        self.peak_size = a.size[np.maximum(a.peak_row, 0)] if len(a.size) else a.size
        self.name = texts([s.value for s in _SEQUENCES]).take(pa.array(a.group_sequence))
        slot = np.full((self.n, _NSEQ), -1, dtype=np.int64)
        slot[a.group_lesion, a.group_sequence] = np.arange(len(a.rule))
        self.slot = slot

    # ---- per group ----------------------------------------------------------------------

    @cached_property
    def _messages(self) -> tuple[pa.Array, pa.Array]:
        """Per group: the first reason's message, and the second's ("" when there is none)."""
        a = self.a
        e, w, pw = self.e, self.w, self.pw
        rule = a.rule
        treated = self.lesions.treated[a.group_lesion]
        last = a.group_end - 1
        first: list[tuple[npt.NDArray[np.int64], pa.Array]] = []
        second: list[tuple[npt.NDArray[np.int64], pa.Array]] = []

        def subset(code: RuleCode) -> npt.NDArray[np.int64]:
            return np.flatnonzero(rule == code)

        def name(g: npt.NDArray[np.int64]) -> pa.Array:
            return self.name.take(pa.array(g))

        g = subset(RuleCode.NO_BASELINE)
        first.append((g, join(name(g), ": no study on or before treatment")))
        second.append((g, repeat("", len(g))))
        g = subset(RuleCode.NO_FOLLOW_UP)
        first.append((g, join(name(g), ": no follow-up study after treatment")))
        second.append((g, repeat("", len(g))))
        for code in (RuleCode.PARTIAL_RESPONSE, RuleCode.STABLE):
            g = subset(code)
            base = self.base_size[g]
            largest = floats(self.peak_size[g] - base, _signed)
            change = floats(a.size[last[g]] - base, _signed)
            when = dates(a.day[last[g]])
            if code is RuleCode.PARTIAL_RESPONSE:
                text = join(
                    name(g),
                    f": never grew by {e} mm or more (largest change ",
                    largest,
                    " mm); the last follow-up (",
                    when,
                    ") is ",
                    change,
                    " mm from the baseline of ",
                    floats(base, _one),
                    f" mm, at least {e} mm below it",
                )
            else:
                text = join(
                    name(g),
                    f": never grew by {e} mm or more (largest change ",
                    largest,
                    " mm) and the last follow-up (",
                    when,
                    ", ",
                    change,
                    f" mm) is not {e} mm below the baseline of ",
                    floats(base, _one),
                    " mm",
                )
            first.append((g, text))
            second.append((g, repeat("", len(g))))

        g = np.flatnonzero(rule >= RuleCode.GROWTH_PERSISTED)
        base, peak = self.base_size[g], self.peak_size[g]
        peak_day = a.day[a.peak_row[g]]
        weeks = floats((peak_day - treated[g]) / 7.0, _one)
        count = a.follow_ups[g]
        first.append(
            (
                g,
                join(
                    name(g),
                    ": grew ",
                    floats(peak - base, _signed),
                    " mm from the baseline of ",
                    floats(base, _one),
                    " mm to a peak of ",
                    floats(peak, _one),
                    " mm on ",
                    dates(peak_day),
                    " (",
                    weeks,
                    f" weeks after treatment); growth of {e} mm or more on ",
                    integers(a.enlarged[g]),
                    " of ",
                    integers(count),
                    " follow-up ",
                    choose(count == 1, "study", "studies"),
                ),
            )
        )

        g = subset(RuleCode.GROWTH_PERSISTED)
        since = a.day[last[g]] - a.day[a.peak_row[g]]
        second.append(
            (
                g,
                join(
                    name(g),
                    f": no study is {e} mm below the peak, and the latest study (",
                    dates(a.day[last[g]]),
                    ") is ",
                    integers(since),
                    f" days after the peak (more than {w}): growth has persisted",
                ),
            )
        )
        g = subset(RuleCode.PEAK_BEYOND_WINDOW)
        second.append(
            (
                g,
                join(
                    name(g),
                    f": growth of {e} mm or more on ",
                    integers(a.enlarged[g]),
                    " studies with the peak at ",
                    floats((a.day[a.peak_row[g]] - treated[g]) / 7.0, _one),
                    f" weeks, beyond the OPP peak window of {pw} weeks",
                ),
            )
        )
        g = subset(RuleCode.AWAITING_FOLLOW_UP)
        since = a.day[last[g]] - a.day[a.peak_row[g]]
        second.append(
            (
                g,
                join(
                    name(g),
                    f": no decline of {e} mm from the peak yet; the latest study is ",
                    integers(since),
                    f" days after the peak (at most {w}) and the peak is ",
                    choose(
                        a.enlarged[g] == 1,
                        "the only enlarged study",
                        f"within the OPP peak window of {pw} weeks",
                    ),
                    ": a further study is needed",
                ),
            )
        )
        window = float(self.params.decline_window_days)
        for code in (RuleCode.DECLINE_TOO_SLOW, RuleCode.DECLINE_NOT_SUSTAINED, RuleCode.DECLINE):
            g = subset(code)
            peak = self.peak_size[g]
            decline = a.decline_row[g]
            drop = peak - a.size[decline]
            days = a.day[decline] - a.day[a.peak_row[g]]
            timing = [
                floats(drop, _one),
                " mm below the peak on ",
                dates(a.day[decline]),
                ", ",
                integers(days),
                " days after it (",
                floats(drop * window / days, _one),
                f" mm per {w} days",
            ]
            if code is RuleCode.DECLINE_TOO_SLOW:
                text = join(
                    name(g),
                    ": decline too slow: ",
                    *timing,
                    f", less than {e} mm per {w} days)",
                )
            elif code is RuleCode.DECLINE_NOT_SUSTAINED:
                rebound = a.rebound_row[g]
                text = join(
                    name(g),
                    ": decline not sustained: ",
                    *timing,
                    "), but ",
                    dates(a.day[rebound]),
                    " measured ",
                    floats(a.size[rebound], _one),
                    f" mm, back within {e} mm of the peak of ",
                    floats(peak, _one),
                    " mm",
                )
            else:
                later = last[g] - decline
                confirmed = join(
                    "confirmed by ",
                    integers(later),
                    " later ",
                    choose(later == 1, "study", "studies"),
                )
                tail = (
                    "; no change of systemic therapy between the peak and the decline"
                    if self.events_recorded
                    else "; no events were recorded, so a change of systemic therapy between "
                    "the peak and the decline could not be excluded"
                )
                text = join(
                    name(g),
                    ": sustained decline: ",
                    *timing,
                    f", at least {e} mm per {w} days), ",
                    choose(later > 0, confirmed, "seen on the latest study only"),
                    tail,
                )
            second.append((g, text))
        size = len(rule)
        return scatter(size, first), scatter(size, second)

    @cached_property
    def group_reasons(self) -> pa.Array:
        """Per group, the JSON list of its reasons (without the brackets)."""
        one, two = self._messages
        codes = texts([RuleCode(c).rule.value for c in RuleCode]).take(pa.array(self.a.rule))
        growing = self.a.rule >= RuleCode.GROWTH_PERSISTED
        first_code = choose(growing, Rule.ENLARGED.value, codes)
        first = join('{"code":"', first_code, '","message":"', one, '"}')
        both = join(first, ',{"code":"', codes, '","message":"', two, '"}')
        return choose(growing, both, first)

    @cached_property
    def group_reason_text(self) -> pa.Array:
        """Per group, its reasons' messages joined by `` | `` (as the CSV writes them)."""
        one, two = self._messages
        growing = self.a.rule >= RuleCode.GROWTH_PERSISTED
        return choose(growing, join(one, " | ", two), one)

    @cached_property
    def _missing_baseline(self) -> tuple[npt.NDArray[np.int64], pa.Array]:
        g = np.flatnonzero(self.a.rule == RuleCode.NO_BASELINE)
        treated = self.lesions.treated[self.a.group_lesion[g]]
        text = join(
            self.name.take(pa.array(g)),
            " has no study on or before the treatment date ",
            dates(treated),
            ", so it cannot be judged",
        )
        return g, text

    @cached_property
    def _unconfirmed(self) -> tuple[npt.NDArray[np.int64], pa.Array]:
        a = self.a
        g = np.flatnonzero((a.rule == RuleCode.DECLINE) & (a.decline_row == a.group_end - 1))
        text = join(
            self.name.take(pa.array(g)),
            ": the decline on ",
            dates(a.day[a.decline_row[g]]),
            " is seen on the latest study only; no later study has confirmed it yet",
        )
        return g, text

    @cached_property
    def _no_events(self) -> tuple[npt.NDArray[np.int64], pa.Array]:
        if self.events_recorded:
            empty = np.empty(0, dtype=np.int64)
            return empty, texts([])
        g = np.flatnonzero(self.a.rule == RuleCode.DECLINE)
        text = join(
            self.name.take(pa.array(g)),
            ": OPP assumes no change of systemic therapy between the peak and the decline; "
            "give the events table to check it",
        )
        return g, text

    @cached_property
    def group_warnings(self) -> pa.Array:
        """Per group, the JSON list of its warnings (without the brackets)."""
        size = len(self.a.rule)
        owners = []
        items = []
        for key, (g, text) in enumerate(
            (self._missing_baseline, self._unconfirmed, self._no_events)
        ):
            kind = (
                WarningKind.MISSING_BASELINE,
                WarningKind.DECLINE_UNCONFIRMED,
                WarningKind.EVENTS_NOT_RECORDED,
            )[key]
            owners.append(g * 3 + key)
            items.append(_item(kind.value, text))
        order_key = np.concatenate(owners)
        order = np.argsort(order_key, kind="stable")
        flat = pa.concat_arrays(items).take(pa.array(order))
        return join_lists(order_key[order] // 3, flat, size, ",")

    @cached_property
    def _fields(self) -> dict[str, pa.Array]:
        """Per group, the JSON values of the numeric and date fields."""
        a = self.a
        rule = a.rule
        has_base = rule != RuleCode.NO_BASELINE
        judged = rule >= RuleCode.PARTIAL_RESPONSE
        growing = rule >= RuleCode.GROWTH_PERSISTED
        treated = self.lesions.treated[a.group_lesion]
        last_row = a.group_end - 1

        def date_or_null(mask: npt.NDArray[np.bool_], rows: npt.NDArray[np.int64]) -> pa.Array:
            return choose(mask, quoted(dates(a.day[np.maximum(rows, 0)])), "null")

        def number_or_null(
            mask: npt.NDArray[np.bool_], values: npt.NDArray[np.float64], fmt: _Format
        ) -> pa.Array:
            shown = repeat("null", len(mask))
            g = np.flatnonzero(mask)
            if len(g):
                shown = pc.replace_with_mask(shown, pa.array(mask), floats(values[g], fmt))
            return shown

        change = self.peak_size - self.base_size
        peak_weeks = (a.day[np.maximum(a.peak_row, 0)] - treated) / 7.0
        back = a.back_row >= 0
        back_weeks = (a.day[np.maximum(a.back_row, 0)] - treated) / 7
        category = texts(['"' + (c.value if c else "") + '"' for c in CATEGORY_OF]).take(
            pa.array(rule)
        )
        return {
            "response": choose(judged, category, "null"),
            "baseline_date": date_or_null(has_base, a.base_row),
            "baseline_mm": number_or_null(has_base, self.base_size, _number),
            "follow_up_count": integers(a.follow_ups),
            "last_date": quoted(dates(a.day[last_row])),
            "largest_change_mm": number_or_null(judged, change, _rounded),
            "peak_date": date_or_null(growing, a.peak_row),
            "time_to_peak_weeks": number_or_null(growing, peak_weeks, _rounded),
            "peak_change_mm": number_or_null(growing, change, _rounded),
            "first_enlarged_date": date_or_null(growing, a.first_enlarged_row),
            "decline_date": date_or_null(a.decline_row >= 0, a.decline_row),
            "time_to_baseline_weeks": number_or_null(back, back_weeks, _rounded),
        }

    @cached_property
    def group_json(self) -> pa.Array:
        """Per group, ``"SEQ":{...}`` as in the lesion's ``per_sequence`` object."""
        f = self._fields
        return join(
            '"',
            self.name,
            '":{"response":',
            f["response"],
            ',"baseline_date":',
            f["baseline_date"],
            ',"baseline_mm":',
            f["baseline_mm"],
            ',"follow_up_count":',
            f["follow_up_count"],
            ',"last_date":',
            f["last_date"],
            ',"largest_change_mm":',
            f["largest_change_mm"],
            ',"peak_date":',
            f["peak_date"],
            ',"time_to_peak_weeks":',
            f["time_to_peak_weeks"],
            ',"peak_change_mm":',
            f["peak_change_mm"],
            ',"first_enlarged_date":',
            f["first_enlarged_date"],
            ',"decline_date":',
            f["decline_date"],
            ',"time_to_baseline_weeks":',
            f["time_to_baseline_weeks"],
            ',"reasons":[',
            self.group_reasons,
            '],"warnings":[',
            self.group_warnings,
            "]}",
        )
