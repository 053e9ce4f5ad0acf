"""Point-of-care assessment of one lesion: status, probability, evidence, recommendations."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pseudoprog.domain import Event, EventKind, Evidence, LesionHistory, ResponseCategory, Site
from pseudoprog.errors import ParameterError
from pseudoprog.evidence import (
    EvidenceFeature,
    ModelParameters,
    ProbabilityNote,
    RecommendationKind,
    assess_lesion,
    assess_lesions,
    default_table,
)
from pseudoprog.evidence.table import EvidenceTable

from .conftest import history, on

FAST = ModelParameters(draws=3000)
SINGLE_PRIOR = 5.5 / 9  # Jeffreys posterior mean of 5 of 8
MULTI_PRIOR = 0.5 / 7  # Jeffreys posterior mean of 0 of 6
#: Baseline one week before treatment, enlarged by 5 mm at 13 weeks.
EARLY = [(-1, 20.0), (13, 25.0)]


def with_odds(p: float, lr: float) -> float:
    odds = p / (1 - p) * lr
    return odds / (1 + odds)


def kinds(result: object) -> list[str]:
    return [r.code for r in result.recommendations]  # type: ignore[attr-defined]


def ev(kind: str, value: float | bool, weeks: float = 13, lesion: str = "L1") -> Evidence:
    return Evidence(lesion, on(weeks), kind, value)


def test_enlarging_lesion_gets_the_prior_of_its_stratum() -> None:
    result = assess_lesion(history(EARLY), as_of=on(14), model=FAST)
    assert result.status is ResponseCategory.INDETERMINATE
    assert result.enlarging
    assert result.probability_code is ProbabilityNote.ESTIMATED
    assert result.probability is not None
    assert result.probability.estimate == pytest.approx(SINGLE_PRIOR)
    assert result.prior_stratum is not None
    assert result.prior_stratum.name == "single_fraction"
    assert result.first_enlarged_weeks == pytest.approx(13.0)
    multi = assess_lesion(history(EARLY, fractions=5), as_of=on(14), model=FAST)
    assert multi.probability is not None
    assert multi.probability.estimate == pytest.approx(MULTI_PRIOR)
    assert multi.prior_stratum is not None
    assert multi.prior_stratum.name == "multi_fraction"


@pytest.mark.parametrize(
    ("kind", "value", "lr"),
    [
        ("dce_vp_change_pct", -45.0, (33 / 38) / (1 / 11)),
        ("dce_vp_change_pct", 60.0, (5 / 38) / (10 / 11)),
        ("growth_within_80pct_isodose", True, (8 / 9) / (1 / 14)),
        ("growth_within_80pct_isodose", False, (1 / 9) / (13 / 14)),
    ],
)
def test_each_finding_moves_the_estimate_by_its_likelihood_ratio(
    kind: str, value: float | bool, lr: float
) -> None:
    result = assess_lesion(history(EARLY), evidence=[ev(kind, value)], as_of=on(14), model=FAST)
    assert result.probability is not None
    assert result.probability.estimate == pytest.approx(with_odds(SINGLE_PRIOR, lr))
    item = next(e for e in result.evidence if e.feature == kind)
    assert item.likelihood_ratio == pytest.approx(lr)
    assert item.citation is not None
    assert (result.probability.estimate > SINGLE_PRIOR) == (lr > 1)


def test_both_findings_multiply() -> None:
    evidence = [ev("dce_vp_change_pct", -45.0), ev("growth_within_80pct_isodose", True)]
    result = assess_lesion(history(EARLY), evidence=evidence, as_of=on(14), model=FAST)
    assert result.probability is not None
    expected = with_odds(SINGLE_PRIOR, (363 / 38) * (112 / 9))
    assert result.probability.estimate == pytest.approx(expected)
    assert result.probability.ci_low <= result.probability.estimate <= result.probability.ci_high
    # nothing left to propose once both tests are reported
    assert RecommendationKind.TEST_WOULD_CHANGE_ESTIMATE.value not in kinds(result)


@settings(max_examples=40, deadline=None)
@given(st.floats(-100, 1000, allow_nan=False))
def test_dce_direction_for_any_value(value: float) -> None:
    result = assess_lesion(
        history(EARLY), evidence=[ev("dce_vp_change_pct", value)], as_of=on(14), model=FAST
    )
    assert result.probability is not None
    if value < 0:
        assert result.probability.estimate > SINGLE_PRIOR
    else:
        assert result.probability.estimate < SINGLE_PRIOR


@settings(max_examples=20, deadline=None)
@given(st.floats(-100, 500, allow_nan=False))
def test_t2_ratio_is_shown_but_does_not_move_the_estimate(value: float) -> None:
    result = assess_lesion(
        history(EARLY), evidence=[ev("t2_signal_ratio_change_pct", value)], as_of=on(14), model=FAST
    )
    assert result.probability is not None
    assert result.probability.estimate == pytest.approx(SINGLE_PRIOR)
    item = next(e for e in result.evidence if e.feature == "t2_signal_ratio_change_pct")
    assert item.likelihood_ratio is None
    assert "no counts published" in item.note
    assert any("t2_signal_ratio_change_pct" in a for a in result.assumptions)


def test_what_if_perfusion_shows_both_outcomes() -> None:
    result = assess_lesion(history(EARLY), as_of=on(14), model=FAST)
    tests = [
        r for r in result.recommendations if r.kind is RecommendationKind.TEST_WOULD_CHANGE_ESTIMATE
    ]
    features = {r.what_if.feature.feature for r in tests if r.what_if is not None}
    assert features == {
        EvidenceFeature.DCE_VP_CHANGE_PCT,
        EvidenceFeature.GROWTH_WITHIN_80PCT_ISODOSE,
    }
    dce = next(
        r
        for r in tests
        if r.what_if and r.what_if.feature.feature is EvidenceFeature.DCE_VP_CHANGE_PCT
    )
    assert dce.what_if is not None
    assert dce.what_if.if_present.estimate == pytest.approx(with_odds(SINGLE_PRIOR, 363 / 38))
    assert dce.what_if.if_absent.estimate == pytest.approx(with_odds(SINGLE_PRIOR, 55 / 380))
    assert "0.94" in dce.text
    assert "0.19" in dce.text
    assert "vp change < 0%" in dce.text
    assert dce.citation is not None
    assert dce.citation.source.key == "dce2023"
    payload = dce.to_dict()["what_if"]
    assert [w["finding"] for w in payload] == ["vp change < 0%", "vp change >= 0%"]  # type: ignore[index]


def test_recommendations_for_an_early_enlargement() -> None:
    result = assess_lesion(history(EARLY), as_of=on(14), model=FAST)
    codes = kinds(result)
    assert codes[:2] == ["do_not_call_progression_on_one_scan", "serial_mri"]
    assert codes[-1] == "next_mri"
    caution = result.recommendations[0]
    assert caution.citation is not None
    assert caution.citation.location == "Conclusions"
    assert "3-6 months" in caution.text
    assert "5 of 14" in caution.text
    serial = result.recommendations[1]
    assert (on(13) + timedelta(days=92)).isoformat() in serial.text
    assert result.next_mri_due == date(2012, 7, 10)  # 3 months after the study of 2012-04-10


def test_evidence_after_the_date_is_not_seen_and_the_latest_wins() -> None:
    evidence = [
        ev("dce_vp_change_pct", 50.0, weeks=13),
        ev("dce_vp_change_pct", -30.0, weeks=13.5),
        ev("dce_vp_change_pct", 80.0, weeks=20),  # after the assessment date
        ev("dce_vp_change_pct", -30.0, weeks=13, lesion="other"),
    ]
    result = assess_lesion(history(EARLY), evidence=evidence, as_of=on(14), model=FAST)
    (item,) = [e for e in result.evidence if e.feature == "dce_vp_change_pct"]
    assert item.value == -30.0
    assert "supersedes" in item.note
    assert result.probability is not None
    assert result.probability.estimate == pytest.approx(with_odds(SINGLE_PRIOR, 363 / 38))


def test_evidence_before_treatment_is_ignored_with_a_warning() -> None:
    result = assess_lesion(
        history(EARLY), evidence=[ev("dce_vp_change_pct", -30.0, weeks=-2)], as_of=on(14)
    )
    assert any("before treatment" in w for w in result.warnings)
    assert result.probability is not None
    assert result.probability.estimate == pytest.approx(SINGLE_PRIOR)


def test_decided_progression_has_no_probability() -> None:
    # growth on two studies, still growing more than 92 days after the first peak
    result = assess_lesion(history([(-1, 20.0), (13, 25.0), (26, 28.0), (40, 31.0)]), model=FAST)
    assert result.status is ResponseCategory.PD
    assert result.probability is None
    assert result.probability_code is ProbabilityNote.DECIDED
    assert "already decided" in result.probability_note
    assert "decided_by_criteria" in kinds(result)


def test_decided_opp_asks_to_confirm_an_unconfirmed_decline() -> None:
    result = assess_lesion(history([(-1, 20.0), (13, 25.0), (24, 21.0)]), as_of=on(25))
    assert result.status is ResponseCategory.OPP
    assert result.probability is None
    assert kinds(result)[:2] == ["decided_by_criteria", "confirm_decline"]


def test_late_enlargement_gets_no_probability() -> None:
    result = assess_lesion(history([(-1, 20.0), (13, 20.5), (30, 24.0)]), as_of=on(31), model=FAST)
    assert result.status is ResponseCategory.INDETERMINATE
    assert result.enlarging
    assert result.probability is None
    assert result.probability_code is ProbabilityNote.LATE_ENLARGEMENT
    assert "enlargement_after_opp_window" in kinds(result)
    timing = result.evidence[0]
    assert timing.feature == "enlargement_timing"
    assert "later than every" in (timing.finding or "")


def test_other_site_gets_no_probability() -> None:
    """A site without a table of its own (liver), or a brain lesion given the spine table."""
    liver = assess_lesion(history(EARLY, site=Site.LIVER), as_of=on(14))
    brain = assess_lesion(history(EARLY, site=Site.BRAIN), as_of=on(14), table=default_table())
    for result in (liver, brain):
        assert result.probability is None
        assert result.probability_code is ProbabilityNote.OTHER_SITE
        assert "outside_source_population" in kinds(result)
    assert brain.status is ResponseCategory.SUSPECTED_PROGRESSION


def test_stable_and_unfollowed_lesions() -> None:
    stable = assess_lesion(history([(-1, 20.0), (13, 20.5)]), as_of=on(14))
    assert stable.status is ResponseCategory.SD
    assert stable.probability is None
    assert stable.probability_code is ProbabilityNote.NOT_ENLARGING
    assert kinds(stable) == ["next_mri"]
    fresh = assess_lesion(history([(-1, 20.0)]), as_of=on(2))
    assert fresh.probability_code is ProbabilityNote.NO_FOLLOW_UP
    assert "no enlargement can be judged yet" in fresh.probability_note
    assert fresh.next_mri_due == date(2012, 4, 10)  # 3 months after treatment


def test_overdue_follow_up() -> None:
    lesion = history([(-1, 20.0), (13, 20.5)])
    due = date(2012, 7, 10)
    assert assess_lesion(lesion, as_of=due).overdue_days is None
    late = assess_lesion(lesion, as_of=due + timedelta(days=20))
    assert late.overdue_days == 20
    assert kinds(late)[0] == "follow_up_overdue"
    assert "next_mri" not in kinds(late)
    assert any("overdue by 20 days" in w for w in late.warnings)
    graced = assess_lesion(lesion, as_of=due + timedelta(days=20), overdue_after_days=30)
    assert graced.overdue_days is None
    assert assess_lesion(lesion).overdue_days is None  # no date: not judged
    with pytest.raises(ParameterError, match="overdue_after_days"):
        assess_lesion(lesion, overdue_after_days=-1)


def test_six_monthly_after_two_years() -> None:
    lesion = history([(-1, 20.0), (13, 20.5), (110, 20.4)])
    result = assess_lesion(lesion)
    last = on(110)
    assert result.next_mri_due.month == (last.month + 6 - 1) % 12 + 1


def test_failed_inclusion_criterion_is_flagged() -> None:
    base = history(EARLY)
    hardware = Event("1", on(5), EventKind.HARDWARE, None, "cement")
    result = assess_lesion(LesionHistory(base.lesion, base.series, (hardware,)), as_of=on(14))
    flagged = [r for r in result.recommendations if r.code == "outside_source_population"]
    assert flagged
    assert "no_hardware" in flagged[0].text


def test_a_table_without_the_feature_does_not_use_it() -> None:
    table = default_table()
    reduced = EvidenceTable(
        table.name,
        table.title,
        table.site,
        table.context,
        table.sources,
        table.prior,
        tuple(f for f in table.features if f.feature is not EvidenceFeature.DCE_VP_CHANGE_PCT),
        table.time_course,
        table.follow_up,
        "test",
    )
    result = assess_lesion(
        history(EARLY), evidence=[ev("dce_vp_change_pct", -45.0)], as_of=on(14), table=reduced
    )
    item = next(e for e in result.evidence if e.feature == "dce_vp_change_pct")
    assert item.likelihood_ratio is None
    assert "no row" in item.note
    assert result.probability is not None
    assert result.probability.estimate == pytest.approx(SINGLE_PRIOR)


def test_json_and_summary_explain_themselves() -> None:
    evidence = [ev("dce_vp_change_pct", -45.0)]
    result = assess_lesion(history(EARLY), evidence=evidence, as_of=on(14), model=FAST)
    document = result.to_dict()
    for key in (
        "lesion_id",
        "status",
        "probability_pseudoprogression",
        "evidence",
        "recommendations",
        "assumptions",
    ):
        assert key in document
    assert set(document["probability_pseudoprogression"]) == {"estimate", "ci_low", "ci_high"}
    for item in document["evidence"]:
        assert {"feature", "value", "likelihood_ratio", "source"} <= set(item)
    json.dumps(document, allow_nan=False)
    text = "\n".join(document["assumptions"])
    for fragment in (
        "conditionally independent",
        "Beta(0.5, 0.5)",
        "seed",
        "no vp threshold",
        "failure is read as progression",
        "Timing is not a likelihood ratio",
    ):
        assert fragment in text
    summary = result.summary()
    assert "Probability of pseudoprogression: 0.94" in summary
    assert "Assumptions:" in summary
    assert "Recommendations:" in summary


def test_example_lesion_as_of_its_first_enlarged_scan(histories: dict[str, LesionHistory]) -> None:
    lesion = histories["P04-T12"]
    result = assess_lesion(lesion, as_of=date(2009, 5, 25))
    assert result.status is ResponseCategory.INDETERMINATE
    assert result.probability is not None
    assert result.probability.to_dict() == {
        "estimate": 0.6111,
        "ci_low": pytest.approx(0.29, abs=0.01),
        "ci_high": pytest.approx(0.88, abs=0.01),
    }
    final = assess_lesion(lesion)
    assert final.status is ResponseCategory.PD
    assert final.probability is None


def test_every_example_lesion(histories: dict[str, LesionHistory]) -> None:
    results = assess_lesions(histories.values(), model=FAST)
    assert len(results) == 37
    assert all(r.probability is None for r in results)  # every final response is decided
    assert {r.status for r in results} <= {
        ResponseCategory.PR,
        ResponseCategory.SD,
        ResponseCategory.PD,
        ResponseCategory.OPP,
    }
