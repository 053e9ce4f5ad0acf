"""Inclusion checks of Amini et al. 2016, judged on the data at hand and never applied silently.

The secondary analysis excluded (Materials and Methods, "Patient Population"): 1) imaging
follow-up of less than 6 months; 2) surgical hardware or cement augmentation during the
observation period; 3) significant fracture during the observation period; 4) lesions not
located in the vertebral body; 5) lesions occupying more than 75% of the vertebral body
cross-sectional area.

Hardware and fracture are read from the ``events`` table (events of the lesion, or of its
patient with no lesion given; ``unknown`` when no events were recorded); location and
involvement from the optional lesion columns ``in_vertebral_body`` and
``body_involvement_pct``. A check whose data are absent is ``UNKNOWN``, with the reason.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING

from pseudoprog.criteria.result import CheckStatus, InclusionCheck, SequenceAssessment
from pseudoprog.domain import EventKind, LesionHistory, Sequence

if TYPE_CHECKING:
    from pseudoprog.criteria.amini2016 import Amini2016Parameters

__all__ = ["CRITERIA", "add_months", "inclusion_checks"]

#: The criteria, in the paper's order; keys are the codes used in results.
CRITERIA = {
    "follow_up": "imaging follow-up of at least 6 months",
    "no_hardware": "no surgical hardware or cement augmentation during observation",
    "no_fracture": "no significant fracture during observation",
    "vertebral_body": "lesion located in the vertebral body",
    "body_involvement": "lesion occupying at most 75% of the vertebral body",
}


_EVENT_CHECKS = (("no_hardware", EventKind.HARDWARE), ("no_fracture", EventKind.FRACTURE))
# Results that do not depend on the lesion are shared (they are immutable).
_NO_EVENT = {
    kind: InclusionCheck(code, CheckStatus.MET, f"no {kind} event recorded")
    for code, kind in _EVENT_CHECKS
}
_NOT_RECORDED = {
    kind: InclusionCheck(code, CheckStatus.UNKNOWN, "no events recorded (no events table)")
    for code, kind in _EVENT_CHECKS
}
_UNKNOWN_LOCATION = InclusionCheck(
    "vertebral_body", CheckStatus.UNKNOWN, "in_vertebral_body not given"
)
_IN_BODY = InclusionCheck("vertebral_body", CheckStatus.MET, "in the vertebral body")
_OUTSIDE_BODY = InclusionCheck("vertebral_body", CheckStatus.NOT_MET, "outside the body")
_UNKNOWN_INVOLVEMENT = InclusionCheck(
    "body_involvement", CheckStatus.UNKNOWN, "body_involvement_pct not given"
)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later (clipped to the month's last day).

    >>> add_months(date(2011, 8, 31), 6)
    datetime.date(2012, 2, 29)
    """
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def inclusion_checks(
    history: LesionHistory,
    per_sequence: Mapping[Sequence, SequenceAssessment],
    *,
    as_of: date | None,
    params: Amini2016Parameters,
) -> tuple[InclusionCheck, ...]:
    """Judge the paper's inclusion criteria for one lesion."""
    lesion = history.lesion
    treated = lesion.treatment.date
    checks: list[InclusionCheck] = []

    last = max((r.last_date for r in per_sequence.values() if r.last_date), default=None)
    needed = add_months(treated, params.min_follow_up_months)
    if last is None or last <= treated:
        checks.append(
            InclusionCheck("follow_up", CheckStatus.NOT_MET, "no imaging after treatment")
        )
    else:
        status = CheckStatus.MET if last >= needed else CheckStatus.NOT_MET
        checks.append(
            InclusionCheck(
                "follow_up",
                status,
                f"last study {last.isoformat()}, {(last - treated).days} days after treatment "
                f"({params.min_follow_up_months} months reached on {needed.isoformat()})",
            )
        )

    end = last if last is not None else as_of
    for code, kind in _EVENT_CHECKS:
        if not history.events_known:
            checks.append(_NOT_RECORDED[kind])
            continue
        found = [
            ev
            for ev in history.events
            if ev.kind is kind and (end is None or ev.date <= end) and ev.date >= treated
        ]
        if found:
            detail = f"{kind} recorded on " + ", ".join(ev.date.isoformat() for ev in found)
            checks.append(InclusionCheck(code, CheckStatus.NOT_MET, detail))
        else:
            checks.append(_NO_EVENT[kind])

    if lesion.in_vertebral_body is None:
        checks.append(_UNKNOWN_LOCATION)
    else:
        checks.append(_IN_BODY if lesion.in_vertebral_body else _OUTSIDE_BODY)

    if lesion.body_involvement_pct is None:
        checks.append(_UNKNOWN_INVOLVEMENT)
    else:
        ok = lesion.body_involvement_pct <= params.max_body_involvement_pct
        checks.append(
            InclusionCheck(
                "body_involvement",
                CheckStatus.MET if ok else CheckStatus.NOT_MET,
                f"{lesion.body_involvement_pct:g}% of the vertebral body "
                f"(limit {params.max_body_involvement_pct:g}%)",
            )
        )
    return tuple(checks)
