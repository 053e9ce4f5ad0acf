"""Choi criteria (Choi et al., J Clin Oncol 2007): every rule, table-driven, and properties.

Every expected value is worked out by hand from the rules: PR when the sum of longest diameters
is ≥ 10% below baseline or the mean attenuation (HU) ≥ 15% below baseline; PD when the sum is
≥ 10% above the nadir and the attenuation has not fallen ≥ 15%, on a new lesion, on a new or
growing intratumoral nodule, or on unequivocal non-target progression; CR when every lesion is
gone; NE when the size is up ≥ 10% and the attenuation was not measured; SD otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pseudoprog.criteria import choi, recist, registry
from pseudoprog.criteria.choi import ChoiParameters, SizeReference, assess, baseline_problems
from pseudoprog.criteria.codes import OverallResponse as R
from pseudoprog.criteria.patient_result import PatientAssessment, PatientWarningKind
from pseudoprog.domain import Site
from pseudoprog.errors import ParameterError
from pseudoprog.patient import (
    LesionRole,
    LesionStatus,
    NoduleFinding,
    Observation,
    PatientRecord,
    TrackedLesion,
)

START = date(2022, 1, 10)
BASE = -7  # the baseline CT, a week before imatinib starts

#: A look at a target: (size mm, attenuation HU or None, intratumoral nodule or None)
Look = tuple[float, float | None, str | None]


def on(day: int) -> date:
    return START + timedelta(days=day)


def _look(day: int, value: Any) -> Observation:
    if isinstance(value, str):
        return Observation(on(day), status=LesionStatus.parse(value))
    if len(value) == 2:
        value = (*value, None)
    size, hu, nodule = value
    return Observation(
        on(day),
        size_mm=float(size),
        attenuation_hu=None if hu is None else float(hu),
        intratumoral_nodule=None if nodule is None else NoduleFinding.parse(nodule),
    )


def patient(
    targets: Mapping[str, Mapping[int, Any]],
    non_targets: Mapping[str, Mapping[int, Any]] | None = None,
    new: Mapping[str, Mapping[int, Any]] | None = None,
) -> PatientRecord:
    """A patient: each lesion maps day -> (size, HU[, nodule]) or a status."""
    lesions: list[TrackedLesion] = []
    observations: dict[str, tuple[Observation, ...]] = {}
    for role, group in (
        (LesionRole.TARGET, targets),
        (LesionRole.NON_TARGET, non_targets or {}),
        (LesionRole.NEW, new or {}),
    ):
        for lesion_id, course in group.items():
            lesions.append(TrackedLesion("P1", lesion_id, role=role, organ="liver"))
            observations[lesion_id] = tuple(_look(d, v) for d, v in sorted(course.items()))
    return PatientRecord("P1", START, tuple(lesions), observations)


def responses(result: PatientAssessment) -> list[str]:
    return [t.response.value for t in result.timepoints]


def targets(result: PatientAssessment) -> list[str | None]:
    return [
        None if t.target_response is None else t.target_response.value for t in result.timepoints
    ]


def codes(result: PatientAssessment, index: int) -> list[str]:
    return [str(r.code) for r in result.timepoints[index].reasons]


# ---- the rules, one branch per row ---------------------------------------------------------

#: name, targets {id: {day: look}}, extra lesions, expected target responses, expected overall
RULES: list[tuple[str, dict[str, Any], dict[str, Any], list[str], list[str]]] = [
    # 50 -> 44 mm: -12% (≥ 10% down); 80 -> 78 HU: -2.5%
    ("pr_by_size", {"L1": {BASE: (50, 80), 56: (44, 78)}}, {}, ["PR"], ["PR"]),
    # 50 -> 45: exactly -10%
    ("pr_by_size_at_the_boundary", {"L1": {BASE: (50, 80), 56: (45, 80)}}, {}, ["PR"], ["PR"]),
    # 50 -> 45.5: -9%; 80 -> 70: -12.5%: neither rule
    ("sd_below_both_rules", {"L1": {BASE: (50, 80), 56: (45.5, 70)}}, {}, ["SD"], ["SD"]),
    # 50 -> 48: -4%; 80 -> 68: exactly -15%
    ("pr_by_attenuation", {"L1": {BASE: (50, 80), 56: (48, 68)}}, {}, ["PR"], ["PR"]),
    # 50 -> 62: +24%; 80 -> 52: -35%: growth with falling density is response
    ("pr_by_attenuation_while_growing", {"L1": {BASE: (50, 80), 56: (62, 52)}}, {}, ["PR"], ["PR"]),
    # 50 -> 55: exactly +10%; 80 -> 76: -5%
    ("pd_size_up_density_flat", {"L1": {BASE: (50, 80), 56: (55, 76)}}, {}, ["PD"], ["PD"]),
    # 50 -> 54.5: +9%
    ("sd_size_up_below_10pct", {"L1": {BASE: (50, 80), 56: (54.5, 80)}}, {}, ["SD"], ["SD"]),
    # 50 -> 60: +20%; 80 -> 90: +12.5%
    ("pd_size_and_density_up", {"L1": {BASE: (50, 80), 56: (60, 90)}}, {}, ["PD"], ["PD"]),
    # 50 -> 56: +12%, no HU: PD or PR by density cannot be told
    ("ne_size_up_density_missing", {"L1": {BASE: (50, 80), 56: (56, None)}}, {}, ["NE"], ["NE"]),
    # 50 -> 51: +2%, no HU: SD (PR by density not checked)
    ("sd_density_missing", {"L1": {BASE: (50, 80), 56: (51, None)}}, {}, ["SD"], ["SD"]),
    # 50 -> 40: -20%, no HU: PR by size needs no density
    ("pr_size_density_missing", {"L1": {BASE: (50, 80), 56: (40, None)}}, {}, ["PR"], ["PR"]),
    # the target is gone and nothing else: CR
    ("cr", {"L1": {BASE: (50, 80), 56: (0, None)}}, {}, ["CR"], ["CR"]),
    # 50 -> 40 (PR, nadir 40) -> 46: +15% from the nadir, 80 -> 78: -2.5%
    (
        "pd_from_the_nadir",
        {"L1": {BASE: (50, 80), 56: (40, 78), 112: (46, 78)}},
        {},
        ["PR", "PD"],
        ["PR", "PD"],
    ),
    # 50 -> 50, 80 -> 60: -25% (PR by density), with a new intratumoral nodule: PD
    (
        "pd_new_intratumoral_nodule",
        {"L1": {BASE: (50, 80, "absent"), 56: (50, 60, "new")}},
        {},
        ["PR"],
        ["PD"],
    ),
    # a nodule already there, not larger: not progression
    (
        "nodule_present_not_pd",
        {"L1": {BASE: (50, 80, "present"), 56: (50, 78, "present")}},
        {},
        ["SD"],
        ["SD"],
    ),
    # a growing nodule in a non-target lesion: PD
    (
        "pd_growing_nodule_in_a_non_target",
        {"L1": {BASE: (50, 80), 56: (49, 78)}},
        {"non_targets": {"NT1": {BASE: "present", 56: (0, None, "growing")}}},
        ["SD"],
        ["PD"],
    ),
    # an unequivocal new lesion: PD
    (
        "pd_new_lesion",
        {"L1": {BASE: (50, 80), 56: (49, 78)}},
        {"new": {"N1": {56: "present"}}},
        ["SD"],
        ["PD"],
    ),
    # an equivocal new lesion is not yet progression
    (
        "equivocal_new_lesion_not_pd",
        {"L1": {BASE: (50, 80), 56: (49, 78)}},
        {"new": {"N1": {56: "equivocal"}}},
        ["SD"],
        ["SD"],
    ),
    # unequivocal progression of a non-target: PD (RECIST 1.1 Table 1)
    (
        "pd_non_target",
        {"L1": {BASE: (50, 80), 56: (49, 60)}},
        {"non_targets": {"NT1": {BASE: "present", 56: "unequivocal_progression"}}},
        ["PR"],
        ["PD"],
    ),
    # every target and non-target gone: CR; a non-target still there: PR
    (
        "cr_needs_non_targets_gone",
        {"L1": {BASE: (30, 80), 56: (0, None), 112: (0, None)}},
        {"non_targets": {"NT1": {BASE: "present", 56: "present", 112: "absent"}}},
        ["CR", "CR"],
        ["PR", "CR"],
    ),
    # two targets: 40 + 30 = 70 mm, both unchanged; mean HU (90 + 70) / 2 = 80 -> (60 + 76) / 2
    # = 68: exactly -15%
    (
        "mean_attenuation_of_two_targets",
        {"A": {BASE: (40, 90), 56: (40, 60)}, "B": {BASE: (30, 70), 56: (30, 76)}},
        {},
        ["PR"],
        ["PR"],
    ),
    # B (10 mm) disappears; A 40 -> 52, sum 50 -> 52 (+4%); the attenuation of A alone, 90 ->
    # 76.5: -15% (with B's baseline kept in, 80 -> 76.5 would be -4.4%)
    (
        "a_target_gone_is_left_out_of_the_attenuation",
        {"A": {BASE: (40, 90), 56: (52, 76.5)}, "B": {BASE: (10, 70), 56: (0, None)}},
        {},
        ["PR"],
        ["PR"],
    ),
    # one target not assessed, the other not reaching PD: NE
    (
        "ne_target_not_assessed",
        {"A": {BASE: (40, 90), 56: (40, 88)}, "B": {BASE: (30, 70), 56: "not_evaluated"}},
        {},
        ["NE"],
        ["NE"],
    ),
    # one target not assessed, the measured one alone +10% of the nadir 70 (77 mm), HU flat
    (
        "pd_partial",
        {"A": {BASE: (40, 90), 56: (77, 90)}, "B": {BASE: (30, 70), 56: "not_evaluated"}},
        {},
        ["PD"],
        ["PD"],
    ),
]


@pytest.mark.parametrize(
    ("name", "lesions", "extra", "target", "overall"), RULES, ids=[r[0] for r in RULES]
)
def test_rule(
    name: str,
    lesions: dict[str, Any],
    extra: dict[str, Any],
    target: list[str],
    overall: list[str],
) -> None:
    result = assess(patient(lesions, extra.get("non_targets"), extra.get("new")))
    assert targets(result) == target
    assert responses(result) == overall


def test_attenuation_numbers_are_recorded() -> None:
    result = assess(patient({"L1": {BASE: (50, 80), 56: (62, 52)}}))
    point = result.timepoints[0]
    assert point.metrics["attenuation_hu"] == 52.0
    assert point.metrics["baseline_attenuation_hu"] == 80.0
    assert point.metrics["attenuation_change_pct"] == pytest.approx(-35.0)
    assert point.change_from_nadir_pct == pytest.approx(24.0)
    assert point.to_dict()["metrics"]["attenuation_change_pct"] == -35.0


def test_the_guard_says_recist_would_read_pd() -> None:
    # 50 -> 62 mm: +24% and +12 mm (RECIST 1.1: PD); 80 -> 52 HU: -35% (Choi: PR)
    result = assess(patient({"L1": {BASE: (50, 80), 56: (62, 52)}}))
    assert codes(result, 0)[-1] == "size_only_pd"
    message = result.timepoints[0].reasons[-1].message
    assert message.startswith("size +24.0% from the nadir, attenuation -35.0% from baseline: PR")
    assert "RECIST 1.1 would read PD on size alone" in message
    assert "+12.0 mm" in message
    (warning,) = [w for w in result.warnings if w.kind is PatientWarningKind.SIZE_ONLY_PROGRESSION]
    assert "tumour markers or PET" in warning.message
    assert (
        recist.assess(patient({"L1": {BASE: (50, 80), 56: (62, 52)}})).timepoints[0].response
        is R.PD
    )


@pytest.mark.parametrize(
    "course",
    [
        {BASE: (50, 80), 56: (55, 76)},  # both PD
        {BASE: (50, 80), 56: (56, 60)},  # +12%: RECIST SD, Choi PR: no guard (RECIST not PD)
        {BASE: (50, 80), 56: (44, 78)},  # both respond or are stable
    ],
)
def test_no_guard_unless_recist_alone_reads_pd(course: dict[int, Any]) -> None:
    result = assess(patient({"L1": course}))
    assert "size_only_pd" not in codes(result, 0)
    assert not [w for w in result.warnings if w.kind is PatientWarningKind.SIZE_ONLY_PROGRESSION]


def test_missing_attenuation_is_a_warning() -> None:
    result = assess(patient({"L1": {BASE: (50, 80), 56: (56, None)}}))
    assert codes(result, 0)[0] == "target_ne_attenuation"
    assert [w.kind for w in result.warnings] == [PatientWarningKind.ATTENUATION_NOT_MEASURED]


def test_pd_reference_baseline() -> None:
    # 50 -> 40 (nadir) -> 46: +15% from the nadir (PD), -8% from baseline (SD)
    record = patient({"L1": {BASE: (50, 80), 56: (40, 78), 112: (46, 78)}})
    assert responses(assess(record)) == ["PR", "PD"]
    params = ChoiParameters(pd_size_reference=SizeReference.BASELINE)
    assert responses(assess(record, params=params)) == ["PR", "SD"]
    assert assess(record, params=params).parameters.to_dict()["pd_size_reference"] == "baseline"


def test_thresholds_are_parameters() -> None:
    record = patient({"L1": {BASE: (50, 80), 56: (62, 52)}})  # +24%, -35%
    assert responses(assess(record, params=ChoiParameters(pr_attenuation_decrease_pct=40))) == [
        "PD"
    ]
    record = patient({"L1": {BASE: (50, 80), 56: (44, 78)}})  # -12%
    assert responses(assess(record, params=ChoiParameters(pr_size_decrease_pct=15))) == ["SD"]
    record = patient({"L1": {BASE: (50, 80), 56: (55, 76)}})  # +10%
    assert responses(assess(record, params=ChoiParameters(pd_size_increase_pct=12))) == ["SD"]


def test_as_of_sees_only_earlier_scans() -> None:
    record = patient({"L1": {BASE: (50, 80), 56: (40, 78), 112: (46, 78)}})
    assert responses(assess(record, as_of=on(60))) == ["PR"]


def test_best_overall_response() -> None:
    record = patient({"L1": {BASE: (50, 80), 56: (62, 52), 112: (58, 46)}})
    result = assess(record)
    assert result.best_overall_response is R.PR
    assert recist.assess(record).best_overall_response is R.PD


# ---- parameters and the registry -----------------------------------------------------------


def test_parameters_round_trip_and_errors() -> None:
    params = ChoiParameters.from_mapping(
        {"pd_size_reference": "baseline", "confirmation_required": True}
    )
    assert params.pd_size_reference is SizeReference.BASELINE
    assert params.best_response.confirmation_required is True
    assert ChoiParameters.from_mapping(params.to_dict()) == params
    with pytest.raises(ParameterError, match="unknown parameter 'pd_pct'"):
        ChoiParameters.from_mapping({"pd_pct": 10})
    with pytest.raises(ParameterError, match="below 100"):
        ChoiParameters(pr_attenuation_decrease_pct=100)
    with pytest.raises(ParameterError, match="pd_size_reference"):
        ChoiParameters.from_mapping({"pd_size_reference": "peak"})
    with pytest.raises(ParameterError, match="given to choi"):
        ChoiParameters.from_mapping({"criteria": "recist1.1"})


def test_registry_entry() -> None:
    entry = registry.get("Choi")
    assert entry.kind is registry.CriteriaKind.PATIENT
    assert registry.default_for_site(Site.LIVER) is entry
    names = [p.name for p in entry.parameters()]
    assert names[:4] == [
        "pr_size_decrease_pct",
        "pr_attenuation_decrease_pct",
        "pd_size_increase_pct",
        "pd_size_reference",
    ]
    described = {p.name: p.description for p in entry.parameters()}
    assert "≥ 15%" in described["pr_attenuation_decrease_pct"]
    assert "nadir" in described["pd_size_reference"]


# ---- baseline checks ------------------------------------------------------------------------


def test_baseline_needs_an_attenuation_above_zero() -> None:
    record = patient(
        {
            "A": {BASE: (40, None), 56: (40, 80)},
            "B": {BASE: (30, -5), 56: (30, 80)},
            "C": {BASE: (8, 60), 56: (8, 60)},
        }
    )
    found = baseline_problems(record, ChoiParameters())
    by_lesion = {lesion.lesion_id if lesion else None: text for lesion, text, _ in found}
    assert "no attenuation_hu" in by_lesion["A"]
    assert "attenuation_hu -5" in by_lesion["B"]
    assert "not measurable" in by_lesion["C"]
    fixes = " ".join(fix for _, _, fix in found)
    assert "--criteria mrecist" in fixes


def test_baseline_counts_targets_per_organ() -> None:
    record = patient({k: {BASE: (20, 60), 56: (20, 60)} for k in ("A", "B", "C")})
    ((lesion, text, _),) = baseline_problems(record, ChoiParameters())
    assert lesion is None
    assert "Choi allows at most 2 per organ" in text


# ---- properties -----------------------------------------------------------------------------

sizes = st.floats(min_value=10, max_value=150, allow_nan=False)
hus = st.floats(min_value=5, max_value=200, allow_nan=False)
factors = st.floats(min_value=0.0, max_value=3.0, allow_nan=False)
ORDER = {"PD": 0, "NE": 1, "SD": 2, "PR": 3, "CR": 4}


def _one(base: float, hu: float, size: float, now_hu: float) -> PatientAssessment:
    return assess(patient({"L1": {BASE: (base, hu), 56: (size, now_hu)}}))


@settings(max_examples=150, deadline=None)
@given(
    base=sizes,
    hu=hus,
    follow=st.lists(
        st.tuples(factors, st.floats(min_value=0.0, max_value=0.85)), min_size=1, max_size=4
    ),
)
def test_never_pd_when_the_attenuation_fell_enough(
    base: float, hu: float, follow: list[tuple[float, float]]
) -> None:
    """Whatever the size does, a target whose attenuation fell ≥ 15% is never PD."""
    course: dict[int, Any] = {BASE: (base, hu)}
    for k, (grow, fall) in enumerate(follow, start=1):
        course[56 * k] = (round(base * grow, 1), hu * fall)
    result = assess(patient({"L1": course}))
    for point in result.timepoints:
        if point.target_sum_mm:
            assert point.target_response is not R.PD
            assert point.response is not R.PD


@settings(max_examples=150, deadline=None)
@given(base=sizes, hu=hus, grow=factors, fall=st.floats(min_value=0.1, max_value=2.0))
def test_monotone_in_attenuation(base: float, hu: float, grow: float, fall: float) -> None:
    """A lower attenuation at the same size never reads worse."""
    size = round(base * grow, 1)
    higher = _one(base, hu, size, hu * fall).timepoints[0].response.value
    lower = _one(base, hu, size, hu * fall * 0.8).timepoints[0].response.value
    assert ORDER[lower] >= ORDER[higher]


@settings(max_examples=150, deadline=None)
@given(base=sizes, hu=hus, grow=factors, fall=st.floats(min_value=0.1, max_value=2.0))
def test_monotone_in_size(base: float, hu: float, grow: float, fall: float) -> None:
    """A larger size at the same attenuation never reads better (CR aside: size 0)."""
    size = round(base * grow, 1)
    smaller = _one(base, hu, size, hu * fall).timepoints[0].response.value
    larger = _one(base, hu, size + 5, hu * fall).timepoints[0].response.value
    assert ORDER[larger] <= ORDER[smaller]


@settings(max_examples=150, deadline=None)
@given(
    base=sizes,
    hu=hus,
    grows=st.lists(factors, min_size=1, max_size=4),
)
def test_agrees_with_recist_when_the_attenuation_is_unchanged(
    base: float, hu: float, grows: list[float]
) -> None:
    """With the attenuation unchanged, Choi is PD exactly on ≥ 10% growth over the nadir; it
    reads every RECIST 1.1 PD as PD, and every RECIST 1.1 PR or CR as PR or CR unless it has
    grown ≥ 10% over its nadir (Choi's thresholds, 10%, are below RECIST's 20% and 30%, and
    Choi has no 5 mm floor)."""
    course: dict[int, Any] = {BASE: (base, hu)}
    for k, grow in enumerate(grows, start=1):
        course[56 * k] = (round(base * grow, 1), hu)
    record = patient({"L1": course})
    mine, theirs = assess(record), recist.assess(record)
    for point, other in zip(mine.timepoints, theirs.timepoints, strict=True):
        assert point.date == other.date
        assert point.target_sum_mm is not None
        assert point.nadir_mm is not None
        rise = point.target_sum_mm - point.nadir_mm
        grew = rise > 0 and rise >= point.nadir_mm * 0.10 - 1e-9
        assert (point.response is R.PD) == grew
        if other.response is R.PD:
            assert point.response is R.PD
        if other.response in (R.PR, R.CR) and not grew:
            assert point.response in (R.PR, R.CR)
        if other.response is R.CR:
            assert point.response is R.CR


@settings(max_examples=100, deadline=None)
@given(base=sizes, hu=hus, grow=factors, fall=st.floats(min_value=0.1, max_value=2.0))
def test_the_guard_marks_exactly_where_recist_alone_reads_pd(
    base: float, hu: float, grow: float, fall: float
) -> None:
    record = patient({"L1": {BASE: (base, hu), 56: (round(base * grow, 1), hu * fall)}})
    point = assess(record).timepoints[0]
    other = recist.assess(record).timepoints[0]
    guarded = "size_only_pd" in [str(r.code) for r in point.reasons]
    assert guarded == (other.response is R.PD and point.response is not R.PD)


def test_module_doctests_cover_the_seed_pattern() -> None:
    assert "RECIST 1.1 would read PD on size alone" in (choi.__doc__ or "")
