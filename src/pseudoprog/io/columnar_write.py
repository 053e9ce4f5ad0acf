"""JSON, CSV and table text of column-engine results, byte for byte as the reference writes it.

:class:`ColumnarText` turns a :class:`~pseudoprog.criteria.amini2016_columnar.ColumnarAssessment`
(a part of a registry) into the text of :mod:`pseudoprog.io.results`: each lesion's JSON
object as ``orjson.dumps(Assessment.to_dict())`` gives it, each CSV row as ``csv.writer``
gives it, and the columns of the Parquet output. Every sentence follows the templates of
:mod:`pseudoprog.criteria.amini2016`, :mod:`pseudoprog.criteria.result` and
:mod:`pseudoprog.criteria.inclusion`; every number is formatted by Python
(:mod:`pseudoprog.io.columnar_text`).

Lesion and patient ids are written as they are: the caller leaves ids that JSON or CSV would
escape or quote to the reference writer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property, lru_cache

import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from pseudoprog.criteria import inclusion as _inclusion
from pseudoprog.criteria.amini2016 import Amini2016Parameters, Rule
from pseudoprog.criteria.amini2016_columnar import (
    CATEGORY_OF,
    NO_STUDY,
    ColumnarAssessment,
    RuleCode,
)
from pseudoprog.criteria.result import CheckStatus, InclusionCheck, WarningKind
from pseudoprog.domain import EventKind, ResponseCategory, Sequence
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

__all__ = ["ColumnarText", "LesionColumns", "needs_escaping"]

_SEQUENCES = tuple(Sequence)
_NSEQ = len(_SEQUENCES)
_EPOCH = date(1970, 1, 1)
_CATEGORIES = ("PR", "SD", "PD", "OPP", "INDETERMINATE")
#: Category position of each rule code (5: none).
_CATEGORY_INDEX = np.array(
    [5 if c is None else _CATEGORIES.index(c.value) for c in CATEGORY_OF], dtype=np.int64
)
#: Formats one number.
_Format = Callable[[float], str]
#: Characters that JSON escapes or CSV quotes in an id.
_ESCAPED = r'[\x00-\x1f\x7f",\\]'


def needs_escaping(values: pa.Array) -> npt.NDArray[np.bool_]:
    """Which ids JSON would escape or CSV would quote."""
    found = pc.match_substring_regex(values, _ESCAPED)
    return np.asarray(pc.fill_null(found, True).to_numpy(zero_copy_only=False), dtype=bool)


def _one(value: float) -> str:
    return f"{value:.1f}"


def _signed(value: float) -> str:
    return f"{value:+.1f}"


def _two(value: float) -> str:
    return f"{value:.2f}"


def _rounded(value: float) -> str:
    return orjson.dumps(round(value, 2)).decode()


def _number(value: float) -> str:
    return orjson.dumps(value).decode()


def _item(code: str, message: pa.Array | str) -> pa.Array | str:
    """A reason or warning as the JSON object ``{"code", "message"}``."""
    if isinstance(message, str):
        return orjson.dumps({"code": code, "message": message}).decode()
    return join(f'{{"code":"{code}","message":"', message, '"}')


def _check(check: InclusionCheck) -> str:
    return orjson.dumps(check.to_dict()).decode()


def _csv_cell(values: pa.Array) -> pa.Array:
    """Text cells as ``csv.writer`` writes them (quoted when they hold a comma or quote)."""
    special = np.asarray(
        pc.match_substring_regex(values, '[,"\r\n]').to_numpy(zero_copy_only=False), dtype=bool
    )
    if not special.any():
        return values
    wrapped = join('"', pc.replace_substring(values, '"', '""'), '"')
    return choose(special, wrapped, values)


@dataclass(frozen=True)
class LesionColumns:
    """What the text needs of each lesion of a part (in the part's order)."""

    patient_id: pa.Array
    lesion_id: pa.Array
    treated: npt.NDArray[np.int64]
    in_vertebral_body: npt.NDArray[np.int8]
    body_involvement_pct: npt.NDArray[np.float64]
    fractions: npt.NDArray[np.int64]


class ColumnarText:
    """The texts of one part of a registry.

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

    # ---- per lesion ---------------------------------------------------------------------

    @cached_property
    def _decided(self) -> npt.NDArray[np.bool_]:
        return self.a.deciding >= 0

    def _from_deciding(self, values: pa.Array, otherwise: str) -> pa.Array:
        """Per lesion, the deciding group's value (``otherwise`` when none decides)."""
        if not len(values):
            return repeat(otherwise, self.n)
        taken = values.take(pa.array(np.maximum(self.a.deciding, 0)))
        return choose(self._decided, taken, otherwise)

    @cached_property
    def category(self) -> pa.Array:
        """Per lesion, the category's code."""
        index = np.full(self.n, _CATEGORIES.index("INDETERMINATE"), dtype=np.int64)
        d = self._decided
        index[d] = _CATEGORY_INDEX[self.a.rule[self.a.deciding[d]]]
        return texts(_CATEGORIES).take(pa.array(index))

    @cached_property
    def deciding_sequence(self) -> pa.Array:
        """Per lesion, the deciding sequence ("" when none)."""
        names = texts([s.value for s in _SEQUENCES])
        if len(self.a.rule):
            taken = names.take(pa.array(self.a.group_sequence[np.maximum(self.a.deciding, 0)]))
        else:
            taken = repeat("", self.n)
        return choose(self._decided, taken, "")

    @cached_property
    def _undecided_follow_up(self) -> npt.NDArray[np.bool_]:
        """Lesions no sequence decides, for want of a follow-up (or of any study)."""
        has_group = (self.slot >= 0).any(axis=1)
        return ~self._decided & (self.a.has_baseline | ~has_group)

    @cached_property
    def reasons_json(self) -> pa.Array:
        """Per lesion, the JSON list of its reasons (without the brackets)."""
        follow = _item(Rule.NO_FOLLOW_UP.value, "no follow-up study after treatment yet")
        baseline = _item(Rule.NO_BASELINE.value, "no sequence has a study on or before treatment")
        fallback = choose(self._undecided_follow_up, follow, baseline)
        taken = self._from_deciding(self.group_reasons, "")
        return choose(self._decided, taken, fallback)

    @cached_property
    def reasons_text(self) -> pa.Array:
        """Per lesion, its reasons' messages joined by `` | ``."""
        fallback = choose(
            self._undecided_follow_up,
            "no follow-up study after treatment yet",
            "no sequence has a study on or before treatment",
        )
        taken = self._from_deciding(self.group_reason_text, "")
        return choose(self._decided, taken, fallback)

    @cached_property
    def _warning_items(self) -> tuple[npt.NDArray[np.int64], pa.Array, pa.Array]:
        """Per lesion warning, in order: its owner (sorted), JSON item and message."""
        a = self.a
        owners: list[npt.NDArray[np.int64]] = []
        messages: list[pa.Array] = []
        kinds: list[str] = []

        def add(keys: npt.NDArray[np.int64], text: pa.Array, kind: str) -> None:
            owners.append(keys)
            messages.append(text)
            kinds.append(kind)

        # sort keys: lesion * 8 + rank (missing baselines rank by sequence position, 0-2)
        g, text = self._missing_baseline
        add(a.group_lesion[g] * 8 + a.group_sequence[g], text, WarningKind.MISSING_BASELINE.value)

        primary = _SEQUENCES.index(self.params.primary_sequence)
        decided = np.flatnonzero(self._decided)
        seq = a.group_sequence[a.deciding[decided]]
        other = decided[seq != primary]
        absent = self.slot[other, primary] < 0
        names = texts([s.value for s in _SEQUENCES])
        p = self.params.primary_sequence.value
        text = join(
            f"primary sequence {p} ",
            choose(absent, "has no studies", "cannot be judged"),
            "; ",
            names.take(pa.array(a.group_sequence[a.deciding[other]])),
            " was used instead",
        )
        add(other * 8 + 3, text, WarningKind.PRIMARY_SEQUENCE_MISSING.value)

        on_deciding = np.full(len(a.rule), -1, dtype=np.int64)
        on_deciding[a.deciding[decided]] = decided
        for key, (g, text), kind in (
            (4, self._unconfirmed, WarningKind.DECLINE_UNCONFIRMED),
            (5, self._no_events, WarningKind.EVENTS_NOT_RECORDED),
        ):
            owner = on_deciding[g]
            keep = owner >= 0
            add(owner[keep] * 8 + key, text.filter(pa.array(keep)), kind.value)

        lesions, text = self._disagreement
        add(lesions * 8 + 6, text, WarningKind.SEQUENCES_DISAGREE.value)

        none = np.flatnonzero(self._undecided_follow_up)
        add(
            none * 8 + 7,
            repeat("no follow-up study to judge", len(none)),
            WarningKind.NO_FOLLOW_UP.value,
        )

        keys = np.concatenate(owners)
        order = np.argsort(keys, kind="stable")
        message = pa.concat_arrays(messages).take(pa.array(order))
        kind_text = texts(kinds).take(
            pa.array(np.repeat(np.arange(len(kinds)), [len(m) for m in messages])[order])
        )
        item = join('{"code":"', kind_text, '","message":"', message, '"}')
        return keys[order] // 8, item, message

    @cached_property
    def _disagreement(self) -> tuple[npt.NDArray[np.int64], pa.Array]:
        """Lesions whose sequences give other categories than the deciding one, and why."""
        a = self.a
        decided = np.flatnonzero(self._decided)
        cats = np.full((len(decided), _NSEQ), 5, dtype=np.int64)
        slots = self.slot[decided]
        present = slots >= 0
        cats[present] = _CATEGORY_INDEX[a.rule[slots[present]]]
        deciding_seq = a.group_sequence[a.deciding[decided]]
        code = deciding_seq.copy()
        for s in range(_NSEQ):
            code = code * 6 + cats[:, s]
        unique, inverse = np.unique(code, return_inverse=True)
        shown = texts([_disagree_text(int(c)) for c in unique.tolist()])
        text = shown.take(pa.array(inverse.ravel()))
        keep = np.asarray(pc.not_equal(text, "").to_numpy(zero_copy_only=False), dtype=bool)
        return decided[keep], text.filter(pa.array(keep))

    @cached_property
    def warnings_json(self) -> pa.Array:
        """Per lesion, the JSON list of its warnings (without the brackets)."""
        owner, item, _ = self._warning_items
        return join_lists(owner, item, self.n, ",")

    @cached_property
    def warnings_text(self) -> pa.Array:
        """Per lesion, its warnings' messages joined by `` | ``."""
        owner, _, message = self._warning_items
        return join_lists(owner, message, self.n, " | ")

    @cached_property
    def _needed(self) -> npt.NDArray[np.int64]:
        """Per lesion, the day the minimum follow-up is reached (days since 1970)."""
        treated = self.lesions.treated
        months = self.params.min_follow_up_months
        unique, inverse = np.unique(treated, return_inverse=True)
        needed = np.array([_months_later(d, months) for d in unique.tolist()], dtype=np.int64)
        return needed[inverse.ravel()] if len(unique) else treated

    @cached_property
    def inclusion_json(self) -> pa.Array:
        """Per lesion, the JSON list of its inclusion checks (without the brackets)."""
        lesions = self.lesions
        treated = lesions.treated
        last = self.a.last_day
        months = self.params.min_follow_up_months
        none = (last == NO_STUDY) | (last <= treated)
        needed = self._needed
        safe_last = np.where(none, treated, last)
        detail = join(
            "last study ",
            dates(safe_last),
            ", ",
            integers(safe_last - treated),
            f" days after treatment ({months} months reached on ",
            dates(needed),
            ")",
        )
        met = safe_last >= needed
        follow = choose(
            none,
            _check(InclusionCheck("follow_up", CheckStatus.NOT_MET, "no imaging after treatment")),
            join(
                '{"criterion":"follow_up","status":"',
                choose(met, "met", "not_met"),
                '","detail":"',
                detail,
                '"}',
            ),
        )
        table = _inclusion._NO_EVENT if self.events_recorded else _inclusion._NOT_RECORDED
        events = f"{_check(table[EventKind.HARDWARE])},{_check(table[EventKind.FRACTURE])}"
        location = texts(
            [
                _check(_inclusion._OUTSIDE_BODY),
                _check(_inclusion._IN_BODY),
                _check(_inclusion._UNKNOWN_LOCATION),
            ]
        ).take(pa.array(np.where(lesions.in_vertebral_body < 0, 2, lesions.in_vertebral_body)))
        pct = lesions.body_involvement_pct
        given = ~np.isnan(pct)
        limit = self.params.max_body_involvement_pct
        share = floats(
            np.where(given, pct, 0.0).astype(np.float64),
            lambda v: f"{v:g}% of the vertebral body (limit {limit:g}%)",
        )
        involvement = choose(
            given,
            join(
                '{"criterion":"body_involvement","status":"',
                choose(np.where(given, pct, 0.0) <= limit, "met", "not_met"),
                '","detail":"',
                share,
                '"}',
            ),
            _check(_inclusion._UNKNOWN_INVOLVEMENT),
        )
        return join(follow, ",", events, ",", location, ",", involvement)

    @cached_property
    def per_sequence_json(self) -> pa.Array:
        """Per lesion, the members of its ``per_sequence`` object."""
        return join_lists(self.a.group_lesion, self.group_json, self.n, ",")

    def _deciding_numbers(self, fmt: _Format, empty: str) -> tuple[pa.Array, ...]:
        a = self.a
        d = np.maximum(a.deciding, 0)
        rule = a.rule[d] if len(a.rule) else a.deciding
        growing = self._decided & (rule >= RuleCode.GROWTH_PERSISTED)
        treated = self.lesions.treated
        out = []
        peak_row = a.peak_row[d] if len(a.rule) else a.deciding
        back_row = a.back_row[d] if len(a.rule) else a.deciding
        peak_day = a.day[np.maximum(peak_row, 0)] if len(a.day) else treated
        back_day = a.day[np.maximum(back_row, 0)] if len(a.day) else treated
        change = self.peak_size[d] - self.base_size[d] if len(a.rule) else treated * 0.0
        for mask, values in (
            (growing, (peak_day - treated) / 7.0),
            (growing, change),
            (growing & (back_row >= 0), (back_day - treated) / 7),
        ):
            shown = repeat(empty, self.n)
            rows = np.flatnonzero(mask)
            if len(rows):
                shown = pc.replace_with_mask(shown, pa.array(mask), floats(values[rows], fmt))
            out.append(shown)
        return tuple(out)

    def json_objects(self, separator: str = "") -> pa.Array:
        """Per lesion, ``orjson.dumps(assessment.to_dict())`` as text, ``separator`` after
        each but the last."""
        peak, change, back = self._deciding_numbers(_rounded, "null")
        deciding = choose(self._decided, quoted(self.deciding_sequence), "null")
        return join(
            '{"patient_id":"',
            self.lesions.patient_id,
            '","lesion_id":"',
            self.lesions.lesion_id,
            '","response":"',
            self.category,
            f'","primary_sequence":"{self.params.primary_sequence.value}","deciding_sequence":',
            deciding,
            ',"time_to_peak_weeks":',
            peak,
            ',"peak_change_mm":',
            change,
            ',"time_to_baseline_weeks":',
            back,
            ',"per_sequence":{',
            self.per_sequence_json,
            '},"reasons":[',
            self.reasons_json,
            '],"warnings":[',
            self.warnings_json,
            '],"inclusion":[',
            self.inclusion_json,
            "]}",
            choose(np.arange(self.n) < self.n - 1, separator, ""),
        )

    def _sequence_responses(self) -> list[pa.Array]:
        out = []
        names = texts(["", *(c.value if c else "" for c in CATEGORY_OF)])
        for s in range(_NSEQ):
            g = self.slot[:, s]
            code = np.zeros(self.n, dtype=np.int64)
            if len(self.a.rule):
                code = np.where(g >= 0, self.a.rule[np.maximum(g, 0)] + 1, 0)
            out.append(names.take(pa.array(code)))
        return out

    def csv_rows(self) -> pa.Array:
        """Per lesion, its CSV row (with the line end), as ``csv.writer`` writes it."""
        peak, change, back = self._deciding_numbers(_two, "")
        return join(
            self.lesions.patient_id,
            ",",
            self.lesions.lesion_id,
            ",",
            self.category,
            f",{self.params.primary_sequence.value},",
            self.deciding_sequence,
            ",",
            peak,
            ",",
            change,
            ",",
            back,
            ",",
            *(x for r in self._sequence_responses() for x in (r, ",")),
            _csv_cell(self.reasons_text),
            ",",
            _csv_cell(self.warnings_text),
            "\n",
        )

    def _group_numbers(self) -> dict[str, tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]]:
        """Per group, the unrounded peak and return numbers and where they are given."""
        a = self.a
        treated = self.lesions.treated[a.group_lesion]
        growing = a.rule >= RuleCode.GROWTH_PERSISTED
        back = a.back_row >= 0
        return {
            "time_to_peak_weeks": (growing, (a.day[np.maximum(a.peak_row, 0)] - treated) / 7.0),
            "peak_change_mm": (growing, self.peak_size - self.base_size),
            "time_to_baseline_weeks": (back, (a.day[np.maximum(a.back_row, 0)] - treated) / 7),
        }

    def table_columns(self) -> dict[str, pa.Array]:
        """The Parquet columns (:data:`pseudoprog.io.parquet_results.PARQUET_SCHEMA`)."""
        a = self.a
        lesions = self.lesions
        n = self.n

        def optional(values: pa.Array) -> pa.Array:
            return pc.if_else(pc.equal(values, ""), None, values)

        def numbers(mask: npt.NDArray[np.bool_], values: npt.NDArray[np.float64]) -> pa.Array:
            return pa.array(np.where(mask, values, 0.0), pa.float64(), mask=~mask)

        group = self._group_numbers()
        d = np.maximum(a.deciding, 0)
        columns: dict[str, pa.Array] = {
            "patient_id": lesions.patient_id,
            "lesion_id": lesions.lesion_id,
            "response": self.category,
            "primary_sequence": repeat(self.params.primary_sequence.value, n),
            "deciding_sequence": optional(self.deciding_sequence),
        }
        for name, (mask, values) in group.items():
            if len(a.rule):
                columns[name] = numbers(self._decided & mask[d], values[d])
            else:
                columns[name] = pa.nulls(n, pa.float64())
        for s, r in zip(_SEQUENCES, self._sequence_responses(), strict=True):
            columns[f"{s.value}_response"] = optional(r)
        columns["reasons"] = self.reasons_text
        columns["warnings"] = self.warnings_text
        columns["fractions"] = pa.array(lesions.fractions, pa.int32())
        columns["single_fraction"] = pa.array(lesions.fractions == 1, pa.bool_())

        treated = lesions.treated
        last = a.last_day
        none = (last == NO_STUDY) | (last <= treated)
        not_met = (
            none | (last < self._needed),
            lesions.in_vertebral_body == 0,
            lesions.body_involvement_pct > self.params.max_body_involvement_pct,
        )
        code = sum(m.astype(np.int64) << i for i, m in enumerate(not_met))
        names = ("follow_up", "vertebral_body", "body_involvement")
        shown = [" | ".join(x for i, x in enumerate(names) if c >> i & 1) for c in range(8)]
        columns["inclusion_not_met"] = texts(shown).take(pa.array(code))

        rule = a.rule[d] if len(a.rule) else np.zeros(n, dtype=np.int64)
        first = a.first_enlarged_row[d] if len(a.rule) else np.full(n, -1)
        ended = self._decided & (first >= 0)
        ended &= (rule == RuleCode.DECLINE) | np.isin(
            rule,
            [int(c) for c in RuleCode if CATEGORY_OF[c] is ResponseCategory.PD],
        )
        end = np.where(ended, a.day[np.maximum(first, 0)] if len(a.day) else 0, last)
        columns["survival_weeks"] = numbers(~none, (end - treated) / 7.0)
        outcome = np.where(~none, np.where(ended, np.where(rule == RuleCode.DECLINE, 1, 2), 0), 3)
        columns["survival_outcome"] = pa.array(["censored", "opp", "pd", None], pa.string()).take(
            pa.array(outcome)
        )

        for position, sequence in enumerate(_SEQUENCES):
            g = self.slot[:, position]
            present = g >= 0
            columns[f"{sequence.value}_assessed"] = pa.array(present, pa.bool_())
            safe = np.maximum(g, 0)
            for name, (mask, values) in group.items():
                key = f"{sequence.value}_{name}"
                if len(a.rule):
                    columns[key] = numbers(present & mask[safe], values[safe])
                else:
                    columns[key] = pa.nulls(n, pa.float64())
        return columns


@lru_cache(maxsize=1 << 16)
def _months_later(day: int, months: int) -> int:
    """:func:`~pseudoprog.criteria.inclusion.add_months` on days since 1970."""
    return (_inclusion.add_months(_EPOCH + timedelta(days=day), months) - _EPOCH).days


def _disagree_text(code: int) -> str:
    """The ``sequences_disagree`` warning of a combination code ("" when they agree)."""
    cats = []
    for _ in range(_NSEQ):
        cats.append(code % 6)
        code //= 6
    cats.reverse()
    deciding = _SEQUENCES[code]
    category = _CATEGORIES[cats[_SEQUENCES.index(deciding)]]
    disagree = [
        f"{s.value} gives {_CATEGORIES[c]}"
        for s, c in zip(_SEQUENCES, cats, strict=True)
        if c != 5 and _CATEGORIES[c] != category
    ]
    if not disagree:
        return ""
    return f"sequences disagree: {deciding.value} gives {category}, " + ", ".join(disagree)
