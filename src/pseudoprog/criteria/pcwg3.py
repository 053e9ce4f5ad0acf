"""PCWG3 bone-scan progression: the "2+2 rule" and the flare of the first post-treatment scan.

Source: Scher HI, Morris MJ, Stadler WM, et al. *Trial design and objectives for castration-
resistant prostate cancer: updated recommendations from the Prostate Cancer Clinical Trials
Working Group 3.* J Clin Oncol 2016;34:1402-1418. The response codes (``NON-PD``, ``PDu``,
``PD``, ``NE``) are those of trial data sets (the PCWG3 vignette of the admiralonco package).

A bone scan can look worse early in an effective treatment: healing lesions take up more
tracer and faint lesions become visible (flare), the bone scan's own pseudoprogression. PCWG3
therefore does not call progression on new lesions of the first scan alone. The rules, with
their parameters (every result records them):

- **Counts.** Each bone scan after the treatment start gives the number of new bone lesions
  compared with the baseline (pre-treatment) scan.
- **Flare window** (``flare_window_weeks``, 12). The first scan within the window with at least
  ``min_new_lesions`` (2) new lesions is unconfirmed progression, *PDu*. It is *PD* only if a scan
  at least ``confirmation_min_days`` (42) later shows at least ``confirm_additional`` (2) more new
  lesions than it did (the "2+2 rule"); the PD is then dated to the first scan. Otherwise (fewer
  more on that scan) it was flare, and both scans are *NON-PD*.
- **After the window.** The first post-treatment scan is the new reference (after a flare, the
  flare scan is). At least ``min_new_lesions`` new lesions compared with the reference are *PDu*;
  they are *PD*, dated to the scan that first showed them, when a scan at least
  ``confirmation_min_days`` later still shows at least that many (persisting or increasing);
  otherwise *NON-PD*.
- Scans less than ``confirmation_min_days`` after a PDu neither confirm nor refute it: they are
  PDu too. A PDu without its confirming scan yet is pending; confirmed PD stays PD.

Two inputs, which may be combined: lesions with role ``new`` and organ ``bone``, each observed
(present or absent) on the bone-scan dates (the dates of any observation of a bone lesion); or
events of kind ``new_bone_lesions`` whose ``value`` is the count of new lesions on that scan.

Examples
--------
>>> from datetime import date, timedelta
>>> from pseudoprog.domain import Event, EventKind
>>> from pseudoprog.patient import PatientRecord
>>> start = date(2021, 1, 4)
>>> def scan(week, count):
...     return Event("P1", start + timedelta(weeks=week), EventKind.NEW_BONE_LESIONS, value=count)
>>> record = PatientRecord("P1", start, (), events=(scan(8, 2), scan(16, 2)), events_recorded=True)
>>> result = assess(record)
>>> [(t.date.isoformat(), t.response.value) for t in result.timepoints]
[('2021-03-01', 'NON-PD'), ('2021-04-26', 'NON-PD')]
>>> result.timepoints[0].reasons[-1].code
'flare'
>>> record = PatientRecord("P1", start, (), events=(scan(8, 2), scan(15, 4)), events_recorded=True)
>>> result = assess(record)
>>> result.best_overall_response.value, result.best_response_date.isoformat()
('PD', '2021-03-01')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from pseudoprog.criteria.patient_result import (
    PatientAssessment,
    PatientWarning,
    PatientWarningKind,
    Pending,
    TimepointResult,
)
from pseudoprog.criteria.result import Reason
from pseudoprog.domain import CodedEnum, EventKind
from pseudoprog.errors import ParameterError
from pseudoprog.patient import LesionRole, LesionStatus, PatientRecord, normalize_organ

__all__ = [
    "BoneScan",
    "Pcwg3Parameters",
    "Pcwg3Response",
    "Pcwg3Rule",
    "assess",
    "bone_scans",
]

#: The organ of the lesions read (after :func:`~pseudoprog.patient.normalize_organ`).
BONE = "bone"


class Pcwg3Response(CodedEnum):
    """Bone-scan response at one assessment by PCWG3 (Scher et al. 2016).

    ``PDu`` is unconfirmed progression, awaiting the scan that confirms it or shows flare.
    """

    NON_PD = "NON-PD"
    PDU = "PDu"
    PD = "PD"
    NE = "NE"

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]

    @classmethod
    def _aliases(cls) -> Mapping[str, str]:
        return {
            "non-progressive disease": "NON-PD",
            "unconfirmed progressive disease": "PDu",
            "unconfirmed progression": "PDu",
            "progressive disease": "PD",
            "progression": "PD",
            "not evaluable": "NE",
        }

    @classmethod
    def _described_as(cls) -> tuple[str | None, str]:
        return None, "PCWG3 bone response"


_MEANINGS = {
    Pcwg3Response.NON_PD: "non-progressive disease",
    Pcwg3Response.PDU: "unconfirmed progressive disease, awaiting confirmation",
    Pcwg3Response.PD: "progressive disease",
    Pcwg3Response.NE: "not evaluable",
}

P = Pcwg3Response


class Pcwg3Rule(StrEnum):
    """Rules of PCWG3 bone progression; the value is the code written in reasons."""

    BELOW_THRESHOLD = "below_threshold"
    FLARE_WINDOW_PDU = "flare_window_pdu"
    PDU = "pdu"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    UNDETERMINED = "undetermined"
    CONFIRMED = "confirmed"
    FLARE = "flare"
    PERSISTED = "persisted"
    NOT_PERSISTED = "not_persisted"
    AFTER_PD = "after_pd"
    NOT_EVALUABLE = "not_evaluable"
    BEST_RESPONSE = "best_response"


@dataclass(frozen=True, kw_only=True)
class Pcwg3Parameters:
    """Parameters of PCWG3 bone-scan progression (Scher et al. 2016); every result records them.

    Parameters
    ----------
    flare_window_weeks
        Weeks after the treatment start in which new lesions may be flare (PCWG3: the first
        8-12 weeks, mostly the first post-treatment scan; the protocol defines it).
    min_new_lesions
        New lesions that make a scan progression, unconfirmed until a later scan (PCWG3: 2).
    confirm_additional
        Within the flare window, further new lesions the confirming scan must show beyond the
        first scan's (PCWG3: 2, the "2+2 rule").
    confirmation_min_days
        Days at least between a scan and the scan that confirms it (PCWG3: 6 weeks, 42 days).
    """

    flare_window_weeks: float = 12.0
    min_new_lesions: int = 2
    confirm_additional: int = 2
    confirmation_min_days: int = 42

    def __post_init__(self) -> None:
        weeks = self.flare_window_weeks
        if isinstance(weeks, bool) or not isinstance(weeks, int | float):
            raise ParameterError(f"flare_window_weeks must be a number, got {weeks!r}")
        if not (math.isfinite(weeks) and weeks >= 0):
            raise ParameterError(
                f"flare_window_weeks must be a number of at least 0, got {weeks}; PCWG3 uses 8-12"
            )
        object.__setattr__(self, "flare_window_weeks", float(weeks))
        for name, minimum in (
            ("min_new_lesions", 1),
            ("confirm_additional", 1),
            ("confirmation_min_days", 0),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ParameterError(f"{name} must be a whole number, got {value!r}")
            if value < minimum:
                raise ParameterError(f"{name} must be at least {minimum}, got {value}")

    @property
    def criteria(self) -> str:
        """Name of the criteria."""
        return "pcwg3-bone"

    @property
    def flare_window_days(self) -> float:
        """The flare window in days."""
        return self.flare_window_weeks * 7

    def to_dict(self) -> dict[str, Any]:
        """The parameters as JSON-ready values, with the criteria name."""
        return {"criteria": self.criteria, **{f.name: getattr(self, f.name) for f in fields(self)}}

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Pcwg3Parameters:
        """Build parameters from flat keys (those of :meth:`to_dict`, e.g. a TOML file).

        Raises
        ------
        ParameterError
            For an unknown key (the message lists the known ones) or a bad value.
        """
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(values) - set(names) - {"criteria"})
        if unknown:
            raise ParameterError(
                f"unknown parameter {', '.join(map(repr, unknown))} for {cls.__name__}; "
                f"known parameters: {', '.join(names)}"
            )
        criteria = values.get("criteria", "pcwg3-bone")
        if criteria != "pcwg3-bone":
            raise ParameterError(
                f"parameters for criteria {criteria!r} given to pcwg3-bone; "
                "remove the 'criteria' key or set it to 'pcwg3-bone'"
            )
        return cls(**{k: v for k, v in values.items() if k in names})


# ---- the bone scans of a patient ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoneScan:
    """One bone scan after the treatment start.

    ``new_lesions`` counts the new lesions compared with the baseline scan (``None`` when the
    scan could not be evaluated). ``counted`` names the new lesions counted (lesion input);
    ``not_assessed`` the new lesions seen on an earlier scan but not assessed on this one;
    ``equivocal`` the possible new lesions not counted.
    """

    date: date
    new_lesions: int | None
    source: str
    counted: tuple[str, ...] = ()
    not_assessed: tuple[str, ...] = ()
    equivocal: tuple[str, ...] = ()


def _is_bone(organ: str | None) -> bool:
    return organ is not None and normalize_organ(organ) == BONE


def _scans_from_lesions(
    record: PatientRecord, as_of: date | None
) -> tuple[list[date], dict[date, BoneScan]]:
    bone = [lesion for lesion in record.lesions if _is_bone(lesion.organ)]
    new = [lesion.lesion_id for lesion in bone if lesion.role is LesionRole.NEW]
    days = sorted({o.date for lesion in bone for o in record.series(lesion.lesion_id)})
    baseline = [d for d in days if d <= record.treatment_start]
    scans: dict[date, BoneScan] = {}
    seen: set[str] = set()
    for day in days:
        if day <= record.treatment_start or (as_of is not None and day > as_of):
            continue
        at = {
            lesion.lesion_id: o
            for lesion in bone
            for o in record.series(lesion.lesion_id)
            if o.date == day
        }
        counted = tuple(
            k
            for k in new
            if k in at and at[k].present and at[k].status is not LesionStatus.EQUIVOCAL
        )
        equivocal = tuple(k for k in new if k in at and at[k].status is LesionStatus.EQUIVOCAL)
        not_assessed = tuple(k for k in new if k in seen and (k not in at or not at[k].evaluated))
        evaluable = any(o.evaluated for o in at.values())
        scans[day] = BoneScan(
            day,
            len(counted) if evaluable else None,
            "lesions",
            counted,
            not_assessed,
            equivocal,
        )
        seen.update(counted)
    return baseline, scans


def _event_count(value: float | None, patient_id: str, day: date) -> int | None:
    if value is None:
        return None
    if not (math.isfinite(value) and value >= 0 and value == int(value)):
        raise ParameterError(
            f"patient {patient_id!r}: the new_bone_lesions event on {day.isoformat()} has value "
            f"{value!r}; expected the count of new lesions, a whole number of at least 0"
        )
    return int(value)


def _scans_from_events(
    record: PatientRecord, as_of: date | None
) -> tuple[list[date], dict[date, BoneScan]]:
    baseline: list[date] = []
    scans: dict[date, BoneScan] = {}
    for event in record.events:
        if event.kind is not EventKind.NEW_BONE_LESIONS:
            continue
        if event.date <= record.treatment_start:
            baseline.append(event.date)
            continue
        if as_of is not None and event.date > as_of:
            continue
        count = _event_count(event.value, record.patient_id, event.date)
        earlier = scans.get(event.date)
        known = None if earlier is None else earlier.new_lesions
        if known is not None and count is not None and known != count:
            raise ParameterError(
                f"patient {record.patient_id!r} has two new_bone_lesions events on "
                f"{event.date.isoformat()} with counts {known} and {count}; keep one"
            )
        if earlier is None or earlier.new_lesions is None:
            scans[event.date] = BoneScan(event.date, count, "events")
    return baseline, scans


def bone_scans(
    record: PatientRecord, *, as_of: date | None = None
) -> tuple[date | None, tuple[BoneScan, ...]]:
    """The baseline bone-scan date (``None`` if not in the input) and the scans after it.

    Scans come from new bone lesions observed on the bone-scan dates and from
    ``new_bone_lesions`` events; a date given both ways must have the same count.

    Raises
    ------
    ParameterError
        For an event count that is not a whole number of at least 0, or a scan whose counts
        disagree.
    """
    base_lesions, from_lesions = _scans_from_lesions(record, as_of)
    base_events, from_events = _scans_from_events(record, as_of)
    merged = dict(from_lesions)
    for day, scan in from_events.items():
        other = merged.get(day)
        if other is None or other.new_lesions is None:
            merged[day] = scan
        elif scan.new_lesions is not None and scan.new_lesions != other.new_lesions:
            names = ", ".join(other.counted) or "none"
            raise ParameterError(
                f"patient {record.patient_id!r}: the bone scan on {day.isoformat()} counts "
                f"{other.new_lesions} new lesion(s) in the lesion rows ({names}) but "
                f"{scan.new_lesions} in the new_bone_lesions event; correct one of them"
            )
    baseline = [*base_lesions, *base_events]
    return (max(baseline) if baseline else None), tuple(merged[d] for d in sorted(merged))


# ---- the engine ---------------------------------------------------------------------------


def _plural(n: int, word: str = "new lesion") -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _iso(day: date) -> str:
    return day.isoformat()


@dataclass
class _Point:
    """A scan's response while the engine walks the scans (revised when a PDu resolves)."""

    scan: BoneScan
    response: Pcwg3Response
    reasons: list[Reason]


@dataclass
class _Candidate:
    """An unconfirmed progression (PDu) awaiting its confirming scan."""

    index: int
    in_flare_window: bool
    reference: int
    reference_label: str
    members: list[int]

    def needed(self, count_at_candidate: int, params: Pcwg3Parameters) -> int:
        """Count vs baseline the confirming scan must reach."""
        if self.in_flare_window:
            return count_at_candidate + params.confirm_additional
        return self.reference + params.min_new_lesions


def _scan_text(scan: BoneScan) -> str:
    text = f"{_plural(scan.new_lesions or 0)} vs the baseline scan"
    if scan.counted:
        text += f" ({', '.join(scan.counted)})"
    return text


def _notes(scan: BoneScan) -> str:
    notes = []
    if scan.not_assessed:
        notes.append(f"{', '.join(scan.not_assessed)} seen before but not assessed on this scan")
    if scan.equivocal:
        notes.append(f"{', '.join(scan.equivocal)} equivocal, not counted")
    return f" [{'; '.join(notes)}]" if notes else ""


def assess(
    record: PatientRecord,
    *,
    as_of: date | None = None,
    params: Pcwg3Parameters | None = None,
) -> PatientAssessment:
    """PCWG3 bone-scan response of one patient at each bone scan, and the best response.

    Parameters
    ----------
    record
        The patient's treatment start, bone lesions and observations, and events.
    as_of
        See only scans up to this date.
    params
        The criteria parameters (default: PCWG3's values).

    Raises
    ------
    ParameterError
        For bone-scan counts that are not whole numbers of at least 0, or that disagree.
    """
    params = Pcwg3Parameters() if params is None else params
    baseline_date, scans = bone_scans(record, as_of=as_of)
    start = record.treatment_start
    confirm_days = params.confirmation_min_days
    points: list[_Point] = []
    warnings: list[PatientWarning] = []
    if baseline_date is None and scans:
        warnings.append(
            PatientWarning(
                PatientWarningKind.NO_BASELINE,
                f"no bone scan on or before the treatment start {_iso(start)} in the input; "
                "the counts are read as new lesions compared with the pre-treatment scan",
            )
        )
    reference = 0
    reference_label = "the baseline scan"
    first_done = False
    flare_rule_open = True
    candidate: _Candidate | None = None
    pd_index: int | None = None
    confirm_index: int | None = None

    for index, scan in enumerate(scans):
        count = scan.new_lesions
        since_start = (scan.date - start).days
        if count is None:
            points.append(
                _Point(
                    scan,
                    P.NE,
                    [
                        Reason(
                            Pcwg3Rule.NOT_EVALUABLE,
                            f"NE: the bone scan on {_iso(scan.date)} was not evaluated",
                        )
                    ],
                )
            )
            continue
        if pd_index is not None and confirm_index is not None:
            points.append(
                _Point(
                    scan,
                    P.PD,
                    [
                        Reason(
                            Pcwg3Rule.AFTER_PD,
                            f"PD: progression dated {_iso(scans[pd_index].date)}, confirmed on "
                            f"{_iso(scans[confirm_index].date)}; {_scan_text(scan)} here"
                            f"{_notes(scan)}",
                        )
                    ],
                )
            )
            continue
        if candidate is not None:
            first = scans[candidate.index]
            first_count = first.new_lesions or 0
            gap = (scan.date - first.date).days
            needed = candidate.needed(first_count, params)
            if gap < confirm_days:
                candidate.members.append(len(points))
                points.append(
                    _Point(
                        scan,
                        P.PDU,
                        [
                            Reason(
                                Pcwg3Rule.AWAITING_CONFIRMATION,
                                f"PDu: {_scan_text(scan)}, {gap} days after the PDu of "
                                f"{_iso(first.date)}; too early to confirm or refute it (a "
                                f"confirming scan is due ≥ {confirm_days} days after it, from "
                                f"{_iso(first.date + timedelta(days=confirm_days))}){_notes(scan)}",
                            )
                        ],
                    )
                )
                continue
            if count < needed <= count + len(scan.not_assessed):
                candidate.members.append(len(points))
                points.append(
                    _Point(
                        scan,
                        P.PDU,
                        [
                            Reason(
                                Pcwg3Rule.UNDETERMINED,
                                f"PDu: {_scan_text(scan)} on {_iso(scan.date)}, {gap} days after "
                                f"the PDu of {_iso(first.date)}, but "
                                f"{', '.join(scan.not_assessed)} (seen before) not assessed: with "
                                f"them it would reach the {needed} new needed to confirm, so "
                                "this scan neither confirms nor refutes the PDu",
                            )
                        ],
                    )
                )
                continue
            members = [*candidate.members, len(points)]
            if count >= needed:
                if candidate.in_flare_window:
                    text = (
                        f"PD by the 2+2 rule: {_scan_text(scan)} on {_iso(scan.date)}, {gap} days "
                        f"after {_iso(first.date)}, {count - first_count} more than the "
                        f"{first_count} then (≥ {params.confirm_additional} more needed, "
                        f"≥ {confirm_days} days later); progression dated {_iso(first.date)}"
                    )
                    rule = Pcwg3Rule.CONFIRMED
                else:
                    text = (
                        f"PD: the new lesions persist on {_iso(scan.date)}, {gap} days after "
                        f"{_iso(first.date)}: {count - candidate.reference} new vs "
                        f"{candidate.reference_label} (≥ {params.min_new_lesions} needed, "
                        f"≥ {confirm_days} days later); progression dated {_iso(first.date)}"
                    )
                    rule = Pcwg3Rule.PERSISTED
                response = P.PD
                pd_index, confirm_index = candidate.index, index
            else:
                if candidate.in_flare_window:
                    text = (
                        f"Flare, not progression: {_scan_text(scan)} on {_iso(scan.date)}, "
                        f"{gap} days after {_iso(first.date)}, {count - first_count} more than "
                        f"the {first_count} then (≥ {params.confirm_additional} more needed "
                        "for PD by the 2+2 rule)"
                    )
                    rule = Pcwg3Rule.FLARE
                    reference = first_count
                    reference_label = f"the flare scan of {_iso(first.date)} ({first_count})"
                    flare_rule_open = False
                else:
                    text = (
                        f"Not progression: the new lesions do not persist on {_iso(scan.date)}, "
                        f"{gap} days after {_iso(first.date)}: {count - candidate.reference} new "
                        f"vs {candidate.reference_label} (≥ {params.min_new_lesions} needed)"
                    )
                    rule = Pcwg3Rule.NOT_PERSISTED
                response = P.NON_PD
            points.append(_Point(scan, response, [Reason(rule, text + _notes(scan))]))
            for member in members[:-1]:
                points[member].response = response
                points[member].reasons.append(Reason(rule, text))
            candidate = None
            continue
        in_window = since_start <= params.flare_window_days
        if in_window and flare_rule_open:
            where = (
                f"{since_start} days after the treatment start, within the "
                f"{params.flare_window_weeks:g}-week flare window"
            )
            if count >= params.min_new_lesions:
                candidate = _Candidate(index, True, 0, "the baseline scan", [len(points)])
                reason = Reason(
                    Pcwg3Rule.FLARE_WINDOW_PDU,
                    f"PDu: {_scan_text(scan)} on {_iso(scan.date)}, {where} "
                    f"(≥ {params.min_new_lesions} new); PD only if a scan ≥ {confirm_days} days "
                    f"later shows ≥ {params.confirm_additional} more (≥ "
                    f"{count + params.confirm_additional} new), otherwise flare{_notes(scan)}",
                )
                points.append(_Point(scan, P.PDU, [reason]))
            else:
                reason = Reason(
                    Pcwg3Rule.BELOW_THRESHOLD,
                    f"NON-PD: {_scan_text(scan)} on {_iso(scan.date)}, {where} "
                    f"(≥ {params.min_new_lesions} new needed for PDu){_notes(scan)}",
                )
                points.append(_Point(scan, P.NON_PD, [reason]))
        else:
            new_vs_reference = count - reference
            compared = (
                f"{_scan_text(scan)} on {_iso(scan.date)} ({since_start} days after the "
                f"treatment start): {new_vs_reference} new vs {reference_label}"
            )
            if new_vs_reference >= params.min_new_lesions:
                candidate = _Candidate(index, False, reference, reference_label, [len(points)])
                reason = Reason(
                    Pcwg3Rule.PDU,
                    f"PDu: {compared} (≥ {params.min_new_lesions} new); PD if they persist on a "
                    f"scan ≥ {confirm_days} days later{_notes(scan)}",
                )
                points.append(_Point(scan, P.PDU, [reason]))
            else:
                reason = Reason(
                    Pcwg3Rule.BELOW_THRESHOLD,
                    f"NON-PD: {compared} (≥ {params.min_new_lesions} new needed for PDu)"
                    f"{_notes(scan)}",
                )
                points.append(_Point(scan, P.NON_PD, [reason]))
        if not first_done:
            first_done = True
            if candidate is None or not candidate.in_flare_window:
                # the first post-treatment scan is the reference of the later ones
                reference = count
                reference_label = f"the first post-treatment scan of {_iso(scan.date)} ({count})"

    results = tuple(
        TimepointResult(
            date=p.scan.date,
            response=p.response,
            target_response=None,
            non_target_response=None,
            new_lesions=bool(p.scan.new_lesions),
            target_sum_mm=None,
            change_from_baseline_pct=None,
            change_from_nadir_pct=None,
            reasons=tuple(p.reasons),
        )
        for p in points
    )
    pending: list[Pending] = []
    best: Pcwg3Response | None
    best_date: date | None = None
    confirmed: bool | None = None
    if pd_index is not None and confirm_index is not None:
        best, best_date, confirmed = P.PD, scans[pd_index].date, True
        best_reason = (
            f"PD on {_iso(best_date)}, confirmed by the scan of {_iso(scans[confirm_index].date)}"
        )
    elif candidate is not None:
        first = scans[candidate.index]
        due = first.date + timedelta(days=confirm_days)
        best, best_date, confirmed = P.PDU, first.date, False
        needed = candidate.needed(first.new_lesions or 0, params)
        what = (
            f"≥ {needed} new vs the baseline scan (2+2 rule), or flare"
            if candidate.in_flare_window
            else f"the new lesions persisting (≥ {needed - candidate.reference} new vs "
            f"{candidate.reference_label})"
        )
        message = (
            f"PDu of {_iso(first.date)} awaits a bone scan from {_iso(due)} "
            f"(≥ {confirm_days} days later) showing {what}"
        )
        pending.append(Pending("PDu confirmation", first.date, due, None, message))
        warnings.append(
            PatientWarning(
                PatientWarningKind.UNCONFIRMED_PROGRESSION,
                f"unconfirmed progression (PDu) of {_iso(first.date)} at the last scan: "
                "not PD until a later scan confirms it",
                first.date,
            )
        )
        best_reason = f"PDu on {_iso(first.date)}, not confirmed yet; {message}"
    elif any(p.response is P.NON_PD for p in points):
        best = P.NON_PD
        flares = [
            p.scan.date
            for p in points
            if p.reasons[0].rule is Pcwg3Rule.FLARE_WINDOW_PDU and p.response is P.NON_PD
        ]
        best_reason = f"NON-PD: no confirmed progression on {_plural(len(points), 'bone scan')}"
        if flares:
            best_reason += f"; the new lesions of {_iso(flares[0])} were flare"
    elif points:
        best = P.NE
        best_reason = "NE: no bone scan could be evaluated"
    else:
        best = None
        best_reason = "no bone scan after the treatment start"
        warnings.append(
            PatientWarning(
                PatientWarningKind.NO_FOLLOW_UP,
                f"no bone scan after the treatment start {_iso(start)} yet",
            )
        )
    return PatientAssessment(
        patient_id=record.patient_id,
        criteria=params.criteria,
        baseline_date=baseline_date,
        baseline_sum_mm=None,
        timepoints=results,
        best_overall_response=best,
        best_response_date=best_date,
        best_response_confirmed=confirmed,
        best_response_reasons=(Reason(Pcwg3Rule.BEST_RESPONSE, best_reason),),
        warnings=tuple(warnings),
        parameters=params,
        as_of=as_of,
        pending=tuple(pending),
    )
