"""Description of a cohort, laid out like Table 1 and the first paragraphs of Results of
Amini et al. 2016: lesions and patients, age, sex, histology, spinal region and regimens.

Age and sex are patient characteristics: each patient counts once, with the values of their
first treated lesion (the paper: "mean age at SSRS was 53 years", 36 patients). Histology is
counted both per lesion and per patient (the paper's "67% of cases" for renal cell, sarcoma and
thyroid carcinoma is 24 of 36 patients). Spinal region and regimens are per lesion.

Examples
--------
>>> from datetime import date
>>> from pseudoprog.domain import Lesion, Treatment
>>> lesions = [Lesion("1", "1a", Treatment(date(2010, 1, 1), 24, 1), level="L1", age=50),
...            Lesion("1", "1b", Treatment(date(2010, 2, 1), 27, 3), level="T4", age=50),
...            Lesion("2", "2a", Treatment(date(2010, 3, 1), 24, 1), level="T6", age=60)]
>>> d = describe_cohort(lesions)
>>> d.n_lesions, d.n_patients, d.age.mean
(3, 2, 55.0)
>>> [(r.dose_gy, r.fractions, r.count) for r in d.regimens]
[(24.0, 1, 2), (27.0, 3, 1)]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pseudoprog.domain import Lesion, Site, SpinalRegion
from pseudoprog.errors import ParameterError
from pseudoprog.stats.summaries import Count, MeanSummary, mean_summary, tabulate

__all__ = ["CohortDescription", "Regimen", "describe_cohort", "spinal_region"]

_REGION_ORDER = tuple(r.value for r in (SpinalRegion.CERVICAL, SpinalRegion.THORACIC))
_REGION_ORDER += (SpinalRegion.LUMBAR.value,)


def spinal_region(lesion: Lesion) -> SpinalRegion | None:
    """Spinal region of a spine lesion with a vertebral level; ``None`` otherwise.

    >>> from datetime import date
    >>> from pseudoprog.domain import Treatment
    >>> t = Treatment(date(2010, 1, 1), 24, 1)
    >>> spinal_region(Lesion("1", "a", t, level="L6")), spinal_region(Lesion("1", "b", t))
    (<SpinalRegion.LUMBAR: 'lumbar'>, None)
    """
    if lesion.site is not Site.SPINE or lesion.level is None:
        return None
    try:
        return lesion.region
    except ParameterError:
        return None


@dataclass(frozen=True, slots=True)
class Regimen:
    """A dose/fraction combination and how many lesions received it."""

    dose_gy: float
    fractions: int
    count: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.count / self.total

    @property
    def label(self) -> str:
        return f"{self.dose_gy:g} Gy in {self.fractions} fraction" + (
            "" if self.fractions == 1 else "s"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "dose_gy": self.dose_gy,
            "fractions": self.fractions,
            "count": self.count,
            "percent": self.percent,
        }


@dataclass(frozen=True, slots=True)
class CohortDescription:
    """Characteristics of the lesions and patients of a cohort."""

    n_lesions: int
    n_patients: int
    age: MeanSummary
    sex: tuple[Count, ...]
    histology_lesions: tuple[Count, ...]
    histology_patients: tuple[Count, ...]
    regions: tuple[Count, ...]
    fractions: tuple[Count, ...]
    fractionation: tuple[Count, ...]
    regimens: tuple[Regimen, ...]
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_lesions": self.n_lesions,
            "n_patients": self.n_patients,
            "age_per_patient": self.age.to_dict(),
            "sex_per_patient": [c.to_dict() for c in self.sex],
            "histology_per_lesion": [c.to_dict() for c in self.histology_lesions],
            "histology_per_patient": [c.to_dict() for c in self.histology_patients],
            "spinal_region_per_lesion": [c.to_dict() for c in self.regions],
            "fractions_per_lesion": [c.to_dict() for c in self.fractions],
            "fractionation_per_lesion": [c.to_dict() for c in self.fractionation],
            "regimens": [r.to_dict() for r in self.regimens],
            "notes": list(self.notes),
        }


def _fraction_label(n: int) -> str:
    return "1 fraction" if n == 1 else f"{n} fractions"


def describe_cohort(lesions: Iterable[Lesion], *, confidence: float = 0.95) -> CohortDescription:
    """Describe the lesions and their patients (see the module docstring)."""
    data = list(lesions)
    first: dict[str, Lesion] = {}
    for lesion in sorted(data, key=lambda x: x.treatment.date):
        first.setdefault(lesion.patient_id, lesion)
    patients = [first[p] for p in dict.fromkeys(x.patient_id for x in data)]
    notes = []
    for pid, lesion in first.items():
        ages = {x.age for x in data if x.patient_id == pid and x.age is not None}
        if len(ages) > 1:
            listed = ", ".join(f"{a:g}" for a in sorted(ages))
            notes.append(
                f"patient {pid}: ages differ between lesions ({listed}); the age at the first "
                f"treatment ({lesion.age}) is used"
            )
        kinds = {x.histology for x in data if x.patient_id == pid}
        if len(kinds) > 1:
            notes.append(
                f"patient {pid}: lesions of different histology; the first lesion's is counted "
                "per patient"
            )

    combos = Counter((x.treatment.dose_gy, x.treatment.fractions) for x in data)
    regimens = tuple(
        Regimen(float(dose), int(n), count, len(data))
        for (dose, n), count in sorted(combos.items(), key=lambda kv: (-kv[1], kv[0][1], -kv[0][0]))
    )
    fraction_counts = sorted({x.treatment.fractions for x in data})
    return CohortDescription(
        n_lesions=len(data),
        n_patients=len(patients),
        age=mean_summary((p.age for p in patients if p.age is not None), confidence=confidence),
        sex=tabulate((None if p.sex is None else p.sex.value for p in patients), order=("F", "M")),
        histology_lesions=tabulate(x.histology for x in data),
        histology_patients=tabulate(p.histology for p in patients),
        regions=tabulate(
            (None if (r := spinal_region(x)) is None else r.value for x in data),
            order=_REGION_ORDER,
        ),
        fractions=tabulate(
            (_fraction_label(x.treatment.fractions) for x in data),
            order=tuple(_fraction_label(n) for n in fraction_counts),
        ),
        fractionation=tabulate(
            (
                "single fraction" if x.treatment.single_fraction else "multiple fractions"
                for x in data
            ),
            order=("single fraction", "multiple fractions"),
        ),
        regimens=regimens,
        notes=tuple(notes),
    )
