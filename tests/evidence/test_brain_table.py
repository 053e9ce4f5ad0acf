"""The packaged brain table (brain metastases after SRS): valid, consistent with its counts,
every number cited, and moving the probability the right way through the prior, likelihood
and posterior functions, checked against hand computations."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from pseudoprog.domain import Site
from pseudoprog.errors import InputValidationError, ParameterError
from pseudoprog.evidence.factors import ClinicalFactor, FactorEvidence, FactorRule
from pseudoprog.evidence.features import EvidenceFeature, FindingRule
from pseudoprog.evidence.likelihood import GroupCount, TwoByTwo
from pseudoprog.evidence.packaged import (
    PACKAGED_TABLES,
    default_table,
    packaged_table,
    packaged_text,
    table_for_site,
)
from pseudoprog.evidence.posterior import ModelParameters, Update, estimate_probability
from pseudoprog.evidence.prior import Beta
from pseudoprog.evidence.schema import YamlLocator, parse_evidence_table
from pseudoprog.evidence.table import EvidenceTable, FeatureEvidence
from pseudoprog.io.cohort import Cohort
from pseudoprog.io.evidence import load_evidence, load_evidence_table

FAST = ModelParameters(draws=2000)
BRAIN = packaged_table("brain_srs")
RAW: dict[str, Any] = yaml.safe_load(packaged_text("brain_srs"))

# Hand computation: Jeffreys Beta(0.5, 0.5) hyperprior on 24 of 35 (Narloch 2017), so the
# prior is Beta(24.5, 11.5); the likelihood ratios come from the counts written in the table.
PRIOR_ODDS = 24.5 / 11.5
RCBV_LOW = (8 / 11) / (2 / 23)  # rCBV < 1.54 (Barajas 2009): 8/11 necroses, 2/23 recurrences
RCBV_HIGH = (3 / 11) / (21 / 23)
TBR_LOW = (23 / 29) / (3 / 21)  # TBRmean < 1.95 (Romagna 2016): 23/29 vs 3/21
TBR_HIGH = (6 / 29) / (18 / 21)
LATE = (15 / 24) / (1 / 11)  # > 9 months after SRS (Narloch 2017): 15/24 vs 1/11
EARLY = (9 / 24) / (10 / 11)


def probability(odds: float) -> float:
    return odds / (1 + odds)


def row(feature: EvidenceFeature) -> FeatureEvidence:
    found = BRAIN.feature(feature)
    assert found is not None
    return found


def timing() -> FactorEvidence:
    found = BRAIN.weighted_factor(ClinicalFactor.MONTHS_AFTER_SRS)
    assert found is not None
    return found


def prior() -> Beta:
    (stratum,) = BRAIN.prior.strata
    return stratum.posterior(0.5, 0.5)


def updates(
    *, rcbv: float | None = None, tbr: float | None = None, months: float | None = None
) -> list[Update]:
    """The updates of a hand-made brain case, read from the table's rows."""
    out: list[Update | None] = []
    if rcbv is not None:
        out.append(row(EvidenceFeature.DSC_RCBV_RATIO).update_for(rcbv))
    if tbr is not None:
        out.append(row(EvidenceFeature.AMINO_ACID_PET_TBR_MEAN).update_for(tbr))
    if months is not None:
        out.append(timing().update_for(months))
    assert all(u is not None for u in out)
    return [u for u in out if u is not None]


def parse(data: dict[str, Any], base: EvidenceTable | None = None) -> EvidenceTable:
    origin = "brain.yaml"
    return parse_evidence_table(
        data, origin=origin, locator=YamlLocator.for_data(origin, data), base=base
    )


def problems(change: Callable[[dict[str, Any]], object]) -> str:
    data = copy.deepcopy(RAW)
    change(data)
    with pytest.raises(InputValidationError) as caught:
        parse(data)
    return "\n".join(str(p) for p in caught.value.problems)


# ---- the table is valid and cites every number ------------------------------------------------


def test_the_brain_table_validates_and_covers_brain_lesions() -> None:
    assert BRAIN.name == "brain_srs"
    assert BRAIN.site is Site.BRAIN
    assert BRAIN.origin == "packaged:brain_srs.yaml"
    (stratum,) = BRAIN.prior.strata
    assert (stratum.pseudoprogression, stratum.enlarging) == (24, 35)
    assert stratum.contains(1)
    assert stratum.contains(5)
    assert [f.feature for f in BRAIN.features] == [
        EvidenceFeature.DSC_RCBV_RATIO,
        EvidenceFeature.AMINO_ACID_PET_TBR_MEAN,
    ]
    assert {f.factor for f in BRAIN.factors} == set(ClinicalFactor)
    assert [r.code for r in BRAIN.recommendations] == [
        "perfusion_mri",
        "amino_acid_pet",
        "biopsy_when_tests_disagree",
        "reimage",
        "confirm_on_immunotherapy",
    ]
    assert BRAIN.opp_time_course is None
    assert BRAIN.follow_up_schedule is None


def test_spine_sections_are_absent_and_say_so() -> None:
    with pytest.raises(ParameterError, match=r"brain_srs \(brain\) has no time course"):
        _ = BRAIN.time_course
    with pytest.raises(ParameterError, match="needs a spine table"):
        _ = BRAIN.follow_up
    document = BRAIN.to_dict()
    assert document["time_course"] is None
    assert document["follow_up"] is None
    factors = document["factors"]
    assert isinstance(factors, list)
    assert len(factors) == len(BRAIN.factors)


def test_every_number_cites_a_source_with_a_location() -> None:
    citations = [BRAIN.prior.citation]
    for feature in BRAIN.features:
        assert feature.reported
        citations.append(feature.citation)
        for alternative in feature.alternatives:
            assert alternative.reported
            citations.append(alternative.citation)
    for factor in BRAIN.factors:
        assert factor.reported
        citations.append(factor.citation)
        if not factor.weighted:  # the reason it is not weighted is stated
            assert any("not weighted" in a for a in factor.assumptions)
    citations.extend(r.citation for r in BRAIN.recommendations)
    for citation in citations:
        assert citation.source.key in BRAIN.sources
        assert citation.location.strip()
    assert BRAIN.prior.citation.source.key == "narloch2017"


def derived_rows() -> list[tuple[str, dict[str, Any]]]:
    rows: list[tuple[str, dict[str, Any]]] = []
    for entry in RAW["features"]:
        rows.append((entry["feature"], entry))
        rows.extend((f"{entry['feature']} alternative", a) for a in entry.get("alternatives", []))
    rows.extend((entry["factor"], entry) for entry in RAW["factors"] if "counts" in entry)
    return rows


@pytest.mark.parametrize(("name", "entry"), derived_rows(), ids=lambda x: str(x)[:40])
def test_every_derived_value_matches_the_counts(name: str, entry: dict[str, Any]) -> None:
    counts = entry["counts"]
    table = TwoByTwo(GroupCount(**counts["pseudoprogression"]), GroupCount(**counts["progression"]))
    computed = {
        "sensitivity": table.sensitivity,
        "specificity": table.specificity,
        "lr_positive": table.lr_positive,
        "lr_negative": table.lr_negative,
    }
    assert set(entry["derived"]) == set(computed), name
    for key, written in entry["derived"].items():
        decimals = len(repr(float(written)).split(".")[1])
        assert abs(written - computed[key]) <= 0.5 * 10.0**-decimals + 1e-12, (name, key)


def test_likelihood_ratios_by_hand() -> None:
    rcbv = row(EvidenceFeature.DSC_RCBV_RATIO).counts
    pet = row(EvidenceFeature.AMINO_ACID_PET_TBR_MEAN).counts
    late = timing().counts
    assert rcbv is not None
    assert pet is not None
    assert late is not None
    assert (rcbv.lr_positive, rcbv.lr_negative) == pytest.approx((RCBV_LOW, RCBV_HIGH))
    assert (rcbv.lr_positive, rcbv.lr_negative) == pytest.approx((92 / 11, 69 / 231))
    assert (pet.lr_positive, pet.lr_negative) == pytest.approx((TBR_LOW, TBR_HIGH))
    assert (pet.lr_positive, pet.lr_negative) == pytest.approx((161 / 29, 126 / 522))
    assert (late.lr_positive, late.lr_negative) == pytest.approx((6.875, 0.4125))
    (mitsuya,) = row(EvidenceFeature.DSC_RCBV_RATIO).alternatives
    assert mitsuya.counts is not None
    assert mitsuya.counts.corrected
    assert mitsuya.counts.lr_positive == pytest.approx((20.5 / 22) / (0.5 / 8))
    assert mitsuya.counts.lr_negative == pytest.approx((1.5 / 22) / (7.5 / 8))


def test_counts_read_from_percentages_are_the_only_ones_possible() -> None:
    # Romagna 2016: sensitivity 86% of 21 recurrences, specificity 79% of 29 changes.
    assert [k for k in range(22) if round(100 * k / 21) == 86] == [18]
    assert [k for k in range(30) if round(100 * k / 29) == 79] == [23]
    # Barajas 2009 as tabulated: 91.3% of 23, 72.73% of 11; Mitsuya 2010: 95.2% of 21.
    assert [k for k in range(24) if round(100 * k / 23, 1) == 91.3] == [21]
    assert [k for k in range(12) if round(100 * k / 11, 2) == 72.73] == [8]
    assert [k for k in range(22) if round(100 * k / 21, 1) == 95.2] == [20]
    # Narloch 2017: 1 lesion (6.3%) biopsied after 9 months: 16 such lesions, 19 before.
    assert [n for n in range(1, 36) if math.floor(1000 / n + 0.5) / 10 == 6.3] == [16]


def test_the_prior_reproduces_the_published_timing_groups() -> None:
    # 24/35 moved by the timing counts gives back 15 of 16 late and 9 of 19 early lesions.
    late, early = (24 / 11) * LATE, (24 / 11) * EARLY
    assert probability(late) == pytest.approx(15 / 16)
    assert probability(early) == pytest.approx(9 / 19)


# ---- the probability through prior, likelihood and posterior ---------------------------------


def test_prior_of_the_stratum() -> None:
    assert prior() == Beta(24.5, 11.5)
    result = estimate_probability(prior(), parameters=FAST)
    assert result.estimate == pytest.approx(probability(PRIOR_ODDS))
    assert result.estimate == pytest.approx(24.5 / 36)


@pytest.mark.parametrize(
    ("case", "expected_odds"),
    [
        # Ruzevick 2014, Fig. 1: enlarged at 4 and 7 months, necrosis at surgery; low rCBV.
        ({"rcbv": 1.3, "months": 7}, PRIOR_ODDS * RCBV_LOW * EARLY),
        ({"rcbv": 2.8, "tbr": 2.3, "months": 14}, PRIOR_ODDS * RCBV_HIGH * TBR_HIGH * LATE),
        ({"rcbv": 3.1, "tbr": 2.6, "months": 4}, PRIOR_ODDS * RCBV_HIGH * TBR_HIGH * EARLY),
        ({"rcbv": 1.1, "tbr": 1.6, "months": 12}, PRIOR_ODDS * RCBV_LOW * TBR_LOW * LATE),
        ({"tbr": 1.95}, PRIOR_ODDS * TBR_HIGH),  # at the cut-off: not below it
        ({"rcbv": 1.54}, PRIOR_ODDS * RCBV_HIGH),
        ({"months": 9}, PRIOR_ODDS * EARLY),  # "more than 9 months" is strict
    ],
    ids=[
        "necrosis-case-low-rcbv",
        "late-both-high",
        "early-both-high",
        "all-low-late",
        "tbr-at",
        "rcbv-at",
        "9m",
    ],
)
def test_hand_made_cases_match_the_hand_computation(
    case: dict[str, float], expected_odds: float
) -> None:
    result = estimate_probability(prior(), updates(**case), parameters=FAST)
    assert result.estimate == pytest.approx(probability(expected_odds))
    assert result.likelihood_ratio == pytest.approx(expected_odds / PRIOR_ODDS)
    assert result.calculation()["prior_probability"] == round(24.5 / 36, 4)
    assert 0 < result.ci_low < result.ci_high < 1


def test_worked_numbers() -> None:
    necrosis = estimate_probability(prior(), updates(rcbv=1.3, months=7), parameters=FAST)
    assert round(necrosis.estimate, 3) == 0.880
    doubtful = estimate_probability(prior(), updates(rcbv=2.8, tbr=2.3, months=14))
    assert round(doubtful.estimate, 3) == 0.514
    tumour = estimate_probability(prior(), updates(rcbv=3.1, tbr=2.6, months=4))
    assert round(tumour.estimate, 3) == 0.060


def test_a_zero_cell_alternative_goes_through_the_posterior_with_the_correction() -> None:
    (mitsuya,) = row(EvidenceFeature.DSC_RCBV_RATIO).alternatives
    assert mitsuya.counts is not None
    update = Update("dsc_rcbv_ratio", mitsuya.counts, present=True)
    result = estimate_probability(prior(), [update], parameters=FAST)
    expected = PRIOR_ODDS * (20.5 / 22) / (0.5 / 8)
    assert result.estimate == pytest.approx(probability(expected))


BASE = probability(PRIOR_ODDS)


@pytest.mark.parametrize(
    ("case", "raises"),
    [
        ({"rcbv": 3.0}, False),  # high rCBV favours tumour
        ({"rcbv": 1.2}, True),  # low rCBV favours necrosis
        ({"tbr": 2.4}, False),  # positive amino-acid PET favours tumour
        ({"tbr": 1.6}, True),  # negative (low TBR) amino-acid PET favours necrosis
        ({"months": 5}, False),  # early enlargement favours recurrence
        ({"months": 15}, True),
    ],
    ids=["rcbv-high", "rcbv-low", "tbr-high", "tbr-low", "early", "late"],
)
def test_each_finding_moves_the_probability_the_right_way(
    case: dict[str, float], raises: bool
) -> None:
    result = estimate_probability(prior(), updates(**case), parameters=FAST)
    assert (result.estimate > BASE) is raises
    assert (result.estimate < BASE) is not raises


@given(low=st.floats(0.01, 10.0), high=st.floats(0.01, 10.0))
def test_a_higher_ratio_never_favours_necrosis_more(low: float, high: float) -> None:
    low, high = min(low, high), max(low, high)
    for feature in (EvidenceFeature.DSC_RCBV_RATIO, EvidenceFeature.AMINO_ACID_PET_TBR_MEAN):
        entry = row(feature)
        a, b = entry.update_for(low), entry.update_for(high)
        assert a is not None
        assert b is not None
        assert a.likelihood_ratio >= b.likelihood_ratio


def test_factors_without_counts_do_not_move_the_probability() -> None:
    shown = [f for f in BRAIN.factors if not f.weighted]
    assert {f.factor for f in shown} == set(ClinicalFactor)
    for entry in shown:
        assert entry.rule is None
        assert entry.counts is None
        assert entry.update_for(True) is None
        assert entry.update_for(3.0) is None
    # A lesion on immunotherapy after WBRT: nothing to multiply, the prior is the estimate.
    moved = [
        u
        for f in BRAIN.factor_entries(ClinicalFactor.IMMUNOTHERAPY)
        + BRAIN.factor_entries(ClinicalFactor.PRIOR_WBRT)
        if (u := f.update_for(True)) is not None
    ]
    assert moved == []
    assert BRAIN.weighted_factor(ClinicalFactor.IMMUNOTHERAPY) is None
    result = estimate_probability(prior(), moved, parameters=FAST)
    assert result.estimate == pytest.approx(BASE)


def test_the_alternative_cut_off_is_shown_not_weighted() -> None:
    rcbv = row(EvidenceFeature.DSC_RCBV_RATIO)
    assert rcbv.counts is not None
    # 1.8 lies between the two cut-offs: only the weighted row (1.54) decides.
    update = rcbv.update_for(1.8)
    assert update is not None
    assert not update.present
    assert update.likelihood_ratio == pytest.approx(rcbv.counts.lr_negative)
    (mitsuya,) = rcbv.alternatives
    assert any("not weighted" in a for a in mitsuya.assumptions)
    assert "alternatives" in rcbv.to_dict()


# ---- packaged tables and the site of a lesion --------------------------------------------------


def test_packaged_tables_by_name_and_by_site() -> None:
    assert set(PACKAGED_TABLES) == {"spine_ssrs", "brain_srs", "liver_choi"}
    assert default_table() is packaged_table("spine_ssrs")
    assert default_table().name == "spine_ssrs"
    assert table_for_site(Site.SPINE) is default_table()
    assert table_for_site(Site.BRAIN) is BRAIN
    assert table_for_site("Brain") is BRAIN
    assert table_for_site(Site.LIVER) is packaged_table("liver_choi")
    with pytest.raises(ParameterError, match="spine_ssrs, brain_srs, liver_choi"):
        packaged_table("liver_tace")
    with pytest.raises(ParameterError, match="not a known Site"):
        table_for_site("lung")


def test_the_spine_table_is_unchanged() -> None:
    spine = default_table()
    assert spine.factors == ()
    assert spine.recommendations == ()
    assert spine.time_course.peak_weeks_max == 24.4
    assert (spine.follow_up.interval_months, spine.follow_up.until_months) == (3, 24)
    assert set(spine.to_dict()) == {
        "name",
        "title",
        "origin",
        "inherited_from_packaged",
        "site",
        "context",
        "sources",
        "prior",
        "features",
        "time_course",
        "follow_up",
    }
    lrs = {f.feature.value: f.counts.lr_positive for f in spine.features if f.counts}
    assert lrs == pytest.approx(
        {"growth_within_80pct_isodose": 112 / 9, "dce_vp_change_pct": (33 / 38) / (1 / 11)}
    )


# ---- user tables of the brain ------------------------------------------------------------------


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "brain.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_the_brain_text_round_trips_as_a_user_table(tmp_path: Path) -> None:
    table = load_evidence_table(write(tmp_path, copy.deepcopy(RAW)))
    assert table.site is Site.BRAIN
    assert table.inherited == ()
    assert table.features == BRAIN.features
    assert table.factors == BRAIN.factors
    assert table.recommendations == BRAIN.recommendations


def test_a_spine_base_cannot_supply_a_brain_prior(tmp_path: Path) -> None:
    data = copy.deepcopy(RAW)
    del data["prior"]
    with pytest.raises(InputValidationError) as caught:
        load_evidence_table(write(tmp_path, data))  # base: the packaged spine table
    text = "\n".join(str(p) for p in caught.value.problems)
    assert "field prior: missing section" in text
    assert "covers spine lesions, not brain" in text
    table = load_evidence_table(write(tmp_path, data), base=BRAIN)
    assert table.inherited == ("prior",)
    assert table.prior == BRAIN.prior


def test_a_spine_table_still_needs_its_time_course() -> None:
    data = yaml.safe_load(packaged_text("spine_ssrs"))
    del data["time_course"]
    with pytest.raises(InputValidationError, match="field time_course: missing section"):
        parse(data)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["features"][0]["derived"].update(lr_positive=12.0),
            "entry features[0] (dsc_rcbv_ratio), field derived.lr_positive: does not agree",
        ),
        (
            lambda d: d["features"][0]["alternatives"][0]["derived"].update(specificity=0.9),
            "entry features[0] (dsc_rcbv_ratio), field alternatives[0].derived.specificity",
        ),
        (
            lambda d: d["features"][0]["alternatives"][0].pop("counts"),
            "field alternatives[0].counts: missing",
        ),
        (
            lambda d: d["features"][1].update(positive_when="< 1.95%"),
            "must compare with a threshold (a ratio, no %)",
        ),
        (
            lambda d: d["factors"][0]["derived"].update(lr_negative=0.5),
            "entry factors[0] (months_after_srs), field derived.lr_negative: does not agree",
        ),
        (
            lambda d: d["factors"][0].update(positive_when="> nine"),
            "entry factors[0] (months_after_srs), field positive_when",
        ),
        (
            lambda d: d["factors"][3].update(factor="steroids"),
            "entry factors[3] (steroids), field factor: unknown factor",
        ),
        (
            lambda d: d["factors"][1].update(positive_when="> 6", counts=d["factors"][0]["counts"]),
            "a second weighted entry of months_after_srs (first in factors[0])",
        ),
        (
            lambda d: d["factors"][4].pop("reported"),
            "entry factors[4] (prior_wbrt), field reported: a row without counts",
        ),
        (
            lambda d: d["recommendations"][0].update(features=["perfusion"]),
            "entry recommendations[0] (perfusion_mri), field features[0]: unknown feature",
        ),
        (
            lambda d: d["recommendations"][1].pop("source"),
            "entry recommendations[1] (amino_acid_pet), field source: no source given",
        ),
        (
            lambda d: d["recommendations"][2].update(code="perfusion_mri"),
            "code listed twice (first in recommendations[0])",
        ),
    ],
    ids=[
        "feature-derived",
        "alternative-derived",
        "alternative-without-counts",
        "ratio-with-percent",
        "factor-derived",
        "factor-rule",
        "unknown-factor",
        "two-weighted-entries",
        "factor-without-reported",
        "recommendation-feature",
        "recommendation-source",
        "recommendation-twice",
    ],
)
def test_mistakes_in_a_brain_table_are_named(
    change: Callable[[dict[str, Any]], object], expected: str
) -> None:
    text = problems(change)
    assert expected in text, text
    assert text.startswith("brain.yaml: ")


# ---- rules and the evidence input of the brain kinds -------------------------------------------


def test_ratio_and_factor_rules_in_words() -> None:
    rcbv = FindingRule.parse("< 1.54", feature=EvidenceFeature.DSC_RCBV_RATIO)
    assert (str(rcbv), rcbv.describe(False), rcbv.code) == (
        "rCBV ratio < 1.54",
        "rCBV ratio >= 1.54",
        "< 1.54",
    )
    assert EvidenceFeature.DSC_RCBV_RATIO.format_value(1.8) == "1.8"
    assert EvidenceFeature.AMINO_ACID_PET_TBR_MEAN.minimum == 0.0
    months = FactorRule.parse("> 9", factor=ClinicalFactor.MONTHS_AFTER_SRS)
    assert (str(months), months.code) == ("more than 9 months after SRS", "> 9")
    assert FactorRule.parse(True, factor=ClinicalFactor.PRIOR_WBRT).applies(True)
    with pytest.raises(ParameterError, match="true or false"):
        FactorRule.parse("> 3", factor=ClinicalFactor.IMMUNOTHERAPY)
    with pytest.raises(ParameterError, match="give both a finding rule and counts"):
        FactorEvidence(
            ClinicalFactor.IMMUNOTHERAPY,
            "x",
            BRAIN.prior.citation,
            "y",
            rule=None,
            counts=TwoByTwo(GroupCount(1, 2), GroupCount(1, 2)),
        )


def write_evidence(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "evidence.csv"
    path.write_text("lesion_id,date,kind,value\n" + body, encoding="utf-8")
    return path


def test_brain_kinds_in_the_evidence_input(tmp_path: Path, cohort: Cohort) -> None:
    path = write_evidence(
        tmp_path,
        "P04-T12,2009-05-21,dsc_rcbv_ratio,1.8\n"
        "P04-T12,2009-05-21,TBRmean,2.05\n"
        "P04-T12,2009-06-21,rCBV,0.9\n",
    )
    rows = load_evidence(path, lesions=cohort.lesions)
    assert [(r.kind, r.value) for r in rows] == [
        ("dsc_rcbv_ratio", 1.8),
        ("amino_acid_pet_tbr_mean", 2.05),
        ("dsc_rcbv_ratio", 0.9),
    ]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (
            "P04-T12,2009-05-21,dsc_rcbv_ratio,0\n",
            "row 2, column 'value': value too small (got '0'); expected a number greater than 0",
        ),
        (
            "P04-T12,2009-05-21,amino_acid_pet_tbr_mean,-1.2\n",
            "row 2, column 'value': value too small (got '-1.2'); expected a number greater than 0",
        ),
        (
            "P04-T12,2009-05-21,dsc_rcbv_ratio,high\n",
            "row 2, column 'value': not a number (got 'high'); expected a number",
        ),
        ("P04-T12,2009-05-21,amino_acid_pet_tbr_mean,\n", "row 2, column 'value': empty cell"),
        (
            "P04-T12,2009-05-21,dsc_rcbv_ratio,1.8\nP04-T12,2009-05-21,rcbv,2.2\n",
            "row 3, column 'value': lesion P04-T12 has two different dsc_rcbv_ratio values",
        ),
    ],
    ids=["zero", "negative", "text", "empty", "conflict"],
)
def test_bad_brain_values_are_rejected(
    tmp_path: Path, cohort: Cohort, body: str, fragment: str
) -> None:
    with pytest.raises(InputValidationError) as caught:
        load_evidence(write_evidence(tmp_path, body), lesions=cohort.lesions)
    text = "\n".join(str(p) for p in caught.value.problems)
    assert fragment in text, text
    assert "percent" not in text
