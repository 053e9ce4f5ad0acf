"""Per-lesion text of column-engine results: category, reasons, warnings and inclusion checks.

:class:`LesionText` extends :class:`~pseudoprog.io.columnar_groups.GroupText` with what each
lesion shows: its category and deciding sequence, its reasons (the deciding group's, or why no
sequence decides), its warnings in the reference's order (missing baselines, primary sequence
missing, unconfirmed decline, events not recorded, sequences disagreeing, no follow-up), its
inclusion checks as :mod:`pseudoprog.criteria.inclusion` words them, and its ``per_sequence``
members.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from pseudoprog.criteria import inclusion as _inclusion
from pseudoprog.criteria.amini2016 import Rule
from pseudoprog.criteria.amini2016_columnar import NO_STUDY
from pseudoprog.criteria.result import CheckStatus, InclusionCheck, WarningKind
from pseudoprog.domain import EventKind
from pseudoprog.io.columnar_format import (
    _CATEGORIES,
    _CATEGORY_INDEX,
    _NSEQ,
    _SEQUENCES,
    _check,
    _item,
    _months_later,
)
from pseudoprog.io.columnar_groups import GroupText
from pseudoprog.io.columnar_text import (
    choose,
    dates,
    floats,
    integers,
    join,
    join_lists,
    repeat,
    texts,
)

__all__ = ["LesionText"]


class LesionText(GroupText):
    """The per-lesion texts of one part of a registry (parameters as :class:`GroupText`)."""

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
