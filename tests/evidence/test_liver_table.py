"""The packaged liver table (liver_choi.yaml): counts, ratios recomputed by hand, no prior."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from pseudoprog.domain import Site
from pseudoprog.errors import InputValidationError
from pseudoprog.evidence.features import EvidenceFeature
from pseudoprog.evidence.packaged import packaged_table, packaged_text, table_for_site
from pseudoprog.evidence.schema import YamlLocator, parse_evidence_table

LIVER = packaged_table("liver_choi")


def _parse(data: Any) -> Any:
    return parse_evidence_table(
        data, origin="test", locator=YamlLocator.for_data("test", data), default_name="t"
    )


def test_liver_is_the_table_of_liver_lesions() -> None:
    assert table_for_site(Site.LIVER) is LIVER
    assert LIVER.site is Site.LIVER


def test_the_attenuation_row_recomputed_from_the_counts() -> None:
    """Choi 2007 abstract: 33 of 40 PET good responders; sensitivity 97%, specificity 100%."""
    row = LIVER.feature(EvidenceFeature.ATTENUATION_CHANGE_PCT)
    assert row is not None
    assert row.counts is not None
    assert row.rule is not None
    responders, others = 33, 40 - 33
    detected = round(0.97 * responders)  # the only k with round(100 k / 33) == 97
    assert [k for k in range(responders + 1) if round(100 * k / responders) == 97] == [detected]
    false_positive = round((1 - 1.00) * others)
    counts = row.counts
    assert (counts.pseudoprogression.positive, counts.pseudoprogression.total) == (32, 33)
    assert (counts.progression.positive, counts.progression.total) == (false_positive, others)
    # a zero cell: 0.5 added to each of the four cells
    p1 = (detected + 0.5) / (responders + 1)
    p0 = (false_positive + 0.5) / (others + 1)
    assert counts.corrected
    assert counts.lr_positive == pytest.approx(p1 / p0)
    assert counts.lr_negative == pytest.approx((1 - p1) / (1 - p0))
    assert counts.lr_positive == pytest.approx(15.294, abs=1e-3)
    assert counts.lr_negative == pytest.approx(0.04706, abs=1e-5)
    assert counts.sensitivity == pytest.approx(32 / 33)
    assert counts.specificity == 1.0
    assert row.rule.applies(-15.0)
    assert not row.rule.applies(-14.9)
    assert row.citation.source.key == "choi2007"
    assert "Abstract" in row.citation.location
    assert any("reconstructed from the percentages" in a for a in row.assumptions)


def test_rows_without_counts_are_shown_not_weighted() -> None:
    shown = [f for f in LIVER.features if not f.quantitative]
    assert [f.feature for f in shown] == [
        EvidenceFeature.FDG_PET_SUV_CHANGE_PCT,
        EvidenceFeature.TUMOUR_MARKER_CHANGE_PCT,
        EvidenceFeature.OTHER_SITES_RESPONSE,
    ]
    for row in shown:
        assert row.counts is None
        assert row.citation.location
        assert any("not weighted" in a for a in row.assumptions)
    pet = LIVER.feature(EvidenceFeature.FDG_PET_SUV_CHANGE_PCT)
    assert pet is not None
    assert pet.leaning is not None
    assert pet.leaning.applies(-10.0)


def test_no_prior_and_why() -> None:
    assert LIVER.prior is None
    assert "33 good responders" in LIVER.no_prior
    assert "not among enlarging lesions" in LIVER.no_prior
    assert LIVER.to_dict()["prior"] is None


def test_every_recommendation_has_its_source() -> None:
    codes = [r.code for r in LIVER.recommendations]
    assert codes == [
        "do_not_stop_on_size",
        "same_contrast_phase",
        "fdg_pet",
        "tumour_markers",
        "other_sites",
    ]
    assert all(r.citation.location for r in LIVER.recommendations)


def test_no_prior_beside_a_prior_is_rejected() -> None:
    data = yaml.safe_load(packaged_text("liver_choi"))
    data["prior"] = yaml.safe_load(packaged_text("brain_srs"))["prior"]
    data["sources"]["narloch2017"] = {"citation": "x"}
    with pytest.raises(InputValidationError, match="given beside a prior"):
        _parse(data)


def test_a_liver_table_needs_a_prior_or_no_prior() -> None:
    data = yaml.safe_load(packaged_text("liver_choi"))
    del data["no_prior"]
    with pytest.raises(InputValidationError, match="missing section"):
        _parse(data)


def test_favours_when_on_a_row_with_counts_is_rejected() -> None:
    data = yaml.safe_load(packaged_text("liver_choi"))
    data["features"][0]["favours_when"] = "< 0"
    with pytest.raises(InputValidationError, match=r"features\[0\].*favours_when"):
        _parse(data)


def test_a_course_row_cannot_have_counts() -> None:
    data = yaml.safe_load(packaged_text("liver_choi"))
    data["features"][3]["positive_when"] = "true"
    data["features"][3]["counts"] = {
        "pseudoprogression": {"positive": 1, "total": 2},
        "progression": {"positive": 1, "total": 2},
    }
    with pytest.raises(InputValidationError, match="other_sites_response"):
        _parse(data)
