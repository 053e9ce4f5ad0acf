"""mRECIST (Lencioni & Llovet 2010): every rule, table-driven, baseline checks, properties.

Expected values are worked out by hand on the viable (arterially enhancing) diameters: PR when
their sum is ≥ 30% below the baseline sum, PD when it is ≥ 20% above the smallest sum since
treatment started (no 5 mm floor), CR when no target enhances any more.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pseudoprog.criteria import recist, registry
from pseudoprog.criteria.codes import IRecistResponse
from pseudoprog.criteria.codes import OverallResponse as R
from pseudoprog.criteria.comparison import compare
from pseudoprog.criteria.mrecist import MRecistParameters, assess, baseline_problems, viable_record
from pseudoprog.criteria.patient_result import PatientAssessment, PatientWarningKind
from pseudoprog.errors import ParameterError
from pseudoprog.patient import LesionRole, LesionStatus, Observation, PatientRecord, TrackedLesion

START = date(2022, 1, 10)
BASE = -7


def on(day: int) -> date:
    return START + timedelta(days=day)


def _look(day: int, value: Any) -> Observation:
    """``(size, viable)``, a status, or a lone number (a node's short axis)."""
    if isinstance(value, str):
        return Observation(on(day), status=LesionStatus.parse(value))
    if isinstance(value, int | float):
        return Observation(on(day), size_mm=float(value))
    size, viable = value
    return Observation(
        on(day),
        size_mm=None if size is None else float(size),
        viable_mm=None if viable is None else float(viable),
    )


def patient(
    targets: Mapping[str, Mapping[int, Any]],
    non_targets: Mapping[str, Mapping[int, Any]] | None = None,
    new: Mapping[str, Mapping[int, Any]] | None = None,
    *,
    nodes: tuple[str, ...] = (),
    organ: str = "liver",
) -> PatientRecord:
    lesions: list[TrackedLesion] = []
    observations: dict[str, tuple[Observation, ...]] = {}
    for role, group in (
        (LesionRole.TARGET, targets),
        (LesionRole.NON_TARGET, non_targets or {}),
        (LesionRole.NEW, new or {}),
    ):
        for lesion_id, course in group.items():
            node = lesion_id in nodes
            lesions.append(
                TrackedLesion(
                    "P1",
                    lesion_id,
                    role=role,
                    organ="lymph_node" if node else organ,
                    lymph_node=node,
                )
            )
            observations[lesion_id] = tuple(_look(d, v) for d, v in sorted(course.items()))
    return PatientRecord("P1", START, tuple(lesions), observations)


def responses(result: PatientAssessment) -> list[str]:
    return [t.response.value for t in result.timepoints]


RULES: list[tuple[str, dict[str, Any], dict[str, Any], list[str]]] = [
    # viable 40 -> 28: exactly -30%
    ("pr_at_the_boundary", {"L1": {BASE: (40, 40), 56: (40, 28)}}, {}, ["PR"]),
    # viable 40 -> 28.4: -29%
    ("sd_just_short_of_pr", {"L1": {BASE: (40, 40), 56: (40, 28.4)}}, {}, ["SD"]),
    # 20 -> 15 (-25%: SD, nadir 15) -> 18: +20% of the nadir and only +3 mm: PD (no 5 mm floor)
    (
        "pd_without_a_5mm_floor",
        {"L1": {BASE: (20, 20), 56: (20, 15), 112: (20, 18)}},
        {},
        ["SD", "PD"],
    ),
    # 20 -> 15 -> 17.9: +19.3% of the nadir
    ("sd_below_20pct", {"L1": {BASE: (20, 20), 56: (20, 15), 112: (20, 17.9)}}, {}, ["SD", "SD"]),
    # the lesion is still 50 mm, but nothing enhances: CR
    ("cr_no_enhancement_left", {"L1": {BASE: (50, 45), 56: (50, 0)}}, {}, ["CR"]),
    # a lesion gone (size 0) has no viable part either
    ("cr_lesion_gone", {"L1": {BASE: (50, 45), 56: (0, None)}}, {}, ["CR"]),
    # measured whole but not for enhancement: NE
    ("ne_viable_not_measured", {"L1": {BASE: (50, 45), 56: (48, None)}}, {}, ["NE"]),
    # targets CR with a non-target still enhancing: PR; then none enhancing: CR
    (
        "cr_needs_non_targets_without_enhancement",
        {"L1": {BASE: (30, 30), 56: (30, 0), 112: (28, 0)}},
        {"non_targets": {"NT1": {BASE: "present", 56: "present", 112: "absent"}}},
        ["PR", "CR"],
    ),
    # unequivocal non-target progression, an unequivocal new lesion: PD
    (
        "pd_non_target",
        {"L1": {BASE: (30, 30), 56: (30, 28)}},
        {"non_targets": {"NT1": {BASE: "present", 56: "unequivocal_progression"}}},
        ["PD"],
    ),
    ("pd_new_lesion", {"L1": {BASE: (30, 30), 56: (30, 28)}}, {"new": {"N1": {56: 12}}}, ["PD"]),
    (
        "equivocal_new_nodule_not_pd",
        {"L1": {BASE: (30, 30), 56: (30, 28)}},
        {"new": {"N1": {56: "equivocal"}}},
        ["SD"],
    ),
    # a nodal target by its short axis (18 -> 8 mm, below 10), the liver target not enhancing
    (
        "cr_with_a_normal_node",
        {"L1": {BASE: (40, 35), 56: (38, 0)}, "N1": {BASE: 18, 56: 8}},
        {"nodes": ("N1",)},
        ["CR"],
    ),
]


@pytest.mark.parametrize(("name", "lesions", "extra", "overall"), RULES, ids=[r[0] for r in RULES])
def test_rule(
    name: str, lesions: dict[str, Any], extra: dict[str, Any], overall: list[str]
) -> None:
    record = patient(
        lesions, extra.get("non_targets"), extra.get("new"), nodes=extra.get("nodes", ())
    )
    assert responses(assess(record)) == overall


def test_sums_are_of_viable_diameters() -> None:
    result = assess(
        patient({"A": {BASE: (40, 30), 56: (45, 12)}, "B": {BASE: (30, 20), 56: (30, 8)}})
    )
    point = result.timepoints[0]
    assert result.baseline_sum_mm == 50.0
    assert point.target_sum_mm == 20.0
    assert point.change_from_baseline_pct == pytest.approx(-60.0)
    assert point.reasons[0].code == "target_pr"
    assert "A 12.0 mm, B 8.0 mm" in point.reasons[1].message


def test_cr_reason_names_the_enhancement() -> None:
    point = assess(patient({"L1": {BASE: (50, 45), 56: (50, 0)}})).timepoints[0]
    assert point.reasons[0].code == "target_cr_viable"
    assert "no intratumoral arterial enhancement" in point.reasons[0].message


def test_the_guard_when_the_lesion_grows_and_its_viable_part_shrinks() -> None:
    # whole 40 -> 50 mm: +25% and +10 mm (RECIST 1.1: PD); viable 40 -> 20: -50% (PR)
    record = patient({"L1": {BASE: (40, 40), 56: (50, 20)}})
    result = assess(record)
    assert responses(result) == ["PR"]
    assert recist.assess(record).timepoints[0].response is R.PD
    guard = result.timepoints[0].reasons[-1]
    assert guard.code == "size_only_pd"
    assert guard.message.startswith("viable tumour -50.0% from the nadir")
    assert "PR by mRECIST; RECIST 1.1 would read PD on size alone" in guard.message
    assert [w.kind for w in result.warnings] == [PatientWarningKind.SIZE_ONLY_PROGRESSION]


def test_the_5mm_floor_is_a_parameter() -> None:
    record = patient({"L1": {BASE: (20, 20), 56: (20, 15), 112: (20, 18)}})
    assert responses(assess(record, params=MRecistParameters(pd_min_increase_mm=5))) == [
        "SD",
        "SD",
    ]


def test_parameters() -> None:
    params = MRecistParameters.from_mapping({"pr_decrease_pct": 25, "sd_min_days": 56})
    assert params.pr_decrease_pct == 25.0
    assert params.best_response.sd_min_days == 56
    assert MRecistParameters.from_mapping(params.to_dict()) == params
    with pytest.raises(ParameterError, match="unknown parameter"):
        MRecistParameters.from_mapping({"attenuation": 1})
    with pytest.raises(ParameterError, match="pr_decrease_pct"):
        MRecistParameters(pr_decrease_pct=0)
    entry = registry.get("mRECIST")
    assert entry.kind is registry.CriteriaKind.PATIENT
    assert [s.value for s in entry.applies_to] == ["liver"]
    defaults = {p.name: p.default for p in entry.parameters()}
    assert defaults["pd_min_increase_mm"] == 0.0
    assert defaults["pd_increase_pct"] == 20.0


def test_viable_record_keeps_nodes_and_new_lesions() -> None:
    record = patient(
        {"L1": {BASE: (40, 30)}, "N1": {BASE: 18}},
        new={"X": {56: 12}},
        nodes=("N1",),
    )
    viable = viable_record(record)
    assert viable.series("L1")[0].size_mm == 30.0
    assert viable.series("N1")[0].size_mm == 18.0
    assert viable.series("X")[0].size_mm == 12.0


# ---- baseline checks ------------------------------------------------------------------------


def test_baseline_targets_must_enhance() -> None:
    record = patient(
        {
            "A": {BASE: (40, None)},
            "B": {BASE: (40, 8)},
            "C": {BASE: (20, 25)},
            "N1": {BASE: 12},
        },
        nodes=("N1",),
        organ="liver",
    )
    found = baseline_problems(record, MRecistParameters())
    by_lesion = {lesion.lesion_id if lesion else None: text for lesion, text, _ in found}
    assert "no viable_mm" in by_lesion["A"]
    assert "a viable diameter of 8 mm" in by_lesion["B"]
    assert "larger than the lesion" in by_lesion["C"]
    assert "not measurable" in by_lesion["N1"]  # RECIST 1.1's node rule: 15 mm short axis
    assert "per organ" in by_lesion[None]  # three liver targets


# ---- properties -----------------------------------------------------------------------------

sizes = st.floats(min_value=10, max_value=150, allow_nan=False)
factors = st.floats(min_value=0.0, max_value=3.0, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(base=sizes, grows=st.lists(factors, min_size=1, max_size=4))
def test_equals_recist_when_viable_is_whole_with_the_5mm_floor(
    base: float, grows: list[float]
) -> None:
    """With the viable diameter equal to the whole lesion and RECIST 1.1's 5 mm floor,
    mRECIST reads exactly as RECIST 1.1."""
    course: dict[int, Any] = {BASE: (base, base)}
    for k, grow in enumerate(grows, start=1):
        size = round(base * grow, 1)
        course[56 * k] = (size, size)
    record = patient({"L1": course})
    mine = assess(record, params=MRecistParameters(pd_min_increase_mm=5))
    assert responses(mine) == responses(recist.assess(record))


@settings(max_examples=150, deadline=None)
@given(base=sizes, grows=st.lists(factors, min_size=1, max_size=4))
def test_without_the_floor_every_recist_pd_stays_pd(base: float, grows: list[float]) -> None:
    course: dict[int, Any] = {BASE: (base, base)}
    for k, grow in enumerate(grows, start=1):
        size = round(base * grow, 1)
        course[56 * k] = (size, size)
    record = patient({"L1": course})
    for mine, theirs in zip(
        assess(record).timepoints, recist.assess(record).timepoints, strict=True
    ):
        if theirs.response is R.PD:
            assert mine.response is R.PD


@settings(max_examples=150, deadline=None)
@given(base=sizes, grow=factors, keep=st.floats(min_value=0.0, max_value=1.0))
def test_a_smaller_viable_part_never_reads_worse(base: float, grow: float, keep: float) -> None:
    order = {"PD": 0, "NE": 1, "SD": 2, "PR": 3, "CR": 4}
    size = round(base * grow, 1)
    viable = round(min(size, base) * keep, 1)
    more = assess(patient({"L1": {BASE: (base, base), 56: (size, viable)}}))
    less = assess(patient({"L1": {BASE: (base, base), 56: (size, round(viable * 0.5, 1))}}))
    assert order[less.timepoints[0].response.value] >= order[more.timepoints[0].response.value]


# ---- the comparison of two criteria ---------------------------------------------------------


def test_compare_pairs_by_date_and_reads_irecist_codes_as_recist() -> None:
    record = patient({"L1": {BASE: (40, 40), 56: (50, 20), 112: (50, 0)}})
    pair = compare(assess(record), recist.assess(record))
    assert [(t.response.value, t.other.value, t.agree) for t in pair.timepoints] == [
        ("PR", "PD", False),
        ("CR", "PD", False),
    ]
    assert len(pair.disagreements) == 2
    assert pair.to_dict()["compare_best_overall_response"] == "PD"
    irecist = pytest.importorskip("pseudoprog.criteria.irecist")
    plain = compare(recist.assess(record), irecist.assess(record))
    assert plain.timepoints[0].other is IRecistResponse.IUPD
    assert plain.timepoints[0].agree  # iUPD is PD on RECIST 1.1's codes


def test_compare_refuses_two_patients() -> None:
    one = recist.assess(patient({"L1": {BASE: (40, 40), 56: (40, 40)}}))
    other = PatientRecord(
        "P2",
        START,
        (TrackedLesion("P2", "L1"),),
        {"L1": (Observation(on(BASE), 40.0), Observation(on(56), 40.0))},
    )
    with pytest.raises(ParameterError, match="same patient"):
        compare(one, recist.assess(other))
