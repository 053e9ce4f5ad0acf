"""RANO-BM (Lin et al. 2015): every rule, table-driven, the baseline checks, and properties.

Every expected value is worked out by hand from the rules: PR ≥ 30% below the baseline sum; PD
when the sum is ≥ 20% above the nadir and one target ≥ 5 mm larger than at the nadir; CR and
PR only when sustained ≥ 28 days (SD until then); CR needs no corticosteroids, PR a dose not
above the reference; clinical status worse is PD; a steroid increase alone is not.
"""

from __future__ import annotations

import doctest
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pseudoprog.criteria import rano_bm, registry
from pseudoprog.criteria.codes import OverallResponse as R
from pseudoprog.criteria.patient_result import PatientAssessment, PatientWarningKind
from pseudoprog.criteria.rano_bm import (
    LesionIncreaseReference,
    RanoBmParameters,
    SteroidReference,
    assess,
    baseline_problems,
)
from pseudoprog.domain import Event, EventKind, Site
from pseudoprog.errors import ParameterError
from pseudoprog.patient import (
    LesionRole,
    LesionStatus,
    Observation,
    PatientRecord,
    TrackedLesion,
)
from tests.conftest import REPO_ROOT

START = date(2022, 1, 10)
BASE = -7  # the baseline MRI, a week before radiosurgery

Value = float | str | None
Course = Mapping[int, Value]


def on(day: int, start: date = START) -> date:
    return start + timedelta(days=day)


def _observation(day: int, value: Value, start: date, perpendicular: float | None) -> Observation:
    if isinstance(value, str):
        return Observation(on(day, start), status=LesionStatus.parse(value))
    assert value is not None
    across = perpendicular if perpendicular is not None else round(value * 0.8, 1)
    return Observation(on(day, start), size_mm=float(value), perpendicular_mm=across)


def patient(
    targets: Mapping[str, Course] | None = None,
    non_targets: Mapping[str, Course] | None = None,
    new: Mapping[str, Course] | None = None,
    *,
    steroids: Mapping[int, float] | None = None,
    clinical: Mapping[int, str] | None = None,
    events: bool = True,
    start: date = START,
    perpendicular: Mapping[str, float] | None = None,
    nodes: tuple[str, ...] = (),
) -> PatientRecord:
    """A patient: each lesion maps day -> size (mm), status, or None (not assessed that day).

    ``steroids`` maps day -> dexamethasone mg/day, ``clinical`` day -> clinical status;
    ``events=False`` means no events table. ``perpendicular`` gives a lesion's baseline
    perpendicular diameter (default: 0.8 times its size).
    """
    lesions: list[TrackedLesion] = []
    observations: dict[str, tuple[Observation, ...]] = {}
    across = dict(perpendicular or {})
    for role, members in (
        (LesionRole.TARGET, targets or {}),
        (LesionRole.NON_TARGET, non_targets or {}),
        (LesionRole.NEW, new or {}),
    ):
        for lesion_id, course in members.items():
            lesions.append(
                TrackedLesion(
                    "P", lesion_id, role=role, organ="brain", lymph_node=lesion_id in nodes
                )
            )
            observations[lesion_id] = tuple(
                _observation(d, v, start, across.get(lesion_id) if d <= 0 else None)
                for d, v in sorted(course.items())
                if v is not None
            )
    found = [
        Event("P", on(d, start), EventKind.CORTICOSTEROIDS, value=float(mg))
        for d, mg in (steroids or {}).items()
    ]
    found += [
        Event("P", on(d, start), EventKind.CLINICAL_STATUS, detail=status)
        for d, status in (clinical or {}).items()
    ]
    return PatientRecord(
        "P",
        start,
        tuple(lesions),
        observations,
        events=tuple(sorted(found, key=lambda e: e.date)) if events else (),
        events_recorded=events,
    )


def codes(result: PatientAssessment) -> list[str]:
    return [t.response.value for t in result.timepoints]


def reason_codes(result: PatientAssessment, index: int) -> list[str]:
    return [r.code for r in result.timepoints[index].reasons]


# ---- the rules, table-driven --------------------------------------------------------------

CASES: list[tuple[str, dict[str, Any], dict[str, Any], list[str], str]] = [
    # (id, patient(...) arguments, parameters, responses, a reason code of the last timepoint)
    (
        "sum exactly 30% below baseline, sustained 28 days: PR",
        {"targets": {"A": {BASE: 50, 56: 35, 84: 35}}},
        {},
        ["PR", "PR"],
        "sustained",
    ),
    (
        "29% below baseline: SD",
        {"targets": {"A": {BASE: 50, 56: 35.5, 84: 35.5}}},
        {},
        ["SD", "SD"],
        "target_sd",
    ),
    (
        "PR met for 27 days only, then lost: SD throughout",
        {"targets": {"A": {BASE: 50, 56: 35, 83: 35, 120: 40}}},
        {},
        ["SD", "SD", "SD"],
        "target_sd",
    ),
    (
        "PR on the last scan, not yet sustained: SD",
        {"targets": {"A": {BASE: 50, 56: 35}}},
        {},
        ["SD"],
        "not_yet_sustained",
    ),
    (
        "sustain_days 21: a PR 21 days later confirms",
        {"targets": {"A": {BASE: 50, 56: 35, 77: 35}}},
        {"sustain_days": 21},
        ["PR", "PR"],
        "sustained",
    ),
    (
        "targets gone for 28 days, no steroids, clinically stable: CR",
        {"targets": {"A": {BASE: 20, 56: 0, 84: 0}}, "clinical": {50: "improved"}},
        {},
        ["CR", "CR"],
        "sustained",
    ),
    (
        "CR blocked by corticosteroids (2 mg/day, down from 4): PR",
        {"targets": {"A": {BASE: 20, 56: 0, 84: 0}}, "steroids": {-20: 4, 30: 2}},
        {},
        ["PR", "PR"],
        "sustained",
    ),
    (
        "corticosteroids allowed up to cr_max_steroid_mg: CR",
        {"targets": {"A": {BASE: 20, 56: 0, 84: 0}}, "steroids": {-20: 4, 30: 1}},
        {"cr_max_steroid_mg": 1.5},
        ["CR", "CR"],
        "sustained",
    ),
    (
        "CR blocked by corticosteroids started after baseline: SD",
        {"targets": {"A": {BASE: 20, 56: 0, 84: 0}}, "steroids": {30: 2}},
        {},
        ["SD", "SD"],
        "steroids_block_pr",
    ),
    (
        "CR blocked by clinical worsening: PD, and the CR before it not sustained",
        {"targets": {"A": {BASE: 20, 56: 0, 84: 0}}, "clinical": {70: "worse"}},
        {},
        ["SD", "PD"],
        "clinical_deterioration",
    ),
    (
        "CR blocked by a new lesion: PD",
        {"targets": {"A": {BASE: 20, 56: 0, 84: 0}}, "new": {"N": {84: "present"}}},
        {},
        ["SD", "PD"],
        "new_lesion",
    ),
    (
        "sum exactly +20% with one lesion +6 mm: PD",
        {"targets": {"A": {BASE: 20, 112: 26}, "B": {BASE: 10, 112: 10}}},
        {},
        ["PD"],
        "target_pd",
    ),
    (
        "sum +20% but no lesion +5 mm (each +3 mm): SD, where RECIST 1.1 gives PD",
        {"targets": {"A": {BASE: 15, 112: 18}, "B": {BASE: 15, 112: 18}}},
        {},
        ["SD"],
        "target_sd",
    ),
    (
        "one lesion +5 mm but the sum +7.5%: SD",
        {"targets": {"A": {BASE: 20, 112: 25}, "B": {BASE: 20, 112: 18}}},
        {},
        ["SD"],
        "target_sd",
    ),
    (
        "one lesion exactly +5 mm and the sum exactly +20%: PD",
        {"targets": {"A": {BASE: 25, 112: 30}}},
        {},
        ["PD"],
        "target_pd",
    ),
    (
        "PD from the nadir, not baseline: 40 -> 30 -> 36 (+20%, A +6 mm)",
        {"targets": {"A": {BASE: 20, 56: 12, 112: 18}, "B": {BASE: 20, 56: 18, 112: 18}}},
        {},
        ["SD", "PD"],
        "target_pd",
    ),
    (
        "lesion increase from the nadir: A 10 at the nadir -> 13 (+3): SD",
        {
            "targets": {
                "A": {BASE: 20, 56: 10, 84: 8, 112: 13},
                "B": {BASE: 20, 56: 20, 84: 24, 112: 24},
            }
        },
        {},
        ["SD", "SD", "SD"],
        "target_sd",
    ),
    (
        "lesion increase from its own smallest: A 8 -> 13 (+5): PD",
        {
            "targets": {
                "A": {BASE: 20, 56: 10, 84: 8, 112: 13},
                "B": {BASE: 20, 56: 20, 84: 24, 112: 24},
            }
        },
        {"lesion_increase_from": "smallest"},
        ["SD", "SD", "PD"],
        "target_pd",
    ),
    (
        "a steroid increase alone is not PD",
        {"targets": {"A": {BASE: 20, 56: 19}}, "steroids": {30: 8}},
        {},
        ["SD"],
        "steroid_increase_not_pd",
    ),
    (
        "a steroid increase blocks PR: SD",
        {"targets": {"A": {BASE: 20, 56: 12, 84: 12}}, "steroids": {30: 4}},
        {},
        ["SD", "SD"],
        "steroids_block_pr",
    ),
    (
        "steroids 8 -> 4 -> 6 mg/day: stable or decreased against baseline, PR",
        {"targets": {"A": {BASE: 20, 56: 12, 84: 12}}, "steroids": {-20: 8, 30: 4, 70: 6}},
        {},
        ["PR", "PR"],
        "sustained",
    ),
    (
        "steroids 8 -> 4 -> 6 mg/day against the previous assessment: increased, SD",
        {"targets": {"A": {BASE: 20, 56: 12, 84: 12}}, "steroids": {-20: 8, 30: 4, 70: 6}},
        {"steroid_reference": "previous"},
        ["SD", "SD"],
        "steroids_block_pr",
    ),
    (
        "clinical deterioration: PD whatever the scan shows",
        {"targets": {"A": {BASE: 20, 56: 20}}, "clinical": {40: "worse"}},
        {},
        ["PD"],
        "clinical_deterioration",
    ),
    (
        "worse stands until a later status: PD, then SD once stable",
        {"targets": {"A": {BASE: 20, 56: 20, 112: 20}}, "clinical": {40: "worse", 100: "stable"}},
        {},
        ["PD", "SD"],
        "target_sd",
    ),
    (
        "clinical deterioration with a steroid increase: PD",
        {"targets": {"A": {BASE: 20, 56: 20}}, "clinical": {40: "worse"}, "steroids": {40: 8}},
        {},
        ["PD"],
        "clinical_deterioration",
    ),
    (
        "unequivocal progression of a non-target: PD",
        {
            "targets": {"A": {BASE: 20, 56: 20}},
            "non_targets": {"B": {BASE: "present", 56: "unequivocal_progression"}},
        },
        {},
        ["PD"],
        "non_target_pd",
    ),
    (
        "target CR, non-target present: PR",
        {
            "targets": {"A": {BASE: 20, 56: 0, 84: 0}},
            "non_targets": {"B": {BASE: "present", 56: "present", 84: "present"}},
        },
        {},
        ["PR", "PR"],
        "sustained",
    ),
    (
        "non-target disease only, all gone for 28 days: CR",
        {"non_targets": {"B": {BASE: "present", 56: "absent", 84: "absent"}}},
        {},
        ["CR", "CR"],
        "sustained",
    ),
    (
        "non-target disease only, gone but on steroids: NON_CR_NON_PD",
        {"non_targets": {"B": {BASE: "present", 56: "absent", 84: "absent"}}, "steroids": {-20: 2}},
        {},
        ["NON_CR_NON_PD", "NON_CR_NON_PD"],
        "steroids_block_cr",
    ),
    (
        "an NE assessment neither breaks nor confirms a PR",
        {"targets": {"A": {BASE: 30, 56: 20, 84: 20}, "B": {BASE: 20, 56: 14, 70: 14, 84: 14}}},
        {},
        ["PR", "NE", "PR"],
        "sustained",
    ),
    (
        "an equivocal new lesion confirmed later: PD dated back in the reason",
        {
            "targets": {"A": {BASE: 20, 56: 20, 112: 20}},
            "new": {"N": {56: "equivocal", 112: "present"}},
        },
        {},
        ["SD", "PD"],
        "new_lesion_confirmed",
    ),
    (
        "no events table: CR by imaging alone",
        {"targets": {"A": {BASE: 20, 56: 0, 84: 0}}, "events": False},
        {},
        ["CR", "CR"],
        "conditions_not_recorded",
    ),
]


@pytest.mark.parametrize(
    ("given", "values", "expected", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rules(
    given: dict[str, Any], values: dict[str, Any], expected: list[str], code: str
) -> None:
    result = assess(patient(**given), params=RanoBmParameters.from_mapping(values))
    assert codes(result) == expected
    assert code in reason_codes(result, -1), [str(r) for r in result.timepoints[-1].reasons]


def test_reasons_quote_the_rule_and_the_numbers() -> None:
    result = assess(patient({"A": {BASE: 15, 112: 18}, "B": {BASE: 15, 112: 18}}))
    (target,) = [r for r in result.timepoints[0].reasons if r.code == "target_sd"]
    assert "+20.0% (+6.0 mm) from nadir 30.0 mm" in target.message
    assert "≥ 20% above the nadir (met)" in target.message
    assert "one target ≥ 5 mm larger than at the nadir (not met: largest increase A +3.0 mm" in (
        target.message
    )
    steroids = assess(patient({"A": {BASE: 20, 56: 19}}, steroids={30: 8}))
    (why,) = [r for r in steroids.timepoints[0].reasons if r.code == "steroid_increase_not_pd"]
    assert why.message.startswith(
        "Corticosteroids increased from 0 mg/day at the treatment start to 8 mg/day (since "
        f"{on(30).isoformat()})"
    )
    assert "alone is not progression" in why.message
    clinical = assess(patient({"A": {BASE: 20, 56: 20}}, clinical={40: "worse"}))
    assert f"clinical status worse ({on(40).isoformat()})" in str(
        clinical.timepoints[0].reasons[-2]
    )
    assert "Lancet Oncol 2015;16:e270-e278" in str(clinical.timepoints[0].reasons[-1])


def test_an_unsustained_response_is_pending() -> None:
    result = assess(patient({"A": {BASE: 50, 56: 35}}))
    assert codes(result) == ["SD"]
    assert result.timepoints[0].target_response is R.PR
    (item,) = result.pending
    assert (item.what, item.since, item.due_from, item.due_by) == (
        "PR sustained",
        on(56),
        on(84),
        None,
    )
    assert result.best_overall_response is R.SD
    later = assess(patient({"A": {BASE: 50, 56: 35, 84: 34}}))
    assert codes(later) == ["PR", "PR"]
    assert later.pending == ()
    assert later.best_overall_response is R.PR
    assert later.best_response_date == on(56)


def test_a_cr_after_a_sustained_pr_awaits_its_own_four_weeks() -> None:
    record = patient({"A": {BASE: 20, 56: 0, 84: 0, 112: 0}}, steroids={-20: 4, 30: 2, 100: 0})
    result = assess(record)
    assert codes(result) == ["PR", "PR", "PR"]
    assert [p.what for p in result.pending] == ["CR sustained"]
    assert result.pending[0].due_from == on(140)
    assert "not_yet_sustained" in reason_codes(result, 2)
    assert codes(assess(record, as_of=on(60))) == ["SD"]
    assert [p.what for p in assess(record, as_of=on(60)).pending] == ["PR sustained"]


def test_no_events_table_is_a_warning_not_an_invented_value() -> None:
    result = assess(patient({"A": {BASE: 20, 56: 20}}, events=False))
    assert [w.kind for w in result.warnings] == [PatientWarningKind.EVENTS_NOT_RECORDED]
    assert "corticosteroids and clinical status not recorded" in str(
        result.timepoints[0].reasons[-1]
    )
    assert "mg/day" not in str(result.timepoints[0].reasons[-1])
    with_events = assess(patient({"A": {BASE: 20, 56: 20}}))
    assert not with_events.warnings
    assert "clinical status stable (none recorded since the treatment start)" in str(
        with_events.timepoints[0].reasons[-1]
    )


def test_bad_events_given_directly_are_errors() -> None:
    record = patient({"A": {BASE: 20, 56: 20}})
    no_dose = replace(record, events=(Event("P", on(10), EventKind.CORTICOSTEROIDS),))
    with pytest.raises(ParameterError, match="corticosteroids event on 2022-01-20 has value None"):
        assess(no_dose)
    bad = replace(record, events=(Event("P", on(10), EventKind.CLINICAL_STATUS, detail="meh"),))
    with pytest.raises(ParameterError, match="expected one of improved, stable, worse"):
        assess(bad)


def test_as_of_sees_neither_later_scans_nor_later_events() -> None:
    record = patient({"A": {BASE: 20, 56: 20, 112: 20}}, clinical={100: "worse"})
    assert codes(assess(record)) == ["SD", "PD"]
    assert codes(assess(record, as_of=on(105))) == ["SD"]


def test_no_follow_up_and_no_baseline() -> None:
    result = assess(patient({"A": {BASE: 20}}))
    assert result.timepoints == ()
    assert result.best_overall_response is None
    assert [w.kind for w in result.warnings] == [PatientWarningKind.NO_FOLLOW_UP]
    only_new = assess(patient(new={"N": {56: "present"}}))
    assert codes(only_new) == ["PD"]
    assert PatientWarningKind.NO_BASELINE in [w.kind for w in only_new.warnings]


# ---- measurability and the baseline --------------------------------------------------------

MEASURABILITY = [
    ("longest 10 mm, perpendicular 5 mm: measurable", {"A": {BASE: 10}}, {"A": 5.0}, (), []),
    ("longest 9 mm", {"A": {BASE: 9}}, {"A": 7.0}, (), ["longest diameter 9 mm, at least 10 mm"]),
    (
        "perpendicular 4 mm",
        {"A": {BASE: 12}},
        {"A": 4.0},
        (),
        ["perpendicular diameter 4 mm, RANO-BM needs at least 5 mm"],
    ),
    (
        "perpendicular missing",
        {"A": {BASE: 12}},
        {"A": float("nan")},
        (),
        ["perpendicular diameter none given"],
    ),
    (
        "six targets",
        {k: {BASE: 12} for k in "ABCDEF"},
        {},
        (),
        ["6 target lesions (A, B, C, D, E, F); RANO-BM allows at most 5"],
    ),
    ("five targets in the brain: no limit per organ", {k: {BASE: 12} for k in "ABCDE"}, {}, (), []),
    ("a lymph node", {"A": {BASE: 20}}, {}, ("A",), ["marked as a lymph node"]),
]


@pytest.mark.parametrize(
    ("targets", "across", "nodes", "expected"),
    [c[1:] for c in MEASURABILITY],
    ids=[c[0] for c in MEASURABILITY],
)
def test_measurability(
    targets: dict[str, Course],
    across: dict[str, float],
    nodes: tuple[str, ...],
    expected: list[str],
) -> None:
    record = patient(targets, perpendicular=across, nodes=nodes)
    if any(v != v for v in across.values()):  # NaN: no perpendicular diameter given
        record = replace(
            record,
            observations={
                k: tuple(replace(o, perpendicular_mm=None) for o in v)
                for k, v in record.observations.items()
            },
        )
    found = baseline_problems(record, RanoBmParameters())
    assert len(found) == len(expected), found
    for (_, message, fix), words in zip(found, expected, strict=True):
        assert words in message
        assert fix


# ---- parameters and the registry -----------------------------------------------------------


def test_parameters_round_trip_and_registry() -> None:
    params = RanoBmParameters()
    flat = params.to_dict()
    assert flat["criteria"] == "rano-bm"
    assert (flat["measurable_min_mm"], flat["perpendicular_min_mm"], flat["max_targets"]) == (
        10.0,
        5.0,
        5,
    )
    assert (flat["pd_increase_pct"], flat["pd_lesion_increase_mm"], flat["sustain_days"]) == (
        20.0,
        5.0,
        28,
    )
    assert flat["lesion_increase_from"] == "nadir"
    assert flat["steroid_reference"] == "baseline"
    assert flat["confirmation_required"] is False
    assert RanoBmParameters.from_mapping(flat) == params
    custom = RanoBmParameters.from_mapping({"lesion_increase_from": "Smallest", "sd_min_days": 56})
    assert custom.lesion_increase_from is LesionIncreaseReference.SMALLEST
    assert custom.best_response.sd_min_days == 56
    assert (
        RanoBmParameters(steroid_reference="previous").steroid_reference
        is SteroidReference.PREVIOUS
    )  # type: ignore[arg-type]
    entry = registry.get("RANO-BM")
    assert entry.name == "rano-bm"
    assert entry.kind is registry.CriteriaKind.PATIENT
    assert entry.citation == "Lin NU, Lee EQ, Aoyama H, et al. Lancet Oncol 2015;16:e270-e278"
    assert registry.default_for_site(Site.BRAIN) is entry
    assert entry.make_parameters({"sustain_days": 21}).sustain_days == 21
    described = {p.name: p.description for p in entry.parameters()}
    assert "per lesion, not of the sum" in described["pd_lesion_increase_mm"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"sustain_days": -1}, "sustain_days must be at least 0"),
        ({"sustain_days": 2.5}, "sustain_days must be a whole number"),
        ({"pr_decrease_pct": 100}, "pr_decrease_pct must be below 100"),
        ({"perpendicular_min_mm": -5}, "perpendicular_min_mm must be a number of at least 0"),
        ({"lesion_increase_from": "baseline"}, "not a known LesionIncreaseReference"),
        ({"steroid_threshold": 1}, "unknown parameter 'steroid_threshold'"),
        ({"criteria": "recist1.1"}, "given to rano-bm"),
    ],
)
def test_bad_parameters(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ParameterError, match=re.escape(message)):
        RanoBmParameters.from_mapping(values)


def test_module_examples() -> None:
    assert doctest.testmod(rano_bm, optionflags=doctest.ELLIPSIS).failed == 0


# ---- the worked example of docs/criteria-rano-bm.md -------------------------------------------

DOC = REPO_ROOT / "docs" / "criteria-rano-bm.md"


def test_documented_worked_example() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert blocks
    for code in blocks:
        exec(compile(code, str(DOC), "exec"), {"__name__": "doc"})


def test_documented_table_matches_the_engine() -> None:
    # The worked example: L1 20 and L2 15 mm at baseline (2022-01-03), SRS on 2022-01-10;
    # dexamethasone 4 mg/day from 2021-12-20, stopped 2022-02-01.
    start = date(2022, 1, 10)
    days = {"2022-01-03": (20, 15), "2022-03-07": (12, 10), "2022-03-28": (12, 9)}
    days |= {"2022-05-02": (11, 9), "2022-06-06": (14, 12), "2022-07-04": (16, 12)}
    observations = {
        k: tuple(
            Observation(date.fromisoformat(d), float(sizes[i]), perpendicular_mm=8.0)
            for d, sizes in days.items()
        )
        for i, k in enumerate(("L1", "L2"))
    }
    record = PatientRecord(
        "P1",
        start,
        (TrackedLesion("P1", "L1", organ="brain"), TrackedLesion("P1", "L2", organ="brain")),
        observations,
        events=(
            Event("P1", date(2021, 12, 20), EventKind.CORTICOSTEROIDS, value=4.0),
            Event("P1", date(2022, 2, 1), EventKind.CORTICOSTEROIDS, value=0.0),
        ),
        events_recorded=True,
    )
    rows = [(t.date.isoformat(), t.response.value) for t in assess(record).timepoints]
    text = DOC.read_text(encoding="utf-8")
    for day_text, code in rows:
        assert re.search(rf"\|\s*{day_text}\s*\|.*\|\s*{code}\s*\|", text), (day_text, code)
    assert rows == [
        ("2022-03-07", "PR"),
        ("2022-03-28", "PR"),
        ("2022-05-02", "PR"),
        ("2022-06-06", "SD"),
        ("2022-07-04", "PD"),
    ]


# ---- properties -----------------------------------------------------------------------------

GOODNESS = {R.CR: 5, R.PR: 4, R.SD: 3, R.NON_CR_NON_PD: 2, R.NE: 1, R.PD: 0}
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def courses(draw: st.DrawFn, *, shrinking: bool = False) -> dict[str, Any]:
    """A patient with 1-5 targets, a non-target, scans, steroid doses and clinical statuses."""
    n = draw(st.integers(1, 5))
    base = draw(st.lists(st.integers(10, 40), min_size=n, max_size=n))
    scan_days = sorted(draw(st.lists(st.integers(14, 400), min_size=1, max_size=6, unique=True)))
    if shrinking:
        factors = sorted(
            draw(st.lists(st.floats(0.0, 1.0), min_size=len(scan_days), max_size=len(scan_days))),
            reverse=True,
        )
        sizes = [[round(b * f, 1) for f in factors] for b in base]
    else:
        sizes = [
            draw(st.lists(st.integers(0, 60), min_size=len(scan_days), max_size=len(scan_days)))
            for _ in base
        ]
    targets = {
        f"T{i}": {BASE: float(b), **dict(zip(scan_days, map(float, s), strict=True))}
        for i, (b, s) in enumerate(zip(base, sizes, strict=True))
    }
    steroids = draw(st.dictionaries(st.integers(-30, 400), st.sampled_from([0, 1, 2, 4, 8, 16])))
    statuses = ["improved", "stable"] if shrinking else ["improved", "stable", "worse"]
    clinical = draw(st.dictionaries(st.integers(1, 400), st.sampled_from(statuses), max_size=3))
    return {
        "targets": targets,
        "non_targets": {"NT": {BASE: "present", **dict.fromkeys(scan_days, "present")}},
        "steroids": steroids,
        "clinical": clinical,
        "scan_days": scan_days,
    }


def _record(spec: dict[str, Any], **extra: Any) -> PatientRecord:
    given = {k: v for k, v in spec.items() if k != "scan_days"}
    return patient(**given, **extra)


params_st = st.builds(
    RanoBmParameters,
    sustain_days=st.sampled_from([0, 21, 28, 56]),
    lesion_increase_from=st.sampled_from(list(LesionIncreaseReference)),
    steroid_reference=st.sampled_from(list(SteroidReference)),
    cr_max_steroid_mg=st.sampled_from([0.0, 2.0]),
)


@PROPERTY
@given(courses(shrinking=True), params_st)
def test_a_uniform_shrink_never_gives_pd(spec: dict[str, Any], params: RanoBmParameters) -> None:
    # Every target shrinks by the same factor, never growing back; steroids go up and down as
    # they like, the patient is stable or better: progression can come from nowhere.
    result = assess(_record(spec), params=params)
    assert R.PD not in [t.response for t in result.timepoints]
    assert result.best_overall_response is not R.PD


@PROPERTY
@given(courses(), params_st, st.data())
def test_a_new_lesion_never_improves_a_response(
    spec: dict[str, Any], params: RanoBmParameters, data: st.DataObject
) -> None:
    day = data.draw(st.sampled_from(spec["scan_days"]), label="new lesion on")
    before = assess(_record(spec), params=params)
    after = assess(_record(spec, new={"N": {day: "present"}}), params=params)
    assert len(before.timepoints) == len(after.timepoints)
    for old, new in zip(before.timepoints, after.timepoints, strict=True):
        assert GOODNESS[new.response] <= GOODNESS[old.response], (
            old.date,
            old.response,
            new.response,
        )  # type: ignore[index]
    if before.best_overall_response is not None:
        assert after.best_overall_response is not None
        assert GOODNESS[after.best_overall_response] <= GOODNESS[before.best_overall_response]  # type: ignore[index]


def _signature(result: PatientAssessment, shift: int = 0) -> tuple[object, ...]:
    moved = timedelta(days=shift)

    def at(day: date | None) -> date | None:
        return None if day is None else day + moved

    return (
        tuple(
            (at(t.date), t.response, t.target_response, t.target_sum_mm) for t in result.timepoints
        ),
        result.best_overall_response,
        at(result.best_response_date),
        tuple((p.what, at(p.since), at(p.due_from)) for p in result.pending),
        tuple(w.kind for w in result.warnings),
    )


@PROPERTY
@given(courses(), params_st, st.integers(-3000, 3000))
def test_shifting_every_date_changes_nothing(
    spec: dict[str, Any], params: RanoBmParameters, shift: int
) -> None:
    before = assess(_record(spec), params=params)
    after = assess(_record(spec, start=START + timedelta(days=shift)), params=params)
    assert _signature(after) == _signature(before, shift)
