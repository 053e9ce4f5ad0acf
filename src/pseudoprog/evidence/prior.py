"""The prior: how often an enlarging lesion turned out to be pseudoprogression, by fractionation.

The counts come from a table of lesions with their fractions and final response (by default
Table 1 of Amini et al. 2016): within each fractionation stratum, ``k`` lesions with
osseous pseudoprogression among ``n`` enlarging lesions (OPP or PD). With a Beta(a, b)
hyperprior the posterior of the stratum's share is Beta(a + k, b + n - k), which is proper
even when ``k`` is 0, so that "0 of 6" is not read as a certainty.

Examples
--------
>>> stratum = PriorStratum("multi_fraction", 2, None, pseudoprogression=0, enlarging=6)
>>> posterior = stratum.posterior(0.5, 0.5)
>>> posterior, round(posterior.mean, 4)
(Beta(a=0.5, b=6.5), 0.0714)
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from pseudoprog.domain import Lesion, ResponseCategory
from pseudoprog.errors import ParameterError
from pseudoprog.evidence.citation import Citation

__all__ = ["Beta", "PriorModel", "PriorStratum"]


@dataclass(frozen=True, slots=True)
class Beta:
    """A Beta distribution (``a``, ``b`` > 0)."""

    a: float
    b: float

    def __post_init__(self) -> None:
        if not (self.a > 0 and self.b > 0):
            raise ParameterError(f"Beta parameters must be positive, got a={self.a}, b={self.b}")

    @property
    def mean(self) -> float:
        return self.a / (self.a + self.b)

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Equal-tailed credible interval."""
        from scipy.stats import beta

        tail = (1.0 - level) / 2.0
        low, high = beta.ppf([tail, 1.0 - tail], self.a, self.b)
        return float(low), float(high)

    def sample(self, rng: np.random.Generator, size: int) -> npt.NDArray[np.float64]:
        return rng.beta(self.a, self.b, size)

    def __repr__(self) -> str:
        return f"Beta(a={self.a:g}, b={self.b:g})"


@dataclass(frozen=True, slots=True)
class PriorStratum:
    """Enlarging lesions of one fractionation range and how many were pseudoprogression.

    ``fractions_max`` of ``None`` means no upper limit.
    """

    name: str
    fractions_min: int
    fractions_max: int | None
    pseudoprogression: int
    enlarging: int

    def __post_init__(self) -> None:
        if self.fractions_min < 1:
            raise ParameterError(f"fractions_min must be at least 1, got {self.fractions_min}")
        if self.fractions_max is not None and self.fractions_max < self.fractions_min:
            raise ParameterError(
                f"fractions_max ({self.fractions_max}) is below fractions_min "
                f"({self.fractions_min})"
            )
        if not 0 <= self.pseudoprogression <= self.enlarging:
            raise ParameterError(
                f"stratum {self.name}: pseudoprogression must lie between 0 and enlarging "
                f"({self.enlarging}), got {self.pseudoprogression}"
            )

    def contains(self, fractions: int) -> bool:
        high = self.fractions_max
        return fractions >= self.fractions_min and (high is None or fractions <= high)

    @property
    def fractions_text(self) -> str:
        """The range in words: ``1 fraction``, ``2 or more fractions``, ``3-5 fractions``."""
        low, high = self.fractions_min, self.fractions_max
        if high == low:
            return f"{low} fraction" + ("" if low == 1 else "s")
        if high is None:
            return f"{low} or more fractions"
        return f"{low}-{high} fractions"

    def posterior(self, a: float, b: float) -> Beta:
        """Beta posterior of the share of pseudoprogression, from a Beta(a, b) hyperprior."""
        return Beta(a + self.pseudoprogression, b + self.enlarging - self.pseudoprogression)

    def describe(self) -> str:
        return (
            f"{self.pseudoprogression} of {self.enlarging} enlarging lesions treated with "
            f"{self.fractions_text} were pseudoprogression"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "fractions_min": self.fractions_min,
            "fractions_max": self.fractions_max,
            "pseudoprogression": self.pseudoprogression,
            "enlarging": self.enlarging,
        }


_ENLARGING_FINAL = (ResponseCategory.OPP, ResponseCategory.PD)


@dataclass(frozen=True, slots=True)
class PriorModel:
    """Fractionation strata with their counts, and where the counts come from.

    ``left_out`` names lesions that were excluded when counting (leave-one-out validation).
    """

    strata: tuple[PriorStratum, ...]
    citation: Citation
    description: str = ""
    left_out: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.strata:
            raise ParameterError("a prior needs at least one fractionation stratum")
        for i, one in enumerate(self.strata):
            for other in self.strata[i + 1 :]:
                if _overlap(one, other):
                    raise ParameterError(
                        f"prior strata {one.name} ({one.fractions_text}) and {other.name} "
                        f"({other.fractions_text}) overlap; give each number of fractions "
                        "one stratum"
                    )

    def stratum_for(self, fractions: int) -> PriorStratum | None:
        """The stratum of a lesion treated in ``fractions`` fractions (``None``: none fits)."""
        return next((s for s in self.strata if s.contains(fractions)), None)

    @staticmethod
    def count(
        responses: Iterable[tuple[int, ResponseCategory | None]],
        strata: Iterable[PriorStratum],
    ) -> tuple[PriorStratum, ...]:
        """Recount each stratum from ``(fractions, final response)`` pairs.

        Lesions whose response is OPP or PD are the enlarging ones; other responses (and
        lesions without one) are not counted.
        """
        pairs = [(f, r) for f, r in responses if r in _ENLARGING_FINAL]
        out = []
        for stratum in strata:
            inside = [r for f, r in pairs if stratum.contains(f)]
            out.append(
                replace(
                    stratum,
                    pseudoprogression=sum(r is ResponseCategory.OPP for r in inside),
                    enlarging=len(inside),
                )
            )
        return tuple(out)

    def from_lesions(
        self,
        lesions: Iterable[Lesion],
        *,
        leave_out: Collection[str] = (),
        description: str | None = None,
    ) -> PriorModel:
        """The same strata, recounted from ``lesions`` (their ``response`` and fractions).

        Parameters
        ----------
        lesions
            Lesions with a final ``response`` (e.g. a cohort copied from a paper).
        leave_out
            Lesion ids not to count, e.g. the lesion being predicted (leave-one-out).
        description
            What the counts are; by default this model's description.
        """
        kept = [lesion for lesion in lesions if lesion.lesion_id not in leave_out]
        strata = self.count(((x.treatment.fractions, x.response) for x in kept), self.strata)
        return PriorModel(
            strata,
            self.citation,
            self.description if description is None else description,
            tuple(sorted(leave_out)),
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "description": self.description,
            "citation": self.citation.to_dict(),
            "strata": [s.to_dict() for s in self.strata],
            "left_out": list(self.left_out),
        }


def _overlap(a: PriorStratum, b: PriorStratum) -> bool:
    a_high = a.fractions_max if a.fractions_max is not None else 10**9
    b_high = b.fractions_max if b.fractions_max is not None else 10**9
    return a.fractions_min <= b_high and b.fractions_min <= a_high
