"""Every branch of the Amini 2016 criteria (docs/criteria.md, "Amini 2016"), table-driven.

Baseline 20 mm two weeks before treatment unless stated; error e = 2 mm; decline window 92
days; OPP peak window 26 weeks. Each case gives the T1 course as (week, size) pairs.
"""

from __future__ import annotations

import pytest

from pseudoprog.criteria.amini2016 import Amini2016Parameters, Rule, assess
from pseudoprog.criteria.result import CheckStatus, WarningKind
from pseudoprog.domain import EventKind, LesionHistory, ResponseCategory, Sequence
from pseudoprog.errors import ParameterError

from .helpers import day, history

PR, SD, PD = ResponseCategory.PR, ResponseCategory.SD, ResponseCategory.PD
OPP, IND = ResponseCategory.OPP, ResponseCategory.INDETERMINATE
B = (-2, 20.0)
STC = EventKind.SYSTEMIC_THERAPY_CHANGE
ENL = EventKind.OTHER_BONE_LESIONS_ENLARGED
DEC = EventKind.OTHER_BONE_LESIONS_DECREASED

CASES = [
    # id, T1 follow-up course, events, expected category, expected deciding rule
    ("pr-shrinks", [(12, 19), (24, 17.5)], [], PR, Rule.PARTIAL_RESPONSE),
    ("pr-exactly-e-below", [(12, 19), (24, 18.0)], [], PR, Rule.PARTIAL_RESPONSE),
    ("pr-after-growth-below-e", [(12, 21.9), (24, 17)], [], PR, Rule.PARTIAL_RESPONSE),
    ("sd-no-change", [(12, 20), (24, 20)], [], SD, Rule.STABLE),
    ("sd-growth-below-e", [(12, 21.9), (24, 21)], [], SD, Rule.STABLE),
    ("sd-shrink-below-e", [(12, 19), (24, 18.1)], [], SD, Rule.STABLE),
    ("opp-fast-decline-confirmed", [(12, 26), (24, 21), (36, 20)], [], OPP, Rule.DECLINE),
    ("opp-growth-exactly-e", [(12, 22), (24, 20), (36, 20)], [], OPP, Rule.DECLINE),
    # 6 mm drop in 126 days is 4.4 mm per 92 days: a late scan does not hide the decline
    ("opp-late-scan-rate", [(12, 28), (30, 22), (42, 21)], [], OPP, Rule.DECLINE),
    # 2 mm in 126 days is 1.46 mm per 92 days
    ("pd-decline-too-slow", [(12, 24), (30, 22), (42, 21)], [], PD, Rule.DECLINE_TOO_SLOW),
    ("pd-not-sustained", [(12, 26), (24, 22), (36, 24.5)], [], PD, Rule.DECLINE_NOT_SUSTAINED),
    ("opp-sustained-at-boundary", [(12, 26), (24, 22), (36, 24.0)], [], OPP, Rule.DECLINE),
    (
        "pd-systemic-therapy-explains",
        [(12, 26), (24, 21), (36, 20)],
        [(14, STC)],
        PD,
        Rule.SYSTEMIC_THERAPY_EXPLAINS_DECLINE,
    ),
    (
        "pd-systemic-others-decreased",
        [(12, 26), (24, 21), (36, 20)],
        [(14, STC), (24, DEC)],
        PD,
        Rule.SYSTEMIC_THERAPY_EXPLAINS_DECLINE,
    ),
    (
        "opp-systemic-but-others-enlarged",
        [(12, 26), (24, 21), (36, 20)],
        [(14, STC), (24, ENL)],
        OPP,
        Rule.OTHER_BONE_LESIONS_ENLARGED,
    ),
    (
        "pd-systemic-others-enlarged-before-peak",
        [(12, 26), (24, 21), (36, 20)],
        [(14, STC), (8, ENL)],
        PD,
        Rule.SYSTEMIC_THERAPY_EXPLAINS_DECLINE,
    ),
    ("opp-systemic-before-peak", [(12, 26), (24, 21), (36, 20)], [(6, STC)], OPP, Rule.DECLINE),
    (
        "pd-systemic-on-peak-day",
        [(12, 26), (24, 21)],
        [(12, STC)],
        PD,
        Rule.SYSTEMIC_THERAPY_EXPLAINS_DECLINE,
    ),
    ("opp-systemic-on-decline-day", [(12, 26), (24, 21), (36, 20)], [(24, STC)], OPP, Rule.DECLINE),
    ("opp-systemic-after-decline", [(12, 26), (24, 21), (36, 20)], [(30, STC)], OPP, Rule.DECLINE),
    # no decline; latest study 98 days after the peak
    ("pd-growth-persisted", [(12, 25), (26, 24)], [], PD, Rule.GROWTH_PERSISTED),
    # growth on two studies, peak at 27 weeks (189 days > 182)
    ("pd-peak-beyond-window", [(13, 23), (27, 25)], [], PD, Rule.PEAK_BEYOND_WINDOW),
    ("pd-continued-growth", [(13, 23), (26, 25), (39, 28)], [], PD, Rule.PEAK_BEYOND_WINDOW),
    ("ind-growth-on-latest-only", [(12, 19), (24, 23)], [], IND, Rule.AWAITING_FOLLOW_UP),
    ("ind-first-follow-up-enlarged", [(12, 24)], [], IND, Rule.AWAITING_FOLLOW_UP),
    ("ind-two-enlarged-in-window", [(12, 23), (20, 24)], [], IND, Rule.AWAITING_FOLLOW_UP),
    # one enlarged study at 30 weeks, latest: only one study, so not beyond-window PD yet
    ("ind-single-late-enlargement", [(13, 20), (30, 23)], [], IND, Rule.AWAITING_FOLLOW_UP),
    # peak 13 weeks before the latest study (91 days, not more than 92)
    ("ind-plateau-91-days", [(12, 24), (25, 23.5)], [], IND, Rule.AWAITING_FOLLOW_UP),
    ("pd-plateau-93-days", [(12, 24), (25.3, 23.5)], [], PD, Rule.GROWTH_PERSISTED),
]


@pytest.mark.parametrize(
    ("course", "events", "expected", "rule"),
    [pytest.param(c, e, x, r, id=i) for i, c, e, x, r in CASES],
)
def test_rule_table(
    course: list[tuple[float, float]],
    events: list[tuple[float, EventKind]],
    expected: ResponseCategory,
    rule: Rule,
) -> None:
    result = assess(history([B, *course], events=events))
    assert result.category is expected, result.summary()
    assert result.reasons[-1].rule is rule, result.summary()
    assert result.sequence is Sequence.T1


def test_reasons_spell_out_the_numbers() -> None:
    result = assess(history([B, (12, 26), (24, 21), (36, 20)]))
    grew, declined = result.reasons
    assert "+6.0 mm" in grew.message
    assert "12.0 weeks" in grew.message
    assert "5.0 mm below the peak" in declined.message
    assert "84 days" in declined.message
    assert "confirmed by 1 later study" in declined.message


def test_decline_only_on_latest_study_warns() -> None:
    result = assess(history([B, (12, 26), (24, 21)]))
    assert result.category is OPP
    assert [w.kind for w in result.warnings] == [WarningKind.DECLINE_UNCONFIRMED]
    confirmed = assess(history([B, (12, 26), (24, 21), (36, 20)]))
    assert confirmed.warnings == ()


def test_time_course_numbers() -> None:
    result = assess(history([B, (6, 22), (12, 26), (24, 23), (36, 21.5), (48, 20)]))
    assert result.category is OPP
    assert result.time_to_peak_weeks == pytest.approx(12.0)
    assert result.peak_change_mm == pytest.approx(6.0)
    # first post-peak study with change < 2 mm: 21.5 at week 36
    assert result.time_to_baseline_weeks == pytest.approx(36.0)
    t1 = result.per_sequence[Sequence.T1]
    assert t1.first_enlarged_date == day(6)
    assert t1.decline_date == day(24)  # 23 mm is the first study at least 2 mm below 26
    assert t1.enlarged_study_count == 3


def test_decline_is_first_study_e_below_peak() -> None:
    result = assess(history([B, (12, 26), (20, 24.5), (28, 23.9), (36, 20)]))
    t1 = result.per_sequence[Sequence.T1]
    assert t1.decline_date == day(28)  # 24.5 is 1.5 below the peak, 23.9 is 2.1 below


def test_never_returning_lesion_has_no_time_to_baseline() -> None:
    result = assess(history([B, (12, 28), (24, 25), (36, 24.5)]))
    assert result.category is OPP
    assert result.time_to_baseline_weeks is None


def test_non_enlarging_lesion_has_no_peak() -> None:
    result = assess(history([B, (12, 21), (24, 19)]))
    t1 = result.per_sequence[Sequence.T1]
    assert t1.time_to_peak_weeks is None
    assert t1.peak_change_mm is None
    assert t1.largest_change_mm == pytest.approx(1.0)


def test_tie_at_peak_takes_first() -> None:
    # From the first 25 mm (week 12): 2.5 mm in 126 days, too slow -> PD.
    # From the second (week 24) it would be 2.5 mm in 42 days -> OPP.
    result = assess(history([B, (12, 25), (24, 25), (30, 22.5)]))
    assert result.per_sequence[Sequence.T1].peak_date == day(12)
    assert result.category is PD
    assert result.reasons[-1].rule is Rule.DECLINE_TOO_SLOW


def test_baseline_is_latest_study_on_or_before_treatment() -> None:
    result = assess(history([(-10, 30), (-1, 20), (12, 21), (24, 21)]))
    t1 = result.per_sequence[Sequence.T1]
    assert t1.baseline_mm == 20
    assert t1.baseline_date == day(-1)
    assert result.category is SD  # against 30 mm it would be PR


def test_study_on_treatment_day_is_the_baseline() -> None:
    result = assess(history([(-3, 25), (0, 20), (12, 23), (24, 19)]))
    t1 = result.per_sequence[Sequence.T1]
    assert t1.baseline_date == day(0)
    assert t1.baseline_mm == 20
    assert t1.follow_up_count == 2


def test_as_of_sees_only_earlier_studies() -> None:
    h = history([B, (12, 26), (24, 21), (36, 20)])
    assert assess(h, as_of=day(11)).reasons[-1].rule is Rule.NO_FOLLOW_UP
    early = assess(h, as_of=day(13))
    assert early.category is IND
    assert early.as_of == day(13)
    mid = assess(h, as_of=day(24))
    assert mid.category is OPP
    assert WarningKind.DECLINE_UNCONFIRMED in [w.kind for w in mid.warnings]
    assert assess(h, as_of=day(40)).warnings == ()


def test_as_of_hides_later_events() -> None:
    h = history([B, (12, 26), (24, 21)], events=[(14, STC)])
    assert assess(h).category is PD
    assert assess(h, as_of=day(13)).category is IND


def test_primary_sequence_decides_and_disagreement_warns() -> None:
    h = history([B, (12, 21), (24, 20)], t2fs=[(-2, 22), (12, 28), (24, 23)])
    default = assess(h)
    assert default.category is SD
    assert default.sequence is Sequence.T1
    kinds = [w.kind for w in default.warnings]
    assert WarningKind.SEQUENCES_DISAGREE in kinds
    assert "T2FS gives OPP" in default.warnings[-1].message
    t2 = assess(h, params=Amini2016Parameters(primary_sequence=Sequence.T2FS))
    assert t2.category is OPP
    assert t2.sequence is Sequence.T2FS


def test_missing_primary_uses_next_sequence_with_warning() -> None:
    h = history(t2fs=[(-2, 22), (12, 28), (24, 23)], t1c=[(-2, 20), (12, 20)])
    result = assess(h)
    assert result.sequence is Sequence.T2FS
    assert result.category is OPP
    assert result.warnings[0].kind is WarningKind.PRIMARY_SEQUENCE_MISSING
    assert "T1 has no studies" in result.warnings[0].message


def test_primary_without_baseline_falls_back() -> None:
    h = history([(12, 26), (24, 21)], t2fs=[(-2, 22), (12, 22), (24, 22)])
    result = assess(h)
    assert result.sequence is Sequence.T2FS
    assert result.category is SD
    kinds = [w.kind for w in result.warnings]
    assert WarningKind.MISSING_BASELINE in kinds
    assert WarningKind.PRIMARY_SEQUENCE_MISSING in kinds
    assert result.per_sequence[Sequence.T1].category is None


def test_missing_baseline_on_other_sequence_warns() -> None:
    h = history([B, (12, 20)], t1c=[(12, 25)])
    result = assess(h)
    assert result.sequence is Sequence.T1
    assert [w.kind for w in result.warnings] == [WarningKind.MISSING_BASELINE]


def test_no_follow_up_is_indeterminate() -> None:
    result = assess(history([B]))
    assert result.category is IND
    assert result.sequence is None
    assert result.reasons[0].rule is Rule.NO_FOLLOW_UP
    assert WarningKind.NO_FOLLOW_UP in [w.kind for w in result.warnings]


def test_no_baseline_anywhere_is_indeterminate() -> None:
    result = assess(history([(12, 20), (24, 20)]))
    assert result.category is IND
    assert result.reasons[0].rule is Rule.NO_BASELINE


def test_error_parameter_changes_the_threshold() -> None:
    h = history([B, (12, 22.5), (24, 20)])
    assert assess(h).category is OPP
    assert assess(h, params=Amini2016Parameters(error_mm=3.0)).category is SD


def test_decline_window_parameter() -> None:
    h = history([B, (12, 24), (30, 22), (42, 21)])  # 2 mm in 126 days
    assert assess(h).category is PD
    wide = Amini2016Parameters(decline_window_days=130)
    assert assess(h, params=wide).category is OPP


def test_peak_window_parameter() -> None:
    h = history([B, (13, 23), (27, 25)])
    assert assess(h).category is PD
    assert assess(h, params=Amini2016Parameters(opp_peak_window_weeks=30)).category is IND


def test_parameters_are_recorded() -> None:
    params = Amini2016Parameters(error_mm=2.5, primary_sequence=Sequence.T1C)
    result = assess(history([B, (12, 20)], t1c=[B, (12, 20)]), params=params)
    recorded = result.parameters.to_dict()
    assert recorded["criteria"] == "amini2016"
    assert recorded["error_mm"] == 2.5
    assert recorded["primary_sequence"] == "T1C"
    assert recorded["decline_window_days"] == 92
    assert recorded["opp_peak_window_weeks"] == 26.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"error_mm": 0},
        {"error_mm": -1},
        {"decline_window_days": 0},
        {"opp_peak_window_weeks": 0},
        {"primary_sequence": "T1"},
    ],
)
def test_invalid_parameters_are_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(ParameterError, match=next(iter(kwargs))):
        Amini2016Parameters(**kwargs)  # type: ignore[arg-type]


def test_summary_and_dict_explain_the_result() -> None:
    result = assess(history([B, (12, 26), (24, 21), (36, 20)]))
    text = result.summary()
    assert text.startswith("Lesion L1 (patient P1): OPP (osseous pseudoprogression) on T1")
    data = result.to_dict()
    assert data["response"] == "OPP"
    assert data["time_to_peak_weeks"] == 12.0
    assert data["per_sequence"]["T1"]["decline_date"] == day(24).isoformat()
    assert [r["code"] for r in data["reasons"]] == ["enlarged", "decline"]


def test_opp_without_an_events_record_warns() -> None:
    h = history([B, (12, 26), (24, 21), (36, 20)])
    unrecorded = LesionHistory(h.lesion, h.series)  # no events table given
    result = assess(unrecorded)
    assert result.category is OPP
    assert [w.kind for w in result.warnings] == [WarningKind.EVENTS_NOT_RECORDED]
    assert "could not be excluded" in result.reasons[-1].message
    assert assess(h).warnings == ()  # recorded, and none happened


def test_inclusion_event_checks_unknown_without_events_record() -> None:
    h = history([B, (12, 20), (40, 20)])
    recorded = {c.criterion: c.status for c in assess(h).inclusion}
    assert recorded["no_hardware"] is CheckStatus.MET
    unrecorded = {
        c.criterion: c.status for c in assess(LesionHistory(h.lesion, h.series)).inclusion
    }
    assert unrecorded["no_hardware"] is CheckStatus.UNKNOWN
    assert unrecorded["no_fracture"] is CheckStatus.UNKNOWN
    with_hardware = history([B, (12, 20), (40, 20)], events=[(20, EventKind.HARDWARE)])
    checks = {c.criterion: c for c in assess(with_hardware).inclusion}
    assert checks["no_hardware"].status is CheckStatus.NOT_MET
    assert day(20).isoformat() in checks["no_hardware"].detail
    assert checks["follow_up"].status is CheckStatus.MET
    short = {c.criterion: c.status for c in assess(history([B, (12, 20), (20, 20)])).inclusion}
    assert short["follow_up"] is CheckStatus.NOT_MET
