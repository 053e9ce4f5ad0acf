"""The prior: Table 1 counts by fractionation, a proper Beta posterior, leave-one-out."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pseudoprog.domain import ResponseCategory
from pseudoprog.errors import ParameterError
from pseudoprog.evidence import Beta, PriorModel, PriorStratum, default_table
from pseudoprog.io.cohort import Cohort


def table1_counts(example_dir: Path) -> dict[str, tuple[int, int]]:
    """OPP among OPP + PD by fractionation, counted straight from the example's lesions.csv."""
    counts = {"single_fraction": [0, 0], "multi_fraction": [0, 0]}
    with (example_dir / "lesions.csv").open() as handle:
        for row in csv.DictReader(handle):
            if row["response"] not in ("OPP", "PD"):
                continue
            key = "single_fraction" if row["fractions"] == "1" else "multi_fraction"
            counts[key][0] += row["response"] == "OPP"
            counts[key][1] += 1
    return {k: (v[0], v[1]) for k, v in counts.items()}


def test_packaged_prior_is_table_1(example_dir: Path) -> None:
    strata = {s.name: (s.pseudoprogression, s.enlarging) for s in default_table().prior.strata}
    assert strata == {"single_fraction": (5, 8), "multi_fraction": (0, 6)}
    assert strata == table1_counts(example_dir)
    assert "Table 1" in default_table().prior.citation.location
    assert default_table().prior.citation.source.key == "amini2016"


def test_prior_recounted_from_the_cohort_matches(cohort: Cohort) -> None:
    recounted = default_table().prior.from_lesions(cohort.lesions)
    assert [(s.pseudoprogression, s.enlarging) for s in recounted.strata] == [(5, 8), (0, 6)]


def test_leave_one_out(cohort: Cohort) -> None:
    prior = default_table().prior
    opp = prior.from_lesions(cohort.lesions, leave_out={"P01-L1"})
    pd = prior.from_lesions(cohort.lesions, leave_out={"P04-T12"})
    multi = prior.from_lesions(cohort.lesions, leave_out={"P08-L4"})
    sd = prior.from_lesions(cohort.lesions, leave_out={"P03-L4"})
    assert (opp.strata[0].pseudoprogression, opp.strata[0].enlarging) == (4, 7)
    assert (pd.strata[0].pseudoprogression, pd.strata[0].enlarging) == (5, 7)
    assert (multi.strata[1].pseudoprogression, multi.strata[1].enlarging) == (0, 5)
    assert (sd.strata[0].pseudoprogression, sd.strata[0].enlarging) == (5, 8)
    assert opp.left_out == ("P01-L1",)


def test_zero_of_six_is_not_a_certainty() -> None:
    stratum = PriorStratum("multi_fraction", 2, None, pseudoprogression=0, enlarging=6)
    posterior = stratum.posterior(0.5, 0.5)
    assert posterior == Beta(0.5, 6.5)
    assert posterior.mean == pytest.approx(0.5 / 7)
    assert 0 < posterior.mean < 0.1
    low, high = posterior.interval(0.95)
    assert low < posterior.mean < high
    assert high > 0.2  # six lesions cannot exclude a fifth of them being OPP


def test_single_fraction_posterior_mean() -> None:
    stratum = PriorStratum("single_fraction", 1, 1, pseudoprogression=5, enlarging=8)
    assert stratum.posterior(0.5, 0.5).mean == pytest.approx(5.5 / 9)
    assert stratum.posterior(1, 1).mean == pytest.approx(6 / 10)


def test_strata_by_fractions() -> None:
    prior = default_table().prior
    assert prior.stratum_for(1).name == "single_fraction"  # type: ignore[union-attr]
    for fractions in (2, 3, 5, 10):
        assert prior.stratum_for(fractions).name == "multi_fraction"  # type: ignore[union-attr]


def test_overlapping_strata_are_rejected() -> None:
    citation = default_table().prior.citation
    with pytest.raises(ParameterError, match="overlap"):
        PriorModel((PriorStratum("a", 1, 3, 0, 1), PriorStratum("b", 3, None, 0, 1)), citation)


def test_counting_ignores_non_enlarging_and_unknown_responses() -> None:
    strata = default_table().prior.strata
    pairs = [
        (1, ResponseCategory.OPP),
        (1, ResponseCategory.SD),
        (1, None),
        (3, ResponseCategory.PD),
    ]
    counted = PriorModel.count(pairs, strata)
    assert [(s.pseudoprogression, s.enlarging) for s in counted] == [(1, 1), (0, 1)]
