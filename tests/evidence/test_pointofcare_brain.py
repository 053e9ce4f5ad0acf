"""Point-of-care assessment of brain metastases after SRS: srs-brain criteria and brain table.

Every expected probability is computed here from the counts of the data file
(``brain_srs.yaml``, read as plain YAML), with the Jeffreys hyperprior of the model: the prior
is the Beta posterior mean of 24 of 35, each likelihood ratio is a ratio of proportions.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pseudoprog.criteria.amini2016 import Amini2016Parameters
from pseudoprog.criteria.srs_brain import SrsBrainParameters
from pseudoprog.domain import (
    Evidence,
    Lesion,
    LesionHistory,
    ResponseCategory,
    Sequence,
    Site,
    SizeSeries,
    Treatment,
    pathology_evidence,
)
from pseudoprog.evidence import (
    ModelParameters,
    ProbabilityNote,
    assess_lesion,
    assess_lesions,
    packaged_text,
)
from pseudoprog.evidence.packaged import packaged_table
from pseudoprog.io.cohort import load_cohort
from pseudoprog.io.evidence import load_evidence

from .conftest import history as spine_history

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "brain_srs"
FAST = ModelParameters(draws=2000)
SRS = date(2012, 1, 10)
JEFFREYS = 0.5


# ---- hand computations from the data file -------------------------------------------------


@cache
def raw() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(packaged_text("brain_srs"))
    return data


def counts(name: str) -> dict[str, dict[str, int]]:
    """The counts of a weighted feature or factor row of the data file."""
    rows = [*raw()["features"], *raw()["factors"]]
    row = next(r for r in rows if name in (r.get("feature"), r.get("factor")) and "counts" in r)
    found: dict[str, dict[str, int]] = row["counts"]
    return found


def lr(name: str, present: bool) -> float:
    c = counts(name)
    pp, pd = c["pseudoprogression"], c["progression"]
    p1: float = pp["positive"] / pp["total"]
    p0: float = pd["positive"] / pd["total"]
    return p1 / p0 if present else (1 - p1) / (1 - p0)


def prior_mean() -> float:
    stratum = raw()["prior"]["strata"][0]
    k: int = stratum["pseudoprogression"]
    n: int = stratum["enlarging"]
    return (k + JEFFREYS) / (n + 2 * JEFFREYS)


def posterior(*ratios: float) -> float:
    p = prior_mean()
    odds = p / (1 - p)
    for r in ratios:
        odds *= r
    return odds / (1 + odds)


def test_the_counts_are_the_published_ones() -> None:
    """Narloch 2017: 24 of 35 necrosis; 1 of 16 late biopsies recurrence (the rest derived)."""
    stratum = raw()["prior"]["strata"][0]
    assert (stratum["pseudoprogression"], stratum["enlarging"]) == (24, 35)
    assert counts("months_after_srs") == {
        "pseudoprogression": {"positive": 15, "total": 24},
        "progression": {"positive": 1, "total": 11},
    }
    assert counts("dsc_rcbv_ratio")["progression"] == {"positive": 2, "total": 23}
    assert counts("amino_acid_pet_tbr_mean")["pseudoprogression"] == {"positive": 23, "total": 29}


# ---- histories --------------------------------------------------------------------------------


def brain(
    sizes: list[tuple[int, float]], *, lesion_id: str = "B1", treated: date = SRS
) -> LesionHistory:
    """A post-contrast T1 history: (days after SRS, size in mm); the first is the baseline."""
    lesion = Lesion("P1", lesion_id, Treatment(treated, 20.0, 1), site=Site.BRAIN)
    dates = tuple(treated + timedelta(days=d) for d, _ in sizes)
    series = SizeSeries(Sequence.T1C, dates, tuple(s for _, s in sizes))
    return LesionHistory(lesion, {Sequence.T1C: series})


#: Baseline 15 mm a week before SRS, 21 mm (+40%, +6 mm) 120 days after: suspected progression.
EARLY = brain([(-7, 15.0), (120, 21.0)])
SEEN = SRS + timedelta(days=121)


def finding(kind: str, value: float, days: int = 120, lesion_id: str = "B1") -> Evidence:
    return Evidence(lesion_id, SRS + timedelta(days=days), kind, value)


def estimate(result: Any) -> float:
    assert result.probability is not None, result.probability_note
    value: float = result.probability.estimate
    return value


# ---- the seed case ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> tuple[LesionHistory, tuple[Evidence, ...]]:
    cohort = load_cohort(
        lesions=EXAMPLE / "lesions.csv",
        measurements=EXAMPLE / "measurements.csv",
        events=EXAMPLE / "events.csv",
    )
    rows = tuple(load_evidence(EXAMPLE / "evidence.csv", lesions=cohort.lesions))
    found = next(h for h in cohort.histories if h.lesion.lesion_id == "S1-LPAR")
    return found, rows


def test_seed_case_at_four_months(seed: tuple[LesionHistory, tuple[Evidence, ...]]) -> None:
    """S1-LPAR: 14 mm before SRS (2011-03-01), 20 mm on 2011-07-01, assessed 2011-07-05."""
    history, rows = seed
    result = assess_lesion(history, evidence=rows, as_of=date(2011, 7, 5))
    assert result.status is ResponseCategory.SUSPECTED_PROGRESSION
    assert result.awaiting
    assert result.probability_code is ProbabilityNote.ESTIMATED
    assert result.table.name == "brain_srs"
    assert result.assessment.parameters.criteria == "srs-brain"
    months = (date(2011, 7, 1) - date(2011, 3, 1)).days / (365.25 / 12)
    assert months <= 9  # within 9 months of SRS: the finding of the timing row is absent
    expected = posterior(lr("months_after_srs", False))
    assert estimate(result) == pytest.approx(expected, abs=1e-9)
    assert expected == pytest.approx(0.4677, abs=1e-4)
    p = result.probability
    assert p is not None
    assert p.ci_low < p.estimate < p.ci_high
    timing = next(e for e in result.evidence if e.likelihood_ratio is not None)
    assert timing.feature == "months_after_srs"
    assert timing.value == pytest.approx(round(months, 1))
    assert timing.likelihood_ratio == pytest.approx((9 / 24) / (10 / 11))


def test_seed_case_recommendations(seed: tuple[LesionHistory, tuple[Evidence, ...]]) -> None:
    history, rows = seed
    result = assess_lesion(history, evidence=rows, as_of=date(2011, 7, 5))
    codes = [r.code for r in result.recommendations]
    assert codes == [
        "serial_mri",
        "test_would_change_estimate",
        "test_would_change_estimate",
        "biopsy_when_tests_disagree",
        "reimage",
        "confirm_on_immunotherapy",
        "next_mri",
    ]
    serial = result.recommendations[0]
    assert "advanced imaging (perfusion MRI or amino-acid PET) before surgery" in serial.text
    tests = [r for r in result.recommendations if r.what_if is not None]
    assert [r.what_if.feature.feature.value for r in tests if r.what_if] == [
        "dsc_rcbv_ratio",
        "amino_acid_pet_tbr_mean",
    ]
    timing = lr("months_after_srs", False)
    for rec in tests:
        what = rec.what_if
        assert what is not None
        name = what.feature.feature.value
        assert what.if_present.estimate == pytest.approx(posterior(timing, lr(name, True)))
        assert what.if_absent.estimate == pytest.approx(posterior(timing, lr(name, False)))
    due = date(2011, 7, 1) + timedelta(weeks=SrsBrainParameters().repeat_mri_weeks)
    assert result.next_mri_due == due
    assert result.recommendations[-1].due == due
    assert result.overdue_days is None


def test_seed_case_still_growing_then_pathology(
    seed: tuple[LesionHistory, tuple[Evidence, ...]],
) -> None:
    """23 mm at 7 months is still suspected, same first enlargement; necrosis decides it."""
    history, rows = seed
    seven = assess_lesion(history, evidence=rows, as_of=date(2011, 10, 5))
    assert seven.status is ResponseCategory.SUSPECTED_PROGRESSION
    assert estimate(seven) == pytest.approx(posterior(lr("months_after_srs", False)))
    after = assess_lesion(history, evidence=rows, as_of=date(2011, 10, 25))
    assert after.status is ResponseCategory.TREATMENT_EFFECT
    assert after.probability is None
    assert after.probability_code is ProbabilityNote.DECIDED
    assert "already decided by the srs-brain criteria" in after.probability_note
    assert next(r.code for r in after.recommendations) == "decided_by_criteria"
    assert after.recommendations[0].text.startswith("Treatment effect")
    path = next(e for e in after.evidence if e.feature == "pathology")
    assert path.likelihood_ratio is None
    assert "reference standard" in path.note


# ---- direction of the evidence --------------------------------------------------------------


def test_no_test_gives_the_prior_times_timing() -> None:
    result = assess_lesion(EARLY, as_of=SEEN, model=FAST)
    assert estimate(result) == pytest.approx(posterior(lr("months_after_srs", False)))


def test_high_rcbv_lowers_the_probability() -> None:
    """rCBV 1.8: at or above the table's cut-off 1.54, below the criteria's 2.1 (not PD)."""
    none = estimate(assess_lesion(EARLY, as_of=SEEN, model=FAST))
    high = assess_lesion(EARLY, evidence=[finding("dsc_rcbv_ratio", 1.8)], as_of=SEEN, model=FAST)
    assert high.status is ResponseCategory.SUSPECTED_PROGRESSION
    assert estimate(high) < none
    timing = lr("months_after_srs", False)
    assert estimate(high) == pytest.approx(posterior(timing, lr("dsc_rcbv_ratio", False)))
    low = assess_lesion(EARLY, evidence=[finding("dsc_rcbv_ratio", 1.2)], as_of=SEEN, model=FAST)
    assert estimate(low) > none
    assert estimate(low) == pytest.approx(posterior(timing, lr("dsc_rcbv_ratio", True)))


def test_negative_amino_acid_pet_raises_the_probability() -> None:
    none = estimate(assess_lesion(EARLY, as_of=SEEN, model=FAST))
    pet = [finding("amino_acid_pet_tbr_mean", 1.6)]
    result = assess_lesion(EARLY, evidence=pet, as_of=SEEN, model=FAST)
    assert estimate(result) > none
    timing = lr("months_after_srs", False)
    assert estimate(result) == pytest.approx(posterior(timing, lr("amino_acid_pet_tbr_mean", True)))
    codes = [r.code for r in result.recommendations]
    assert "amino_acid_pet" not in codes  # done already
    assert codes.count("test_would_change_estimate") == 1  # perfusion is still proposed


def test_both_tests_multiply() -> None:
    rows = [finding("dsc_rcbv_ratio", 1.3), finding("amino_acid_pet_tbr_mean", 1.7)]
    result = assess_lesion(EARLY, evidence=rows, as_of=SEEN, model=FAST)
    expected = posterior(
        lr("months_after_srs", False),
        lr("dsc_rcbv_ratio", True),
        lr("amino_acid_pet_tbr_mean", True),
    )
    assert estimate(result) == pytest.approx(expected)
    assert "test_would_change_estimate" not in [r.code for r in result.recommendations]


def test_tumour_on_advanced_imaging_is_decided_by_the_criteria() -> None:
    result = assess_lesion(EARLY, evidence=[finding("dsc_rcbv_ratio", 2.6)], as_of=SEEN, model=FAST)
    assert result.status is ResponseCategory.PD
    assert result.probability is None
    assert result.probability_code is ProbabilityNote.DECIDED


def test_late_enlargement_favours_treatment_effect() -> None:
    """First enlargement 12 months after SRS (within the 104-week window): LR of > 9 months."""
    late = brain([(-7, 15.0), (90, 14.0), (365, 21.0)])
    result = assess_lesion(late, as_of=SRS + timedelta(days=366), model=FAST)
    assert result.status is ResponseCategory.SUSPECTED_PROGRESSION
    assert estimate(result) == pytest.approx(posterior(lr("months_after_srs", True)))
    assert estimate(result) > estimate(assess_lesion(EARLY, as_of=SEEN, model=FAST))


def test_pathology_necrosis_decides() -> None:
    necrosis = pathology_evidence("B1", SRS + timedelta(days=125), "necrosis")
    result = assess_lesion(EARLY, evidence=[necrosis], as_of=SRS + timedelta(days=126))
    assert result.status is ResponseCategory.TREATMENT_EFFECT
    assert result.probability is None


def test_not_enlarging_brain_lesion() -> None:
    stable = brain([(-7, 15.0), (90, 15.5)])
    result = assess_lesion(stable, as_of=SRS + timedelta(days=91))
    assert result.status is ResponseCategory.SD
    assert result.probability_code is ProbabilityNote.NOT_ENLARGING
    assert "treatment effect does not arise" in result.probability_note
    assert [r.code for r in result.recommendations] == ["next_mri"]
    assert not [e for e in result.evidence if e.feature == "immunotherapy"]


# ---- factors without counts ----------------------------------------------------------------


def test_factors_without_counts_are_shown_and_do_not_move_the_estimate() -> None:
    table = packaged_table("brain_srs")
    result = assess_lesion(EARLY, as_of=SEEN, model=FAST)
    shown = [e for e in result.evidence if e.feature in ("immunotherapy", "prior_wbrt")]
    assert {e.feature for e in shown} == {"immunotherapy", "prior_wbrt"}
    assert all(e.likelihood_ratio is None and "not weighted" in e.note for e in shown)
    assert any("Shown without weight" in a and "immunotherapy" in a for a in result.assumptions)
    weighted_only = dataclasses.replace(
        table, factors=tuple(f for f in table.factors if f.weighted)
    )
    without = assess_lesion(EARLY, as_of=SEEN, model=FAST, table=weighted_only)
    assert estimate(without) == estimate(result)
    stripped = dataclasses.replace(
        table,
        factors=tuple(dataclasses.replace(f, rule=None, counts=None) for f in table.factors),
    )
    unweighted = assess_lesion(EARLY, as_of=SEEN, model=FAST, table=stripped)
    assert estimate(unweighted) == pytest.approx(prior_mean())
    timing = [e for e in unweighted.evidence if e.feature == "months_after_srs"]
    assert timing
    assert all(e.likelihood_ratio is None for e in timing)


# ---- routing, parameters, JSON -------------------------------------------------------------


def test_each_lesion_takes_its_sites_criteria_and_table() -> None:
    spine = spine_history([(-1, 20.0), (13, 25.0)], lesion_id="S1")
    both = assess_lesions(
        [spine, EARLY],
        as_of=SEEN,
        model=FAST,
        criteria=Amini2016Parameters(error_mm=2.0),
    )
    assert [r.table.name for r in both] == ["spine_ssrs", "brain_srs"]
    assert [r.assessment.parameters.criteria for r in both] == ["amini2016", "srs-brain"]
    assert [r.status for r in both] == [
        ResponseCategory.INDETERMINATE,
        ResponseCategory.SUSPECTED_PROGRESSION,
    ]
    assert [r.outcome for r in both] == ["pseudoprogression", "treatment effect"]
    assert estimate(both[0]) == pytest.approx(5.5 / 9)  # spine single-fraction prior


def test_brain_parameters_are_used() -> None:
    custom = SrsBrainParameters(repeat_mri_weeks=6)
    result = assess_lesion(EARLY, as_of=SEEN, criteria=[Amini2016Parameters(), custom])
    assert result.assessment.parameters == custom
    assert result.next_mri_due == SRS + timedelta(days=120, weeks=6)
    late = assess_lesion(EARLY, as_of=SRS + timedelta(days=120, weeks=8), criteria=custom)
    assert late.overdue_days == 14
    assert late.recommendations[0].code == "follow_up_overdue"


def test_json_of_a_brain_lesion() -> None:
    result = assess_lesion(EARLY, evidence=[finding("dsc_rcbv_ratio", 1.3)], as_of=SEEN)
    data = result.to_dict()
    assert data["site"] == "brain"
    assert data["criteria"] == "srs-brain"
    assert data["evidence_table"] == "brain_srs"
    assert data["probability_of"] == "treatment effect"
    assert data["status"] == "SUSPECTED_PD"
    assert data["prior"]["pseudoprogression"] == 24
    assert data["prior"]["enlarging"] == 35
    calc = data["calculation"]
    assert calc["prior_probability"] == pytest.approx(prior_mean(), abs=1e-4)
    assert calc["likelihood_ratios"] == {
        "months_after_srs": pytest.approx(lr("months_after_srs", False), abs=1e-4),
        "dsc_rcbv_ratio": pytest.approx(lr("dsc_rcbv_ratio", True), abs=1e-4),
    }
    expected = posterior(lr("months_after_srs", False), lr("dsc_rcbv_ratio", True))
    assert data["probability_pseudoprogression"]["estimate"] == pytest.approx(expected, abs=1e-4)
    assert "Probability of treatment effect" in result.summary()


# ---- properties -----------------------------------------------------------------------------

PROPERTY = ModelParameters(draws=200)


@settings(max_examples=40, deadline=None)
@given(
    days=st.integers(min_value=42, max_value=700),
    rise=st.floats(min_value=5.0, max_value=12.0),
    rcbv=st.one_of(st.none(), st.floats(min_value=0.1, max_value=2.09)),
    tbr=st.one_of(st.none(), st.floats(min_value=0.5, max_value=1.94)),
)
def test_probability_is_a_probability(
    days: int, rise: float, rcbv: float | None, tbr: float | None
) -> None:
    lesion = brain([(-7, 15.0), (days, 15.0 + rise)])
    rows = [
        finding(kind, value, days)
        for kind, value in (("dsc_rcbv_ratio", rcbv), ("amino_acid_pet_tbr_mean", tbr))
        if value is not None
    ]
    result = assess_lesion(
        lesion, evidence=rows, as_of=SRS + timedelta(days=days + 1), model=PROPERTY
    )
    assert result.status is ResponseCategory.SUSPECTED_PROGRESSION
    p = result.probability
    assert p is not None
    assert 0.0 <= p.ci_low <= p.ci_high <= 1.0
    assert 0.0 < p.estimate < 1.0


@settings(max_examples=40, deadline=None)
@given(
    low=st.floats(min_value=0.1, max_value=2.09),
    high=st.floats(min_value=0.1, max_value=2.09),
    kind=st.sampled_from(["dsc_rcbv_ratio", "amino_acid_pet_tbr_mean"]),
    early=st.integers(min_value=42, max_value=700),
    later=st.integers(min_value=42, max_value=700),
)
def test_probability_is_monotone_in_the_evidence(
    low: float, high: float, kind: str, early: int, later: int
) -> None:
    """A lower ratio never lowers P(treatment effect); a later enlargement never lowers it."""
    low, high = sorted((low, high))
    if kind == "amino_acid_pet_tbr_mean":
        high = min(high, 1.94)
        low = min(low, high)

    def p(value: float) -> float:
        result = assess_lesion(EARLY, evidence=[finding(kind, value)], as_of=SEEN, model=PROPERTY)
        return estimate(result)

    assert p(low) >= p(high)
    early, later = sorted((early, later))

    def at(day: int) -> float:
        lesion = brain([(-7, 15.0), (day, 21.0)])
        return estimate(assess_lesion(lesion, as_of=SRS + timedelta(days=day + 1), model=PROPERTY))

    assert at(early) <= at(later)
