"""Liver evidence at the point of care: the question, the direction of each finding, the ratio."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pseudoprog.criteria import choi
from pseudoprog.domain import Evidence
from pseudoprog.errors import ParameterError
from pseudoprog.evidence.packaged import packaged_table
from pseudoprog.evidence.patient_evidence import Leaning, Question, assess_patient_evidence
from pseudoprog.evidence.posterior import ModelParameters
from pseudoprog.patient import Observation, PatientRecord, TrackedLesion

START = date(2022, 1, 10)
BASE = date(2022, 1, 3)
CT = date(2022, 3, 7)
FAST = ModelParameters(draws=500)
#: Choi 2007 (abstract): 32 of 33 PET good responders vs 0 of 7 others met the criteria;
#: a zero cell, so 0.5 is added to every cell.
LR_FALL = (32.5 / 34) / (0.5 / 8)
LR_NO_FALL = (1.5 / 34) / (7.5 / 8)


def record(size: float, hu: float | None, *, base_size: float = 50.0) -> PatientRecord:
    return PatientRecord(
        "P1",
        START,
        (TrackedLesion("P1", "L1", organ="liver"),),
        {
            "L1": (
                Observation(BASE, base_size, attenuation_hu=80.0),
                Observation(CT, size, attenuation_hu=hu),
            )
        },
    )


def weigh(size: float, hu: float | None, rows: tuple[Evidence, ...] = ()) -> object:
    rec = record(size, hu)
    return assess_patient_evidence(choi.assess(rec), record=rec, evidence=rows, model=FAST)


def test_growth_with_a_large_attenuation_fall_favours_response() -> None:
    found = weigh(62.0, 50.0)  # size +24%, attenuation -37.5%
    assert found.question is Question.SIZE_ONLY_PD
    assert found.combined is not None
    assert found.combined.estimate == pytest.approx(LR_FALL)
    assert found.items[0].leaning is Leaning.RESPONSE
    assert found.probability is None
    assert "no prior" in found.probability_note


def test_an_attenuation_fall_of_15_percent_raises_the_weight_of_response() -> None:
    fell = weigh(56.0, 68.0)  # -15%: PR by Choi
    flat = weigh(56.0, 76.0)  # -5%: PD by size, attenuation fell a little
    assert fell.question is Question.GREW_NOT_PD
    assert flat.question is Question.PD_ON_SIZE_ATTENUATION_FELL
    assert fell.combined is not None
    assert flat.combined is not None
    assert fell.combined.estimate > 1 > flat.combined.estimate
    assert flat.combined.estimate == pytest.approx(LR_NO_FALL)
    assert flat.items[0].leaning is Leaning.PROGRESSION


def test_a_pet_rise_points_to_progression_without_changing_the_ratio() -> None:
    rise = (Evidence("L1", CT, "fdg_pet_suv_change_pct", 25.0),)
    fall = (Evidence("L1", CT, "fdg_pet_suv_change_pct", -40.0),)
    alone, up, down = weigh(62.0, 50.0), weigh(62.0, 50.0, rise), weigh(62.0, 50.0, fall)
    pet_up = next(i for i in up.items if i.feature == "fdg_pet_suv_change_pct")
    pet_down = next(i for i in down.items if i.feature == "fdg_pet_suv_change_pct")
    assert pet_up.leaning is Leaning.PROGRESSION
    assert not pet_up.weighted
    assert pet_down.leaning is Leaning.RESPONSE
    assert pet_up.likelihood_ratio is None
    assert up.combined.estimate == down.combined.estimate == alone.combined.estimate


def test_findings_without_counts_do_not_change_the_result() -> None:
    rows = (
        Evidence("L1", CT, "tumour_marker_change_pct", 60.0),
        Evidence("L1", CT, "other_sites_response", 1.0, "progression"),
    )
    plain, shown = weigh(62.0, 50.0), weigh(62.0, 50.0, rows)
    assert shown.combined.to_dict() == plain.combined.to_dict()
    leaning = {i.feature: i.leaning for i in shown.items}
    assert leaning["tumour_marker_change_pct"] is Leaning.PROGRESSION
    assert leaning["other_sites_response"] is Leaning.PROGRESSION
    # the two reported kinds are no longer proposed
    codes = [r.code for r in shown.recommendations]
    assert "tumour_markers" not in codes
    assert "other_sites" not in codes
    assert "fdg_pet" in codes
    assert "same_contrast_phase" in codes


def test_an_attenuation_row_stands_in_only_for_a_missing_measurement() -> None:
    row = (Evidence("L1", CT, "attenuation_change_pct", -30.0),)
    missing = weigh(62.0, None, row)
    assert missing.items[0].item.value == -30.0
    assert missing.items[0].origin == "evidence"
    assert missing.combined.estimate == pytest.approx(LR_FALL)
    measured = weigh(62.0, 78.0, row)  # -2.5% measured: the measurements win
    assert measured.items[0].origin == "measurements"
    assert measured.combined.estimate == pytest.approx(LR_NO_FALL)
    assert any("not used" in w for w in measured.warnings)


def test_no_question_when_the_targets_do_not_grow() -> None:
    found = weigh(45.0, 78.0)
    assert found.question is Question.NOT_GROWING
    assert found.combined is None
    assert found.recommendations[-1].code == "next_scan"
    assert found.next_scan_due == CT + (CT - BASE)


def test_the_next_ct_is_overdue() -> None:
    rec = record(62.0, 50.0)
    result = choi.assess(rec, as_of=date(2022, 6, 1))
    found = assess_patient_evidence(result, record=rec, model=FAST)
    assert found.recommendations[0].code == "follow_up_overdue"
    assert found.warnings[-1].startswith(
        f"next CT overdue by {(date(2022, 6, 1) - found.next_scan_due).days} days"
    )


def test_another_patients_record_is_refused() -> None:
    rec = record(62.0, 50.0)
    other = PatientRecord("P2", START, (TrackedLesion("P2", "X", organ="liver"),))
    with pytest.raises(ParameterError, match="same patient's record"):
        assess_patient_evidence(choi.assess(rec), record=other)


@settings(max_examples=60, deadline=None)
@given(
    growth=st.floats(min_value=10.0, max_value=80.0),
    fall=st.floats(min_value=-60.0, max_value=40.0),
    marker=st.floats(min_value=-90.0, max_value=300.0),
    course=st.sampled_from(["response", "stable", "progression"]),
)
def test_property_only_the_attenuation_is_weighted(
    growth: float, fall: float, marker: float, course: str
) -> None:
    """Whatever the unweighted findings, the ratio is LR+ for a fall of 15% or more, else LR-."""
    hu = 80.0 * (1 + fall / 100)
    rows = (
        Evidence("L1", CT, "tumour_marker_change_pct", marker),
        Evidence(
            "L1",
            CT,
            "other_sites_response",
            {"response": -1.0, "stable": 0.0}.get(course, 1.0),
            course,
        ),
    )
    found = weigh(50.0 * (1 + growth / 100), hu, rows)
    if not found.question.asked:
        assert found.combined is None
        return
    measured = found.attenuation_change_pct
    assert measured is not None
    expected = LR_FALL if measured <= -15.0 + 1e-9 else LR_NO_FALL
    assert found.combined.estimate == pytest.approx(expected)
    assert found.combined.ci_low <= found.combined.estimate <= found.combined.ci_high
    weighted = [i for i in found.items if i.weighted]
    assert [i.feature for i in weighted] == ["attenuation_change_pct"]
    p = found.combined.pretest_for(0.5)
    assert found.combined.posterior(p) == pytest.approx(0.5)


@settings(max_examples=40, deadline=None)
@given(a=st.floats(min_value=-60.0, max_value=40.0), b=st.floats(min_value=-60.0, max_value=40.0))
def test_property_a_larger_fall_never_lowers_the_weight_of_response(a: float, b: float) -> None:
    low, high = sorted((a, b))
    more = weigh(60.0, 80.0 * (1 + low / 100))
    less = weigh(60.0, 80.0 * (1 + high / 100))
    if more.combined is not None and less.combined is not None:
        assert more.combined.estimate >= less.combined.estimate


def test_the_table_can_be_given() -> None:
    rec = record(62.0, 50.0)
    table = packaged_table("liver_choi")
    found = assess_patient_evidence(choi.assess(rec), record=rec, table=table, model=FAST)
    assert found.table is table
    spine = assess_patient_evidence(
        choi.assess(rec), record=rec, table=packaged_table("spine_ssrs"), model=FAST
    )
    assert any("covers spine lesions" in w for w in spine.warnings)
    assert spine.combined is not None
    assert spine.combined.estimate == 1.0
