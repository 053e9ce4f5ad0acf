"""The probability of pseudoprogression: prior odds times likelihood ratios, with an interval.

Point estimate (reproducible by hand): the prior probability is the mean of the stratum's Beta
posterior; its odds are multiplied by the likelihood ratio of every finding, computed from the
counts of the evidence table (:mod:`pseudoprog.evidence.likelihood`); the product is turned
back into a probability. This multiplication assumes the findings are conditionally
independent given the true state.

Interval: every count is uncertain. Monte Carlo draws the stratum's share from its Beta
posterior and, for every finding, P(finding | pseudoprogression) and P(finding | progression)
from their Beta posteriors (same hyperprior), computes the probability for each draw and
reports the equal-tailed percentiles. The draws come from a :class:`numpy.random.Generator`
seeded with :attr:`ModelParameters.seed`, so the interval is reproducible.

Examples
--------
>>> from pseudoprog.evidence.likelihood import GroupCount, TwoByTwo
>>> prior = Beta(5.5, 3.5)                      # 5 of 8 single-fraction lesions, Jeffreys
>>> isodose = Update("growth_within_80pct_isodose",
...                  TwoByTwo(GroupCount(8, 9), GroupCount(1, 14)), present=True)
>>> result = estimate_probability(prior, [isodose])
>>> round(result.prior_probability, 3), round(result.likelihood_ratio, 2), round(result.estimate, 3)
(0.611, 12.44, 0.951)
>>> result.ci_low < result.estimate < result.ci_high
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pseudoprog.errors import ParameterError
from pseudoprog.evidence.likelihood import TwoByTwo
from pseudoprog.evidence.prior import Beta

__all__ = [
    "DEFAULT_DRAWS",
    "DEFAULT_SEED",
    "LikelihoodRatioEstimate",
    "ModelParameters",
    "ProbabilityEstimate",
    "Update",
    "combine_likelihood_ratios",
    "estimate_probability",
]

#: Monte Carlo draws and seed used unless told otherwise.
DEFAULT_DRAWS = 20_000
DEFAULT_SEED = 20160201

_TINY = 1e-300


@dataclass(frozen=True, slots=True)
class ModelParameters:
    """Choices of the model (not medical facts); every estimate records them.

    Parameters
    ----------
    hyperprior_a, hyperprior_b
        Beta hyperprior of every proportion (Jeffreys, 0.5 and 0.5, by default).
    draws
        Monte Carlo draws for the interval.
    seed
        Seed of the random generator; the same seed gives the same interval.
    level
        Coverage of the interval.
    """

    hyperprior_a: float = 0.5
    hyperprior_b: float = 0.5
    draws: int = DEFAULT_DRAWS
    seed: int = DEFAULT_SEED
    level: float = 0.95

    def __post_init__(self) -> None:
        if not (self.hyperprior_a > 0 and self.hyperprior_b > 0):
            raise ParameterError(
                f"hyperprior_a and hyperprior_b must be positive, got {self.hyperprior_a} "
                f"and {self.hyperprior_b}"
            )
        if self.draws < 100:
            raise ParameterError(f"draws must be at least 100, got {self.draws}")
        if self.seed < 0:
            raise ParameterError(f"seed must not be negative, got {self.seed}")
        if not 0.5 <= self.level < 1:
            raise ParameterError(f"level must lie in [0.5, 1), got {self.level}")

    def to_dict(self) -> dict[str, float | int | str]:
        return {
            "hyperprior": f"Beta({self.hyperprior_a:g}, {self.hyperprior_b:g})",
            "draws": self.draws,
            "seed": self.seed,
            "level": self.level,
        }


@dataclass(frozen=True, slots=True)
class Update:
    """One finding that moves the odds: the feature, its counts and whether it is present."""

    feature: str
    counts: TwoByTwo
    present: bool

    @property
    def likelihood_ratio(self) -> float:
        return self.counts.likelihood_ratio(self.present)


@dataclass(frozen=True, slots=True)
class ProbabilityEstimate:
    """Probability that an enlargement is pseudoprogression, with its interval and its making.

    ``estimate`` is the point estimate (prior mean odds times the likelihood ratios);
    ``ci_low`` and ``ci_high`` are the Monte Carlo percentiles at ``level``.
    """

    estimate: float
    ci_low: float
    ci_high: float
    level: float
    prior: Beta
    updates: tuple[Update, ...]
    parameters: ModelParameters

    @property
    def prior_probability(self) -> float:
        return self.prior.mean

    @property
    def likelihood_ratio(self) -> float:
        """Product of the likelihood ratios of the findings (1 when there are none)."""
        return math.prod(u.likelihood_ratio for u in self.updates)

    def interval_text(self) -> str:
        return (
            f"{self.estimate:.2f} ({self.level:.0%} interval {self.ci_low:.2f}-{self.ci_high:.2f})"
        )

    def to_dict(self) -> dict[str, float]:
        """``{estimate, ci_low, ci_high}`` rounded to 4 decimals."""
        return {
            "estimate": round(self.estimate, 4),
            "ci_low": round(self.ci_low, 4),
            "ci_high": round(self.ci_high, 4),
        }

    def calculation(self) -> dict[str, object]:
        """The steps, so that the estimate can be recomputed by hand."""
        prior_odds = self.prior_probability / (1.0 - self.prior_probability)
        return {
            "prior_beta": repr(self.prior),
            "prior_probability": round(self.prior_probability, 4),
            "prior_odds": round(prior_odds, 4),
            "likelihood_ratios": {u.feature: round(u.likelihood_ratio, 4) for u in self.updates},
            "combined_likelihood_ratio": round(self.likelihood_ratio, 4),
            "posterior_odds": round(prior_odds * self.likelihood_ratio, 4),
            "estimate": round(self.estimate, 4),
            "interval": (
                f"{self.level:.0%} Monte Carlo percentiles of {self.parameters.draws} draws "
                f"over the Beta posteriors of every count, seed {self.parameters.seed}"
            ),
        }


def _odds_to_probability(log_odds: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    out: npt.NDArray[np.float64] = 0.5 * (1.0 + np.tanh(0.5 * log_odds))
    return out


def _beta_draws(rng: np.random.Generator, a: float, b: float, size: int) -> npt.NDArray[np.float64]:
    return np.clip(rng.beta(a, b, size), _TINY, 1.0 - 1e-16)


def estimate_probability(
    prior: Beta,
    updates: Sequence[Update] = (),
    *,
    parameters: ModelParameters | None = None,
) -> ProbabilityEstimate:
    """Combine the prior with the likelihood ratios of the findings.

    Parameters
    ----------
    prior
        Beta posterior of the share of pseudoprogression in the lesion's stratum.
    updates
        Findings with their counts.
    parameters
        Hyperprior (for the counts of the findings), draws, seed and level.

    Returns
    -------
    ProbabilityEstimate
        Point estimate, interval and the pieces that made them.
    """
    params = parameters or ModelParameters()
    updates = tuple(updates)
    prior_odds = prior.mean / (1.0 - prior.mean)
    odds = prior_odds * math.prod(u.likelihood_ratio for u in updates)
    estimate = odds / (1.0 + odds) if math.isfinite(odds) else 1.0

    rng = np.random.default_rng(params.seed)
    n = params.draws
    share = _beta_draws(rng, prior.a, prior.b, n)
    log_odds = np.log(share) - np.log1p(-share)
    a, b = params.hyperprior_a, params.hyperprior_b
    for update in updates:
        pp, pd = update.counts.pseudoprogression, update.counts.progression
        q1 = _beta_draws(rng, a + pp.positive, b + pp.negative, n)
        q0 = _beta_draws(rng, a + pd.positive, b + pd.negative, n)
        if update.present:
            log_odds += np.log(q1) - np.log(q0)
        else:
            log_odds += np.log1p(-q1) - np.log1p(-q0)
    draws = _odds_to_probability(log_odds)
    tail = (1.0 - params.level) / 2.0
    low, high = np.quantile(draws, [tail, 1.0 - tail])
    return ProbabilityEstimate(
        estimate=float(estimate),
        ci_low=float(low),
        ci_high=float(high),
        level=params.level,
        prior=prior,
        updates=updates,
        parameters=params,
    )


@dataclass(frozen=True, slots=True)
class LikelihoodRatioEstimate:
    """The combined likelihood ratio of findings, with its interval, where no prior is given.

    ``estimate`` is the product of the likelihood ratios of the raw counts (1 without findings);
    ``ci_low`` and ``ci_high`` the Monte Carlo percentiles over the Beta posteriors of every
    count. Without a prior this is what the evidence says: it multiplies whatever odds the
    reader holds before it.
    """

    estimate: float
    ci_low: float
    ci_high: float
    level: float
    updates: tuple[Update, ...]
    parameters: ModelParameters

    def posterior(self, pretest: float) -> float:
        """The probability after the evidence for a probability ``pretest`` before it.

        >>> LikelihoodRatioEstimate(4.0, 2.0, 8.0, 0.95, (), ModelParameters()).posterior(0.2)
        0.5

        Raises
        ------
        ParameterError
            If ``pretest`` is not strictly between 0 and 1.
        """
        if not 0.0 < pretest < 1.0:
            raise ParameterError(f"pretest must lie strictly between 0 and 1, got {pretest}")
        odds = pretest / (1.0 - pretest) * self.estimate
        return odds / (1.0 + odds)

    def pretest_for(self, posterior: float = 0.5) -> float:
        """The probability before the evidence that this evidence brings to ``posterior``.

        Above it, the probability after the evidence exceeds ``posterior``.

        >>> round(LikelihoodRatioEstimate(3.0, 1.0, 9.0, 0.95, (), ModelParameters())
        ...       .pretest_for(0.5), 4)
        0.25
        """
        if not 0.0 < posterior < 1.0:
            raise ParameterError(f"posterior must lie strictly between 0 and 1, got {posterior}")
        odds = posterior / (1.0 - posterior) / self.estimate
        return odds / (1.0 + odds)

    def interval_text(self) -> str:
        return (
            f"{self.estimate:.3g} ({self.level:.0%} interval {self.ci_low:.3g}-{self.ci_high:.3g})"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "estimate": round(self.estimate, 4),
            "ci_low": round(self.ci_low, 4),
            "ci_high": round(self.ci_high, 4),
            "level": self.level,
            "likelihood_ratios": {u.feature: round(u.likelihood_ratio, 4) for u in self.updates},
            "interval": (
                f"{self.level:.0%} Monte Carlo percentiles of {self.parameters.draws} draws "
                f"over the Beta posteriors of every count, seed {self.parameters.seed}"
            ),
        }


def combine_likelihood_ratios(
    updates: Sequence[Update] = (), *, parameters: ModelParameters | None = None
) -> LikelihoodRatioEstimate:
    """The product of the findings' likelihood ratios, with the interval of its counts.

    The same draws as :func:`estimate_probability`, without a prior: for every finding,
    P(finding | pseudoprogression) and P(finding | progression) from their Beta posteriors.

    >>> from pseudoprog.evidence.likelihood import GroupCount, TwoByTwo
    >>> hu = Update("attenuation_change_pct", TwoByTwo(GroupCount(32, 33), GroupCount(0, 7)), True)
    >>> found = combine_likelihood_ratios([hu])
    >>> round(found.estimate, 2), found.ci_low > 1
    (15.29, True)
    """
    params = parameters or ModelParameters()
    updates = tuple(updates)
    estimate = math.prod(u.likelihood_ratio for u in updates)
    if not updates:
        return LikelihoodRatioEstimate(1.0, 1.0, 1.0, params.level, updates, params)
    rng = np.random.default_rng(params.seed)
    n = params.draws
    log_ratio = np.zeros(n)
    a, b = params.hyperprior_a, params.hyperprior_b
    for update in updates:
        pp, pd = update.counts.pseudoprogression, update.counts.progression
        q1 = _beta_draws(rng, a + pp.positive, b + pp.negative, n)
        q0 = _beta_draws(rng, a + pd.positive, b + pd.negative, n)
        if update.present:
            log_ratio += np.log(q1) - np.log(q0)
        else:
            log_ratio += np.log1p(-q1) - np.log1p(-q0)
    tail = (1.0 - params.level) / 2.0
    low, high = np.exp(np.quantile(log_ratio, [tail, 1.0 - tail]))
    return LikelihoodRatioEstimate(
        float(estimate), float(low), float(high), params.level, updates, params
    )
