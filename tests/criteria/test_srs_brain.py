"""srs-brain: suspected progression versus treatment effect of an SRS-treated brain metastasis.

Every rule branch, table-driven; the seed case (Ruzevick et al. 2014, Fig. 1) as of 4 and 7
months and after pathology, from the example files and from the worked example of the docs;
hypothesis properties; and a check that Amini 2016 output on its example is unchanged.

Expected values are worked out by hand from the rules: the lesion rule is ≥ 20% and ≥ 5 mm
above the nadir; continued growth ≥ 20% and ≥ 5 mm above the suspected progression; stabilised
is no larger than the largest size since the suspicion; PR ≥ 30% below baseline.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from pseudoprog.cli import _register, app
from pseudoprog.criteria import amini2016, registry, srs_brain
from pseudoprog.criteria.result import Assessment, WarningKind
from pseudoprog.criteria.srs_brain import (
    CATEGORIES,
    DEFAULT_PARAMETERS,
    Rule,
    SrsBrainParameters,
    SrsBrainWarning,
    assess,
)
from pseudoprog.domain import (
    Event,
    EventKind,
    Evidence,
    Lesion,
    LesionHistory,
    Measurement,
    ResponseCategory,
    Sequence,
    Site,
    SizeSeries,
    Treatment,
    pathology_evidence,
)
from pseudoprog.errors import ParameterError
from pseudoprog.io.cohort import load_cohort
from pseudoprog.io.evidence import load_evidence
from pseudoprog.stats.responses import ResponseSource, summarize_responses
from tests.conftest import REPO_ROOT

C = ResponseCategory
SRS = date(2012, 3, 5)
EXAMPLE = REPO_ROOT / "examples" / "brain_srs"
DOC = REPO_ROOT / "docs" / "criteria-srs-brain.md"

Points = Iterable[tuple[float, float]]


def day(week: float, start: date = SRS) -> date:
    return start + timedelta(days=round(week * 7))


def lesion(start: date = SRS) -> Lesion:
    return Lesion("P1", "L1", Treatment(start, 20.0, 1), site=Site.BRAIN)


def history(
    t1c: Points,
    *,
    t1: Points | None = None,
    events: Iterable[tuple[float, EventKind]] | None = (),
    start: date = SRS,
) -> LesionHistory:
    """Lesion L1 treated on ``start``; sizes as (week, mm); ``events=None``: no events table."""
    per = {}
    for sequence, points in ((Sequence.T1C, t1c), (Sequence.T1, t1)):
        if points is not None:
            ordered = sorted(points)
            per[sequence] = SizeSeries(
                sequence,
                tuple(day(w, start) for w, _ in ordered),
                tuple(s for _, s in ordered),
            )
    evs = tuple(Event("P1", day(w, start), k, "L1") for w, k in sorted(events or ()))
    return LesionHistory(lesion(start), per, evs, events_recorded=events is not None)


def evidence(week: float, kind: str, value: float | str, start: date = SRS) -> Evidence:
    if kind == "pathology":
        return pathology_evidence("L1", day(week, start), str(value))
    return Evidence("L1", day(week, start), kind, float(value))


def codes(result: Assessment) -> list[str]:
    return [r.code for r in result.reasons]


def warnings(result: Assessment) -> list[str]:
    return [w.code for w in result.warnings]


# ---- every rule, table-driven -------------------------------------------------------------------

SUSPECTED = ["suspected_progression", "advanced_imaging_before_surgery"]
T = EventKind

#: (id, T1C course, events, evidence, parameters, response, reason codes, warning codes)
CASES: list[tuple[str, Any, Any, Any, dict[str, Any], C, list[str], list[str]]] = [
    ("pr", [(-1, 18), (12, 12), (24, 10.5)], (), (), {}, C.PR, ["partial_response"], []),
    (
        "pr_not_yet_sustained",
        [(-1, 18), (12, 14), (24, 12.6)],
        (),
        (),
        {},
        C.PR,
        ["partial_response"],
        ["response_unconfirmed"],
    ),
    ("sd", [(-1, 15), (12, 16.5), (24, 15.5)], (), (), {}, C.SD, ["stable"], []),
    ("sd_rise_under_5_mm", [(-1, 10), (12, 14.9)], (), (), {}, C.SD, ["stable"], []),
    ("sd_rise_under_20_pct", [(-1, 30), (12, 35.9)], (), (), {}, C.SD, ["stable"], []),
    ("suspected", [(-1, 12), (12, 18)], (), (), {}, C.SUSPECTED_PROGRESSION, SUSPECTED, []),
    (
        "suspected_exactly_5_mm_20_pct",
        [(-1, 25), (12, 30)],
        (),
        (),
        {},
        C.SUSPECTED_PROGRESSION,
        SUSPECTED,
        [],
    ),
    (
        "suspected_above_the_nadir",
        [(-1, 20), (12, 14), (24, 19)],
        (),
        (),
        {},
        C.SUSPECTED_PROGRESSION,
        SUSPECTED,
        [],
    ),
    (
        "still_growing",
        [(-1, 14), (17, 20), (30, 23)],
        (),
        (),
        {},
        C.SUSPECTED_PROGRESSION,
        ["suspected_progression", "still_growing", "advanced_imaging_before_surgery"],
        [],
    ),
    (
        "continued_growth",
        [(-1, 15), (13, 21), (26, 27)],
        (),
        (),
        {},
        C.PD,
        ["suspected_progression", "continued_growth"],
        [],
    ),
    (
        "slow_continued_growth_adds_up",
        [(-1, 15), (13, 21), (26, 24), (39, 26)],
        (),
        (),
        {},
        C.PD,
        ["suspected_progression", "still_growing", "continued_growth"],
        [],
    ),
    (
        "stabilised_on_the_latest_mri",
        [(-1, 12), (13, 18), (26, 17.5)],
        (),
        (),
        {},
        C.TREATMENT_EFFECT,
        ["suspected_progression", "stabilised"],
        ["stabilisation_unconfirmed"],
    ),
    (
        "stabilised_and_shrinking",
        [(-1, 12), (13, 18), (26, 18), (39, 15)],
        (),
        (),
        {},
        C.TREATMENT_EFFECT,
        ["suspected_progression", "stabilised"],
        [],
    ),
    (
        "still_growing_by_less_than_the_tolerance_is_stable",
        [(-1, 12), (13, 18), (26, 18.5)],
        (),
        (),
        {"stable_tolerance_mm": 1.0},
        C.TREATMENT_EFFECT,
        ["suspected_progression", "stabilised"],
        ["stabilisation_unconfirmed"],
    ),
    (
        "systemic_therapy_blocks_treatment_effect",
        [(-1, 16), (13, 22), (26, 20)],
        [(15, T.SYSTEMIC_THERAPY_CHANGE)],
        (),
        {},
        C.SUSPECTED_PROGRESSION,
        ["suspected_progression", "new_treatment", "advanced_imaging_before_surgery"],
        [],
    ),
    (
        "surgery_blocks_treatment_effect",
        [(-1, 16), (13, 22), (26, 12), (39, 10)],
        [(16, T.SURGERY)],
        (),
        {},
        C.SUSPECTED_PROGRESSION,
        ["suspected_progression", "new_treatment", "advanced_imaging_before_surgery"],
        [],
    ),
    (
        "reirradiation_on_the_day_of_suspicion_blocks",
        [(-1, 16), (13, 22), (26, 20)],
        [(13, T.REIRRADIATION)],
        (),
        {},
        C.SUSPECTED_PROGRESSION,
        ["suspected_progression", "new_treatment", "advanced_imaging_before_surgery"],
        [],
    ),
    (
        "treatment_before_the_suspicion_does_not_block",
        [(-1, 16), (13, 22), (26, 20)],
        [(5, T.SYSTEMIC_THERAPY_CHANGE), (26, T.SURGERY)],
        (),
        {},
        C.TREATMENT_EFFECT,
        ["suspected_progression", "stabilised"],
        ["stabilisation_unconfirmed"],
    ),
    (
        "no_events_table",
        [(-1, 16), (13, 22), (26, 20), (39, 19)],
        None,
        (),
        {},
        C.TREATMENT_EFFECT,
        ["suspected_progression", "stabilised"],
        ["events_not_recorded"],
    ),
    (
        "growth_beyond_the_window",
        [(-1, 14), (26, 13), (52, 12), (117, 18)],
        (),
        (),
        {},
        C.PD,
        ["progression_beyond_window"],
        [],
    ),
    (
        "a_longer_window",
        [(-1, 14), (26, 13), (52, 12), (117, 18)],
        (),
        (),
        {"treatment_effect_window_weeks": 130},
        C.SUSPECTED_PROGRESSION,
        SUSPECTED,
        [],
    ),
    (
        "pathology_tumour",
        [(-1, 13), (14, 19)],
        [(18, T.SURGERY)],
        [(18, "pathology", "tumour")],
        {},
        C.PD,
        ["suspected_progression", "pathology_tumour"],
        [],
    ),
    (
        "pathology_mixed",
        [(-1, 13), (14, 19)],
        (),
        [(18, "pathology", "mixed")],
        {},
        C.PD,
        ["suspected_progression", "pathology_tumour"],
        [],
    ),
    (
        "pathology_necrosis",
        [(-1, 13), (14, 19), (27, 21)],
        (),
        [(30, "pathology", "necrosis")],
        {},
        C.TREATMENT_EFFECT,
        ["suspected_progression", "still_growing", "pathology_necrosis"],
        [],
    ),
    (
        "necrosis_overrides_continued_growth",
        [(-1, 15), (13, 21), (26, 27)],
        [(28, T.SURGERY)],
        [(28, "pathology", "necrosis")],
        {},
        C.TREATMENT_EFFECT,
        ["suspected_progression", "continued_growth", "pathology_necrosis"],
        [],
    ),
    (
        "necrosis_does_not_undo_tumour",
        [(-1, 13), (14, 19)],
        (),
        [(16, "pathology", "tumour"), (20, "pathology", "necrosis")],
        {},
        C.PD,
        ["suspected_progression", "pathology_tumour"],
        ["evidence_not_used"],
    ),
    (
        "pathology_before_any_suspicion_is_not_used",
        [(-1, 15), (12, 15.5)],
        (),
        [(13, "pathology", "necrosis")],
        {},
        C.SD,
        ["stable"],
        ["evidence_not_used"],
    ),
    (
        "growth_again_after_necrosis",
        [(-1, 14), (17, 20), (30, 21), (43, 26)],
        (),
        [(20, "pathology", "necrosis")],
        {},
        C.SUSPECTED_PROGRESSION,
        [
            "suspected_progression",
            "pathology_necrosis",
            "suspected_progression",
            "advanced_imaging_before_surgery",
        ],
        [],
    ),
    (
        "growth_again_after_stabilisation",
        [(-1, 12), (13, 18), (26, 17), (39, 22.5)],
        (),
        (),
        {},
        C.SUSPECTED_PROGRESSION,
        [
            "suspected_progression",
            "stabilised",
            "suspected_progression",
            "advanced_imaging_before_surgery",
        ],
        [],
    ),
    (
        "rcbv_shows_tumour",
        [(-1, 11), (13, 17)],
        (),
        [(13, "dsc_rcbv_ratio", 2.6)],
        {},
        C.PD,
        ["suspected_progression", "advanced_imaging_tumour"],
        [],
    ),
    (
        "rcbv_at_the_cut_off",
        [(-1, 11), (13, 17)],
        (),
        [(14, "dsc_rcbv_ratio", 2.1)],
        {},
        C.PD,
        ["suspected_progression", "advanced_imaging_tumour"],
        [],
    ),
    (
        "tbr_below_the_cut_off",
        [(-1, 11), (13, 17)],
        (),
        [(14, "amino_acid_pet_tbr_mean", 1.6)],
        {},
        C.SUSPECTED_PROGRESSION,
        [
            "suspected_progression",
            "advanced_imaging_not_tumour",
            "advanced_imaging_before_surgery",
        ],
        [],
    ),
    (
        "advanced_imaging_reported_only",
        [(-1, 11), (13, 17)],
        (),
        [(14, "amino_acid_pet_tbr_mean", 2.4)],
        {"advanced_imaging_decides": False},
        C.SUSPECTED_PROGRESSION,
        [
            "suspected_progression",
            "advanced_imaging_tumour",
            "advanced_imaging_before_surgery",
        ],
        [],
    ),
    (
        "advanced_imaging_of_a_stable_lesion",
        [(-1, 11), (13, 12)],
        (),
        [(13, "dsc_rcbv_ratio", 3.0), (14, "dce_vp_change_pct", -40)],
        {},
        C.SD,
        ["stable"],
        ["evidence_not_used", "evidence_not_used"],
    ),
    (
        "no_baseline",
        [(2, 12), (13, 18)],
        (),
        (),
        {},
        C.INDETERMINATE,
        ["no_baseline"],
        ["missing_baseline"],
    ),
    ("no_follow_up", [(-1, 12)], (), (), {}, C.INDETERMINATE, ["no_follow_up"], ["no_follow_up"]),
]


@pytest.mark.parametrize(
    ("course", "events", "found", "given", "response", "reasons", "warned"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_rule(
    course: Points,
    events: Iterable[tuple[float, EventKind]] | None,
    found: Iterable[tuple[float, str, float | str]],
    given: dict[str, Any],
    response: C,
    reasons: list[str],
    warned: list[str],
) -> None:
    params = SrsBrainParameters(**given)
    result = assess(
        history(course, events=events), params=params, evidence=[evidence(*e) for e in found]
    )
    assert result.category is response
    assert codes(result) == reasons
    assert warnings(result) == warned
    assert result.parameters is params
    assert result.category in CATEGORIES


def test_reasons_quote_the_rule_the_numbers_and_the_dates() -> None:
    result = assess(history([(-1, 15), (13, 21), (26, 27)]))
    suspected, growth = (r.message for r in result.reasons)
    assert f"21.0 mm on {day(13)} is +6.0 mm (+40.0%) from the nadir of 15.0 mm" in suspected
    assert "at least 20% and 5 mm above it, the RANO-BM lesion rule (Lin 2015)" in suspected
    assert "within the 104-week window" in suspected
    assert f"27.0 mm on {day(26)} is +6.0 mm (+28.6%) from the 21.0 mm" in growth
    assert f"suspected progression on {day(13)}" in growth


def test_recommendation_names_the_next_mri_and_its_threshold() -> None:
    result = assess(history([(-1, 12), (13, 18)]), params=SrsBrainParameters(repeat_mri_weeks=8))
    text = result.reasons[-1].message
    assert text.startswith("advanced imaging (perfusion MRI or amino-acid PET) before surgery")
    assert f"repeat MRI in 8 weeks (by {day(21)})" in text
    assert f"23.0 mm or more (20% and 5 mm above the 18.0 mm of {day(13)})" in text
    after = assess(
        history([(-1, 12), (13, 18)]), evidence=[evidence(14, "dsc_rcbv_ratio", 1.2)]
    ).reasons[-1]
    assert after.message.startswith(f"rCBV ratio 1.2 on {day(14)} did not show tumour")
    treated = assess(history([(-1, 16), (13, 22), (26, 20)], events=[(15, T.SURGERY)])).reasons[-1]
    assert treated.message.startswith("pathology if resected")


def test_new_treatment_reason_names_it() -> None:
    result = assess(history([(-1, 16), (13, 22), (26, 20)], events=[(15, T.REIRRADIATION)]))
    assert f"after new treatment (reirradiation on {day(15)})" in result.reasons[1].message


def test_other_lesions_and_later_evidence_are_ignored() -> None:
    other = Evidence("L2", day(14), "pathology", True, "tumour")
    later = evidence(30, "pathology", "tumour")
    result = assess(history([(-1, 12), (13, 18)]), as_of=day(20), evidence=[other, later])
    assert result.category is C.SUSPECTED_PROGRESSION
    assert warnings(result) == []


@pytest.mark.parametrize(
    ("item", "why"),
    [
        (Evidence("L1", day(-2), "pathology", False, "necrosis"), "dated before SRS"),
        (Evidence("L1", day(14), "pathology", True, "necrosis"), "contradicts"),
        (Evidence("L1", day(14), "pathology", False, "benign"), "not a pathology result"),
        (Evidence("L1", day(14), "pathology", 1.0), "not true or false"),
        (Evidence("L1", day(14), "dsc_rcbv_ratio", True), "not a positive ratio"),
        (Evidence("L1", day(14), "rCBV", -1.0), "not a positive ratio"),
    ],
)
def test_unusable_evidence_is_named(item: Evidence, why: str) -> None:
    result = assess(history([(-1, 12), (13, 18)]), evidence=[item])
    assert result.category is C.SUSPECTED_PROGRESSION
    assert [w.code for w in result.warnings] == ["evidence_not_used"]
    assert why in result.warnings[0].message


def test_pathology_without_detail_reads_the_value() -> None:
    necrosis = Evidence("L1", day(14), "histopathology", False)
    result = assess(history([(-1, 12), (13, 18)]), evidence=[necrosis])
    assert result.category is C.TREATMENT_EFFECT


def test_primary_sequence_and_disagreement() -> None:
    both = history([(-1, 12), (13, 18)], t1=[(-1, 12), (13, 13)])
    result = assess(both)
    assert (result.category, result.sequence) == (C.SUSPECTED_PROGRESSION, Sequence.T1C)
    assert warnings(result) == ["sequences_disagree"]
    t1_only = history([], t1=[(-1, 12), (13, 18)])
    t1_only = dataclasses.replace(t1_only, series={Sequence.T1: t1_only.series[Sequence.T1]})
    result = assess(t1_only)
    assert result.sequence is Sequence.T1
    assert warnings(result) == ["primary_sequence_missing"]
    result = assess(both, params=SrsBrainParameters(primary_sequence=Sequence.T1))
    assert (result.category, result.sequence) == (C.SD, Sequence.T1)


def test_peak_fields_and_measurability() -> None:
    result = assess(history([(-1, 12), (13, 18), (26, 17), (39, 11)]))
    deciding = result.deciding
    assert deciding is not None
    assert (deciding.peak_mm, deciding.first_enlarged_date) == (18.0, day(13))
    assert result.time_to_peak_weeks == 13.0
    assert result.peak_change_mm == 6.0
    assert result.time_to_baseline_weeks == 39.0
    assert [(c.criterion, c.status.value) for c in result.inclusion] == [("measurable", "met")]
    small = assess(history([(-1, 8), (13, 14)]))
    assert small.inclusion[0].status.value == "not_met"
    assert small.to_dict()["response"] == "SUSPECTED_PD"


def test_parameters() -> None:
    assert DEFAULT_PARAMETERS.criteria == "srs-brain"
    assert DEFAULT_PARAMETERS.primary_sequence is Sequence.T1C
    data = DEFAULT_PARAMETERS.to_dict()
    assert data["criteria"] == "srs-brain"
    assert data["primary_sequence"] == "T1C"
    assert json.loads(json.dumps(data)) == data
    with pytest.raises(TypeError):
        SrsBrainParameters(20.0)  # type: ignore[misc]  # keyword-only
    for bad in (
        {"progression_pct": 0},
        {"response_pct": 100},
        {"progression_min_mm": -1},
        {"treatment_effect_window_weeks": 0},
        {"rcbv_tumour_min": float("nan")},
        {"repeat_mri_weeks": 0},
        {"response_confirmation_days": -1},
        {"primary_sequence": "T1C"},
    ):
        with pytest.raises(ParameterError, match=next(iter(bad))):
            SrsBrainParameters(**bad)


def test_registry_entry() -> None:
    entry = registry.get("SRS brain")
    assert (entry.name, entry.kind) == ("srs-brain", registry.CriteriaKind.LESION)
    assert entry.sites == ()
    assert registry.default_for_site(Site.BRAIN).name == "rano-bm"
    assert entry.assess is srs_brain.assess
    assert entry.default_parameters() == DEFAULT_PARAMETERS
    described = {p.name: p.description for p in entry.parameters()}
    assert set(described) == {f.name for f in dataclasses.fields(SrsBrainParameters)}
    assert all(described.values())
    made = entry.make_parameters({"treatment_effect_window_weeks": 52, "primary_sequence": "T1"})
    assert (made.treatment_effect_window_weeks, made.primary_sequence) == (52.0, Sequence.T1)
    assert srs_brain.CATEGORIES[-1] is C.INDETERMINATE
    assert amini2016.CATEGORIES == (C.PR, C.SD, C.PD, C.OPP, C.INDETERMINATE)


# ---- the seed case ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example() -> tuple[dict[str, LesionHistory], tuple[Evidence, ...]]:
    cohort = load_cohort(
        lesions=EXAMPLE / "lesions.csv",
        measurements=EXAMPLE / "measurements.csv",
        events=EXAMPLE / "events.csv",
    )
    found = load_evidence(EXAMPLE / "evidence.csv", lesions=cohort.lesions)
    return {h.lesion.lesion_id: h for h in cohort.histories}, found


def test_seed_case_at_4_and_7_months_and_after_pathology(
    example: tuple[dict[str, LesionHistory], tuple[Evidence, ...]],
) -> None:
    histories, found = example
    seed = histories["S1-LPAR"]
    assert (seed.lesion.site, seed.lesion.treatment.dose_gy, seed.lesion.treatment.fractions) == (
        Site.BRAIN,
        16.0,
        1,
    )
    entry = registry.get("srs-brain")
    for as_of in (date(2011, 7, 1), date(2011, 10, 3), date(2011, 10, 19)):
        result = entry.assess(seed, as_of=as_of, params=None, evidence=found)
        assert result.category is C.SUSPECTED_PROGRESSION, as_of
        assert result.reasons[-1].code == "advanced_imaging_before_surgery"
        assert "advanced imaging (perfusion MRI or amino-acid PET) before surgery" in str(
            result.reasons[-1]
        )
        assert "repeat MRI in 12 weeks" in str(result.reasons[-1])
    four = entry.assess(seed, as_of=date(2011, 7, 1), evidence=found)
    assert 16.0 < four.time_to_peak_weeks < 18.0  # type: ignore[operator]
    seven = entry.assess(seed, as_of=date(2011, 10, 3), evidence=found)
    assert codes(seven)[:2] == ["suspected_progression", "still_growing"]
    after = entry.assess(seed, evidence=found)
    assert after.category is C.TREATMENT_EFFECT
    assert codes(after)[-1] == "pathology_necrosis"
    # the same course without the pathology stays suspected: the craniotomy alone decides nothing
    assert entry.assess(seed).category is C.SUSPECTED_PROGRESSION


def _readme_table() -> dict[str, str]:
    text = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| ([A-Z0-9]+-[A-Z0-9]+) \| .* \| ([A-Z_]+) \|$", text, re.M)
    return dict(rows)


def test_example_responses_match_its_readme(
    example: tuple[dict[str, LesionHistory], tuple[Evidence, ...]],
) -> None:
    histories, found = example
    table = _readme_table()
    assert set(table) == set(histories)
    got = {
        h.lesion.lesion_id: a.category.value
        for h, a in zip(
            histories.values(),
            srs_brain.assess_many(histories.values(), evidence=found),
            strict=True,
        )
    }
    assert got == table
    every = {a.reasons[-1].code for a in srs_brain.assess_many(histories.values(), evidence=found)}
    branches = {
        "pathology_necrosis",
        "partial_response",
        "stable",
        "stabilised",
        "continued_growth",
        "pathology_tumour",
        "advanced_imaging_before_surgery",
        "progression_beyond_window",
        "advanced_imaging_tumour",
    }
    assert branches <= every
    files = {p.name for p in EXAMPLE.iterdir() if p.is_file()}
    assert {"lesions.csv", "measurements.csv", "events.csv", "evidence.csv"} <= files
    with (EXAMPLE / "measurements.csv").open(encoding="utf-8") as handle:
        assert {row["sequence"] for row in csv.DictReader(handle)} == {"T1C"}


# ---- the worked example of the docs -------------------------------------------------------------

DOC_TEXT = DOC.read_text(encoding="utf-8")
WORKED = [
    yaml.safe_load(block)
    for block in re.findall(r"^```yaml\n(# Worked example.*?)^```", DOC_TEXT, re.S | re.M)
]


def _worked_history(example: dict[str, Any]) -> LesionHistory:
    spec, treatment = example["lesion"], example["lesion"]["treatment"]
    subject = Lesion(
        str(spec["patient_id"]),
        str(spec["lesion_id"]),
        Treatment(treatment["date"], float(treatment["dose_gy"]), int(treatment["fractions"])),
        site=Site.BRAIN,
    )
    measurements = [
        Measurement(subject.lesion_id, when, Sequence.parse(sequence), float(size))
        for sequence, sizes in example["measurements"].items()
        for when, size in sizes.items()
    ]
    events = [
        Event(subject.patient_id, ev["date"], EventKind.parse(ev["kind"]), ev.get("lesion_id"))
        for ev in example.get("events", [])
    ]
    return LesionHistory.from_measurements(subject, measurements, events)


def test_docs_have_the_worked_example() -> None:
    assert len(WORKED) == 1


@pytest.mark.parametrize("example", WORKED, ids=lambda e: "seed case")
def test_docs_worked_example(example: dict[str, Any]) -> None:
    subject = _worked_history(example)
    found = [
        pathology_evidence(subject.lesion.lesion_id, ev["date"], ev["value"])
        if ev["kind"] == "pathology"
        else Evidence(subject.lesion.lesion_id, ev["date"], ev["kind"], float(ev["value"]))
        for ev in example.get("evidence", [])
    ]
    for expected in example["assessments"]:
        assert set(expected) <= {"as_of", "response", "reasons", "reason_text"}
        result = assess(subject, as_of=expected["as_of"], evidence=found)
        assert result.category.value == expected["response"]
        if "reasons" in expected:
            assert codes(result) == expected["reasons"]
        for snippet in expected.get("reason_text", []):
            assert any(snippet in r.message for r in result.reasons), snippet


def test_docs_parameter_table_matches_the_defaults() -> None:
    section = DOC_TEXT.split("\n## Parameters\n", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| `([a-z_]+)` \| ([^|]+) \|", section, re.M))
    defaults = DEFAULT_PARAMETERS.to_dict()
    del defaults["criteria"]
    assert set(rows) == set(defaults)
    for name, value in defaults.items():
        shown = rows[name].strip()
        assert shown == (str(value).lower() if isinstance(value, bool) else str(value)), name


def test_docs_name_every_code() -> None:
    section = DOC_TEXT.split("\n## Reason and warning codes\n", 1)[1].split("\n## ", 1)[0]
    for code in [*Rule, *SrsBrainWarning, WarningKind.EVENTS_NOT_RECORDED]:
        assert f"`{code}`" in section, code


# ---- properties ---------------------------------------------------------------------------------

sizes = st.integers(min_value=30, max_value=400).map(lambda k: k / 10)
weeks = st.lists(st.integers(min_value=1, max_value=160), min_size=1, max_size=7, unique=True)
KINDS = [T.SURGERY, T.REIRRADIATION, T.SYSTEMIC_THERAPY_CHANGE]


@st.composite
def courses(draw: st.DrawFn) -> list[tuple[float, float]]:
    """(week, size): a baseline at most 4 weeks before SRS, then follow-ups."""
    points = [(-draw(st.integers(min_value=0, max_value=4)), draw(sizes))]
    points += [(w, draw(sizes)) for w in sorted(draw(weeks))]
    return points


@st.composite
def findings(draw: st.DrawFn) -> list[tuple[float, str, float | str]]:
    kinds = st.sampled_from(["pathology", "dsc_rcbv_ratio", "amino_acid_pet_tbr_mean"])
    out: list[tuple[float, str, float | str]] = []
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        kind = draw(kinds)
        value: float | str = (
            draw(st.sampled_from(["necrosis", "tumour", "mixed"]))
            if kind == "pathology"
            else draw(st.integers(min_value=5, max_value=40)) / 10
        )
        out.append((draw(st.integers(min_value=0, max_value=170)), kind, value))
    return out


treatments = st.lists(
    st.tuples(st.integers(min_value=0, max_value=170), st.sampled_from(KINDS)), max_size=2
)


def _summary(result: Assessment) -> tuple[Any, ...]:
    deciding = result.deciding
    return (
        result.category,
        result.sequence,
        codes(result),
        warnings(result),
        None if deciding is None else (deciding.peak_mm, deciding.time_to_peak_weeks),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    courses(),
    treatments,
    findings(),
    st.integers(min_value=-4000, max_value=4000),
    st.one_of(st.none(), st.integers(min_value=0, max_value=170)),
)
def test_shifting_every_date_changes_nothing(
    course: list[tuple[float, float]],
    events: list[tuple[float, EventKind]],
    found: list[tuple[float, str, float | str]],
    shift: int,
    as_of_week: int | None,
) -> None:
    def run(start: date) -> Assessment:
        return assess(
            history(course, events=events, start=start),
            as_of=None if as_of_week is None else day(as_of_week, start),
            evidence=[evidence(*f, start=start) for f in found],
        )

    assert _summary(run(SRS)) == _summary(run(SRS + timedelta(days=shift)))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(sizes, min_size=2, max_size=8, unique=True),
    weeks,
    treatments,
    findings(),
)
def test_a_uniform_shrink_is_never_progression(
    values: list[float],
    follow: list[int],
    events: list[tuple[float, EventKind]],
    found: list[tuple[float, str, float | str]],
) -> None:
    shrinking = sorted(values, reverse=True)
    n = min(len(shrinking) - 1, len(follow))
    course = [(-1.0, shrinking[0])] + [
        (float(w), s) for w, s in zip(sorted(follow)[:n], shrinking[1 : n + 1], strict=True)
    ]
    result = assess(history(course, events=events), evidence=[evidence(*f) for f in found])
    assert result.category in (C.PR, C.SD)


def _continued_growth_somewhere(sizes_in_order: list[float]) -> bool:
    """Whether some follow-up is ≥ 20% and ≥ 5 mm above an earlier follow-up."""
    return any(
        later >= 1.2 * earlier - 1e-9 and later - earlier >= 5 - 1e-9
        for i, earlier in enumerate(sizes_in_order)
        for later in sizes_in_order[i + 1 :]
    )


@settings(max_examples=300, deadline=None)
@given(courses(), treatments)
def test_suspected_progression_becomes_pd_only_by_continued_growth(
    course: list[tuple[float, float]], events: list[tuple[float, EventKind]]
) -> None:
    """Without pathology or advanced imaging, and every follow-up within the window, PD needs
    a follow-up 20% and 5 mm above an earlier follow-up (the suspected progression)."""
    params = SrsBrainParameters(treatment_effect_window_weeks=200)
    result = assess(history(course, events=events), params=params)
    follow_ups = [s for w, s in course if w > 0]
    if result.category is C.PD:
        assert codes(result)[-1] == "continued_growth"
        assert _continued_growth_somewhere(follow_ups)


@settings(max_examples=300, deadline=None)
@given(courses(), treatments, st.data())
def test_necrosis_never_gives_pd_without_growth_after_it(
    course: list[tuple[float, float]], events: list[tuple[float, EventKind]], data: st.DataObject
) -> None:
    """Necrosis on pathology, entered on a follow-up date: the answer is PD only if a later MRI
    rose by the lesion rule above the smallest size from the last MRI before the pathology on.
    (Pathology is the reference standard: it overrides imaging, and only new growth after it
    can reopen the question.) Pathology before any suspected progression is not used (the
    lesion had not enlarged): the answer is then the one without it."""
    follow = [(w, s) for w, s in course if w > 0]
    k = data.draw(st.integers(min_value=0, max_value=len(follow) - 1))
    when = follow[k][0] + data.draw(st.integers(min_value=0, max_value=3))
    necrosis = evidence(when, "pathology", "necrosis")
    result = assess(history(course, events=events), evidence=[necrosis])
    if "pathology_necrosis" not in codes(result):
        assert "evidence_not_used" in warnings(result)
        assert result.category is assess(history(course, events=events)).category
        return
    after = [s for w, s in follow if w <= when][-1:] + [s for w, s in follow if w > when]
    if result.category is C.PD:
        assert _continued_growth_somewhere(after)
    if len(after) == 1:  # nothing seen after the pathology
        assert result.category is not C.PD


# ---- Amini 2016 output is unchanged -------------------------------------------------------------


@pytest.fixture(scope="module")
def cli() -> Callable[..., Any]:
    """Invoke the typer application in-process."""
    _register()
    runner = CliRunner()

    def _invoke(*args: object) -> Any:
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)

    return _invoke


def test_amini2016_output_on_its_example_is_unchanged(cli: Callable[..., Any]) -> None:
    folder = REPO_ROOT / "examples" / "amini2016"
    tables = (
        "--lesions",
        folder / "lesions.csv",
        "--measurements",
        folder / "measurements.csv",
        "--events",
        folder / "events.csv",
    )
    table = cli("classify", *tables).stdout
    assert (
        table.rstrip().splitlines()[-1] == "37 lesions: PR 11  SD 12  PD 9  OPP 5  INDETERMINATE 0"
    )
    published = {}
    with (folder / "lesions.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            published[row["lesion_id"]] = row["response"]
    rows = json.loads(cli("classify", *tables, "--format", "json").stdout)
    lesions = rows["lesions"] if isinstance(rows, Mapping) else rows
    assert {r["lesion_id"]: r["response"] for r in lesions} == published
    text = cli("classify", *tables, "--format", "csv").stdout
    for new in ("SUSPECTED_PD", "TREATMENT_EFFECT", "suspected", "treatment effect"):
        assert new not in table + text
    cohort = load_cohort(lesions=folder / "lesions.csv", measurements=folder / "measurements.csv")
    given = [x.response for x in cohort.lesions]
    summary = summarize_responses(cohort.lesions, given, source=ResponseSource.TABLE)
    assert [c.value for c, _ in summary.counts] == ["PR", "SD", "PD", "OPP", "INDETERMINATE"]
    assert list(summary.to_dict()["response_counts"]) == ["PR", "SD", "PD", "OPP", "INDETERMINATE"]
