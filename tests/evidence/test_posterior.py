"""The estimate: direction of every update, the interval, reproducibility with the seed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pseudoprog.errors import ParameterError
from pseudoprog.evidence import (
    Beta,
    GroupCount,
    ModelParameters,
    TwoByTwo,
    Update,
    default_table,
    estimate_probability,
)

FAST = ModelParameters(draws=3000)
ISODOSE = TwoByTwo(GroupCount(8, 9), GroupCount(1, 14))
DCE = TwoByTwo(GroupCount(33, 38), GroupCount(1, 11))


def counts() -> st.SearchStrategy[TwoByTwo]:
    group = st.integers(1, 50).flatmap(
        lambda n: st.builds(GroupCount, st.integers(0, n), st.just(n))
    )
    return st.builds(TwoByTwo, group, group)


def priors() -> st.SearchStrategy[Beta]:
    return st.integers(0, 40).flatmap(
        lambda n: st.integers(0, n).map(lambda k: Beta(0.5 + k, 0.5 + n - k))
    )


def test_no_evidence_gives_the_prior_mean() -> None:
    result = estimate_probability(Beta(5.5, 3.5))
    assert result.estimate == pytest.approx(5.5 / 9)
    assert result.likelihood_ratio == 1.0


def test_worked_numbers_by_hand() -> None:
    prior = Beta(5.5, 3.5)
    odds = (5.5 / 9) / (3.5 / 9)
    both = estimate_probability(
        prior, [Update("isodose", ISODOSE, True), Update("dce", DCE, True)], parameters=FAST
    )
    expected = odds * (112 / 9) * (363 / 38)
    assert both.estimate == pytest.approx(expected / (1 + expected))
    negative = estimate_probability(prior, [Update("dce", DCE, False)], parameters=FAST)
    expected = odds * (55 / 380)
    assert negative.estimate == pytest.approx(expected / (1 + expected))


@pytest.mark.parametrize("counts_", [ISODOSE, DCE], ids=["isodose", "dce"])
@pytest.mark.parametrize("prior", [Beta(5.5, 3.5), Beta(0.5, 6.5)], ids=["single", "multi"])
def test_each_packaged_feature_moves_the_right_way(counts_: TwoByTwo, prior: Beta) -> None:
    base = estimate_probability(prior, parameters=FAST)
    up = estimate_probability(prior, [Update("f", counts_, True)], parameters=FAST)
    down = estimate_probability(prior, [Update("f", counts_, False)], parameters=FAST)
    assert down.estimate < base.estimate < up.estimate
    assert down.ci_high < up.ci_high
    assert down.ci_low < up.ci_low


@settings(max_examples=60, deadline=None)
@given(priors(), counts(), st.booleans())
def test_direction_follows_the_likelihood_ratio(
    prior: Beta, table: TwoByTwo, present: bool
) -> None:
    base = estimate_probability(prior, parameters=FAST).estimate
    moved = estimate_probability(prior, [Update("f", table, present)], parameters=FAST).estimate
    lr = table.likelihood_ratio(present)
    if lr > 1:
        assert moved > base
    elif lr < 1:
        assert moved < base
    else:
        assert moved == pytest.approx(base)


@settings(max_examples=60, deadline=None)
@given(priors(), st.lists(st.tuples(counts(), st.booleans()), max_size=3))
def test_interval_contains_the_estimate(prior: Beta, findings: list[tuple[TwoByTwo, bool]]) -> None:
    updates = [Update(f"f{i}", t, p) for i, (t, p) in enumerate(findings)]
    result = estimate_probability(prior, updates, parameters=FAST)
    assert 0.0 <= result.ci_low <= result.estimate <= result.ci_high <= 1.0


def _scaled(table: TwoByTwo, k: int) -> TwoByTwo:
    pp, pd = table.pseudoprogression, table.progression
    return TwoByTwo(
        GroupCount(pp.positive * k, pp.total * k), GroupCount(pd.positive * k, pd.total * k)
    )


def test_interval_narrows_when_counts_grow() -> None:
    widths = []
    for k in (1, 4, 16):
        prior = Beta(0.5 + 5 * k, 0.5 + 3 * k)
        updates = [
            Update("isodose", _scaled(ISODOSE, k), True),
            Update("dce", _scaled(DCE, k), False),
        ]
        result = estimate_probability(prior, updates)
        widths.append(result.ci_high - result.ci_low)
    assert widths[0] > widths[1] > widths[2]
    prior_only = [
        estimate_probability(Beta(0.5 + 5 * k, 0.5 + 3 * k)).ci_high
        - estimate_probability(Beta(0.5 + 5 * k, 0.5 + 3 * k)).ci_low
        for k in (1, 10)
    ]
    assert prior_only[0] > prior_only[1]


def test_reproducible_with_the_seed() -> None:
    updates = [Update("dce", DCE, True)]
    a = estimate_probability(Beta(5.5, 3.5), updates, parameters=ModelParameters(seed=7))
    b = estimate_probability(Beta(5.5, 3.5), updates, parameters=ModelParameters(seed=7))
    c = estimate_probability(Beta(5.5, 3.5), updates, parameters=ModelParameters(seed=8))
    assert (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high)
    assert (a.ci_low, a.ci_high) != (c.ci_low, c.ci_high)
    assert a.estimate == c.estimate  # the point estimate does not depend on the draws
    assert abs(a.ci_low - c.ci_low) < 0.02  # and the interval hardly does


def test_interval_matches_the_beta_quantiles_without_evidence() -> None:
    prior = Beta(5.5, 3.5)
    low, high = prior.interval(0.95)
    result = estimate_probability(prior, parameters=ModelParameters(draws=200_000))
    assert result.ci_low == pytest.approx(low, abs=0.005)
    assert result.ci_high == pytest.approx(high, abs=0.005)


def test_calculation_records_every_step() -> None:
    result = estimate_probability(Beta(5.5, 3.5), [Update("dce", DCE, True)])
    calc = result.calculation()
    assert calc["prior_beta"] == "Beta(a=5.5, b=3.5)"
    assert calc["likelihood_ratios"] == {"dce": round(363 / 38, 4)}
    assert "seed 20160201" in str(calc["interval"])
    assert set(result.to_dict()) == {"estimate", "ci_low", "ci_high"}


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"hyperprior_a": 0}, "hyperprior"),
        ({"draws": 10}, "draws"),
        ({"seed": -1}, "seed"),
        ({"level": 1.0}, "level"),
    ],
)
def test_model_parameters_are_checked(kwargs: dict[str, float], fragment: str) -> None:
    with pytest.raises(ParameterError, match=fragment):
        ModelParameters(**kwargs)  # type: ignore[arg-type]


def test_packaged_features_favour_pseudoprogression_when_present() -> None:
    for row in default_table().features:
        if row.counts is not None:
            assert row.counts.lr_positive > 1 > row.counts.lr_negative
